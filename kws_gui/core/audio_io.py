"""Reading audio files into 16 kHz mono float32, shared by the trainer and the app.

WAV (and anything libsndfile reads) is decoded with ``soundfile`` in blocks of
:data:`BLOCK_FRAMES` frames; other sample rates go through ``soxr``'s streaming
resampler (high quality; the result is identical to resampling the whole file at
once), several channels are averaged to mono. Memory is bounded by the block
size, never by the file's length: :class:`AudioReader` yields the file block by
block (the app's WAV source, ``kws-listen --wav``) and :func:`read_audio` stops
decoding after ``max_seconds`` (dataset clips). Headers are checked first: a
declared sample rate outside :data:`MIN_SAMPLE_RATE`-:data:`MAX_SAMPLE_RATE` or
more than :data:`MAX_CHANNELS` channels is refused (a 40 KB file that claims
1 Hz would otherwise decode to hours of audio). Problems raise
:class:`AudioFileError` with a message for people that names the file, so a
caller can skip and count the file instead of crashing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

#: The one sample rate of the pipeline: files are read at it, sources deliver it, the engine runs at it.
SAMPLE_RATE = 16000
#: Declared sample rates outside this range are not recordings anyone can use.
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 192000
MAX_CHANNELS = 64
#: Frames decoded at a time (per channel): ~85 ms at 192 kHz, 1 s at 16 kHz.
BLOCK_FRAMES = 16384
#: Extra output samples decoded beyond ``max_seconds`` so the kept part is exactly
#: what decoding the whole file would give (the resampler's filter sees its context).
_CROP_MARGIN = 2048
#: What the app and the trainer read (libsndfile reads more, e.g. AIFF).
EXPECTED_FORMATS = "WAV, FLAC or OGG audio"
_ERRORS = (soundfile.LibsndfileError, RuntimeError, OSError, TypeError, ValueError)


class AudioFileError(ValueError):
    """An audio file that cannot be used (unreadable, empty, implausible header)."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header declares."""

    path: Path
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        """Declared length in seconds."""
        return self.frames / self.sample_rate


def _why_unreadable(path: Path, exc: BaseException) -> str:
    """A message naming the file and what was expected, instead of libsndfile's bare words."""
    if not path.exists():
        return f"{path.name}: cannot read audio: no such file"
    if path.is_dir():
        return f"{path.name}: cannot read audio: it is a folder, not an audio file"
    detail = getattr(exc, "error_string", None) or str(exc)
    if isinstance(exc, PermissionError):
        detail = "permission denied"
    return (
        f"{path.name}: cannot read audio: not a readable audio file "
        f"(expected {EXPECTED_FORMATS}; the decoder says: {str(detail).strip().rstrip('.')})"
    )


def _check_header(path: Path, rate: int, channels: int, frames: int) -> AudioInfo:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioFileError(
            f"{path.name}: its header declares a sample rate of {rate} Hz, outside the "
            f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz of real recordings: damaged or not audio"
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioFileError(
            f"{path.name}: its header declares {channels} channels (at most {MAX_CHANNELS} are read)"
        )
    if frames <= 0:
        raise AudioFileError(f"{path.name}: no audio samples")
    return AudioInfo(path, int(rate), int(channels), int(frames))


def audio_info(path: str | Path) -> AudioInfo:
    """The file's checked header (nothing is decoded); :class:`AudioFileError` if unusable."""
    p = Path(path)
    try:
        info = soundfile.info(str(p))
    except _ERRORS as exc:
        raise AudioFileError(_why_unreadable(p, exc)) from exc
    return _check_header(p, int(info.samplerate), int(info.channels), int(info.frames))


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned as is."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        return x[:, 0].copy() if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1:
        raise AudioFileError(f"unexpected audio array shape {x.shape}")
    return x


def resample(samples: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample a mono signal with soxr (no-op when the rates match)."""
    x = np.asarray(samples, dtype=np.float32)
    if source_rate == target_rate or x.size == 0:
        return x
    return soxr.resample(x, source_rate, target_rate, quality="HQ").astype(np.float32)


class AudioReader:
    """A file as a stream of mono float32 blocks at ``target_rate``; memory bounded by the block.

    The header is checked on construction (:class:`AudioFileError`); each call of
    :meth:`blocks` reads the file again from its start.
    """

    def __init__(
        self, path: str | Path, target_rate: int = SAMPLE_RATE, block_frames: int = BLOCK_FRAMES
    ) -> None:
        self.info = audio_info(path)
        self.path = self.info.path
        self.target_rate = int(target_rate)
        self.block_frames = max(1, int(block_frames))

    @property
    def duration_s(self) -> float:
        """Declared length of the file in seconds."""
        return self.info.duration_s

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield the whole file as resampled mono blocks (sizes vary; some may be empty)."""
        p = self.path
        try:
            with soundfile.SoundFile(str(p)) as handle:
                info = _check_header(p, int(handle.samplerate), int(handle.channels), max(handle.frames, 1))
                stream = None
                if info.sample_rate != self.target_rate:
                    stream = soxr.ResampleStream(
                        info.sample_rate, self.target_rate, 1, dtype="float32", quality="HQ"
                    )
                any_samples = False
                while True:
                    data = handle.read(self.block_frames, dtype="float32", always_2d=True)
                    last = len(data) < self.block_frames
                    mono = to_mono(data)
                    if not np.all(np.isfinite(mono)):
                        raise AudioFileError(f"{p.name}: non-finite samples")
                    any_samples = any_samples or mono.size > 0
                    if stream is not None:
                        mono = stream.resample_chunk(mono, last=last).astype(np.float32, copy=False)
                    yield mono
                    if last:
                        break
                if not any_samples:
                    raise AudioFileError(f"{p.name}: no audio samples")
        except AudioFileError:
            raise
        except _ERRORS as exc:
            raise AudioFileError(_why_unreadable(p, exc)) from exc


def read_audio(
    path: str | Path,
    target_rate: int = SAMPLE_RATE,
    max_seconds: float | None = None,
    max_file_seconds: float | None = None,
) -> np.ndarray:
    """Decode a file to mono float32 in [-1, 1] at ``target_rate``.

    ``max_seconds``: decode at most this much (the rest of the file is never read;
    the kept samples are exactly those of a whole-file decode). ``max_file_seconds``:
    refuse a file whose header declares a longer recording. Raises
    :class:`AudioFileError` if the file cannot be read, holds no samples or is refused.
    """
    reader = AudioReader(path, target_rate)
    if max_file_seconds is not None and reader.duration_s > max_file_seconds:
        raise AudioFileError(
            f"{reader.path.name}: {_describe_seconds(reader.duration_s)} long, more than the "
            f"{max_file_seconds:g} s a clip may last"
        )
    limit = None if max_seconds is None else max(0, int(math.ceil(max_seconds * target_rate)))
    parts: list[np.ndarray] = []
    total = 0
    for block in reader.blocks():
        parts.append(block)
        total += block.size
        if limit is not None and total >= limit + _CROP_MARGIN:
            break
    audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return audio[:limit] if limit is not None else audio


def _describe_seconds(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"
