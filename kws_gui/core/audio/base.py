"""The interface every audio source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from kws_gui.core.audio_io import SAMPLE_RATE  # the rate of every block a source delivers

__all__ = ["SAMPLE_RATE", "AudioSource", "AudioSourceError", "SampleCallback"]

SampleCallback = Callable[[np.ndarray], None]


class AudioSourceError(RuntimeError):
    """A source that cannot start; the message says why and, where known, the fix."""


class AudioSource(ABC):
    """A stream of 16 kHz mono float32 blocks, pushed to a callback.

    ``on_samples`` is called from the source's own thread (the audio thread for
    a microphone) and must be cheap: the engine passes a ring-buffer write.

    Status attributes, read by other threads at any time:
    ``is_running``, ``overflows`` (input blocks the device dropped),
    ``finished`` (a WAV file reached its end and does not loop) and ``error``
    (why the source stopped unexpectedly, e.g. the device vanished).
    ``realtime`` is False for sources that deliver as fast as they can (a WAV
    file for scripts); the engine then holds them back so no audio is lost.
    """

    name: str = "audio source"
    sample_rate: int = SAMPLE_RATE
    realtime: bool = True

    def __init__(self) -> None:
        self.overflows = 0
        self.finished = False
        self.error: str | None = None

    @property
    @abstractmethod
    def is_running(self) -> bool:
        """True between a successful :meth:`start` and the end of the stream."""

    @abstractmethod
    def start(self, on_samples: SampleCallback) -> None:
        """Begin delivering blocks to ``on_samples``; :class:`AudioSourceError` if it cannot."""

    @abstractmethod
    def stop(self) -> None:
        """Stop delivering (idempotent; returns once no more blocks will arrive)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
