"""The JSON report written beside every trained model, and the metadata built from it."""

from __future__ import annotations

import datetime as _dt
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kws_gui.core.bounded_json import loads_bounded
from trainer.progress import to_json

#: A report is ~10 KB; one from anywhere (``prune --from``) is refused unparsed beyond these.
MAX_REPORT_BYTES = 16 * 1024 * 1024
MAX_REPORT_DEPTH = 64


def utc_now() -> str:
    """ISO 8601 UTC timestamp, seconds precision (``2026-11-25T10:00:00Z``)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def package_versions() -> dict[str, str]:
    """Versions of the packages that shaped a model."""
    out = {"python": platform.python_version()}
    for name in ("tensorflow", "tf-keras", "tensorflow-model-optimization", "ai-edge-litert", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def report_path(out_dir: str | Path, name: str) -> Path:
    """``{out}/{name}.report.json``."""
    return Path(out_dir) / f"{name}.report.json"


def render(report: dict[str, Any]) -> str:
    """The report as indented JSON text (NumPy values converted)."""
    return to_json(report, indent=2, sort_keys=False) + "\n"


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a report JSON; ``ValueError`` with a clear message if unreadable."""
    p = Path(path)
    try:
        data = loads_bounded(p.read_text(encoding="utf-8"), MAX_REPORT_BYTES, MAX_REPORT_DEPTH, "the report")
    except (OSError, ValueError) as exc:  # JSON, encoding, size or depth
        raise ValueError(f"{p}: cannot read the training report: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{p}: the training report is not a JSON object")
    return data


def model_block(architecture: str, quantization: str, sparsity: dict[str, Any]) -> dict[str, Any]:
    """The ``model`` block of the metadata (DEVELOPERS.md schema).

    ``sparsity`` is the sparsity of the prunable layers (what pruning targets),
    ``sparsity_overall`` over every kernel (depthwise included).
    """
    return {
        "architecture": architecture,
        "quantization": quantization,
        "sparsity": sparsity.get("prunable", 0.0),
        "sparsity_overall": sparsity.get("overall", 0.0),
        "sparsity_per_layer": dict(sparsity.get("per_layer", {})),
    }


def training_block(
    dataset_name: str,
    dataset_fingerprint: str,
    test_accuracy: float | None,
    config_fingerprint: str,
    created: str,
    preset: str,
) -> dict[str, Any]:
    """The ``training`` block of the metadata."""
    return {
        "dataset": dataset_name,
        "dataset_fingerprint": dataset_fingerprint,
        "test_accuracy": None if test_accuracy is None else round(float(test_accuracy), 6),
        "config_fingerprint": config_fingerprint,
        "preset": preset,
        "created": created,
    }
