"""JSONL events are parsed defensively and folded into the live view's state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kws_gui.jobs.events import JobProgress, format_duration, parse_event, replay


def test_parse_event_and_non_events() -> None:
    e = parse_event('{"event": "step", "step": 3}\n')
    assert e.kind == "step" and e.get("step") == 3
    for line in ("plain text", "{broken json", '{"no_event": 1}', "[1, 2]"):
        assert parse_event(line).kind == "log"
        assert parse_event(line).get("message") == line


def _feed(progress: JobProgress, *events: dict) -> None:
    for e in events:
        progress.feed(parse_event(json.dumps(e)))


def test_progress_eta_curves_and_end_states() -> None:
    p = JobProgress()
    assert p.fraction is None and p.eta_s is None
    _feed(p, {"event": "start", "command": "train", "epochs": 2, "steps_per_epoch": 50, "total_steps": 100})
    _feed(
        p,
        {
            "event": "step",
            "epoch": 1,
            "step": 25,
            "total_steps": 100,
            "loss": 0.9,
            "accuracy": 0.6,
            "sparsity": 0.1,
            "elapsed_s": 5.0,
        },
    )
    assert p.fraction == pytest.approx(0.25)
    assert p.eta_s is None  # the pace is unknown from a single step (start-up time is not pace)
    _feed(
        p,
        {
            "event": "step",
            "epoch": 1,
            "step": 50,
            "total_steps": 100,
            "loss": None,
            "accuracy": "x",
            "elapsed_s": 10.0,
        },
    )
    assert p.eta_s == pytest.approx(10.0)  # 25 steps in 5 s since the first step: 50 left take 10 s
    assert p.curves.step == [25.0] and p.curves.sparsity == [0.1]  # non-numbers are not plotted
    _feed(
        p,
        {
            "event": "epoch",
            "epoch": 1,
            "epochs": 2,
            "loss": 0.5,
            "accuracy": 0.8,
            "val_loss": 0.6,
            "val_accuracy": 0.75,
        },
    )
    assert p.curves.val_accuracy == [0.75] and p.epoch == 1
    _feed(p, {"event": "artifact", "kind": "float32", "path": "/x.tflite"}, {"event": "done", "ok": True})
    assert p.artifacts == {"float32": "/x.tflite"} and p.fraction == 1.0 and p.eta_s is None and p.ok
    q = JobProgress()
    _feed(q, {"event": "error", "message": "no folder 'yes'", "type": "DatasetError"})
    assert q.error == "no folder 'yes'" and q.stage == "error"
    _feed(q, {"event": "cancelled"})
    assert q.cancelled


def test_replay_rebuilds_curves_and_uses_the_log_file(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        json.dumps({"event": "step", "step": 1, "total_steps": 2, "loss": 1.0, "accuracy": 0.5})
        + "\n"
        + json.dumps({"event": "step", "step": 2, "total_steps": 2, "loss": 0.5, "accuracy": 0.7})
        + "\n"
    )
    log = tmp_path / "log.txt"
    log.write_text("first\nsecond\n")
    p = replay(events, log)
    assert p.curves.loss == [1.0, 0.5] and list(p.log) == ["first", "second"]
    assert replay(tmp_path / "missing.jsonl").curves.loss == []


def test_format_duration() -> None:
    assert format_duration(None) == "-"
    assert format_duration(12.4) == "12 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(3720) == "1 h 02 min"
