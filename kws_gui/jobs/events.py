"""The trainer's ``--progress jsonl`` events, parsed, and the running state built from them.

Each stdout line of ``kws-train ... --progress jsonl`` is one JSON object with an
``"event"`` key (start, stage, data, step, epoch, artifact, result, done, error,
cancelled; a sweep's trial_started, trial_progress, trial_finished). :func:`parse_event` never raises: a line that is not such an object
becomes a ``log`` event, so stray prints cannot break a job. :class:`JobProgress`
folds events into what the live view shows (progress, ETA, curves, log; a
sweep's trials in :attr:`JobProgress.sweep`).
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kws_gui.jobs.sweep import SweepState

KNOWN_EVENTS = frozenset(
    {
        "start",
        "stage",
        "data",
        "step",
        "epoch",
        "artifact",
        "result",
        "done",
        "error",
        "cancelled",
        "trial_started",
        "trial_progress",
        "trial_finished",
    }
)


@dataclass(frozen=True)
class JobEvent:
    """One event: its kind (``"log"`` for a non-event line) and its fields."""

    kind: str
    data: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the event, or ``default``."""
        return self.data.get(key, default)


def parse_event(line: str) -> JobEvent:
    """Parse one stdout line; anything that is not a JSON event becomes a ``log`` event."""
    text = line.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):  # a line nested too deeply is no event either
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("event"), str):
            return JobEvent(obj["event"], obj)
    return JobEvent("log", {"message": line.rstrip("\r\n")})


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass
class Curves:
    """Series for the live plots; x is the global step (or the epoch for ``epoch_*``)."""

    step: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    sparsity_step: list[float] = field(default_factory=list)
    sparsity: list[float] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


class JobProgress:
    """What is known about a running job, built from its events.

    Not thread-safe: feed it from one thread (the queue's poller).
    """

    def __init__(self, max_log_lines: int = 5000) -> None:
        self.command: str | None = None
        self.stage: str = "starting"
        self.stage_message: str = ""
        self.total_steps: int | None = None
        self.steps_per_epoch: int | None = None
        self.epochs: int | None = None
        self.step: int = 0
        self.epoch: int = 0
        self.elapsed_s: float = 0.0
        self._first_step: tuple[int, float] | None = None  # (step, elapsed_s) of the first step event
        self.data_counts: dict[str, Any] | None = None
        self.artifacts: dict[str, str] = {}
        self.report: dict[str, Any] | None = None
        self.error: str | None = None
        self.error_type: str | None = None
        self.cancelled = False
        self.done = False
        self.ok: bool | None = None
        self.last_metrics: dict[str, float] = {}
        self.curves = Curves()
        self.sweep: SweepState | None = None  # a sweep's trials (the start event says it is one)
        self.log: deque[str] = deque(maxlen=max_log_lines)
        self.revision = 0  # bumps on every change, so views redraw only when needed
        self.log_count = 0  # lines ever logged (``log`` keeps the last ``max_log_lines``)

    # --------------------------------------------------------------- feeding
    def feed(self, event: JobEvent) -> None:
        """Apply one event."""
        self.revision += 1
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)
        else:
            self._log(str(event.get("message", event.data)))

    def add_log(self, line: str) -> None:
        """A human log line (the trainer's stderr)."""
        self.revision += 1
        self._log(line.rstrip("\r\n"))

    def _log(self, line: str) -> None:
        self.log.append(line)
        self.log_count += 1

    def new_log_lines(self, seen: int) -> list[str]:
        """Lines logged after the first ``seen`` (at most what is still kept)."""
        n = min(self.log_count - seen, len(self.log))
        return list(self.log)[-n:] if n > 0 else []

    def _on_start(self, e: JobEvent) -> None:
        self.command = e.get("command")
        if self.command == "sweep":
            self.sweep = self.sweep or SweepState()
            self.sweep.feed("start", e.data)
        self.total_steps = _int_or_none(e.get("total_steps"))
        self.steps_per_epoch = _int_or_none(e.get("steps_per_epoch"))
        self.epochs = _int_or_none(e.get("epochs"))
        self.stage = "started"
        self._log(f"[start] {e.get('command', '')} {e.get('preset') or ''}".rstrip())

    def _on_stage(self, e: JobEvent) -> None:
        self.stage = str(e.get("stage", self.stage))
        self.stage_message = str(e.get("message", ""))
        self._log(f"[{self.stage}] {self.stage_message}".rstrip())

    def _on_data(self, e: JobEvent) -> None:
        counts = e.get("counts")
        self.data_counts = counts if isinstance(counts, dict) else None
        self._log(f"[data] {json.dumps(counts)} skipped={e.get('skipped', 0)}")

    def _on_step(self, e: JobEvent) -> None:
        step = _int_or_none(e.get("step"))
        if step is None:
            return
        total = _int_or_none(e.get("total_steps"))
        if total:
            self.total_steps = total
        self.step = step
        self.epoch = _int_or_none(e.get("epoch")) or self.epoch
        elapsed = _finite(e.get("elapsed_s"))
        if elapsed is not None:
            self.elapsed_s = elapsed
            if self._first_step is None:
                self._first_step = (step, elapsed)
        loss, acc, sp = _finite(e.get("loss")), _finite(e.get("accuracy")), _finite(e.get("sparsity"))
        c = self.curves
        if loss is not None and acc is not None:
            c.step.append(float(step))
            c.loss.append(loss)
            c.accuracy.append(acc)
            self.last_metrics.update(loss=loss, accuracy=acc)
        if sp is not None:
            c.sparsity_step.append(float(step))
            c.sparsity.append(sp)
            self.last_metrics["sparsity"] = sp

    def _on_epoch(self, e: JobEvent) -> None:
        epoch = _int_or_none(e.get("epoch"))
        if epoch is None:
            return
        self.epoch = epoch
        self.epochs = _int_or_none(e.get("epochs")) or self.epochs
        elapsed = _finite(e.get("elapsed_s"))
        if elapsed is not None:
            self.elapsed_s = elapsed
        c = self.curves
        values = {k: _finite(e.get(k)) for k in ("loss", "accuracy", "val_loss", "val_accuracy", "sparsity")}
        c.epoch.append(float(epoch))
        c.epoch_loss.append(values["loss"] if values["loss"] is not None else math.nan)
        c.epoch_accuracy.append(values["accuracy"] if values["accuracy"] is not None else math.nan)
        c.val_loss.append(values["val_loss"] if values["val_loss"] is not None else math.nan)
        c.val_accuracy.append(values["val_accuracy"] if values["val_accuracy"] is not None else math.nan)
        self.last_metrics.update({k: v for k, v in values.items() if v is not None})
        shown = ", ".join(f"{k} {v:.4f}" for k, v in values.items() if v is not None)
        self._log(f"[epoch {epoch}/{self.epochs or '?'}] {shown}")

    def _on_artifact(self, e: JobEvent) -> None:
        kind, path = e.get("kind"), e.get("path")
        if isinstance(kind, str) and isinstance(path, str):
            self.artifacts[kind] = path
            self._log(f"[artifact] {kind}: {path}")

    def _on_result(self, e: JobEvent) -> None:
        report = e.get("report")
        self.report = report if isinstance(report, dict) else None
        if self.sweep is not None:
            self.sweep.feed("result", e.data)
        self._log("[result] received")

    def _on_trial_started(self, e: JobEvent) -> None:
        self._trial(e)  # the trainer logs trials on stderr itself

    def _on_trial_progress(self, e: JobEvent) -> None:
        self._trial(e)

    def _on_trial_finished(self, e: JobEvent) -> None:
        self._trial(e)

    def _trial(self, e: JobEvent) -> None:
        self.sweep = self.sweep or SweepState()
        self.sweep.feed(e.kind, e.data)

    def _on_done(self, e: JobEvent) -> None:
        self.done = True
        self.ok = bool(e.get("ok", True))
        self.stage = "done"
        elapsed = _finite(e.get("elapsed_s"))
        if elapsed is not None:
            self.elapsed_s = elapsed
        self._log(f"[done] ok={self.ok}")

    def _on_error(self, e: JobEvent) -> None:
        self.error = str(e.get("message") or "the trainer reported an error")
        self.error_type = e.get("type")
        self.stage = "error"
        self._log(f"[error] {self.error}")

    def _on_cancelled(self, e: JobEvent) -> None:
        self.cancelled = True
        self.stage = "cancelled"
        self._log("[cancelled]")

    # --------------------------------------------------------------- reading
    @property
    def fraction(self) -> float | None:
        """Share of the training steps (a sweep: trials) done (0..1), or None when unknown."""
        if self.done:
            return 1.0
        if self.sweep is not None:
            return self.sweep.fraction
        if not self.total_steps:
            return None
        return min(1.0, max(0.0, self.step / self.total_steps))

    @property
    def eta_s(self) -> float | None:
        """Seconds left, from the pace of the steps since the first step event.

        Start-up (TensorFlow import, feature extraction) is not counted in the pace;
        None until two step events have arrived, and once the job is done.
        """
        if not self.total_steps or self._first_step is None or self.done:
            return None
        step0, t0 = self._first_step
        if self.step <= step0 or self.elapsed_s <= t0:
            return None
        rate = (self.elapsed_s - t0) / (self.step - step0)
        return max(0.0, (self.total_steps - self.step) * rate)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def format_duration(seconds: float | None) -> str:
    """``"1 h 02 min"``, ``"3 min 05 s"``, ``"12 s"``; ``"-"`` for None."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {(s % 3600) // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def replay(events_path: str | Path, log_path: str | Path | None = None) -> JobProgress:
    """Rebuild a finished job's progress (curves, result) from its ``events.jsonl`` and log."""
    progress = JobProgress()
    for path, is_events in ((events_path, True), (log_path, False)):
        if path is None:
            continue
        try:
            lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if is_events:
                event = parse_event(line)
                if event.kind != "log":
                    progress.feed(event)
            elif line.strip():
                progress._log(line)
        if is_events and log_path is not None and Path(log_path).is_file():
            progress.log.clear()  # the log file is the fuller record
            progress.log_count = 0
    return progress
