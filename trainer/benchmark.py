"""Latency and size comparison of model files (the README's results tables).

Two timings per model, each with all models in the same process, interleaved run by
run (order rotated) after a warm-up, so they share the machine's state
(:mod:`kws_gui.core.model_timing`):

* **1 s window** (the seed's comparison, savings vs the reference): frontend of the
  whole window (``Frontend.window_features``) then one interpreter invoke;
* **per hop** (what the live engine spends every hop, 100 ms by default): only the
  frames the hop completed, then one invoke.

Medians and 95th percentiles are in microseconds. No TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kws_gui.core.model_file import KwsModel, zipped_size
from kws_gui.core.model_timing import (
    DEFAULT_HOP_SAMPLES,
    DEFAULT_RUNS,
    WARMUP_RUNS,
    time_models,
    time_streaming,
)


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
    hop_samples: int = DEFAULT_HOP_SAMPLES,
) -> dict[str, Any]:
    """Sizes, accuracy and latency of ``paths`` and ``reference``; savings vs the reference.

    Accuracy is the ``test_accuracy`` in each file's metadata, or, with ``data_dir``,
    measured on ``split`` through the runtime. Each row also has ``streaming``: the
    per-hop cost at ``hop_samples`` (see :func:`time_streaming`).
    """
    all_paths = [Path(reference)] + [Path(p) for p in paths if Path(p).resolve() != Path(reference).resolve()]
    models = [KwsModel.load(p) for p in all_paths]
    timings = time_models(models, runs=runs)
    streaming = time_streaming(models, hop_samples=hop_samples, runs=runs)
    rows = []
    for path, model, timing, hop in zip(all_paths, models, timings, streaming, strict=True):
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
                "streaming": hop,
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
        window_total = row["total"]["median_us"]
        row["streaming"]["saving_vs_window"] = (
            round(1.0 - row["streaming"]["total"]["median_us"] / window_total, 4) if window_total else None
        )
    first = models[0]
    return {
        "runs": runs,
        "warmup": WARMUP_RUNS,
        "runtime": f"{first.runtime.name} {first.runtime.version}",
        "reference": rows[0]["model"],
        "hop_samples": int(hop_samples),
        "hop_s": round(hop_samples / models[0].frontend_config.sample_rate, 4),
        "models": rows,
        "table": format_table(rows),
        "streaming_table": format_streaming_table(rows),
    }


def _markdown(header: list[str], cells: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _us(stats: dict[str, float], p95: bool = False) -> str:
    text = f"{stats['median_us']:.0f} µs"
    return f"{text} (p95 {stats['p95_us']:.0f})" if p95 else text


def format_table(rows: list[dict[str, Any]]) -> str:
    """The seed-style Markdown table: accuracy, sizes, latency, savings vs the reference."""
    header = ["Model", "Weights", "Accuracy", "TFLite size", "Zipped size", "Preprocessing", "Inference"]
    header += ["Latency (pre + inf)", "Latency savings"]
    cells = [
        [
            row["model"],
            row["quantization"],
            "-" if row["accuracy"] is None else f"{row['accuracy']:.2%}",
            f"{row['tflite_bytes'] / 1024:.1f} KB",
            f"{row['zipped_bytes'] / 1024:.1f} KB",
            _us(row["preprocess"]),
            _us(row["inference"]),
            _us(row["total"], p95=True),
            "reference" if row["reference"] else f"{row['latency_savings']:.0%}",
        ]
        for row in rows
    ]
    return _markdown(header, cells)


def format_streaming_table(rows: list[dict[str, Any]]) -> str:
    """Per-hop cost of the live engine beside the 1 s window figure, per model."""
    header = ["Model", "Weights", "Frames per hop", "Preprocessing per hop", "Inference"]
    header += ["Per hop (pre + inf)", "1 s window (pre + inf)", "Saving per hop"]
    cells = []
    for row in rows:
        hop = row["streaming"]
        saving = hop.get("saving_vs_window")
        cells.append(
            [
                row["model"],
                row["quantization"],
                f"{hop['frames_per_hop']:g}",
                _us(hop["preprocess"]),
                _us(hop["inference"]),
                _us(hop["total"], p95=True),
                _us(row["total"]),
                "-" if saving is None else f"{saving:.0%}",
            ]
        )
    return _markdown(header, cells)
