"""The queue runs one job at a time, records everything in the history, passes weighted data folders."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from kws_gui.jobs.history import INTERRUPTED, JobHistory
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec
from tests.jobs.conftest import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")


def _queue(tmp_path: Path, command: tuple[str, ...], mode: str = "ok", **env: str) -> JobQueue:
    return JobQueue(
        root=tmp_path / "jobs",
        command=command,
        measure_latency=False,
        env={**os.environ, "FAKE_TRAINER_MODE": mode, **env},
    )


def test_one_job_at_a_time_and_history_metrics(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    q = _queue(tmp_path, fake_command)
    seen_running: list[str] = []
    q.add_listener(lambda r: seen_running.append(r.id) if r.status is JobStatus.RUNNING else None)
    a = q.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path),)))
    b = q.submit(JobSpec(JobKind.EVALUATE, data=(str(tmp_path),), models=(str(tmp_path / "m.tflite"),)))
    assert a.status is JobStatus.RUNNING and b.status is JobStatus.QUEUED and q.pending == [b]
    wait_until(lambda: a.status.finished and b.status.finished, poll=q.poll)
    assert seen_running == [a.id, b.id]
    assert a.status is JobStatus.SUCCEEDED and b.status is JobStatus.SUCCEEDED
    assert (
        a.metrics["test_accuracy"] == 0.8
        and a.metrics["int8_zipped_bytes"] == 444
        and a.metrics["sparsity"] == 0.4
    )
    assert Path(a.model_path("float32")).parent == Path(a.job_dir) / "output"
    assert b.metrics["accuracy"] == 0.75 and b.metrics["n"] == 8
    assert q.progress is not None and q.progress.curves.loss  # the last job's curves stay for the view
    reloaded = JobHistory(tmp_path / "jobs" / "history.json")
    assert [r.id for r in reloaded.records] == [a.id, b.id]
    assert reloaded.get(a.id).outputs == a.outputs and reloaded.get(a.id).metrics == a.metrics


def test_cancel_queued_and_running(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    q = _queue(tmp_path, fake_command, "slow")
    a = q.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path),)))
    b = q.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path),)))
    assert q.cancel(b.id) and b.status is JobStatus.CANCELLED
    wait_until(lambda: q.progress is not None and q.progress.step > 0, poll=q.poll)
    assert q.cancel(a.id)
    wait_until(lambda: a.status.finished, poll=q.poll)
    assert a.status is JobStatus.CANCELLED and a.exit_code == 130 and not q.busy
    assert Path(a.job_dir, "log.txt").is_file()


def test_failed_job_keeps_message_and_next_job_runs(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    q = _queue(tmp_path, fake_command, "error")
    a = q.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path / "missing"),)))
    wait_until(lambda: a.status.finished, poll=q.poll)
    assert a.status is JobStatus.FAILED and "does not exist" in a.error and a.outputs == {}


def test_interrupted_jobs_are_marked_failed_on_restart(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    q = _queue(tmp_path, fake_command, "stubborn")
    a = q.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path),)))
    wait_until(lambda: q.progress is not None and q.progress.step > 0, poll=q.poll)
    history = JobHistory(tmp_path / "jobs" / "history.json")  # "the app restarted" while a runs
    assert history.get(a.id).status is JobStatus.FAILED and history.get(a.id).error == INTERRUPTED
    q.shutdown(timeout=30, kill_timeout_s=0.2)
    assert a.status is JobStatus.CANCELLED


def test_broken_history_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text("{ not json")
    history = JobHistory(path)
    assert history.records == [] and "could not be read" in history.warning
    assert [p.read_text() for p in tmp_path.glob("history.json.*.bad")] == ["{ not json"]
    path.write_text(
        json.dumps({"jobs": [{"id": "x"}, {"id": "y", "spec": {"kind": "evaluate"}, "status": "succeeded"}]})
    )
    history = JobHistory(path)
    assert [r.id for r in history.records] == ["y"] and "1 unreadable" in history.warning


def test_several_weighted_data_folders_reach_the_trainer_as_repeated_data(
    tmp_path: Path, fake_command: tuple[str, ...], tiny_data: Path
) -> None:
    """kws-train reads several folders itself (``--data A --data B:3``): nothing is merged or linked."""
    from trainer.cli import build_parser
    from trainer.sources import parse_specs

    other = tmp_path / "real-other"
    other.mkdir()
    argv_file = tmp_path / "argv.json"
    q = _queue(tmp_path, fake_command, FAKE_TRAINER_ARGV=str(argv_file))
    a = q.submit(JobSpec(JobKind.TRAIN, data=(str(tiny_data), str(other)), weights=(1.0, 3.0)))
    wait_until(lambda: a.status.finished, poll=q.poll)
    assert a.status is JobStatus.SUCCEEDED, a.error
    argv = json.loads(argv_file.read_text())
    values = [argv[i + 1] for i, word in enumerate(argv) if word == "--data"]
    assert values == [str(tiny_data), f"{other}:3"]
    specs = parse_specs(build_parser().parse_args(argv).data)  # the trainer's own reading
    assert [(s.path, s.weight) for s in specs] == [(tiny_data, 1.0), (other, 3.0)]
    assert not (Path(a.job_dir) / "data").exists()


def test_a_sweep_without_a_space_file_gets_the_example(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    from kws_gui.jobs.sweep import EXAMPLE_SPACE

    argv_file = tmp_path / "argv.json"
    q = _queue(tmp_path, fake_command, FAKE_TRAINER_ARGV=str(argv_file))
    a = q.submit(JobSpec(JobKind.SWEEP, data=(str(tmp_path),), trials=2))
    wait_until(lambda: a.status.finished, poll=q.poll)
    argv = json.loads(argv_file.read_text())
    assert argv[:2] == ["sweep", "--space"] and argv[argv.index("--trials") + 1] == "2"
    space = Path(argv[2])
    assert space.parent == Path(a.job_dir) and json.loads(space.read_text()) == EXAMPLE_SPACE
    assert argv[argv.index("--out") + 1] == str(Path(a.job_dir) / "work")
