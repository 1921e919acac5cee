"""The runner drives a child process: success, trainer errors, crashes, cancel and kill."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from kws_gui.jobs.runner import JobRunner, JobStatus, RunnerItemKind
from kws_gui.jobs.spec import JobKind, JobSpec, build_argv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")


def _runner(tmp_path: Path, command: tuple[str, ...], mode: str, **kwargs) -> JobRunner:
    job_dir = tmp_path / "job"
    argv = build_argv(JobSpec(JobKind.TRAIN, data=(str(tmp_path),)), job_dir / "work")
    env = {**os.environ, "FAKE_TRAINER_MODE": mode}
    return JobRunner(argv, job_dir, command=command, env=env, **kwargs)


def _events(runner: JobRunner) -> list[str]:
    return [payload.kind for kind, payload in runner.drain() if kind is RunnerItemKind.EVENT]


def test_success_moves_outputs_into_place(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    runner = _runner(tmp_path, fake_command, "ok")
    runner.start()
    assert runner.wait(60)
    outcome = runner.outcome
    assert outcome is not None and outcome.status is JobStatus.SUCCEEDED, outcome
    out = tmp_path / "job" / "output"
    assert not (tmp_path / "job" / "work").exists()
    assert outcome.artifacts["float32"] == str(out / "ds_cnn.tflite")
    assert Path(outcome.artifacts["int8"]).is_file() and Path(outcome.artifacts["report"]).is_file()
    assert outcome.report["models"]["float32"]["tflite_bytes"] == 1234
    kinds = _events(runner)
    assert kinds[0] == "start" and kinds[-1] == "done" and "epoch" in kinds
    log = (tmp_path / "job" / "log.txt").read_text()
    assert "human log line on stderr" in log and "a stray print that is not JSON" in log
    assert [
        json.loads(line)["event"] for line in (tmp_path / "job" / "events.jsonl").read_text().splitlines()
    ] == kinds


def test_the_child_runs_at_a_lower_cpu_priority(
    tmp_path: Path, fake_command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kws_gui.jobs.runner import JOB_NICENESS

    nice_file = tmp_path / "nice.txt"
    monkeypatch.setenv("FAKE_TRAINER_NICE", str(nice_file))
    runner = _runner(tmp_path, fake_command, "ok")
    runner.start()
    assert runner.wait(60)
    assert int(nice_file.read_text()) == min(19, os.nice(0) + JOB_NICENESS)


def test_the_child_is_started_without_preexec_fn(
    tmp_path: Path, fake_command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A preexec_fn runs Python between fork and exec: it can deadlock a multi-threaded app.
    from kws_gui.jobs import runner as runner_module

    seen: list[dict] = []
    real_popen = runner_module.subprocess.Popen

    def recording_popen(*args, **kwargs):
        seen.append(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(runner_module.subprocess, "Popen", recording_popen)
    runner = _runner(tmp_path, fake_command, "ok")
    runner.start()
    assert runner.wait(60) and runner.outcome.status is JobStatus.SUCCEEDED
    assert seen and all(kwargs.get("preexec_fn") is None for kwargs in seen)


def test_trainer_error_fails_with_its_message(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    runner = _runner(tmp_path, fake_command, "error")
    runner.start()
    assert runner.wait(60)
    assert runner.outcome.status is JobStatus.FAILED and runner.outcome.exit_code == 2
    assert "does not exist" in runner.outcome.error
    assert not (tmp_path / "job" / "output").exists()


def test_crash_fails_with_the_last_stderr_line_and_keeps_the_log(
    tmp_path: Path, fake_command: tuple[str, ...]
) -> None:
    runner = _runner(tmp_path, fake_command, "crash")
    runner.start()
    assert runner.wait(60)
    assert runner.outcome.status is JobStatus.FAILED and runner.outcome.exit_code == 1
    assert "boom in the fake trainer" in runner.outcome.error
    assert "Traceback" in (tmp_path / "job" / "log.txt").read_text()


def test_cancel_is_graceful(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    runner = _runner(tmp_path, fake_command, "slow")
    runner.start()
    from tests.jobs.conftest import wait_until

    seen: list[str] = []
    wait_until(lambda: "step" in seen, poll=lambda: seen.extend(_events(runner)))
    runner.cancel()
    assert runner.wait(60)
    assert runner.outcome.status is JobStatus.CANCELLED and runner.outcome.exit_code == 130
    assert not runner.outcome.killed
    assert "cancelled" in _events(runner) + seen


def test_cancel_kills_a_child_that_ignores_sigterm(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    runner = _runner(tmp_path, fake_command, "stubborn", kill_timeout_s=0.5)
    runner.start()
    from tests.jobs.conftest import wait_until

    seen: list[str] = []
    wait_until(lambda: "step" in seen, poll=lambda: seen.extend(_events(runner)))
    runner.cancel()
    assert runner.wait(60)
    assert runner.outcome.status is JobStatus.CANCELLED and runner.outcome.killed
    assert "killed" in (tmp_path / "job" / "log.txt").read_text()


def test_missing_program_fails_cleanly(tmp_path: Path) -> None:
    runner = JobRunner(["train"], tmp_path / "job", command=(str(tmp_path / "no-such-python"),))
    runner.start()
    assert runner.wait(30)
    assert runner.outcome.status is JobStatus.FAILED and "cannot start the trainer" in runner.outcome.error


def test_failing_prepare_fails_without_launching(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    def prepare() -> None:
        raise ValueError("class 'no' has no clips in the test split")

    runner = JobRunner(["train"], tmp_path / "job", command=fake_command, prepare=prepare)
    runner.start()
    assert runner.wait(30)
    assert runner.outcome.status is JobStatus.FAILED and "no clips" in runner.outcome.error
    assert runner.pid is None


def test_a_child_killed_from_outside_is_a_failed_job(tmp_path: Path, fake_command: tuple[str, ...]) -> None:
    import signal

    from tests.jobs.conftest import wait_until

    runner = _runner(tmp_path, fake_command, "slow")
    runner.start()
    seen: list[str] = []
    wait_until(lambda: "step" in seen, poll=lambda: seen.extend(_events(runner)))
    os.kill(runner.pid, signal.SIGKILL)  # e.g. the out-of-memory killer
    assert runner.wait(60)
    assert runner.outcome.status is JobStatus.FAILED and "signal 9" in runner.outcome.error
    assert (tmp_path / "job" / "log.txt").is_file() and not (tmp_path / "job" / "output").exists()
