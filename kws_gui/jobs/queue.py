"""A queue that runs training jobs one at a time and keeps the history up to date.

Everything here happens on the caller's thread when it calls :meth:`JobQueue.poll`
(the panel's QTimer, or a loop in tests): it drains the running job's events into
its :class:`~kws_gui.jobs.events.JobProgress`, records finished jobs, and starts
the next queued one. The child process and its pipes live on the runner's threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from kws_gui.jobs.events import JobProgress
from kws_gui.jobs.history import JobHistory, JobRecord, jobs_root, new_job_id, now_iso
from kws_gui.jobs.metrics import latency_against_reference, summarize_report
from kws_gui.jobs.runner import (
    DEFAULT_COMMAND,
    DEFAULT_KILL_TIMEOUT_S,
    JobOutcome,
    JobRunner,
    JobStatus,
    RunnerItemKind,
)
from kws_gui.jobs.spec import JobKind, JobSpec, build_argv
from kws_gui.jobs.sweep import EXAMPLE_FILE, read_document, summarize_sweep, write_example_space


def _absolute(spec: JobSpec) -> JobSpec:
    """The spec with its paths made absolute (the child runs in the job folder)."""

    def ab(p: str) -> str:
        return str(Path(p).expanduser().absolute())

    return replace(
        spec,
        data=tuple(ab(p) for p in spec.data),
        models=tuple(ab(p) for p in spec.models),
        reference=ab(spec.reference) if spec.reference else None,
    )


class JobQueue:
    """Submit jobs; poll often; one child process at a time.

    ``command`` is how the trainer is launched (tests pass a fake trainer);
    ``measure_latency`` times a finished model and the reference with the app's runtime.
    """

    def __init__(
        self,
        history: JobHistory | None = None,
        root: str | Path | None = None,
        command: Sequence[str] = DEFAULT_COMMAND,
        kill_timeout_s: float = DEFAULT_KILL_TIMEOUT_S,
        measure_latency: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.root = Path(root) if root is not None else jobs_root()
        self.history = history if history is not None else JobHistory(self.root / "history.json")
        self.command = tuple(command)
        self.kill_timeout_s = kill_timeout_s
        self.measure_latency = measure_latency
        self.env = env
        self._pending: list[str] = []
        self._runner: JobRunner | None = None
        self._current: JobRecord | None = None
        #: The live state of the running job, or of the last one after it ended.
        self.progress: JobProgress | None = None
        #: The record ``progress`` belongs to.
        self.progress_record: JobRecord | None = None
        self._listeners: list[Callable[[JobRecord], None]] = []

    # ----------------------------------------------------------------- public
    @property
    def current(self) -> JobRecord | None:
        """The running job's record, if any."""
        return self._current

    @property
    def pending(self) -> list[JobRecord]:
        """Queued jobs in the order they will run."""
        return [r for r in (self.history.get(i) for i in self._pending) if r is not None]

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._pending)

    def add_listener(self, callback: Callable[[JobRecord], None]) -> None:
        """``callback(record)`` after a record changes (called from :meth:`poll`/:meth:`submit`)."""
        self._listeners.append(callback)

    def submit(self, spec: JobSpec) -> JobRecord:
        """Queue a job (raises :class:`~kws_gui.jobs.spec.JobSpecError` for an invalid spec)."""
        spec = _absolute(spec)
        spec.validate()
        job_id = new_job_id(spec.kind.value)
        job_dir = self.root / job_id
        record = JobRecord(id=job_id, spec=spec, job_dir=str(job_dir))
        record.argv = build_argv(spec, job_dir / "work", space=job_dir / EXAMPLE_FILE)
        self.history.add(record)
        self._pending.append(job_id)
        self._notify(record)
        self._start_next()
        return record

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job now, or ask the running one to stop; True if something was cancelled."""
        if job_id in self._pending:
            self._pending.remove(job_id)
            record = self.history.get(job_id)
            if record is not None:
                record.status = JobStatus.CANCELLED
                record.error = "cancelled before it started"
                record.finished = now_iso()
                self.history.save()
                self._notify(record)
            return True
        if self._current is not None and self._current.id == job_id and self._runner is not None:
            self._runner.cancel()
            return True
        return False

    def poll(self) -> bool:
        """Apply what happened since the last call; True if anything changed."""
        changed = False
        runner, record = self._runner, self._current
        if runner is not None and record is not None and self.progress is not None:
            for kind, payload in runner.drain():
                changed = True
                if kind is RunnerItemKind.EVENT:
                    self.progress.feed(payload)
                elif kind is RunnerItemKind.LOG:
                    self.progress.add_log(payload)
                elif kind is RunnerItemKind.FINISHED:
                    self._finish(record, payload)
        if self._current is None and self._pending:
            self._start_next()
            changed = True
        return changed

    def shutdown(self, timeout: float = 15.0, kill_timeout_s: float | None = None) -> None:
        """Cancel what is queued and running (graceful, then killed) and wait for it."""
        for job_id in list(self._pending):
            self.cancel(job_id)
        if self._runner is not None and self._current is not None:
            if kill_timeout_s is not None:
                self._runner.kill_timeout_s = kill_timeout_s
            self._runner.cancel()
            self._runner.wait(timeout)
            self.poll()

    # ---------------------------------------------------------------- private
    def _notify(self, record: JobRecord) -> None:
        for callback in list(self._listeners):
            callback(record)

    def _start_next(self) -> None:
        if self._current is not None or not self._pending:
            return
        record = self.history.get(self._pending.pop(0))
        if record is None:
            return
        finalize = self._measure if (self.measure_latency and record.spec.kind.produces_model) else None
        prepare = None
        if record.spec.kind is JobKind.SWEEP and record.spec.space is None:
            example = Path(record.job_dir) / EXAMPLE_FILE

            def prepare() -> None:
                write_example_space(example)

        runner = JobRunner(
            record.argv,
            record.job_dir,
            command=self.command,
            env=self.env,
            kill_timeout_s=self.kill_timeout_s,
            finalize=finalize,
            prepare=prepare,
        )
        self._runner, self._current = runner, record
        self.progress = JobProgress()
        self.progress_record = record
        record.status = JobStatus.RUNNING
        record.started = now_iso()
        self.history.save()
        self._notify(record)
        runner.start()

    @staticmethod
    def _measure(outcome: JobOutcome) -> None:
        """On the runner's waiter thread: time the new model against the reference."""
        model = outcome.artifacts.get("float32") or outcome.artifacts.get("int8")
        if model and os.path.isfile(model):
            outcome.report = dict(outcome.report or {})
            outcome.report["app_latency"] = latency_against_reference(model)

    def _finish(self, record: JobRecord, outcome: JobOutcome) -> None:
        record.status = outcome.status
        record.exit_code = outcome.exit_code
        record.error = outcome.error
        record.finished = now_iso()
        record.outputs = dict(outcome.artifacts)
        if record.spec.kind is JobKind.SWEEP:  # sweep.json stays in the job folder
            document = outcome.report if outcome.report is not None else read_document(record.job_dir)
            metrics, pick = summarize_sweep(document, record.job_dir)
            record.outputs.update(pick)
        else:
            metrics = summarize_report(outcome.report, record.outputs, record.spec.data)
        latency = (outcome.report or {}).get("app_latency")
        if isinstance(latency, dict):
            metrics.update(latency)
        if record.spec.kind in (JobKind.EVALUATE, JobKind.BENCHMARK) and outcome.report is not None:
            metrics.setdefault("report", outcome.report)
        metrics["wall_seconds"] = round(outcome.elapsed_s, 2)
        record.metrics = metrics
        self.history.save()
        self._runner = None
        self._current = None
        self._notify(record)
        self._start_next()
