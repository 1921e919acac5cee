"""A thread-safe ring buffer of float32 audio samples, addressed by absolute position.

The audio thread calls :meth:`AudioRingBuffer.write` (one copy under a short lock,
no allocation); readers ask for the last ``n`` samples, for the samples written
since a position they remember, or for the window ending at a given absolute
position. Positions count every sample ever written, so they double as a stream
clock (``position / sample_rate`` seconds). A writer wakes a waiting reader only when
the position it waits for is reached (not on every audio block).
"""

from __future__ import annotations

import math
import threading

import numpy as np

_FLOAT32 = np.dtype(np.float32)


class AudioRingBuffer:
    """Fixed-capacity circular buffer of mono float32 samples."""

    def __init__(self, capacity: int) -> None:
        if int(capacity) <= 0:
            raise ValueError(f"capacity must be positive, got {capacity!r}")
        self.capacity = int(capacity)
        self._data = np.zeros(self.capacity, dtype=np.float32)
        self._total = 0
        self._cond = threading.Condition(threading.Lock())
        self._waiting_for: list[int] = []  # positions readers wait for (under the lock)
        self._wake_at: float = math.inf  # the smallest of them
        self._interrupts = 0  # counts interrupt_waiters calls (under the lock)

    # ------------------------------------------------------------------ writing
    def write(self, samples: np.ndarray) -> None:
        """Append samples (any shape is flattened; the last ``capacity`` are kept).

        A 1-D float32 block (what every source delivers) is copied as it is, one slice
        assignment unless it wraps: the audio thread runs this 50 times a second, each time
        with cold caches, so every NumPy call it saves counts.
        """
        if type(samples) is np.ndarray and samples.ndim == 1 and samples.dtype == _FLOAT32:
            x = samples
        else:
            x = np.asarray(samples, dtype=np.float32).reshape(-1)
        n = x.size
        if n == 0:
            return
        if n > self.capacity:
            skipped = n - self.capacity
            x = x[skipped:]
        else:
            skipped = 0
        with self._cond:
            start = (self._total + skipped) % self.capacity
            stop = start + x.size
            if stop <= self.capacity:
                self._data[start:stop] = x
            else:
                first = self.capacity - start
                self._data[start:] = x[:first]
                self._data[: x.size - first] = x[first:]
            self._total += n
            if self._total >= self._wake_at:
                self._cond.notify_all()

    # ------------------------------------------------------------------ reading
    @property
    def total_written(self) -> int:
        """Samples written since creation (the absolute write position)."""
        return self._total

    def latest(self, n: int) -> np.ndarray:
        """The last ``n`` samples (zeros where nothing was written yet)."""
        with self._cond:
            return self._window_locked(self._total, n)

    def window(self, end: int, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """The ``n`` samples ending at absolute position ``end`` (exclusive).

        Positions not written yet, before the start, or already overwritten read
        as zeros, so the result always has ``n`` samples. With ``out`` (float32, ``n``
        samples) they are copied into it and ``out`` is returned: no allocation.
        """
        with self._cond:
            return self._window_locked(end, n, out)

    def read_since(self, position: int) -> tuple[np.ndarray, int]:
        """Samples written after absolute ``position`` (at most ``capacity``), and the new position."""
        with self._cond:
            total = self._total
            n = min(max(total - int(position), 0), self.capacity)
            return self._window_locked(total, n), total

    def wait_until(self, position: int, timeout: float | None = None, *, interruptible: bool = False) -> bool:
        """Block until ``total_written >= position``; False on timeout.

        An ``interruptible`` wait also ends (False) when :meth:`interrupt_waiters` is called.
        """
        position = int(position)
        with self._cond:
            if self._total >= position:
                return True
            self._waiting_for.append(position)
            self._wake_at = min(self._waiting_for)
            interrupts = self._interrupts if interruptible else None
            try:
                self._cond.wait_for(
                    lambda: self._total >= position or (interruptible and self._interrupts != interrupts),
                    timeout,
                )
                return self._total >= position
            finally:
                self._waiting_for.remove(position)
                self._wake_at = min(self._waiting_for, default=math.inf)

    def interrupt_waiters(self) -> None:
        """End every interruptible :meth:`wait_until` now (False unless its position is reached)."""
        with self._cond:
            self._interrupts += 1
            self._cond.notify_all()

    def _window_locked(self, end: int, n: int, out: np.ndarray | None = None) -> np.ndarray:
        n = int(n)
        if out is None:  # every sample of it is written below (data or zeros)
            out = np.empty(max(n, 0), dtype=np.float32)
        elif out.shape != (max(n, 0),):
            raise ValueError(f"out has shape {out.shape}, expected ({n},)")
        if n <= 0:
            return out
        end = int(end)
        start = end - n
        # Valid absolute positions: [max(0, total - capacity), total).
        lo = max(start, 0, self._total - self.capacity)
        hi = min(end, self._total)
        if hi <= lo:
            out[:] = 0.0
            return out
        a = lo % self.capacity
        count = hi - lo
        first = min(count, self.capacity - a)
        dst = lo - start
        if dst > 0:
            out[:dst] = 0.0
        out[dst : dst + first] = self._data[a : a + first]
        if first < count:
            out[dst + first : dst + count] = self._data[: count - first]
        if dst + count < n:
            out[dst + count :] = 0.0
        return out
