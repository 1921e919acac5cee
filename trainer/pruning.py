"""Magnitude pruning with tensorflow-model-optimization, and sparsity accounting.

Only the prunable layers are wrapped (``Conv2D`` and ``Dense``; not
``DepthwiseConv2D``, which tfmot does not prune, nor ``Normalization``, which it
refuses), by cloning the model with a ``clone_function``. The schedule is a
``PolynomialDecay`` from ``initial_sparsity`` to ``final_sparsity`` that starts after
a fraction of the steps, updates often enough to move in short runs, and ends early
enough that the last epochs fine-tune at the final sparsity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.tf_setup import import_tf


@dataclass(frozen=True)
class PruningPlan:
    """When pruning happens, in optimizer steps."""

    begin_step: int
    end_step: int
    frequency: int
    initial_sparsity: float
    final_sparsity: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def plan_pruning(
    total_steps: int,
    steps_per_epoch: int,
    initial_sparsity: float = 0.1,
    final_sparsity: float = 0.9,
    start_fraction: float = 0.1,
    finetune_epochs: int = 0,
    frequency: int | None = None,
    updates: int = 20,
) -> PruningPlan:
    """A schedule that really reaches ``final_sparsity`` within ``total_steps``.

    tfmot updates the masks at steps ``begin + k * frequency`` that are <= ``end``;
    ``end`` is therefore put on that grid, so the last update applies the final
    sparsity. ``frequency`` defaults to about ``updates`` updates over the pruning
    span. Fine-tuning epochs are given up when the run is too short for them.
    """
    if total_steps < 1:
        raise ValueError("total_steps must be >= 1")
    last_step = total_steps - 1
    begin = min(int(round(start_fraction * total_steps)), last_step)
    end_limit = last_step - finetune_epochs * steps_per_epoch
    if end_limit <= begin:  # too short to fine-tune: prune up to the last step
        end_limit = last_step
    span = end_limit - begin
    if frequency is None:
        frequency = max(1, span // max(1, updates))
    frequency = max(1, min(int(frequency), span)) if span > 0 else 1
    end = begin + (span // frequency) * frequency
    return PruningPlan(begin, end, frequency, float(initial_sparsity), float(final_sparsity))


def is_prunable(layer: Any) -> bool:
    """Conv2D (but not DepthwiseConv2D) and Dense layers."""
    layers = import_tf().keras.layers
    if isinstance(layer, layers.DepthwiseConv2D):
        return False
    return isinstance(layer, (layers.Conv2D, layers.Dense))


def apply_pruning(model: Any, plan: PruningPlan) -> Any:
    """A clone of ``model`` with its prunable layers wrapped in ``prune_low_magnitude``.

    The layers are shared with ``model`` (same weights); use only the returned model.
    """
    _, keras, tfmot = import_tf()
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=plan.initial_sparsity,
        final_sparsity=plan.final_sparsity,
        begin_step=plan.begin_step,
        end_step=plan.end_step,
        frequency=plan.frequency,
    )

    def clone(layer: Any) -> Any:
        # The layer objects (and so their trained weights) are reused, as tfmot's guide does.
        if is_prunable(layer):
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer

    return keras.models.clone_model(model, clone_function=clone)


def pruning_callbacks() -> list[Any]:
    """The callback tfmot needs during ``fit`` (advances the pruning step)."""
    tfmot = import_tf().tfmot
    return [tfmot.sparsity.keras.UpdatePruningStep()]


def strip_pruning(model: Any) -> Any:
    """The model without pruning wrappers (masks already applied to the weights)."""
    tfmot = import_tf().tfmot
    return tfmot.sparsity.keras.strip_pruning(model)


def _kernel(layer: Any) -> np.ndarray | None:
    """The main weight matrix of a (possibly wrapped) layer."""
    inner = getattr(layer, "layer", layer)
    for attr in ("kernel", "depthwise_kernel"):
        weight = getattr(inner, attr, None)
        if weight is not None:
            return np.asarray(weight.numpy())
    return None


def sparsity_report(model: Any) -> dict[str, Any]:
    """Fraction of exactly-zero kernel weights, per weighted layer and overall.

    ``per_layer`` lists every layer with a kernel; ``prunable`` is the weighted
    sparsity over the prunable ones (Conv2D, Dense), ``overall`` over all kernels.
    """
    per_layer: dict[str, float] = {}
    prunable_zeros = prunable_total = all_zeros = all_total = 0
    for layer in model.layers:
        kernel = _kernel(layer)
        if kernel is None:
            continue
        inner = getattr(layer, "layer", layer)
        zeros = int(np.count_nonzero(kernel == 0))
        per_layer[inner.name] = round(zeros / kernel.size, 4)
        all_zeros += zeros
        all_total += kernel.size
        if is_prunable(inner):
            prunable_zeros += zeros
            prunable_total += kernel.size
    return {
        "overall": round(all_zeros / all_total, 4) if all_total else 0.0,
        "prunable": round(prunable_zeros / prunable_total, 4) if prunable_total else 0.0,
        "per_layer": per_layer,
    }


def current_sparsity(model: Any) -> float | None:
    """Masked fraction over the wrapped layers right now (None if none are wrapped)."""
    zeros = total = 0
    for layer in model.layers:
        masks = getattr(layer, "pruning_vars", None)
        if not masks:
            continue
        for _, mask, _ in masks:
            m = np.asarray(mask.numpy())
            zeros += int(m.size - np.count_nonzero(m))
            total += m.size
    return round(zeros / total, 4) if total else None
