"""Reading audio files into 16 kHz mono float32, shared by the trainer and the app.

WAV (and anything libsndfile reads) is decoded with ``soundfile``; other sample
rates are resampled with ``soxr`` (high quality), several channels are averaged
to mono. Problems raise :class:`AudioFileError` with a message for people, so a
caller can skip and count the file instead of crashing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
import soxr

#: The one sample rate of the pipeline: files are read at it, sources deliver it, the engine runs at it.
SAMPLE_RATE = 16000


class AudioFileError(ValueError):
    """An audio file that cannot be used (unreadable, empty, silent format error)."""


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned as is."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        return x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1:
        raise AudioFileError(f"unexpected audio array shape {x.shape}")
    return x


def resample(samples: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample a mono signal with soxr (no-op when the rates match)."""
    x = np.asarray(samples, dtype=np.float32)
    if source_rate == target_rate or x.size == 0:
        return x
    return soxr.resample(x, source_rate, target_rate, quality="HQ").astype(np.float32)


def read_audio(path: str | Path, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a file to mono float32 in [-1, 1] at ``target_rate``.

    Raises :class:`AudioFileError` if the file cannot be read or holds no samples.
    """
    p = Path(path)
    try:
        samples, rate = soundfile.read(str(p), dtype="float32", always_2d=False)
    except (soundfile.LibsndfileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        raise AudioFileError(f"{p.name}: cannot read audio: {exc}") from exc
    samples = to_mono(samples)
    if samples.size == 0:
        raise AudioFileError(f"{p.name}: no audio samples")
    if not np.all(np.isfinite(samples)):
        raise AudioFileError(f"{p.name}: non-finite samples")
    return resample(samples, int(rate), target_rate)
