"""Presets, config validation and the Keras models (shapes, in-model normalisation)."""

from __future__ import annotations

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN, REFERENCE
from trainer.models import PRESETS, ConfigError, TrainConfig, build_model, feature_normalizer, preset


def test_presets_follow_the_seed() -> None:
    ds = preset("ds-cnn")
    assert ds.frontend == DS_CNN and ds.architecture == "ds-cnn"
    assert (ds.batch_size, ds.epochs, ds.learning_rate, ds.final_learning_rate) == (20, 20, 0.01, 0.001)
    # sparsity 0.8, not the seed's 0.9: see the preset's comment
    assert ds.prune and (ds.initial_sparsity, ds.final_sparsity, ds.pruning_start) == (0.1, 0.8, 0.1)
    ref = preset("reference")
    assert ref.frontend == REFERENCE and ref.architecture == "cnn" and not ref.prune
    assert ref.model_name == "reference" and ds.model_name == "ds_cnn"


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="reference"):
        preset("resnet")


@pytest.mark.parametrize(
    ("changes", "option"),
    [
        ({"epochs": 0}, "--epochs"),
        ({"labels": ("yes",)}, "--labels"),
        ({"labels": ("yes", "yes")}, "--labels"),
        ({"final_sparsity": 1.0}, "--final-sparsity"),
        ({"dropout": 1.5}, "--dropout"),
        ({"pruning_frequency": 0}, "--pruning-frequency"),
        ({"noise_probability": 2.0}, "--noise-probability"),
        ({"ds_blocks": 9}, "--ds-blocks"),
        ({"pool_blocks": 4}, "--pool-blocks"),
        ({"first_stride": (0, 1)}, "--first-stride"),
        ({"gain_db": (10.0, -10.0)}, "--gain-db"),
        ({"spec_masks": -1}, "--spec-masks"),
        ({"unknown_percent": -1.0}, "--unknown-percent"),
    ],
)
def test_config_errors_name_the_option(changes: dict, option: str) -> None:
    with pytest.raises(ConfigError, match=option):
        preset("ds-cnn").replace(**changes)


def test_config_round_trip_and_fingerprint() -> None:
    config = preset("ds-cnn").replace(epochs=3, labels=("on", "off", "up"))
    again = TrainConfig.from_dict(config.to_dict())
    assert again == config
    assert again.fingerprint() == config.fingerprint()
    assert config.replace(name="other").fingerprint() == config.fingerprint()
    assert config.replace(seed=1).fingerprint() != config.fingerprint()


def test_feature_normalizer_is_per_bin() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 10, 4)) * np.array([1, 2, 3, 4]) + np.array([0, 10, -5, 1])
    mean, var = feature_normalizer(x)
    np.testing.assert_allclose(mean, [0, 10, -5, 1], atol=0.3)
    np.testing.assert_allclose(np.sqrt(var), [1, 2, 3, 4], rtol=0.1)
    with pytest.raises(ValueError):
        feature_normalizer(np.zeros((0, 10, 4)))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_models_take_raw_features_and_normalise_inside(name: str) -> None:
    config = preset(name).replace(labels=("a", "b", "c"), filters=8)
    frames, features = config.frontend.feature_shape
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(6, frames, features)) * 5 + 20).astype(np.float32)
    mean, var = feature_normalizer(x)
    model = build_model(config, mean, var)
    assert tuple(model.input_shape) == (None, frames, features)
    assert tuple(model.output_shape) == (None, 3)
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    norm = model.get_layer("normalize")(x).numpy()
    np.testing.assert_allclose(norm, (x - mean) / np.sqrt(var), atol=1e-4)
    kinds = {type(layer).__name__ for layer in model.layers}
    if config.architecture == "ds-cnn":
        assert "DepthwiseConv2D" in kinds
    else:
        assert "DepthwiseConv2D" not in kinds
        assert model.get_layer("conv1").strides == (2, 2)


def test_speed_perturbation_stretches_around_the_centre() -> None:
    from trainer.augment import speed_perturb

    t = np.arange(16000) / 16000.0
    audio = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t)]).astype(np.float32)
    same = speed_perturb(audio, np.random.default_rng(0), 1e-9)
    np.testing.assert_allclose(same[:, 1:-1], audio[:, 1:-1], atol=1e-4)  # the edges may fall outside
    a = speed_perturb(audio, np.random.default_rng(1), 0.2)
    b = speed_perturb(audio, np.random.default_rng(1), 0.2)
    np.testing.assert_array_equal(a, b)  # repeatable with the same generator
    assert a.shape == audio.shape and not np.allclose(a, audio, atol=1e-3)
    # the dominant frequency moves by the speed factor (within +-20 %)
    peak = np.argmax(np.abs(np.fft.rfft(a[0, 4000:12000])))
    freq = peak * 16000 / 8000
    assert 440 * 0.8 - 5 <= freq <= 440 * 1.2 + 5


def test_live_preset_hears_neither() -> None:
    live = preset("live")
    assert live.labels == ("_silence_", "_unknown_", "yes", "no")
    assert live.frontend == DS_CNN and live.architecture == "ds-cnn"
    assert live.unknown_percent >= 60 and live.augment and live.noise_snr_db is not None
    assert live.model_name == "live"
    assert live.window_mean_norm and not preset("ds-cnn").window_mean_norm  # the seed's stays as specified


def test_ds_cnn_depth_stride_and_pooling_options() -> None:
    mean, var = np.zeros(16, np.float32), np.ones(16, np.float32)
    seed = build_model(preset("ds-cnn"), mean, var)
    names = [layer.name for layer in seed.layers]
    assert [n for n in names if n.startswith(("pool", "depthwise"))] == [
        "pool1",
        "depthwise2",
        "pool2",
        "depthwise3",
        "pool3",
    ]
    deep = build_model(
        preset("ds-cnn").replace(ds_blocks=4, first_stride=(2, 2), pool_blocks=1, filters=8), mean, var
    )
    assert deep.get_layer("conv1").output_shape == (None, 31, 8, 8)  # 61x16 strided by 2
    assert deep.get_layer("pointwise5").output_shape == (None, 15, 4, 8)  # one pooled block only
    assert not any(layer.name.startswith("pool2") for layer in deep.layers)
    assert deep.output_shape == (None, 2)


def test_window_mean_norm_removes_a_fixed_microphone_response() -> None:
    config = preset("live").replace(filters=8, window_mean_norm=True)
    frames, features = config.frontend.feature_shape
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, frames, features)).astype(np.float32)
    model = build_model(config, np.zeros(features, np.float32), np.ones(features, np.float32))
    removed = model.get_layer("subtract_window_mean").output
    from trainer.tf_setup import import_tf

    inner = import_tf().keras.Model(model.input, removed)
    np.testing.assert_allclose(inner(x).numpy(), x - x.mean(axis=1, keepdims=True), atol=1e-5)
    # a constant offset on every frame (a microphone's response in the log / cepstral domain)
    # changes nothing the model sees after the subtraction, nor its output
    tilt = rng.normal(size=(1, 1, features)).astype(np.float32) * 3
    np.testing.assert_allclose(model(x + tilt).numpy(), model(x).numpy(), atol=1e-5)
    plain = build_model(config.replace(window_mean_norm=False), np.zeros(features), np.ones(features))
    assert "subtract_window_mean" not in [layer.name for layer in plain.layers]


def test_label_smoothing_targets_and_range() -> None:
    from trainer.training import training_targets

    labels = np.array([2, 0, 3])
    live = preset("live")
    assert training_targets(labels, live) is labels  # off: the label indices themselves
    onehot = training_targets(labels, live.replace(label_smoothing=0.1))
    assert onehot.dtype == np.float32 and onehot.shape == (3, 4)
    np.testing.assert_array_equal(onehot.argmax(axis=1), labels)
    assert onehot.sum() == 3  # Keras' loss applies the smoothing to these rows
    for bad in (-0.1, 1.0):
        with pytest.raises(ConfigError, match="--label-smoothing"):
            live.replace(label_smoothing=bad)


def test_tf_threads_range() -> None:
    assert preset("live").tf_threads == 0  # TensorFlow's default: the shipped files were made so
    assert preset("live").replace(tf_threads=1).tf_threads == 1
    for bad in (-1, 257):
        with pytest.raises(ConfigError, match="--tf-threads"):
            preset("live").replace(tf_threads=bad)
