"""Accuracy of a model file for people: a percentage, on which data, per source folder.

A model's metadata holds its test accuracy and the training data's name
(``training.dataset``: the folder names joined with ``+`` when several were used).
The training report ``kws-train`` writes beside the model (``NAME.report.json`` for
``NAME.tflite`` and ``NAME_int8.tflite``) may add the accuracy per source folder
(``models[flavour]["sources"]``); it is read within size and depth limits, and a
missing or unreadable report only means fewer rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kws_gui.core.bounded_json import loads_bounded
from kws_gui.core.dataset_index import kind_from_name

MAX_REPORT_BYTES = 8 * 1024 * 1024


def describe_dataset(name: str) -> str:
    """``"tts-yes-no (synthetic) + real-v0.02 (real speech)"`` for a ``+``-joined name
    (the kinds by the folders' naming rule, :func:`~kws_gui.core.dataset_index.kind_from_name`)."""
    parts = []
    for part in (p.strip() for p in str(name).split("+")):
        if part:
            kind = kind_from_name(part)
            parts.append(f"{part} ({kind})" if kind else part)
    return " + ".join(parts)


def percent(value: float) -> str:
    """``0.995833`` -> ``"99.6 %"``."""
    return f"{100.0 * float(value):.1f} %"


def report_path(model_path: str | Path) -> Path:
    """Where kws-train put the report of ``model_path`` (``ds_cnn_int8.tflite`` -> ``ds_cnn.report.json``)."""
    p = Path(model_path)
    stem = p.stem[: -len("_int8")] if p.stem.endswith("_int8") else p.stem
    return p.with_name(f"{stem}.report.json")


def source_accuracies(model_path: str | Path, flavour: str) -> dict[str, dict[str, Any]]:
    """Source folder -> {"test_accuracy", "test_n", ...} from the report beside the model
    (empty when there is none, it is unreadable or names no sources)."""
    path = report_path(model_path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_REPORT_BYTES:
            return {}
        report = loads_bounded(path.read_bytes(), MAX_REPORT_BYTES, 64, what=path.name)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    models = report.get("models") if isinstance(report, dict) else None
    entry = models.get(flavour) if isinstance(models, dict) else None
    sources = entry.get("sources") if isinstance(entry, dict) else None
    if not isinstance(sources, dict):
        return {}
    return {str(k): v for k, v in sources.items() if isinstance(v, dict)}


def accuracy_rows(
    test_accuracy: Any, dataset: Any, sources: dict[str, dict[str, Any]] | None = None
) -> list[tuple[str, str]]:
    """(name, value) rows: the overall test accuracy with its data, then one per source folder."""
    rows: list[tuple[str, str]] = []
    named = describe_dataset(dataset) if isinstance(dataset, str) and dataset else ""
    if isinstance(test_accuracy, (int, float)) and not isinstance(test_accuracy, bool):
        text = percent(test_accuracy)
        rows.append(("Accuracy", f"{text} on the test split of {named}" if named else f"{text} (test split)"))
    elif named:
        rows.append(("Trained on", named))
    for name, figures in (sources or {}).items():
        accuracy, count = figures.get("test_accuracy"), figures.get("test_n")
        if not isinstance(accuracy, (int, float)) or isinstance(accuracy, bool):
            continue
        clips = f", {count} clips" if isinstance(count, int) and not isinstance(count, bool) else ""
        rows.append(
            (
                f"  on {name}",
                f"{percent(accuracy)} (test split{clips}; {kind_from_name(name) or 'source folder'})",
            )
        )
    return rows
