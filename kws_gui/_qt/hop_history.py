"""The probability plot's data: the last hops' times, segments and smoothed probabilities as arrays.

The engine adds a hop ten times a second and the plot shows the last five seconds (~50
hops): each update converts only the hops added since the last one (usually one) and
shifts the arrays, instead of building them again from every record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class HopHistory:
    """Arrays of the last ``capacity`` hops whose smoothed probabilities have ``width`` labels.

    :meth:`update` takes the engine's recent records (oldest first, as
    ``StreamingEngine.recent_records`` returns them); :attr:`times`, :attr:`segments` and
    :attr:`probs` are then the hops kept, oldest first (views, valid until the next update).
    """

    def __init__(self) -> None:
        self.converted = 0  # records converted to array rows so far (tests count them)
        self._reset(0, 0)

    def _reset(self, capacity: int, width: int) -> None:
        self._times = np.zeros(capacity, np.float64)
        self._segments = np.zeros(capacity, np.int64)
        self._probs = np.zeros((capacity, width), np.float32)
        self.size = 0
        self._last: Any = None  # the newest record converted (records are compared by identity)

    @property
    def times(self) -> np.ndarray:
        return self._times[self._times.size - self.size :]

    @property
    def segments(self) -> np.ndarray:
        return self._segments[self._segments.size - self.size :]

    @property
    def probs(self) -> np.ndarray:
        return self._probs[self._probs.shape[0] - self.size :]

    def update(self, records: Sequence[Any], width: int, capacity: int) -> None:
        """Keep the last ``capacity`` of ``records`` that have ``width`` labels (another model's
        hops are left out); a new ``capacity`` or ``width`` starts over."""
        if capacity != self._times.size or width != self._probs.shape[1]:
            self._reset(capacity, width)
        start = 0
        if self._last is not None:
            for i in range(len(records) - 1, -1, -1):
                if records[i] is self._last:
                    start = i + 1
                    break
            else:  # not among them (more new hops than asked for, or the engine started over)
                self.size = 0
        if start == len(records):
            return
        self._last = records[-1]
        new = [r for r in records[start:] if r.smoothed.size == width][-capacity:] if capacity else []
        k = len(new)
        if k == 0:
            return
        kept = min(self.size, capacity - k)
        end = capacity - k
        for array in (self._times, self._segments, self._probs):
            array[end - kept : end] = array[capacity - kept : capacity]  # overlapping: NumPy copies first
        for row, record in enumerate(new, start=end):
            self._times[row] = record.time_s
            self._segments[row] = record.segment
            self._probs[row] = record.smoothed
        self.size = kept + k
        self.converted += k
