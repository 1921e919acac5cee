"""An audio file (or samples in memory) played as if it came from a microphone: demos and tests need no device."""

from __future__ import annotations

import contextlib
import threading
import time
from abc import abstractmethod
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kws_gui.core.audio.base import SAMPLE_RATE, AudioSource, AudioSourceError, SampleCallback
from kws_gui.core.audio_io import BLOCK_FRAMES, AudioReader


class PacedSource(AudioSource):
    """Delivers one pass of blocks (:meth:`_one_pass`) from its own thread, paced in real time
    (or, with ``realtime=False``, as fast as the consumer takes them); with ``loop`` the pass
    repeats until :meth:`stop`. Subclasses say what a pass holds.

    A source stopped before its end continues where it stopped when it is started again
    (a pause); once it has finished it starts from the beginning."""

    def __init__(self, name: str, loop: bool = False, realtime: bool = True, block_s: float = 0.02) -> None:
        super().__init__()
        if block_s <= 0:
            raise ValueError("block_s must be positive")
        self.loop = bool(loop)
        self.realtime = bool(realtime)
        self.block = max(1, int(round(block_s * SAMPLE_RATE)))
        self.name = name + (" (loop)" if self.loop else "")
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # Held while no stop is asked for: the playback thread sleeps in its acquire (one C
        # call; Event.wait costs a Condition, a new lock and a deque per block), stop releases it.
        self._wake = threading.Lock()
        self._position = 0  # samples of the current pass delivered (where a restart continues)

    @abstractmethod
    def _one_pass(self) -> Iterator[np.ndarray]:
        """The blocks of one pass (the last one may be shorter than ``self.block``)."""

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def position_s(self) -> float:
        """Seconds of the current pass delivered (where a restart continues)."""
        return self._position / SAMPLE_RATE

    def start(self, on_samples: SampleCallback) -> None:
        """Start the playback thread: where a :meth:`stop` left it, else from the beginning."""
        if self.is_running:
            raise AudioSourceError(f"{self.name} is already running")
        if self.finished:
            self._position = 0
        self._stop.clear()
        self._wake = threading.Lock()
        self._wake.acquire()
        self.finished = False
        self.error = None
        self._thread = threading.Thread(
            target=self._run, args=(on_samples, self._wake), name="wav-source", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the playback thread to end (end of file, error or stop); False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.is_running

    def stop(self) -> None:
        """Stop the playback thread and wait for it."""
        self._stop.set()
        with contextlib.suppress(RuntimeError):  # released already (stopped before)
            self._wake.release()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self, on_samples: SampleCallback, wake: threading.Lock) -> None:
        t0 = time.monotonic()
        delivered = 0
        skip = self._position  # a restart continues the pass where it stopped
        try:
            while not self._stop.is_set():
                self._position = 0
                for block in self._one_pass():
                    if skip > 0:
                        if self._stop.is_set():
                            self._position += skip  # still to skip at the next start
                            return
                        self._position += min(skip, block.size)
                        block, skip = block[skip:], max(0, skip - block.size)
                        if block.size == 0:
                            continue
                    if self.realtime:
                        # Deliver a block once it would have been recorded (no drift).
                        due = t0 + (delivered + block.size) / SAMPLE_RATE
                        delay = due - time.monotonic()
                        if delay > 0 and wake.acquire(timeout=delay):  # released by stop
                            return
                    elif self._stop.is_set():
                        return
                    on_samples(block)
                    delivered += block.size
                    self._position += block.size
                if not self.loop:
                    self._position = 0
                    self.finished = True
                    return
        except Exception as exc:  # a failing consumer or file must not die silently
            self.error = f"{self.name}: {exc}"


class WavFileSource(PacedSource):
    """Delivers an audio file in ``block_s`` blocks, paced in real time (or as fast as possible).

    The file's header is checked at construction, so an unreadable file raises
    :class:`~kws_gui.core.audio_io.AudioFileError` before anything changes; the
    playback thread then decodes (and resamples to 16 kHz) block by block, so
    memory does not grow with the file's length (a decoding error met later
    stops the source with :attr:`error` set). ``lead_silence_s``/``tail_silence_s``
    pad the clip with zeros (a one-second clip ends before a streaming detector has
    seen all of it).
    With ``loop`` the clip (with its padding) repeats until :meth:`stop`.
    With ``realtime=False`` blocks are delivered without waiting.
    """

    def __init__(
        self,
        path: str | Path,
        loop: bool = False,
        realtime: bool = True,
        block_s: float = 0.02,
        lead_silence_s: float = 0.0,
        tail_silence_s: float = 0.0,
    ) -> None:
        if block_s <= 0 or lead_silence_s < 0 or tail_silence_s < 0:
            raise ValueError("block_s must be positive and the silences non-negative")
        self.path = Path(path)
        self._reader = AudioReader(self.path, SAMPLE_RATE)
        self._lead = int(round(lead_silence_s * SAMPLE_RATE))
        self._tail = int(round(tail_silence_s * SAMPLE_RATE))
        super().__init__(f"WAV: {self.path.name}", loop=loop, realtime=realtime, block_s=block_s)

    @property
    def duration_s(self) -> float:
        """Length of one pass as the file's header declares it, padding included."""
        return self._reader.duration_s + (self._lead + self._tail) / SAMPLE_RATE

    def _silence(self, samples: int) -> Iterator[np.ndarray]:
        """``samples`` zeros as views of one read-only chunk (the callback copies what it keeps)."""
        if samples <= 0:
            return
        chunk = np.zeros(min(samples, BLOCK_FRAMES), np.float32)
        chunk.flags.writeable = False
        for start in range(0, samples, chunk.size):
            yield chunk[: min(chunk.size, samples - start)]

    def _one_pass(self) -> Iterator[np.ndarray]:
        """Lead silence, the file, tail silence, in blocks of exactly ``self.block``
        samples (the last one of the pass may be shorter).

        The file is decoded a chunk of :data:`~kws_gui.core.audio_io.BLOCK_FRAMES` frames at
        a time; each block is a view of its chunk (a copy only where a block spans two chunks).
        """
        block = self.block
        carry: np.ndarray | None = None  # the start of a block that the next chunk completes
        parts = (self._silence(self._lead), self._reader.blocks(), self._silence(self._tail))
        for part in (p for group in parts for p in group):
            start = 0
            if carry is not None:
                need = block - carry.size
                if part.size < need:
                    carry = np.concatenate([carry, part])
                    continue
                yield np.concatenate([carry, part[:need]])
                carry, start = None, need
            stop = start + (part.size - start) // block * block
            for i in range(start, stop, block):
                yield part[i : i + block]
            if stop < part.size:
                carry = part[stop:]
        if carry is not None:
            yield carry


class ArraySource(PacedSource):
    """16 kHz mono samples held in memory, delivered as a stream in ``block_s`` blocks.

    With ``realtime=False`` the engine holds it back, so nothing is lost: how the
    streaming evaluation (trainer.stream_eval) feeds long generated streams.
    """

    def __init__(
        self,
        samples: np.ndarray,
        name: str = "samples",
        loop: bool = False,
        realtime: bool = True,
        block_s: float = 0.02,
    ) -> None:
        super().__init__(name, loop=loop, realtime=realtime, block_s=block_s)
        self.samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        if self.samples.size == 0:
            raise ValueError("no samples to play")

    @property
    def duration_s(self) -> float:
        """Length of one pass."""
        return self.samples.size / SAMPLE_RATE

    def _one_pass(self) -> Iterator[np.ndarray]:
        for start in range(0, self.samples.size, self.block):
            yield self.samples[start : start + self.block]
