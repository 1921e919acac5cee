"""Streaming features: each frame of the stream computed once, the window's matrix shifted.

A classification window of the full-window frontend holds ``num_frames`` frames that
start at the window's first sample, every ``frame_step`` samples. Streaming, the frames
lie on one grid for the whole stream, anchored at the stream's first sample (the
*origin*; earlier samples read as zeros, as the engine treats another source's audio).
The window at a position ``end`` is the last ``num_frames`` frames that are complete by
``end``; :meth:`StreamingFeatures.update` computes only the frames completed since the
previous call and shifts the rest of the matrix. The result equals
``Frontend.window_features`` of the window starting at :meth:`StreamingFeatures.window_start`
(tests/core/test_streaming_features.py: max abs difference <= 1e-5).

With a hop that is not a multiple of the frame step the window ends up to one frame step
(16 ms for the DS-CNN) before ``end``; the full-window frontend always left the last
``clip_samples - frames_span`` samples (8 ms) unused, so on average nothing changes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from kws_gui.core.frontend import Frontend, frame_view


class SampleReader(Protocol):
    """What :class:`StreamingFeatures` reads: ``window(end, n, out)`` as :class:`AudioRingBuffer` has.

    It copies the ``n`` samples before absolute position ``end`` into ``out`` (float32,
    ``n`` samples) and returns ``out``.
    """

    def window(self, end: int, n: int, out: np.ndarray | None = None) -> np.ndarray: ...


class StreamingFeatures:
    """The feature matrix of the newest complete window, updated frame by frame.

    Not thread-safe (one worker updates it); every update returns a new array, so a
    matrix handed to other threads never changes. The samples are read into one buffer
    kept for the stream, and the frames of each count of new frames are views of it made
    once: a hop's cost is the frontend's, not allocating, copying and framing.
    ``frame_features`` gets such a view: it must not keep it.
    """

    def __init__(self, frontend: Frontend, origin: int = 0) -> None:
        self.frontend = frontend
        config = frontend.config
        self.frame_length = config.frame_length
        self.frame_step = config.frame_step
        self.num_frames = config.num_frames
        self.origin = int(origin)
        self.matrix: np.ndarray | None = None
        self._last_frame: int | None = None  # grid index of the matrix's newest frame
        #: Frames computed by the last :meth:`update` (``num_frames`` for a whole window).
        self.frames_computed = 0
        span = (self.num_frames - 1) * self.frame_step + self.frame_length
        self._samples = np.zeros(span, np.float32)  # the samples of the frames being computed
        self._views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # new frames -> (samples, frames)

    def _frames_of(self, new: int) -> tuple[np.ndarray, np.ndarray]:
        """The buffer's first samples for ``new`` frames, and those frames (views, made once)."""
        views = self._views.get(new)
        if views is None:
            samples = self._samples[: (new - 1) * self.frame_step + self.frame_length]
            views = self._views[new] = (samples, frame_view(samples, self.frame_length, self.frame_step))
        return views

    def reset(self, origin: int) -> None:
        """A new stream starts at absolute sample ``origin``: forget every frame."""
        self.origin = int(origin)
        self.matrix = None
        self._last_frame = None
        self.frames_computed = 0

    # ------------------------------------------------------------- positions
    def last_frame(self, end: int) -> int:
        """Grid index of the newest frame complete by absolute position ``end`` (may be < 0)."""
        return (int(end) - self.origin - self.frame_length) // self.frame_step

    def window_start(self, end: int) -> int:
        """First sample of the window whose features :meth:`update` returns at ``end``."""
        return self.origin + (self.last_frame(end) - self.num_frames + 1) * self.frame_step

    # ------------------------------------------------------------- updating
    def update(self, reader: SampleReader, end: int, whole_window: bool = False) -> np.ndarray:
        """The (frames, features) matrix of the window at ``end``, computing only new frames.

        ``whole_window`` computes every frame again (what the full-window frontend costs).
        """
        last = self.last_frame(end)
        new = self.num_frames if self._last_frame is None or whole_window else last - self._last_frame
        new = min(new, self.num_frames)
        if new <= 0 and self.matrix is not None:  # no frame completed since the last call
            self.frames_computed = 0
            return self.matrix
        start = self.origin + (last - new + 1) * self.frame_step
        samples, frames = self._frames_of(new)
        span = samples.shape[0]
        reader.window(start + span, span, samples)
        if start < self.origin:  # before the stream began: zeros, as the engine's window has
            samples[: min(self.origin - start, span)] = 0.0
        features = self.frontend.frame_features(frames)
        if new == self.num_frames or self.matrix is None:
            matrix = features
        else:
            matrix = np.concatenate((self.matrix[new:], features))
        self.matrix = matrix
        self._last_frame = last
        self.frames_computed = new
        return matrix
