"""Run one ``kws-train`` job as a child process and report what it does.

:class:`JobRunner` starts ``python -m trainer <argv>`` (``--progress jsonl``), reads
its stdout (JSON events) and stderr (the human log) on two threads, and queues
everything for the owner to :meth:`~JobRunner.drain` from its own thread (the Qt
timer): the caller's thread never blocks on the child. When the child exits, a
third thread settles the outcome: a successful job's files move from
``<job>/work`` to ``<job>/output`` in one rename, so nothing half-written ever
appears as a result. :meth:`~JobRunner.cancel` sends SIGTERM (the trainer stops
cleanly and exits 130) and kills the child if it has not exited after a timeout.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from kws_gui.jobs.events import JobEvent, parse_event

#: How the trainer is started: this interpreter, so the app's venv is the trainer's.
DEFAULT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "trainer")
DEFAULT_KILL_TIMEOUT_S = 10.0
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130
#: Training jobs run at a lower CPU priority so the live view stays smooth on 2 cores.
JOB_NICENESS = 10


def canonical_artifact(kind: str) -> str:
    """The trainer's artifact kinds (``tflite-float32``, ``tflite-int8``, ``keras``, ``report``)
    as the history names them (``float32``, ``int8``, ``keras``, ``report``)."""
    return {"tflite-float32": "float32", "tflite-int8": "int8"}.get(kind, kind)


class JobStatus(str, enum.Enum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True once the job will not change any more."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass
class JobOutcome:
    """How a finished job ended and what it left behind (paths are final, under ``output``)."""

    status: JobStatus
    exit_code: int | None
    error: str | None = None
    report: dict[str, Any] | None = None
    artifacts: dict[str, str] = field(default_factory=dict)
    output_dir: str | None = None
    elapsed_s: float = 0.0
    killed: bool = False


class RunnerItemKind(str, enum.Enum):
    """What an item from :meth:`JobRunner.drain` carries."""

    EVENT = "event"  # payload: a JobEvent from the trainer's stdout
    LOG = "log"  # payload: one line of the human log (str)
    FINISHED = "finished"  # payload: the JobOutcome (the last item)


class RunnerItem(NamedTuple):
    """One item of the runner's queue."""

    kind: RunnerItemKind
    payload: Any


class JobRunner:
    """One child process running ``kws-train``; start it once, drain it often.

    ``job_dir`` receives ``log.txt`` (stderr and non-event stdout), ``events.jsonl``
    (the raw events), ``work/`` (the trainer's ``--out``) and, on success, ``output/``.
    ``prepare`` (optional) runs on the runner's thread before the child starts (e.g. to
    write a sweep's example space file); an exception from it fails the job with its message.
    ``finalize`` (optional) runs there after a successful job with the outcome, for
    slow follow-up work such as measuring latency.
    """

    def __init__(
        self,
        argv: Sequence[str],
        job_dir: str | Path,
        command: Sequence[str] = DEFAULT_COMMAND,
        env: dict[str, str] | None = None,
        kill_timeout_s: float = DEFAULT_KILL_TIMEOUT_S,
        finalize: Callable[[JobOutcome], None] | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.job_dir = Path(job_dir)
        self.work_dir = self.job_dir / "work"
        self.output_dir = self.job_dir / "output"
        self.log_path = self.job_dir / "log.txt"
        self.events_path = self.job_dir / "events.jsonl"
        self.command = [str(c) for c in command]
        self.kill_timeout_s = kill_timeout_s
        self._env = env
        self._finalize = finalize
        self._prepare = prepare
        self._proc_lock = threading.Lock()
        self._launcher: threading.Thread | None = None
        self._items: queue.Queue[RunnerItem] = queue.Queue()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_lock = threading.Lock()
        self._log_file: Any = None
        self._events_file: Any = None
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._error_event: str | None = None
        self._result_report: dict[str, Any] | None = None
        self._artifacts: dict[str, str] = {}
        self._saw_cancelled = False
        self._saw_done_ok: bool | None = None
        self._cancel_requested = threading.Event()
        self._killed = False
        self._started_at = 0.0
        self.outcome: JobOutcome | None = None
        self._finished = threading.Event()

    # ----------------------------------------------------------------- control
    @property
    def full_command(self) -> list[str]:
        """The command line the child runs."""
        return [*self.command, *self.argv]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and the outcome being settled."""
        return bool(self._started_at) and not self._finished.is_set()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def start(self) -> None:
        """Launch the job: ``prepare`` (if any) and the child run on a background thread."""
        if self._started_at or self._finished.is_set():
            raise RuntimeError("a JobRunner runs once")
        self._started_at = time.monotonic()
        self._launcher = threading.Thread(target=self._launch, name="job-launcher", daemon=True)
        self._launcher.start()

    def _launch(self) -> None:
        try:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in _settle)
            self._events_file = open(self.events_path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            self._settle(JobOutcome(JobStatus.FAILED, None, error=f"cannot create the job folder: {exc}"))
            return
        if self._prepare is not None:
            try:
                self._prepare()
            except Exception as exc:
                self._write_log(f"[app] {exc}")
                self._settle(JobOutcome(JobStatus.FAILED, None, error=str(exc)))
                return
        with self._proc_lock:
            if self._cancel_requested.is_set():
                self._settle(JobOutcome(JobStatus.CANCELLED, None, error="cancelled before it started"))
                return
            self._write_log("$ " + " ".join(self.full_command))
            env = dict(os.environ if self._env is None else self._env)
            env["PYTHONUNBUFFERED"] = "1"
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            try:
                self._proc = subprocess.Popen(
                    self.full_command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=str(self.job_dir),
                    env=env,
                )
            except OSError as exc:
                self._settle(JobOutcome(JobStatus.FAILED, None, error=f"cannot start the trainer: {exc}"))
                return
            _lower_priority(self._proc.pid)
        readers = [
            threading.Thread(target=self._read_stdout, name="job-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, name="job-stderr", daemon=True),
        ]
        for t in readers:
            t.start()
        self._wait(readers)

    def cancel(self) -> None:
        """Ask the child to stop (SIGTERM); kill it if it is still alive after ``kill_timeout_s``."""
        if self._finished.is_set() or self._cancel_requested.is_set():
            return
        with self._proc_lock:
            self._cancel_requested.set()
            proc = self._proc
        if proc is None:  # not launched yet: _launch sees the flag
            return
        self._write_log("[app] cancel requested: sending SIGTERM")
        with contextlib.suppress(ProcessLookupError, OSError):
            proc.send_signal(signal.SIGTERM)
        threading.Thread(target=self._kill_later, args=(proc,), name="job-killer", daemon=True).start()

    def _kill_later(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            proc.wait(timeout=self.kill_timeout_s)
        except subprocess.TimeoutExpired:
            self._killed = True
            self._write_log(f"[app] the trainer did not stop within {self.kill_timeout_s:g} s: killed")
            with contextlib.suppress(ProcessLookupError, OSError):
                proc.kill()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the outcome is settled; True if it is."""
        return self._finished.wait(timeout)

    def drain(self) -> list[RunnerItem]:
        """Everything queued since the last call (never blocks)."""
        items: list[RunnerItem] = []
        while True:
            try:
                items.append(self._items.get_nowait())
            except queue.Empty:
                return items

    # ----------------------------------------------------------------- threads
    def _write_log(self, line: str) -> None:
        with self._log_lock:
            if self._log_file is not None and not self._log_file.closed:
                self._log_file.write(line.rstrip("\n") + "\n")
                self._log_file.flush()

    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", errors="replace")
            event = parse_event(line)
            if event.kind == "log":
                if line.strip():
                    self._write_log(event.data["message"])
                    self._items.put(RunnerItem(RunnerItemKind.LOG, event.data["message"]))
                continue
            with self._log_lock:
                if self._events_file is not None and not self._events_file.closed:
                    self._events_file.write(line.strip() + "\n")
                    self._events_file.flush()
            self._note(event)
            self._items.put(RunnerItem(RunnerItemKind.EVENT, event))

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip():
                continue
            self._stderr_tail.append(line)
            self._write_log(line)
            self._items.put(RunnerItem(RunnerItemKind.LOG, line))

    def _note(self, event: JobEvent) -> None:
        if event.kind == "error":
            self._error_event = str(event.get("message") or "the trainer reported an error")
        elif event.kind == "cancelled":
            self._saw_cancelled = True
        elif event.kind == "done":
            self._saw_done_ok = bool(event.get("ok", True))
        elif event.kind == "result" and isinstance(event.get("report"), dict):
            self._result_report = event.get("report")
        elif event.kind == "artifact" and isinstance(event.get("path"), str):
            self._artifacts[canonical_artifact(str(event.get("kind")))] = event.get("path")

    def _wait(self, readers: list[threading.Thread]) -> None:
        assert self._proc is not None
        code = self._proc.wait()
        for t in readers:
            t.join(timeout=5.0)
        try:
            outcome = self._outcome(code)
        except Exception as exc:  # a bug here must still end the job
            outcome = JobOutcome(JobStatus.FAILED, code, error=f"could not collect the job's results: {exc}")
        if outcome.status is JobStatus.SUCCEEDED and self._finalize is not None:
            try:
                self._finalize(outcome)
            except Exception as exc:
                self._write_log(f"[app] follow-up after the job failed: {exc}")
        self._settle(outcome)

    def _settle(self, outcome: JobOutcome) -> None:
        outcome.elapsed_s = time.monotonic() - self._started_at if self._started_at else 0.0
        self._write_log(
            f"[app] job {outcome.status.value} (exit code {outcome.exit_code})"
            + (f": {outcome.error}" if outcome.error else "")
        )
        with self._log_lock:
            for f in (self._log_file, self._events_file):
                if f is not None:
                    f.close()
        self.outcome = outcome
        self._items.put(RunnerItem(RunnerItemKind.FINISHED, outcome))
        self._finished.set()

    # ----------------------------------------------------------------- outcome
    def _outcome(self, code: int) -> JobOutcome:
        cancelled = self._cancel_requested.is_set() or self._saw_cancelled or code == EXIT_CANCELLED
        if cancelled and (code != 0 or self._saw_cancelled):
            # The status says "cancelled"; a message only when there is more to say.
            note = "killed after the graceful stop timed out" if self._killed else None
            return JobOutcome(JobStatus.CANCELLED, code, error=note, killed=self._killed)
        if code != 0 or self._error_event is not None or self._saw_done_ok is False:
            return JobOutcome(JobStatus.FAILED, code, error=self._failure_message(code))
        return self._collect_success(code)

    def _failure_message(self, code: int) -> str:
        if self._error_event:
            return self._error_event
        if code < 0:
            return f"the trainer was killed by signal {-code}"
        tail = [line for line in self._stderr_tail if line.strip()]
        detail = tail[-1] if tail else "no message; see the log"
        return f"the trainer exited with code {code}: {detail}"

    def _collect_success(self, code: int) -> JobOutcome:
        """Move ``work/`` to ``output/`` and rewrite artifact paths to their final place."""
        if self.output_dir.exists():
            raise RuntimeError(f"{self.output_dir} already exists")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.replace(self.work_dir, self.output_dir)
        artifacts = {kind: self._relocated(path) for kind, path in self._artifacts.items()}
        for path in sorted(self.output_dir.glob("*.tflite")):
            kind = "int8" if path.stem.endswith("_int8") else "float32"
            artifacts.setdefault(kind, str(path))
        for path in sorted(self.output_dir.glob("*.h5")):
            artifacts.setdefault("keras", str(path))
        report = self._result_report
        report_file = next(iter(sorted(self.output_dir.glob("*.report.json"))), None)
        if report_file is not None:
            artifacts.setdefault("report", str(report_file))
            try:
                loaded = json.loads(report_file.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    report = {**loaded, **(report or {})}
            except (OSError, ValueError) as exc:
                self._write_log(f"[app] cannot read {report_file.name}: {exc}")
        elif report is not None:
            saved = self.output_dir / "result.json"
            saved.write_text(json.dumps(report, indent=2), encoding="utf-8")
            artifacts.setdefault("report", str(saved))
        return JobOutcome(
            JobStatus.SUCCEEDED, code, report=report, artifacts=artifacts, output_dir=str(self.output_dir)
        )

    def _relocated(self, path: str) -> str:
        """A path the trainer reported under ``work/``, as it is now under ``output/``."""
        p = Path(path)
        if not p.is_absolute():
            p = self.job_dir / p
        with contextlib.suppress(ValueError):
            return str(self.output_dir / p.resolve().relative_to(self.work_dir.resolve()))
        return str(p)


def _lower_priority(pid: int) -> None:
    """A training job yields the CPU to the live demo: raise the child's niceness.

    Done from the parent right after the start, not in a ``preexec_fn`` (which the
    Python docs warn can deadlock in a multi-threaded process such as the app). The
    child is still starting its interpreter, before any thread of its own exists, and
    the threads it creates later (TensorFlow's) inherit the niceness.
    """
    if not hasattr(os, "setpriority"):  # Windows
        return
    with contextlib.suppress(OSError):  # e.g. the child already exited
        current = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, current + JOB_NICENESS))
