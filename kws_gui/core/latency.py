"""Rolling latency statistics over the last N measurements (nanoseconds in, microseconds out)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyStats:
    """Summary of recent durations, in microseconds; ``count`` is the number measured in total."""

    last_us: float = 0.0
    median_us: float = 0.0
    p95_us: float = 0.0
    count: int = 0

    def describe(self) -> str:
        """One line for people, e.g. ``median 812 us, p95 1020 us (n=300)``."""
        return f"median {self.median_us:.0f} us, p95 {self.p95_us:.0f} us (n={self.count})"


class RollingLatency:
    """Keeps the last ``window`` durations; thread-safe (one writer, any readers)."""

    def __init__(self, window: int = 200) -> None:
        if int(window) <= 0:
            raise ValueError(f"window must be positive, got {window!r}")
        self._values: deque[int] = deque(maxlen=int(window))
        self._count = 0
        self._cached: LatencyStats | None = None
        self._lock = threading.Lock()

    def add(self, ns: int) -> None:
        """Record one duration in nanoseconds."""
        with self._lock:
            self._values.append(int(ns))
            self._count += 1
            self._cached = None

    def reset(self) -> None:
        """Forget every measurement."""
        with self._lock:
            self._values.clear()
            self._count = 0
            self._cached = None

    def stats(self) -> LatencyStats:
        """Last, median and 95th percentile of the window, in microseconds.

        Computed once per new measurement: GUI timers may poll far more often.
        """
        with self._lock:
            if self._cached is not None:
                return self._cached
            if not self._values:
                return LatencyStats()
            values = sorted(self._values)
            last = self._values[-1]
            count = self._count
        # numpy.percentile's linear interpolation on <= 200 sorted ints, without its ~50 µs
        # of Python overhead (a GUI polls several of these ten times a second).
        result = LatencyStats(
            last / 1e3, _percentile(values, 0.5) / 1e3, _percentile(values, 0.95) / 1e3, count
        )
        with self._lock:
            if self._count == count:
                self._cached = result
        return result


def _percentile(ordered: list[int], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolated linearly (numpy's default method)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
