"""What a sweep found: one record per trial, ``sweep.json``, the Pareto fronts, the pick, the table.

A trial's record holds its options, status (``ok``, ``failed``, ``running``,
``unfinished``), error message, and, when it trained, its config and per model file
(flavour ``float32`` / ``int8``): validation and test accuracy, validation accuracy
per source folder (``null`` where the report has none), ``.tflite`` and zipped size,
and latency (``latency_us``: the per-hop figure when the report has one, else one
window's preprocessing + inference; ``latency_kind`` says which).

Every model file of every finished trial is a *candidate*. Its accuracy is the
validation accuracy, or that of one source folder (``accuracy_source``): the test
split stays untouched by the choice. A front keeps the candidates that no other
beats on both accuracy and cost (zipped size, or latency); the *pick* is the
smallest zipped candidate within ``within_points`` accuracy points of the best.
No Ray and no TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from trainer.progress import to_json

SCHEMA = "kws-train-sweep/1"
SWEEP_FILE = "sweep.json"
PLOT_FILE = "sweep_pareto.png"
MAX_DOCUMENT_BYTES = 256 << 20  # ~3 KB per trial
FRONTS = {"size": "zipped_bytes", "latency": "latency_us"}


def trial_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The record fields of a finished trial, from its training report (missing figures -> None)."""
    sources = [s.get("name") for s in (report.get("dataset") or {}).get("sources") or [] if s.get("name")]
    models: dict[str, Any] = {}
    for flavour, m in (report.get("models") or {}).items():
        latency = m.get("latency") or {}
        per_hop = (latency.get("per_hop") or {}).get("median_us")
        window = (latency.get("total") or {}).get("median_us")
        per_source = {name: None for name in sources}
        for name, values in (m.get("sources") or {}).items():
            per_source[name] = (values or {}).get("validation_accuracy")
        models[flavour] = {
            "file": m.get("file"),
            "validation_accuracy": m.get("validation_accuracy"),
            "test_accuracy": m.get("test_accuracy"),
            "sources": per_source,
            "tflite_bytes": m.get("tflite_bytes"),
            "zipped_bytes": m.get("zipped_bytes"),
            "latency_us": per_hop if per_hop is not None else window,
            "latency_kind": "per_hop" if per_hop is not None else "window",
        }
    return {
        "name": report.get("name"),
        "config": report.get("config"),
        "sparsity": (report.get("sparsity") or {}).get("prunable"),
        "parameters": (report.get("keras") or {}).get("parameters"),
        "models": models,
    }


def candidates(records: Iterable[dict[str, Any]], accuracy_source: str | None = None) -> list[dict[str, Any]]:
    """One entry per model file of every ``ok`` trial, with the accuracy the fronts rank by."""
    out = []
    for record in records:
        if record.get("status") != "ok":
            continue
        for flavour, m in (record.get("models") or {}).items():
            accuracy = (
                (m.get("sources") or {}).get(accuracy_source)
                if accuracy_source
                else m.get("validation_accuracy")
            )
            out.append(
                {
                    "trial": record["id"],
                    "flavour": flavour,
                    "accuracy": accuracy,
                    "validation_accuracy": m.get("validation_accuracy"),
                    "test_accuracy": m.get("test_accuracy"),
                    "tflite_bytes": m.get("tflite_bytes"),
                    "zipped_bytes": m.get("zipped_bytes"),
                    "latency_us": m.get("latency_us"),
                    "file": f"{record['dir']}/{m['file']}" if m.get("file") else None,
                    "options": record.get("options", {}),
                }
            )
    return out


def pareto_front(points: Sequence[dict[str, Any]], cost: str) -> list[dict[str, Any]]:
    """The points no other point beats on both accuracy (higher) and ``cost`` (lower), cheapest first."""
    usable = [p for p in points if p.get("accuracy") is not None and p.get(cost) is not None]
    usable.sort(key=lambda p: (p[cost], -p["accuracy"]))
    front: list[dict[str, Any]] = []
    for p in usable:
        if not front or p["accuracy"] > front[-1]["accuracy"]:
            front.append(p)
    return front


def pick_smallest_within(points: Sequence[dict[str, Any]], within_points: float) -> dict[str, Any] | None:
    """The smallest zipped point whose accuracy is within ``within_points`` percentage points of the best."""
    usable = [p for p in points if p.get("accuracy") is not None and p.get("zipped_bytes") is not None]
    if not usable:
        return None
    best = max(p["accuracy"] for p in usable)
    floor = best - within_points / 100.0 - 1e-12
    near = [p for p in usable if p["accuracy"] >= floor]
    latency = lambda p: p["latency_us"] if p.get("latency_us") is not None else float("inf")  # noqa: E731
    return min(near, key=lambda p: (p["zipped_bytes"], -p["accuracy"], latency(p)))


def _ref(point: dict[str, Any]) -> dict[str, Any]:
    return {"trial": point["trial"], "flavour": point["flavour"]}


def sweep_document(
    meta: dict[str, Any],
    records: Sequence[dict[str, Any]],
    within_points: float,
    accuracy_source: str | None = None,
    status: str = "running",
) -> dict[str, Any]:
    """The content of ``sweep.json``: settings, every trial, the fronts and the pick."""
    points = candidates(records, accuracy_source)
    pick = pick_smallest_within(points, within_points)
    counts: dict[str, int] = {}
    for record in records:
        counts[record.get("status", "unknown")] = counts.get(record.get("status", "unknown"), 0) + 1
    return {
        "schema": SCHEMA,
        "status": status,
        **meta,
        "accuracy": f"validation accuracy of source {accuracy_source!r}"
        if accuracy_source
        else "validation accuracy",
        "accuracy_source": accuracy_source,
        "counts": counts,
        "trials": list(records),
        "candidates": points,
        "pareto": {name: [_ref(p) for p in pareto_front(points, cost)] for name, cost in FRONTS.items()},
        "pick": None
        if pick is None
        else {
            **pick,
            "rule": f"smallest zipped model within {within_points:g} accuracy points of the best",
            "within_points": within_points,
        },
    }


def write_document(out_dir: str | Path, document: dict[str, Any]) -> Path:
    """Write ``sweep.json`` atomically (a reader never sees half a file)."""
    from kws_gui.core.atomic_file import atomic_write

    return atomic_write(Path(out_dir) / SWEEP_FILE, to_json(document, indent=2) + "\n")


def read_document(out_dir: str | Path) -> dict[str, Any] | None:
    """``sweep.json`` of ``out_dir``, or None when there is none; ValueError if unreadable."""
    path = Path(out_dir) / SWEEP_FILE
    if not path.exists():
        return None
    from kws_gui.core.bounded_json import loads_bounded

    try:
        data = loads_bounded(path.read_bytes(), MAX_DOCUMENT_BYTES, 32, str(path))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the sweep record: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a kws-train sweep record (schema {SCHEMA})")
    return data


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _options_text(options: dict[str, Any], varied: Sequence[str]) -> str:
    return " ".join(f"{k}={_short(options.get(k))}" for k in varied) or "-"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def format_table(document: dict[str, Any]) -> str:
    """The sweep as text: every model file, best first, front membership marked, then the pick and failures."""
    varied = [k for k, spec in (document.get("space") or {}).items() if isinstance(spec, dict)]
    on_front = {
        name: {(r["trial"], r["flavour"]) for r in refs} for name, refs in document.get("pareto", {}).items()
    }
    pick = document.get("pick")
    rows = sorted(
        document.get("candidates", []),
        key=lambda p: (-(p["accuracy"] if p["accuracy"] is not None else -1.0), p["zipped_bytes"] or 0),
    )
    header = f"{'trial':<14} {'model':<7} {'accuracy':>8} {'test':>7} {'tflite KB':>9} {'zip KB':>7} {'lat µs':>7}  front  options"
    lines = [
        f"sweep: {document.get('accuracy', 'accuracy')}; front S = size, L = latency; * = the pick",
        header,
    ]
    for p in rows:
        key = (p["trial"], p["flavour"])
        marks = ("S" if key in on_front.get("size", set()) else "-") + (
            "L" if key in on_front.get("latency", set()) else "-"
        )
        star = "*" if pick and (pick["trial"], pick["flavour"]) == key else " "
        lines.append(
            f"{p['trial']:<14} {p['flavour']:<7} {_fmt(p['accuracy'], '.4f'):>8} "
            f"{_fmt(p['test_accuracy'], '.4f'):>7} {_fmt(_kb(p['tflite_bytes']), '.1f'):>9} "
            f"{_fmt(_kb(p['zipped_bytes']), '.1f'):>7} {_fmt(p['latency_us'], '.0f'):>7}  {marks}{star}    "
            f"{_options_text(p['options'], varied)}"
        )
    if pick:
        lines.append(
            f"pick ({pick['rule']}): {pick['trial']} {pick['flavour']} -> {pick['file']} "
            f"(accuracy {_fmt(pick['accuracy'], '.4f')}, zipped {_fmt(_kb(pick['zipped_bytes']), '.1f')} KB)"
        )
    for record in document.get("trials", []):
        if record.get("status") != "ok":
            detail = f": {record['error']}" if record.get("error") else ""
            lines.append(
                f"{record['status']}: {record['id']} ({_options_text(record.get('options', {}), varied)}){detail}"
            )
    return "\n".join(lines)


def _kb(n: Any) -> float | None:
    return None if n is None else n / 1024.0
