"""The streaming keyword-spotting engine (Qt-free): ring buffer -> frontend -> model -> decisions.

An :class:`~kws_gui.core.audio.AudioSource` writes blocks into :attr:`StreamingEngine.ring`
(the only work done on the audio thread). A worker thread wakes on hop
boundaries counted in *samples written*, not wall time, so a WAV delivered as
fast as possible and a live microphone run the same code. At each boundary it
takes the last window (the model's ``clip_duration_s``), and unless the energy
gate finds silence (no hop of the window reaches the VAD threshold) updates the
window's features (:class:`~kws_gui.core.streaming_features.StreamingFeatures`: only
the frames completed since the last hop are computed), runs the interpreter, times
both (``perf_counter_ns``), smooths the posteriors and decides. Every
:data:`WHOLE_WINDOW_EVERY`-th classified hop computes the whole window instead, so
the statistics show the full-window cost beside the per-hop cost.

A model that fails while running (an exception, or scores that are not finite)
is replaced by the model it had replaced, if that one had not failed
(:attr:`EngineSnapshot.model_rollbacks` counts this, ``rollback_reason`` says
why); otherwise the error is kept in :attr:`EngineSnapshot.error` and every hop
that fails is skipped.

Times are stream times: seconds of audio since the current source started, or, for a
source attached with ``continue_time=True`` (the app's Start after Stop, a new source
in the window), since the first of them: the clock then continues where it stopped.
Each hop's :attr:`InferenceRecord.segment` counts the source and model changes, so a
plot can break its traces where the stream changed instead of joining old and new data.
The engine is thread-safe: model swaps and settings changes are handed over
under a short lock and applied by the worker before its next hop, and
:meth:`StreamingEngine.snapshot` copies the state other threads read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kws_gui.core.audio.base import SAMPLE_RATE, AudioSource, AudioSourceError
from kws_gui.core.decision import (
    DecisionMaker,
    DecisionSettings,
    Detection,
    hop_powers,
    peak_hop_dbfs,
    power_dbfs,
    rms_dbfs,
)
from kws_gui.core.frontend import limit_blas_threads
from kws_gui.core.latency import LatencyStats, RollingLatency
from kws_gui.core.model_file import KwsModel
from kws_gui.core.ring_buffer import AudioRingBuffer
from kws_gui.core.streaming_features import StreamingFeatures

#: A live source more than this far ahead of the worker makes it skip to the newest hop.
MAX_REALTIME_LAG_S = 1.0
#: How long the worker waits past the time its next hop's audio is due (a realtime source
#: that stopped delivering: the end of a file); stop, a new source, model or settings wake
#: it at once (AudioRingBuffer.interrupt_waiters).
_POLL_S = 0.05
#: Every this many classified hops the features of the whole window are computed again
#: (timed as the full-window figure; the result is the same matrix).
WHOLE_WINDOW_EVERY = 10


@dataclass(frozen=True)
class EngineSettings:
    """Engine knobs: the decision settings (hop included) and the ring length.

    ``ring_seconds`` applies at construction only (widgets hold the ring).
    """

    decision: DecisionSettings = field(default_factory=DecisionSettings)
    ring_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.ring_seconds < 2.0:
            raise ValueError(f"ring_seconds must be at least 2 s, got {self.ring_seconds!r}")

    @property
    def hop_s(self) -> float:
        """Seconds between two classifications (``decision.hop_s``)."""
        return self.decision.hop_s

    @property
    def hop_samples(self) -> int:
        """Hop in samples at 16 kHz."""
        return max(1, int(round(self.hop_s * SAMPLE_RATE)))


@dataclass(frozen=True)
class InferenceRecord:
    """One hop: what the model said (zeros when the VAD gate skipped it) and what it cost.

    ``whole_window`` is True when this hop computed the features of the whole window
    (the first hop of a stream, after a window's length of silence or a model with
    another frontend, and every :data:`WHOLE_WINDOW_EVERY`-th hop), False when it
    computed only the new frames. ``segment`` counts the source and model changes
    before this hop (hops of one segment are one continuous stream of one model).
    """

    time_s: float
    probs: np.ndarray
    smoothed: np.ndarray
    level_dbfs: float
    preprocess_ns: int
    inference_ns: int
    vad_skipped: bool
    whole_window: bool = False
    segment: int = 0


@dataclass(frozen=True)
class EngineSnapshot:
    """A consistent copy of the engine state for a GUI timer or a script.

    ``features`` are those of the last window that was classified (kept while
    the VAD gate skips); ``level_dbfs`` is the RMS level of the last hop.
    ``preprocess`` and ``total`` are per hop (only the new frames computed: what the
    device spends), ``window_preprocess`` and ``window_total`` the same for the hops
    that computed the whole window (the cost of classifying one window from scratch).
    """

    time_s: float
    features: np.ndarray | None
    probs: np.ndarray
    smoothed: np.ndarray
    level_dbfs: float
    preprocess: LatencyStats
    inference: LatencyStats
    total: LatencyStats
    inferences_per_s: float
    inferences: int
    vad_skips: int
    overflows: int
    source_name: str | None
    source_running: bool
    source_error: str | None
    source_finished: bool
    model_path: str
    labels: tuple[str, ...]
    runtime: str
    settings: EngineSettings
    dropped_hops: int = 0
    error: str | None = None
    model_rollbacks: int = 0
    rollback_reason: str | None = None
    window_preprocess: LatencyStats = field(default_factory=LatencyStats)
    window_total: LatencyStats = field(default_factory=LatencyStats)
    keywords: tuple[str, ...] = ()


class StreamingEngine:
    """Classifies the last window every hop and reports detections.

    Typical use::

        engine = StreamingEngine(KwsModel.load(path))
        engine.add_detection_listener(print)
        engine.start()
        engine.set_source(WavFileSource("yes.wav", tail_silence_s=1.0))
        engine.wait_for_source_end()
        engine.stop()
    """

    def __init__(self, model: KwsModel, settings: EngineSettings | None = None) -> None:
        limit_blas_threads()
        self._settings = settings or EngineSettings()
        self.ring = AudioRingBuffer(int(round(self._settings.ring_seconds * SAMPLE_RATE)))
        self._lock = threading.Lock()  # guards every field read by other threads
        self._source_lock = threading.Lock()  # serialises set_source / stop
        self._progress = threading.Condition(threading.Lock())
        self._model = model
        self._good_model: KwsModel | None = None  # the last replaced model that had not failed
        self._decision = self._decision_maker(model, self._settings)
        self._pending_model: KwsModel | None = None
        self._pending_settings: EngineSettings | None = None
        self._pending_reset: tuple[int, bool] | None = None  # ring position, continue the clock
        self._source: AudioSource | None = None
        self._source_start = 0
        self._next_boundary = self._settings.hop_samples
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._source_done = threading.Event()
        self._listeners: list[Callable[[Detection], None]] = []
        self._detections: deque[Detection] = deque(maxlen=1000)
        self._records: deque[InferenceRecord] = deque(maxlen=1000)
        self._infer_times: deque[float] = deque(maxlen=50)
        self._preprocess = RollingLatency()
        self._inference = RollingLatency()
        self._total = RollingLatency()
        self._window_preprocess = RollingLatency()
        self._window_total = RollingLatency()
        self._stream = StreamingFeatures(model.frontend)
        # The VAD's hop powers (sum of squares) by the absolute end of their hop, for one
        # (stream start, hop): each hop's audio is squared once, not the window's every hop.
        self._hop_power: dict[int, float] = {}
        self._hop_power_key: tuple[int, int] | None = None
        self._zeros = np.zeros(len(model.labels), dtype=np.float32)
        self._time_s = 0.0
        self._time_origin_s = 0.0  # stream time at the current source's first sample
        self._segment = 0
        self._features: np.ndarray | None = None
        self._probs = self._zeros
        self._smoothed = self._zeros
        self._level = -120.0
        self._inferences = 0
        self._vad_skips = 0
        self._dropped_hops = 0
        self._error: str | None = None
        self._rollbacks = 0
        self._rollback_reason: str | None = None

    # ------------------------------------------------------------------ public API
    @property
    def model(self) -> KwsModel:
        """The model in use, or the one handed to :meth:`swap_model` and used from the next hop."""
        with self._lock:
            return self._pending_model or self._model

    @property
    def settings(self) -> EngineSettings:
        """Settings in use (or about to be applied)."""
        with self._lock:
            return self._pending_settings or self._settings

    @property
    def source(self) -> AudioSource | None:
        """The current audio source."""
        with self._lock:
            return self._source

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="kws-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the current source and the worker thread; :meth:`start` resumes the worker."""
        self._running.clear()
        self.ring.interrupt_waiters()
        with self._progress:
            self._progress.notify_all()
        with self._source_lock:
            source = self._source
            if source is not None:
                source.stop()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def set_source(self, source: AudioSource | None, *, continue_time: bool = False) -> None:
        """Stop the old source and start ``source``; the worker and the ring continue.

        The new stream's clock starts at 0, or with ``continue_time`` where the previous
        one stopped (give it for the ``None`` of a stop too, so the clock is kept).
        If ``source.start`` raises :class:`AudioSourceError`, the previous source
        is restarted (when it had been running without error) and the error re-raised.
        """
        with self._source_lock:
            old = self._source
            old_was_fine = old is not None and old.is_running and old.error is None
            if old is not None:
                old.stop()
            try:
                self._attach(source, continue_time)
            except AudioSourceError:
                if old is not None and old_was_fine:
                    try:
                        self._attach(old, continue_time)
                    except AudioSourceError:
                        self._attach(None, continue_time)
                else:
                    self._attach(None, continue_time)
                raise

    def swap_model(self, model: KwsModel) -> None:
        """Use ``model`` from the next hop on; returns at once, audio keeps flowing."""
        with self._lock:
            self._pending_model = model
        self.ring.interrupt_waiters()

    def update_settings(self, settings: EngineSettings) -> None:
        """Apply new hop/decision settings from the next hop on (``ring_seconds`` is ignored)."""
        with self._lock:
            self._pending_settings = settings
        self.ring.interrupt_waiters()

    @property
    def error(self) -> str | None:
        """Why the current model fails while running (None while it works)."""
        with self._lock:
            return self._error

    def add_detection_listener(self, callback: Callable[[Detection], None]) -> None:
        """Call ``callback(detection)`` from the worker thread for every detection."""
        with self._lock:
            self._listeners.append(callback)

    def drain_detections(self) -> list[Detection]:
        """Detections since the last call (oldest first)."""
        with self._lock:
            items = list(self._detections)
            self._detections.clear()
        return items

    def recent_records(self, n: int = 100) -> list[InferenceRecord]:
        """The last ``n`` hops, oldest first."""
        if n <= 0:
            return []
        with self._lock:  # from the newest end: the GUI asks ~50 of 1000 records 10x a second
            newest_first = list(itertools.islice(reversed(self._records), n))
        newest_first.reverse()
        return newest_first

    def wait_for_source_end(self, timeout: float | None = None) -> bool:
        """Block until a finished (non-looping WAV) source has been fully processed."""
        return self._source_done.wait(timeout)

    def snapshot(self) -> EngineSnapshot:
        """A copy of the state for display; cheap and thread-safe."""
        with self._lock:
            source = self._source
            model = self._model
            settings = self._pending_settings or self._settings
            times = list(self._infer_times)
            state = (
                self._time_s,
                self._features,
                self._probs,
                self._smoothed,
                self._level,
                self._inferences,
                self._vad_skips,
                self._dropped_hops,
                self._error,
                self._rollbacks,
                self._rollback_reason,
            )
        time_s, features, probs, smoothed, level, inferences, skips, dropped, error, rollbacks, why = state
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        return EngineSnapshot(
            time_s=time_s,
            features=features,
            probs=probs,
            smoothed=smoothed,
            level_dbfs=level,
            preprocess=self._preprocess.stats(),
            inference=self._inference.stats(),
            total=self._total.stats(),
            inferences_per_s=rate,
            inferences=inferences,
            vad_skips=skips,
            overflows=source.overflows if source is not None else 0,
            source_name=source.name if source is not None else None,
            source_running=bool(source is not None and source.is_running),
            source_error=source.error if source is not None else None,
            source_finished=bool(source is not None and source.finished),
            model_path=model.path,
            labels=tuple(model.labels),
            keywords=tuple(model.keywords),
            runtime=model.runtime.name,
            settings=settings,
            dropped_hops=dropped,
            error=error,
            model_rollbacks=rollbacks,
            rollback_reason=why,
            window_preprocess=self._window_preprocess.stats(),
            window_total=self._window_total.stats(),
        )

    @staticmethod
    def _decision_maker(model: KwsModel, settings: EngineSettings) -> DecisionMaker:
        """Decisions for ``model``: only its keyword labels fire."""
        return DecisionMaker(model.labels, settings.decision, keywords=model.keywords)

    # ------------------------------------------------------------------ sources
    def _attach(self, source: AudioSource | None, continue_time: bool = False) -> None:
        start = self.ring.total_written
        with self._lock:
            self._source = source
            self._pending_reset = (start, continue_time)
            if not continue_time:
                self._time_s = 0.0  # the new stream's clock; readers never see the old one's time
            self._source_done.clear()
        self.ring.interrupt_waiters()
        if source is None:
            return
        if source.realtime:
            callback = self.ring.write
        else:

            def callback(samples: np.ndarray) -> None:
                self.ring.write(samples)
                self._hold_back(source)

        source.start(callback)

    def _hold_back(self, source: AudioSource) -> None:
        """Back-pressure for non-realtime sources: wait while the worker is far behind."""
        limit = self.ring.capacity // 2
        with self._progress:
            while (
                self._running.is_set()
                and self._source is source
                and self.ring.total_written - self._next_boundary > limit
            ):
                self._progress.wait(_POLL_S)

    # ------------------------------------------------------------------ worker
    def _run(self) -> None:
        while self._running.is_set():
            self._apply_pending()
            boundary = self._next_boundary
            if not self.ring.wait_until(boundary, self._wait_s(boundary), interruptible=True):
                self._check_source_end()
                continue
            with self._lock:
                if (
                    self._pending_reset is not None
                    or self._pending_model is not None
                    or self._pending_settings is not None
                ):
                    continue  # apply first, then process with the new state
                source = self._source
            hop = self._settings.hop_samples
            lag = self.ring.total_written - boundary
            if source is not None and source.realtime and lag > MAX_REALTIME_LAG_S * SAMPLE_RATE:
                skipped = lag // hop
                boundary += skipped * hop
                with self._lock:
                    self._dropped_hops += int(skipped)
            self._process(boundary)
            with self._progress:
                self._next_boundary = boundary + hop
                self._progress.notify_all()
            self._check_source_end()

    def _wait_s(self, boundary: int) -> float:
        """How long to wait for ``boundary``: until its audio is due (+ :data:`_POLL_S`) from a
        running realtime source, else :data:`_POLL_S` (polling for the source's end)."""
        source = self._source
        if source is None or not source.realtime or source.finished or not source.is_running:
            return _POLL_S
        return _POLL_S + max(0, boundary - self.ring.total_written) / SAMPLE_RATE

    def _check_source_end(self) -> None:
        source = self._source
        if (
            source is not None
            and source.finished
            and self._pending_reset is None
            and self.ring.total_written < self._next_boundary
        ):
            self._source_done.set()

    def _apply_pending(self) -> None:
        with self._lock:
            model, self._pending_model = self._pending_model, None
            settings, self._pending_settings = self._pending_settings, None
            reset, self._pending_reset = self._pending_reset, None
            if model is not None:
                if self._error is None:  # the model being replaced works: the one to go back to
                    self._good_model = self._model
                self._use_model(model)
            if settings is not None:
                old_hop = self._settings.hop_samples
                self._settings = dataclasses.replace(settings, ring_seconds=self._settings.ring_seconds)
                if reset is None:
                    self._next_boundary += self._settings.hop_samples - old_hop
            if model is not None or settings is not None or reset is not None:
                self._decision = self._decision_maker(self._model, self._settings)
            if model is not None or reset is not None:
                self._segment += 1
            if reset is not None:
                start, continue_time = reset
                # No hop runs between the attach and here: _time_s is the old stream's last hop.
                self._time_origin_s = self._time_s if continue_time else 0.0
                self._source_start = start
                self._stream.reset(start)
                self._next_boundary = start + self._settings.hop_samples
        if model is not None:
            self._reset_latency()

    def _reset_latency(self) -> None:
        """Forget the timings (another model runs)."""
        for stats in (
            self._preprocess,
            self._inference,
            self._total,
            self._window_preprocess,
            self._window_total,
        ):
            stats.reset()

    def _use_model(self, model: KwsModel) -> None:
        """Make ``model`` the current one (caller holds the lock)."""
        self._model = model
        self._zeros = np.zeros(len(model.labels), dtype=np.float32)
        self._probs = self._smoothed = self._zeros
        self._features = None
        self._error = None

    def _fail_model(self, model: KwsModel, error: str) -> None:
        """``model`` failed on a window: go back to the last good model, else keep the error."""
        with self._lock:
            fallback = self._good_model
            if fallback is None or fallback is model or self._pending_model is not None:
                self._error = error
                return
            self._use_model(fallback)
            self._segment += 1
            self._rollbacks += 1
            self._rollback_reason = f"{Path(model.path).name} failed while running ({error})"
            self._decision = self._decision_maker(fallback, self._settings)
        self._reset_latency()

    def _process(self, boundary: int) -> None:
        """Classify the window ending at ``boundary`` and decide."""
        t0 = time.perf_counter_ns()
        model = self._model
        n = model.frontend_config.clip_samples
        time_s = self._time_origin_s + (boundary - self._source_start) / SAMPLE_RATE
        hop = self._settings.hop_samples
        last_hop = self._stream_audio(boundary, min(hop, n))  # the window's last hop
        level = rms_dbfs(last_hop)
        decision_settings = self._settings.decision
        skipped = (
            decision_settings.vad_enabled
            and self._peak_hop_dbfs(boundary, n, hop, last_hop) < decision_settings.vad_threshold_dbfs
        )
        detection = None
        features = None
        pre_ns = inf_ns = 0
        error = None
        whole = False
        if skipped:
            probs = self._zeros
            self._decision.skip()
        else:
            try:
                features, probs, pre_ns, inf_ns, whole = self._classify(model, boundary)
                if not np.all(np.isfinite(probs)):
                    raise ValueError("the model gave scores that are not finite numbers")
                detection = self._decision.update(probs, time_s)
            except Exception as exc:  # a model that fails at run time: report, keep running
                error = f"inference failed: {type(exc).__name__}: {exc}"
                features = None
                probs = self._zeros
                self._decision.skip()
        total_ns = time.perf_counter_ns() - t0
        smoothed = self._decision.smoothed
        record = InferenceRecord(
            time_s, probs, smoothed, level, pre_ns, inf_ns, skipped, whole, self._segment
        )
        if not skipped and error is None:
            self._inference.add(inf_ns)
            if whole:
                self._window_preprocess.add(pre_ns)
                self._window_total.add(total_ns)
            else:
                self._preprocess.add(pre_ns)
                self._total.add(total_ns)
        with self._lock:
            self._time_s = time_s
            self._probs = probs
            self._smoothed = smoothed
            self._level = level
            self._records.append(record)
            if features is not None:
                self._features = features
                self._inferences += 1
                self._infer_times.append(time.monotonic())
            if skipped:
                self._vad_skips += 1
            if detection is not None:
                self._detections.append(detection)
            listeners = list(self._listeners) if detection is not None else []
        if error is not None:
            self._fail_model(model, error)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken listener must not stop detection
                listener(detection)

    def _stream_audio(self, end: int, n: int) -> np.ndarray:
        """The ``n`` samples before ``end``, a previous source's audio read as zeros."""
        samples = self.ring.window(end, n)
        before_source = self._source_start - (end - n)
        if before_source > 0:  # audio of a previous source is not this stream's
            samples[: min(before_source, n)] = 0.0
        return samples

    def _peak_hop_dbfs(self, boundary: int, n: int, hop: int, last_hop: np.ndarray) -> float:
        """``peak_hop_dbfs`` of the ``n``-sample window ending at ``boundary``, from the hops' powers.

        The window's hops are those the worker has just processed; each one's power is kept
        (:func:`~kws_gui.core.decision.hop_powers`, the numbers ``peak_hop_dbfs`` computes),
        so a hop reads its own audio, not the whole window. Hops not seen (the first window,
        dropped hops) are read from the ring.
        """
        count = n // hop
        if count == 0:  # a hop longer than the window: the window's level
            return peak_hop_dbfs(self._stream_audio(boundary, n), hop)
        key = (self._source_start, hop)
        powers = self._hop_power
        if key != self._hop_power_key:
            powers.clear()
            self._hop_power_key = key
        powers[boundary] = float(hop_powers(last_hop, hop)[0])
        oldest = boundary - (count - 1) * hop
        peak = 0.0
        for end in range(oldest, boundary + 1, hop):
            power = powers.get(end)
            if power is None:
                power = powers[end] = float(hop_powers(self._stream_audio(end, hop), hop)[0])
            peak = max(peak, power)
        if len(powers) > 2 * count:
            for end in [e for e in powers if e < oldest]:
                del powers[end]
        return power_dbfs(peak / hop)

    def _classify(self, model: KwsModel, boundary: int) -> tuple[np.ndarray, np.ndarray, int, int, bool]:
        """Features (new frames only, or the whole window), probabilities, their ns, whole or not.

        The frames kept are reused while the model's frontend config stays the same,
        whichever way the model changed (a swap, a rollback).
        """
        stream = self._stream
        if stream.frontend is not model.frontend and stream.frontend.config != model.frontend_config:
            stream = self._stream = StreamingFeatures(model.frontend, stream.origin)
        whole = self._inferences % WHOLE_WINDOW_EVERY == 0
        t0 = time.perf_counter_ns()
        features = stream.update(self.ring, boundary, whole_window=whole)
        t1 = time.perf_counter_ns()
        probs = model.predict_features(features)
        t2 = time.perf_counter_ns()
        return features, probs, t1 - t0, t2 - t1, stream.frames_computed == stream.num_frames
