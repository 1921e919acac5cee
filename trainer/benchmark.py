"""Latency and size comparison of model files (the README's results table).

Each model runs the app's path for one 1 s window: NumPy frontend
(``Frontend.window_features``) then one interpreter invoke, timed with
``perf_counter_ns`` by :meth:`KwsModel.predict_window`. All models run in the same
process, interleaved run by run (order rotated), after a warm-up, so they share the
machine's state. Medians and 95th percentiles are in microseconds. No TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kws_gui.core.model_file import KwsModel, zipped_size
from kws_gui.core.model_timing import DEFAULT_RUNS, WARMUP_RUNS, time_models


def _accuracy_from_metadata(model: KwsModel) -> float | None:
    training = model.metadata.get("training")
    value = training.get("test_accuracy") if isinstance(training, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def benchmark(
    paths: list[str | Path],
    reference: str | Path,
    runs: int = DEFAULT_RUNS,
    data_dir: str | Path | None = None,
    split: str = "test",
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Sizes, accuracy and latency of ``paths`` and ``reference``; savings vs the reference.

    Accuracy is the ``test_accuracy`` in each file's metadata, or, with ``data_dir``,
    measured on ``split`` through the runtime.
    """
    all_paths = [Path(reference)] + [Path(p) for p in paths if Path(p).resolve() != Path(reference).resolve()]
    models = [KwsModel.load(p) for p in all_paths]
    timings = time_models(models, runs=runs)
    rows = []
    for path, model, timing in zip(all_paths, models, timings, strict=True):
        info = model.info()
        if data_dir is not None:
            from trainer.evaluate import evaluate_file

            accuracy: float | None = evaluate_file(path, data_dir, split, cache_dir=cache_dir)["accuracy"]
            source = f"{split} split of {data_dir}"
        else:
            accuracy = _accuracy_from_metadata(model)
            source = "metadata"
        rows.append(
            {
                "model": path.name,
                "path": str(path),
                "reference": path == all_paths[0],
                "architecture": info.extra.get("architecture"),
                "quantization": info.quantization,
                "frontend": model.frontend_config.describe(),
                "accuracy": accuracy,
                "accuracy_source": source,
                "tflite_bytes": info.file_size,
                "zipped_bytes": zipped_size(model.data),
                "parameters": info.parameters,
                "sparsity": info.sparsity,
                **timing,
            }
        )
    ref_total = rows[0]["total"]["median_us"]
    ref_pre = rows[0]["preprocess"]["median_us"]
    ref_inf = rows[0]["inference"]["median_us"]
    for row in rows:
        row["latency_savings"] = round(1.0 - row["total"]["median_us"] / ref_total, 4) if ref_total else None
        row["preprocess_savings"] = (
            round(1.0 - row["preprocess"]["median_us"] / ref_pre, 4) if ref_pre else None
        )
        row["inference_savings"] = (
            round(1.0 - row["inference"]["median_us"] / ref_inf, 4) if ref_inf else None
        )
    first = models[0]
    return {
        "runs": runs,
        "warmup": WARMUP_RUNS,
        "runtime": f"{first.runtime.name} {first.runtime.version}",
        "reference": rows[0]["model"],
        "models": rows,
        "table": format_table(rows),
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    """The seed-style Markdown table: accuracy, sizes, latency, savings vs the reference."""
    lines = [
        "| Model | Weights | Accuracy | TFLite size | Zipped size | Preprocessing | Inference "
        "| Latency (pre + inf) | Latency savings |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        acc = "-" if row["accuracy"] is None else f"{row['accuracy']:.2%}"
        savings = "reference" if row["reference"] else f"{row['latency_savings']:.0%}"
        lines.append(
            f"| {row['model']} | {row['quantization']} | {acc} | {row['tflite_bytes'] / 1024:.1f} KB "
            f"| {row['zipped_bytes'] / 1024:.1f} KB | {row['preprocess']['median_us']:.0f} µs "
            f"| {row['inference']['median_us']:.0f} µs | {row['total']['median_us']:.0f} µs "
            f"(p95 {row['total']['p95_us']:.0f}) | {savings} |"
        )
    return "\n".join(lines)
