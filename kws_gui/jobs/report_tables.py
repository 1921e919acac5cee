"""A job's report as tables for people: per source, per class, the confusion matrix, the benchmark.

Read defensively (every field optional; a table without rows is left out), from the
reports ``kws-train evaluate`` / ``benchmark`` / ``train`` write. The panel shows
these instead of the raw JSON. No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kws_gui.jobs.metrics import field_at, source_figures


@dataclass(frozen=True)
class Table:
    """Rows of text under column names; ``diagonal``: a square matrix whose diagonal is the hits."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_names: tuple[str, ...] = ()
    diagonal: bool = False


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _int(value: Any) -> str:
    return f"{int(value)}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _kb(value: Any) -> str:
    return f"{value / 1024:.1f} KB" if isinstance(value, (int, float)) else "-"


def _us(value: Any) -> str:
    return f"{value:,.0f} µs" if isinstance(value, (int, float)) else "-"


def source_table(report: dict[str, Any], folders: Sequence[str] = (), split: str = "test") -> Table | None:
    """Accuracy per data folder, each named with its kind (synthetic / real speech) when known."""
    rows = []
    for s in source_figures(report, folders):
        if "accuracy" in s:  # an evaluation
            rows.append((s["title"], _pct(s.get("accuracy")), _int(s.get("n"))))
        else:
            rows.append((s["title"], _pct(s.get(f"{split}_accuracy")), _int(s.get(f"{split}_n"))))
    if not rows:
        return None
    return Table(
        f"Accuracy per data source ({split} split)", ("Data source", "Accuracy", "Clips"), tuple(rows)
    )


def class_table(per_class: Any, false_accepts: Any = None, split: str = "test") -> Table | None:
    """Clips, recall and precision per label; for non-keywords the share taken for a keyword."""
    if not isinstance(per_class, dict) or not per_class:
        return None
    false_accepts = false_accepts if isinstance(false_accepts, dict) else {}
    rows = []
    for label, f in per_class.items():
        f = f if isinstance(f, dict) else {}
        taken = false_accepts.get(label)
        rows.append(
            (str(label), _int(f.get("n")), _pct(f.get("recall")), _pct(f.get("precision")), _pct(taken))
        )
    columns = ("Class", "Clips", "Recognised (recall)", "Precision", "Taken for a keyword")
    return Table(f"Per class ({split} split)", columns, tuple(rows))


def confusion_table(labels: Any, confusion: Any, split: str = "test") -> Table | None:
    """Rows: the true label; columns: what the model said."""
    if not (isinstance(labels, list) and isinstance(confusion, list) and len(labels) == len(confusion)):
        return None
    if not all(isinstance(row, list) and len(row) == len(labels) for row in confusion):
        return None
    names = tuple(str(label) for label in labels)
    rows = tuple(tuple(_int(v) for v in row) for row in confusion)
    return Table(
        f"Confusion matrix ({split} split; rows: true label, columns: predicted)",
        names,
        rows,
        row_names=names,
        diagonal=True,
    )


def benchmark_table(report: dict[str, Any]) -> Table | None:
    """The benchmark's models against the reference: accuracy, sizes, latency, savings."""
    models = report.get("models")
    if not isinstance(models, list) or not models:
        return None
    rows = []
    for m in models:
        if not isinstance(m, dict):
            continue
        savings = m.get("latency_savings")
        saved = (
            "reference"
            if m.get("reference")
            else (f"{savings:.0%}" if isinstance(savings, (int, float)) else "-")
        )
        total = field_at(m, "total", "median_us")
        p95 = field_at(m, "total", "p95_us")
        rows.append(
            (
                str(m.get("model", "?")),
                str(m.get("quantization") or "-"),
                _pct(m.get("accuracy")),
                _kb(m.get("tflite_bytes")),
                _kb(m.get("zipped_bytes")),
                _us(field_at(m, "preprocess", "median_us")),
                _us(field_at(m, "inference", "median_us")),
                _us(total) + (f" (p95 {p95:,.0f})" if isinstance(p95, (int, float)) else ""),
                _us(field_at(m, "streaming", "total", "median_us")),
                saved,
            )
        )
    columns = (
        "Model",
        "Weights",
        "Accuracy",
        "TFLite",
        "Zipped",
        "Preprocessing",
        "Inference",
        "Latency (1 s window)",
        "Per hop (live)",
        "Latency saved",
    )
    sources = {
        str(m.get("accuracy_source")) for m in models if isinstance(m, dict) and m.get("accuracy_source")
    }
    title = "Models against the reference" + (f" (accuracy: {', '.join(sorted(sources))})" if sources else "")
    return Table(title, columns, tuple(rows))


def report_tables(report: Any, folders: Sequence[str] = ()) -> list[Table]:
    """Every table a report supports: a benchmark's, or an evaluation's / training's per source,
    per class and confusion matrix (training: of the float32 model on the test split)."""
    if not isinstance(report, dict):
        return []
    if isinstance(report.get("models"), list):
        table = benchmark_table(report)
        return [table] if table else []
    if isinstance(report.get("models"), dict):  # a training report
        float32 = field_at(report, "models", "float32") or {}
        tables = [
            source_table(report, folders, "test"),
            class_table(
                field_at(float32, "per_class", "test"), field_at(float32, "keyword_false_accepts", "test")
            ),
            confusion_table(report.get("labels"), field_at(float32, "test_confusion")),
        ]
    else:  # an evaluation
        split = str(report.get("split") or "test")
        tables = [
            source_table(report, folders, split),
            class_table(report.get("per_class"), report.get("keyword_false_accepts"), split),
            confusion_table(report.get("labels"), report.get("confusion"), split),
        ]
    return [t for t in tables if t is not None]
