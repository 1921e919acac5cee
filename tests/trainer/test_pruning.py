"""Pruning really reaches its sparsity on the prunable layers, even in short runs."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.models import build_model, feature_normalizer, preset
from trainer.pruning import (
    apply_pruning,
    current_sparsity,
    plan_pruning,
    pruning_callbacks,
    sparsity_report,
    strip_pruning,
)


@pytest.mark.parametrize(
    ("total", "per_epoch", "finetune", "frequency"),
    [
        (1960, 98, 3, None),
        (40, 20, 1, None),
        (10, 10, 3, None),
        (2, 1, 0, None),
        (1000, 50, 2, 7),
        (1, 1, 0, None),
    ],
)
def test_plan_reaches_final_sparsity_on_the_update_grid(total, per_epoch, finetune, frequency) -> None:
    plan = plan_pruning(total, per_epoch, 0.1, 0.9, 0.1, finetune, frequency)
    assert 0 <= plan.begin_step <= plan.end_step <= total - 1
    assert (plan.end_step - plan.begin_step) % plan.frequency == 0  # the last update is the final one
    if total - 1 - finetune * per_epoch > plan.begin_step:
        assert plan.end_step <= total - 1 - finetune * per_epoch  # fine-tuning epochs stay
    assert plan.begin_step == min(round(0.1 * total), total - 1)


def test_plan_updates_often_enough_in_long_runs() -> None:
    plan = plan_pruning(1960, 98, finetune_epochs=3)
    assert plan.frequency < 100  # tfmot's default (100) would leave few updates
    assert (plan.end_step - plan.begin_step) // plan.frequency >= 10


@pytest.fixture(scope="module")
def pruned_model():
    from trainer.tf_setup import import_tf, set_seeds

    keras = import_tf().keras
    set_seeds(0)
    config = preset("ds-cnn").replace(filters=16)
    frames, features = config.frontend.feature_shape
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, frames, features)).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1) > 0).astype(np.int64)
    mean, var = feature_normalizer(x)
    model = build_model(config, mean, var)
    epochs, batch = 3, 20
    steps = epochs * 3
    plan = plan_pruning(steps, 3, 0.1, 0.75, 0.1, finetune_epochs=1)
    pruned = apply_pruning(model, plan)
    pruned.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    pruned.fit(x, y, batch_size=batch, epochs=epochs, callbacks=pruning_callbacks(), verbose=0)
    return pruned, plan


def test_only_conv2d_and_dense_are_wrapped(pruned_model) -> None:
    pruned, _ = pruned_model
    wrapped = {layer.layer.name for layer in pruned.layers if hasattr(layer, "pruning_vars")}
    assert wrapped == {"conv1", "pointwise2", "pointwise3", "dense"}
    assert current_sparsity(pruned) == pytest.approx(0.75, abs=0.01)


def test_stripped_model_has_the_target_sparsity_per_layer(pruned_model) -> None:
    pruned, _ = pruned_model
    report = sparsity_report(strip_pruning(pruned))
    for name in ("conv1", "pointwise2", "pointwise3", "dense"):
        assert report["per_layer"][name] == pytest.approx(0.75, abs=0.02), name
    assert report["per_layer"]["depthwise2"] < 0.05 and report["per_layer"]["depthwise3"] < 0.05
    assert report["prunable"] == pytest.approx(0.75, abs=0.01)
    assert report["overall"] < report["prunable"]
