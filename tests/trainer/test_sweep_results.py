"""sweep.json, Pareto fronts, the pick, the table and the PNG, from hand-made trial records (no Ray, no TF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainer.sweep.plot import draw_pareto
from trainer.sweep.results import (
    format_table,
    pareto_front,
    pick_smallest_within,
    read_document,
    sweep_document,
    trial_summary,
    write_document,
)


def _report(
    val: float, zipped: int, latency: float, sources: dict[str, float] | None = None
) -> dict[str, Any]:
    """The parts of a training report a sweep reads."""
    models = {}
    for flavour, shrink in (("float32", 1.0), ("int8", 0.5)):
        model: dict[str, Any] = {
            "file": "m.tflite" if flavour == "float32" else "m_int8.tflite",
            "validation_accuracy": val - (0.01 if flavour == "int8" else 0.0),
            "test_accuracy": val,
            "tflite_bytes": int(2 * zipped * shrink),
            "zipped_bytes": int(zipped * shrink),
            "latency": {"total": {"median_us": latency, "p95_us": 2 * latency}},
        }
        if sources is not None:
            model["sources"] = {name: {"validation_accuracy": acc} for name, acc in sources.items()}
        models[flavour] = model
    report: dict[str, Any] = {
        "name": "m",
        "config": {"filters": 8},
        "sparsity": {"prunable": 0.9},
        "keras": {"parameters": 1000},
        "models": models,
    }
    if sources is not None:
        report["dataset"] = {"sources": [{"name": n} for n in [*sources, "extra"]]}
    return report


def _record(trial: str, report: dict[str, Any] | None, **options: Any) -> dict[str, Any]:
    base = {"id": trial, "dir": f"trials/{trial}", "options": options, "error": None}
    if report is None:
        return {**base, "status": "failed", "error": "no folder 'absent'"}
    return {**base, "status": "ok", **trial_summary(report)}


def test_trial_summary_reads_what_the_report_has() -> None:
    plain = trial_summary(_report(0.9, 4000, 300.0))
    f32 = plain["models"]["float32"]
    assert (f32["validation_accuracy"], f32["zipped_bytes"], f32["latency_us"]) == (0.9, 4000, 300.0)
    assert f32["latency_kind"] == "window" and f32["sources"] == {}
    assert plain["models"]["int8"]["zipped_bytes"] == 2000 and plain["sparsity"] == 0.9

    multi = _report(0.9, 4000, 300.0, sources={"tts": 0.95, "real": 0.7})
    multi["models"]["int8"]["latency"]["per_hop"] = {"median_us": 120.0}
    summary = trial_summary(multi)
    # a source folder without a figure in the report reads as None
    assert summary["models"]["float32"]["sources"] == {"tts": 0.95, "real": 0.7, "extra": None}
    assert summary["models"]["int8"]["latency_us"] == 120.0
    assert summary["models"]["int8"]["latency_kind"] == "per_hop"


def test_pareto_front_keeps_the_undominated_points_cheapest_first() -> None:
    points = [
        {"name": "a", "accuracy": 0.90, "cost": 10},
        {"name": "b", "accuracy": 0.95, "cost": 20},
        {"name": "c", "accuracy": 0.93, "cost": 30},  # dominated by b
        {"name": "d", "accuracy": 0.99, "cost": 40},
        {"name": "e", "accuracy": 0.90, "cost": 10},  # a tie with a: not a second front point
        {"name": "f", "accuracy": None, "cost": 1},  # no figure: not on any front
        {"name": "g", "accuracy": 0.80, "cost": None},
    ]
    assert [p["name"] for p in pareto_front(points, "cost")] == ["a", "b", "d"]
    # brute force: nothing off the front dominates a front point, every other point is dominated
    front = pareto_front(points, "cost")
    usable = [p for p in points if p["accuracy"] is not None and p["cost"] is not None]
    for p in front:
        assert not any(q["accuracy"] > p["accuracy"] and q["cost"] <= p["cost"] for q in usable)
    assert pareto_front([], "cost") == []


def test_pick_is_the_smallest_within_x_points_of_the_best() -> None:
    points = [
        {"accuracy": 0.990, "zipped_bytes": 9000, "latency_us": 100.0, "n": "best"},
        {"accuracy": 0.985, "zipped_bytes": 5000, "latency_us": 300.0, "n": "close"},
        {"accuracy": 0.985, "zipped_bytes": 5000, "latency_us": 200.0, "n": "close-faster"},
        {"accuracy": 0.950, "zipped_bytes": 1000, "latency_us": 100.0, "n": "small"},
    ]
    assert pick_smallest_within(points, 1.0)["n"] == "close-faster"
    assert pick_smallest_within(points, 0.0)["n"] == "best"
    assert pick_smallest_within(points, 5.0)["n"] == "small"
    assert pick_smallest_within([], 1.0) is None


def _document(**kwargs: Any) -> dict[str, Any]:
    records = [
        _record("t0", _report(0.98, 8000, 400.0, sources={"real": 0.80}), filters=32),
        _record("t1", _report(0.97, 3000, 250.0, sources={"real": 0.85}), filters=16),
        _record("t2", None, filters=48),
    ]
    meta = {"space": {"filters": {"grid": [16, 32, 48]}}, "trials_total": 3}
    return sweep_document(meta, records, within_points=kwargs.pop("within", 1.0), **kwargs)


def test_document_fronts_pick_and_failed_trials() -> None:
    doc = _document(status="complete")
    assert doc["schema"] == "kws-train-sweep/1" and doc["status"] == "complete"
    assert doc["counts"] == {"ok": 2, "failed": 1} and len(doc["candidates"]) == 4
    # best 0.98 (t0 float32); within 1 point: t0 int8 (4000 B), t1 float32 (3000 B); t1 int8 is 0.96
    assert doc["pick"]["trial"] == "t1" and doc["pick"]["flavour"] == "float32"
    assert doc["pick"]["file"] == "trials/t1/m.tflite"
    assert {"trial": "t1", "flavour": "int8"} in doc["pareto"]["size"]
    assert doc["pareto"]["latency"][0] == {"trial": "t1", "flavour": "float32"}
    # ranked by one source folder's accuracy instead
    by_real = _document(accuracy_source="real", within=0.0)
    assert (by_real["pick"]["trial"], by_real["pick"]["flavour"], by_real["pick"]["accuracy"]) == (
        "t1",
        "int8",
        0.85,
    )
    assert "'real'" in by_real["accuracy"]


def test_table_marks_fronts_the_pick_and_failures() -> None:
    table = format_table(_document())
    lines = table.splitlines()
    rows = {tuple(line.split()[:2]): line.split() for line in lines if line.startswith("t")}
    assert rows[("t1", "float32")][7] == "SL*" and rows[("t1", "float32")][8] == "filters=16"
    assert rows[("t1", "int8")][7] == "S-"  # smallest, on the size front only
    assert rows[("t0", "int8")][7] == "--"  # dominated by t1 float32 on both
    assert any(line.startswith("pick (smallest zipped model within 1 accuracy points") for line in lines)
    assert "failed: t2 (filters=48): no folder 'absent'" in table


def test_document_round_trip_and_bad_files(tmp_path: Path) -> None:
    doc = _document()
    write_document(tmp_path, doc)
    assert read_document(tmp_path) == doc
    assert read_document(tmp_path / "none") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "sweep.json").write_text("{half")
    with pytest.raises(ValueError, match="cannot read the sweep record"):
        read_document(tmp_path / "bad")
    (tmp_path / "bad" / "sweep.json").write_text('{"schema": "other"}')
    with pytest.raises(ValueError, match="not a kws-train sweep record"):
        read_document(tmp_path / "bad")


def test_pareto_png(tmp_path: Path) -> None:
    import matplotlib.image

    path = draw_pareto(_document(), tmp_path / "sweep_pareto.png")
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= 300 and image.shape[1] >= 800
    # something was drawn in colour (the front and the pick), not a blank canvas
    rgb = image[..., :3]
    assert np.any(np.abs(rgb[..., 0] - rgb[..., 2]) > 0.3)
    # an empty sweep (every trial failed) still gives a picture
    empty = sweep_document({"trials_total": 1}, [_record("t", None)], 1.0)
    assert draw_pareto(empty, tmp_path / "empty.png").stat().st_size > 0
