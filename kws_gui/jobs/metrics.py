"""The figures a result card shows, from a job's report and its model files.

The trainer's report is read defensively (every field optional); sizes missing
from it are measured from the files, and latency is measured here with the app's
own TFLite runtime (no TensorFlow), for the new model and for the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _accuracy(entry: Any, split: str) -> float | None:
    """``test_accuracy`` / ``validation_accuracy``, or ``accuracy: {test, validation}``."""
    flat = _number(_get(entry, f"{split}_accuracy"))
    if flat is not None:
        return flat
    acc = _get(entry, "accuracy")
    if isinstance(acc, dict):
        return _number(acc.get(split))
    return None


def summarize_report(report: dict[str, Any] | None, outputs: dict[str, str]) -> dict[str, Any]:
    """Flat metrics for the history: accuracies, sizes, sparsity, latency, training time.

    Keys (each present only when known): ``test_accuracy``, ``val_accuracy``,
    ``tflite_bytes``, ``zipped_bytes``, ``trainer_latency_us`` and the same with an
    ``int8_`` prefix; ``sparsity`` (of the pruned layers), ``sparsity_overall``, ``train_seconds``; ``accuracy`` and ``n``
    (evaluate jobs).
    """
    from kws_gui.core.model_file import zipped_size

    metrics: dict[str, Any] = {}
    report = report if isinstance(report, dict) else {}
    models = report.get("models") if isinstance(report.get("models"), dict) else {}
    for kind, prefix in (("float32", ""), ("int8", "int8_")):
        entry = models.get(kind)
        for split, key in (("test", "test_accuracy"), ("validation", "val_accuracy")):
            value = _accuracy(entry, split)
            if value is not None:
                metrics[prefix + key] = value
        for field in ("tflite_bytes", "zipped_bytes"):
            value = _number(_get(entry, field))
            if value is not None:
                metrics[prefix + field] = int(value)
        latency = _number(_get(entry, "latency", "total", "median_us"))
        if latency is not None:
            metrics[prefix + "trainer_latency_us"] = latency
        path = outputs.get(kind)
        if path and Path(path).is_file():
            data = Path(path).read_bytes()
            metrics.setdefault(prefix + "tflite_bytes", len(data))
            metrics.setdefault(prefix + "zipped_bytes", zipped_size(data))
    sparsity = _get(report, "sparsity")
    if isinstance(sparsity, dict):  # "prunable": the pruned layers; "overall": every weight
        overall = _number(sparsity.get("overall"))
        prunable = _number(sparsity.get("prunable"))
        if overall is not None:
            metrics["sparsity_overall"] = overall
        if prunable is not None or overall is not None:
            metrics["sparsity"] = prunable if prunable is not None else overall
    elif _number(sparsity) is not None:
        metrics["sparsity"] = _number(sparsity)
    seconds = _number(_get(report, "timing", "training_s"))
    if seconds is None:
        seconds = _number(_get(report, "training", "seconds"))
    if seconds is not None:
        metrics["train_seconds"] = seconds
    if not models:  # evaluate: {"accuracy": 0.97, "n": 120, ...}
        acc, n = _number(report.get("accuracy")), _number(report.get("n"))
        if acc is not None:
            metrics["accuracy"] = acc
        if n is not None:
            metrics["n"] = int(n)
    return metrics


def latency_against_reference(
    model_path: str | Path, reference_path: str | Path | None = None, runs: int = 30
) -> dict[str, Any]:
    """``{"latency_us", "reference_latency_us", "speedup_vs_reference"}`` (reference time / model time), whatever could be measured.

    Latency = median time to classify one window (features + inference), in
    microseconds, as the live classifier runs it; both models are timed in one
    interleaved run (:func:`kws_gui.core.model_timing.time_models`).
    """
    from kws_gui.core.model_file import KwsModel, ModelFileError
    from kws_gui.core.model_timing import time_models
    from kws_gui.paths import REFERENCE_MODEL

    out: dict[str, Any] = {}
    try:
        models = [KwsModel.load(model_path)]
    except (ModelFileError, OSError, RuntimeError, ValueError) as exc:
        out["latency_error"] = str(exc)
        return out
    ref = Path(reference_path) if reference_path else REFERENCE_MODEL
    if ref.is_file():
        try:
            models.append(KwsModel.load(ref))
        except (ModelFileError, OSError, RuntimeError, ValueError) as exc:
            out["latency_error"] = f"reference: {exc}"
    try:
        timings = time_models(models, runs=max(1, runs), warmup=3)
    except (RuntimeError, ValueError) as exc:  # an interpreter that fails at run time
        out["latency_error"] = str(exc)
        return out
    out["latency_us"] = timings[0]["total"]["median_us"]
    if len(timings) == 2:
        out["reference_latency_us"] = timings[1]["total"]["median_us"]
        if out["latency_us"] > 0:
            out["speedup_vs_reference"] = out["reference_latency_us"] / out["latency_us"]
    return out
