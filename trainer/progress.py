"""Progress events of kws-train: a bar for people, JSON lines for the app, or nothing.

Every command reports through a :class:`Reporter` as plain dicts with an ``"event"``
key (``start``, ``stage``, ``data``, ``step``, ``epoch``, ``artifact``, ``result``,
``done``, ``error``, ``cancelled``). :class:`JsonlReporter` prints one JSON object per
line and nothing else; :class:`BarReporter` draws a tqdm bar on stderr.
Cancellation (SIGINT / SIGTERM) sets a :class:`CancelToken` that the training loop
checks after every batch.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from typing import Any, TextIO

import numpy as np

STEP_INTERVAL_S = 0.2  # at most ~5 step events per second


class Cancelled(Exception):
    """The user asked to stop (SIGINT / SIGTERM); nothing was written."""


class CancelToken:
    """A flag set by a signal handler and polled by long-running loops."""

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled("cancelled by the user")

    def install_signal_handlers(self) -> None:
        """Route SIGINT and SIGTERM to :meth:`cancel` (main thread only)."""

        def handler(signum: int, frame: Any) -> None:
            self.cancel()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)
            signal.signal(signal.SIGTERM, handler)


def _jsonable(value: Any) -> Any:
    """NumPy scalars/arrays -> plain JSON; non-finite floats -> None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that accepts NumPy values."""
    return json.dumps(_jsonable(value), **kwargs)


class Reporter:
    """Receives progress events; subclasses decide how to show them."""

    def __init__(self) -> None:
        self._last_step = 0.0

    def emit(self, event: str, **fields: Any) -> None:
        """Report one event; ``step`` events are throttled to ~5 per second."""
        if event == "step":
            now = time.monotonic()
            last = fields.get("step") == fields.get("total_steps")
            if not last and now - self._last_step < STEP_INTERVAL_S:
                return
            self._last_step = now
        self._show({"event": event, **fields})

    def _show(self, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    def log(self, message: str) -> None:
        """A human message (stderr; never on the JSON stream)."""
        print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        """Release any terminal state (the bar)."""


class NullReporter(Reporter):
    """Shows nothing (``--progress none``); errors still reach stderr via the CLI."""

    def _show(self, payload: dict[str, Any]) -> None:
        pass

    def log(self, message: str) -> None:
        pass


class JsonlReporter(Reporter):
    """One JSON object per line on ``stream`` (the app parses this)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def _show(self, payload: dict[str, Any]) -> None:
        self.stream.write(to_json(payload, separators=(",", ":")) + "\n")
        self.stream.flush()


class BarReporter(Reporter):
    """A tqdm progress bar over the training steps, plus one line per epoch, on stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self._bar: Any = None
        self._total = 0

    def emit(self, event: str, **fields: Any) -> None:
        # The bar throttles itself; pass every step through.
        self._show({"event": event, **fields})

    def _show(self, payload: dict[str, Any]) -> None:
        event = payload["event"]
        if event == "start" and payload.get("total_steps"):
            self._total = int(payload["total_steps"])
        elif event == "step":
            if self._bar is None:  # created at the first step: data messages print above it
                from tqdm import tqdm

                total = int(payload.get("total_steps") or self._total)
                self._bar = tqdm(total=total, unit="step", file=self.stream, leave=True)
            self._bar.n = int(payload["step"])
            postfix = {"loss": payload.get("loss"), "acc": payload.get("accuracy")}
            if payload.get("sparsity") is not None:
                postfix["sparsity"] = payload["sparsity"]
            self._bar.set_postfix({k: f"{v:.3f}" for k, v in postfix.items() if v is not None}, refresh=False)
            self._bar.refresh()
        elif event == "epoch":
            msg = (
                f"epoch {payload['epoch']}/{payload['epochs']}: loss {payload['loss']:.4f} "
                f"acc {payload['accuracy']:.4f} val_loss {_fmt(payload.get('val_loss'))} "
                f"val_acc {_fmt(payload.get('val_accuracy'))} sparsity {_fmt(payload.get('sparsity'))} "
                f"lr {_fmt(payload.get('lr'), '.5f')}"
            )
            self._write(msg)
        elif event == "stage":
            self._write(f"[{payload['stage']}] {payload.get('message', '')}")
        elif event == "data":
            self._write(f"data: {to_json(payload.get('counts'))}, skipped {payload.get('skipped', 0)}")
        elif event == "artifact":
            self._write(f"wrote {payload['kind']}: {payload['path']}")
        elif event in ("done", "cancelled", "error"):
            self.close()
            if event == "cancelled":
                self._write(payload.get("message") or "cancelled: nothing was written")

    def _write(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _fmt(value: Any, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def make_reporter(kind: str, stream: TextIO | None = None) -> Reporter:
    """``bar`` / ``jsonl`` / ``none`` -> a reporter (JSON lines go to ``stream`` or stdout)."""
    if kind == "jsonl":
        return JsonlReporter(stream or sys.stdout)
    if kind == "bar":
        return BarReporter()
    if kind == "none":
        return NullReporter()
    raise ValueError(f"unknown progress kind {kind!r} (bar, jsonl or none)")
