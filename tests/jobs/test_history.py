"""The job history against hostile and corrupt files (issue 8, rows 7 and 8): nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

from kws_gui.jobs.history import JobHistory, JobRecord
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec

GOOD = {"id": "good", "spec": {"kind": "evaluate"}, "status": "succeeded"}
BAD_ENTRIES = [{"id": "no spec"}, "a string", [1, 2], {"id": "bad kind", "spec": {"kind": "??"}}]


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("history.json.*.bad"))


def test_a_deeply_nested_history_is_set_aside_not_a_crash(tmp_path: Path) -> None:
    # Row 7: json.loads raised RecursionError and kws-gui did not start.
    path = tmp_path / "history.json"
    nested = '{"jobs": ' + "[" * 200_000 + "]" * 200_000 + "}"
    path.write_text(nested)
    history = JobHistory(path)
    assert history.records == []
    assert "could not be read" in history.warning and "nested 200001 levels deep" in history.warning
    assert [p.read_text() for p in _backups(tmp_path)] == [nested]
    assert not path.exists()
    history.add(JobRecord("new", JobSpec(JobKind.EVALUATE, data=(str(tmp_path),), models=("m.tflite",))))
    assert [r.id for r in JobHistory(path).records] == ["new"]


def test_a_second_bad_file_never_overwrites_the_first_backup(tmp_path: Path) -> None:
    # Row 8: the second bad file replaced history.json.bad.
    path = tmp_path / "history.json"
    path.write_text("{ first broken file")
    JobHistory(path)
    path.write_text("second broken file }")
    warning = JobHistory(path).warning
    path.write_bytes(b"\xff\xfe not utf-8")
    JobHistory(path)
    backups = _backups(tmp_path)
    assert len(backups) == 3, backups
    assert {b.read_bytes() for b in backups} == {
        b"{ first broken file",
        b"second broken file }",
        b"\xff\xfe not utf-8",
    }
    assert any(b.name in warning for b in backups)


def test_entries_skipped_on_load_are_kept_on_the_next_save(tmp_path: Path) -> None:
    # Row 8: bad entries skipped on load were dropped on the next save, with no backup.
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"jobs": [GOOD, *BAD_ENTRIES]}))
    history = JobHistory(path)
    assert [r.id for r in history.records] == ["good"]
    assert f"{len(BAD_ENTRIES)} unreadable job entries were skipped" in history.warning
    history.add(JobRecord("new", JobSpec(JobKind.EVALUATE, data=(str(tmp_path),), models=("m.tflite",))))
    assert history.remove("good")
    saved = json.loads(path.read_text())["jobs"]
    assert [e for e in saved if e in BAD_ENTRIES] == BAD_ENTRIES
    again = JobHistory(path)
    assert [r.id for r in again.records] == ["new"] and again.records[0].status is JobStatus.FAILED
    assert _backups(tmp_path) == []


def test_an_oversized_history_is_set_aside_without_reading_it(tmp_path: Path, monkeypatch) -> None:
    from kws_gui.jobs import history as history_module

    monkeypatch.setattr(history_module, "MAX_HISTORY_BYTES", 1000)
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"jobs": [GOOD] * 100}))
    history = JobHistory(path)
    assert history.records == [] and "more than the 1000" in history.warning
    assert len(_backups(tmp_path)) == 1
