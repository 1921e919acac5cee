"""Recorded trainer output folded into what the panel shows: a sweep's points, a report's tables (no Qt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kws_gui.jobs.events import JobProgress, parse_event
from kws_gui.jobs.report_tables import report_tables
from kws_gui.jobs.sweep import EXAMPLE_SPACE, space_labels, summarize_sweep, write_example_space

RECORDED = Path(__file__).resolve().parent.parent / "_qt" / "data"


def _progress(name: str) -> JobProgress:
    progress = JobProgress()
    for line in (RECORDED / name).read_text().splitlines():
        progress.feed(parse_event(line))
    return progress


def test_sweep_events_become_points_and_progress() -> None:
    lines = (RECORDED / "sweep_events.jsonl").read_text().splitlines()
    progress = JobProgress()
    fractions = []
    for line in lines:
        event = parse_event(line)
        progress.feed(event)
        if event.kind == "trial_finished":
            fractions.append(progress.fraction)
    assert fractions == [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1.0]
    sweep = progress.sweep
    assert sweep is not None and sweep.counts() == {"ok": 6} and sweep.total == 6
    points = sweep.points()
    assert len(points) == 12 and {p.flavour for p in points} == {"float32", "int8"}
    assert all(p.file and p.file.startswith(f"trials/{p.trial}/") for p in points)
    picks = [p for p in points if sweep.is_pick(p)]
    assert len(picks) == 1 and picks[0].zipped_bytes == min(
        p.zipped_bytes for p in points if p.accuracy >= picks[0].accuracy
    )


def test_a_finished_sweep_offers_its_pick(tmp_path: Path) -> None:
    document = _progress("sweep_events.jsonl").report
    pick = document["pick"]
    target = tmp_path / "output" / pick["file"]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"model")
    metrics, outputs = summarize_sweep(document, tmp_path)
    assert outputs == {pick["flavour"]: str(target)}
    assert metrics["trials"] == {"ok": 6} and metrics["pick"]["trial"] == pick["trial"]
    assert metrics["val_accuracy"] == pick["accuracy"] and metrics["zipped_bytes"] == pick["zipped_bytes"]


def test_the_example_space_is_one_the_trainer_reads(tmp_path: Path) -> None:
    from trainer.sweep.space import load_space

    path = write_example_space(tmp_path / "space.json")
    space = load_space(path)
    assert space.trial_count(1) == 4 and json.loads(path.read_text()) == EXAMPLE_SPACE
    assert space_labels(None) == ("yes", "no") == space_labels(path)


def test_a_yaml_space_names_its_labels(tmp_path: Path) -> None:
    pytest.importorskip("yaml", reason="PyYAML comes with the train extra")
    (tmp_path / "live.yaml").write_text("labels: _silence_,_unknown_,yes,no\nfilters: [8, 16]\n")
    assert space_labels(tmp_path / "live.yaml") == ("_silence_", "_unknown_", "yes", "no")


def test_evaluation_and_benchmark_reports_become_tables() -> None:
    evaluation = report_tables(_progress("evaluate_events.jsonl").report)
    assert [t.columns for t in evaluation] == [
        ("Data source", "Accuracy", "Clips"),
        ("Class", "Clips", "Recognised (recall)", "Precision", "Taken for a keyword"),
        ("yes", "no"),
    ]
    assert evaluation[2].rows == (("148", "6"), ("2", "149")) and evaluation[2].diagonal
    benchmark = report_tables(_progress("benchmark_events.jsonl").report)
    assert len(benchmark) == 1 and [row[0] for row in benchmark[0].rows] == [
        "reference.tflite",
        "ds_cnn.tflite",
        "ds_cnn_int8.tflite",
    ]
    assert report_tables({"models": "nonsense", "per_class": 3}) == []  # odd reports: no table, no crash
