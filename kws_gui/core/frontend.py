"""Audio frontend: STFT -> log-Mel spectrogram or MFCC, in pure NumPy.

One module shared by the trainer and the app, so that a model always sees the
features it was trained on. It matches ``tf.signal`` numerically:

* ``tf.signal.stft`` with a periodic Hann window, ``pad_end=False`` and an FFT
  length that is the smallest power of two enclosing the frame;
* magnitude spectrum;
* ``tf.signal.linear_to_mel_weight_matrix`` (HTK mel scale, the DC row zeroed);
* ``log(mel + 1e-6)``;
* ``tf.signal.mfccs_from_log_mel_spectrograms``: DCT-II scaled by
  ``sqrt(2 / num_mel_bins)`` for every coefficient, the first ``num_mfccs`` kept.

TensorFlow is never imported here.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.fft

from kws_gui.core.audio_io import SAMPLE_RATE

LOG_OFFSET = 1e-6
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


#: Sane ranges of a keyword-spotting frontend (checked before anything is allocated).
SAMPLE_RATE_RANGE = (4000, 192000)
MAX_CLIP_DURATION_S = 5.0
MAX_FFT_LENGTH = 8192
MAX_MEL_BINS = 256
MAX_FRAMES = 1000
#: Frames x spectrum bins of one clip: 2**21 is ~40x the reference pipeline's 49 x 513.
MAX_SPECTRUM_VALUES = 2**21


class FrontendConfigError(ValueError):
    """An invalid frontend configuration; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_range(
    name: str, value: float, low: float, high: float, unit: str = "", low_open: bool = False
) -> None:
    """``low <= value <= high`` (``low < value`` with ``low_open``), or an error naming the field."""
    if value < low or (low_open and value == low) or value > high:
        bound = f"{'above' if low_open else 'from'} {low:g} up to {high:g}"
        raise FrontendConfigError(name, f"must be {bound} {unit}".rstrip() + f", got {value!r}")


@dataclass(frozen=True)
class FrontendConfig:
    """Everything that defines the features a model takes.

    ``num_mfccs=None`` means log-Mel features (``num_mel_bins`` per frame);
    otherwise the first ``num_mfccs`` MFCCs of the log-Mel spectrogram.
    ``fft_length=None`` means the smallest power of two >= the frame length,
    as ``tf.signal.stft`` does.
    """

    sample_rate: int = SAMPLE_RATE
    clip_duration_s: float = 1.0
    frame_length_s: float = 0.032
    frame_step_s: float = 0.016
    num_mel_bins: int = 16
    lower_edge_hz: float = 20.0
    upper_edge_hz: float = 4000.0
    num_mfccs: int | None = 16
    fft_length: int | None = None

    def __post_init__(self) -> None:
        self._validate()

    # ----------------------------------------------------------------- checks
    def _validate(self) -> None:
        """Types, then the ranges a keyword-spotting frontend can have, then consistency.

        Everything is checked from the numbers alone, before any matrix or buffer
        exists: a model file's metadata cannot make the frontend allocate gigabytes.
        """
        for name in ("sample_rate", "num_mel_bins", "num_mfccs", "fft_length"):
            value = getattr(self, name)
            optional = name in ("num_mfccs", "fft_length")
            if not (value is None and optional) and not _is_whole(value):
                raise FrontendConfigError(
                    name, f"must be a whole number{' or None' if optional else ''}, got {value!r}"
                )
        for name in ("clip_duration_s", "frame_length_s", "frame_step_s", "lower_edge_hz", "upper_edge_hz"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value):
                raise FrontendConfigError(name, f"must be a finite number, got {value!r}")
        low_rate, high_rate = SAMPLE_RATE_RANGE
        _check_range("sample_rate", self.sample_rate, low_rate, high_rate, "Hz")
        _check_range("clip_duration_s", self.clip_duration_s, 0, MAX_CLIP_DURATION_S, "s", low_open=True)
        _check_range("frame_length_s", self.frame_length_s, 0, MAX_CLIP_DURATION_S, "s", low_open=True)
        _check_range("frame_step_s", self.frame_step_s, 0, MAX_CLIP_DURATION_S, "s", low_open=True)
        _check_range("num_mel_bins", self.num_mel_bins, 1, MAX_MEL_BINS)
        if self.num_mfccs is not None:
            _check_range("num_mfccs", self.num_mfccs, 1, MAX_MEL_BINS)
            if self.num_mfccs > self.num_mel_bins:
                raise FrontendConfigError(
                    "num_mfccs",
                    f"{self.num_mfccs} MFCCs cannot be taken from {self.num_mel_bins} mel bins: "
                    f"a DCT of {self.num_mel_bins} values has at most {self.num_mel_bins} coefficients",
                )
        if self.frame_step_s > self.frame_length_s:
            raise FrontendConfigError(
                "frame_step_s",
                f"step ({self.frame_step_s} s) is longer than the frame ({self.frame_length_s} s): "
                "samples between frames would be ignored",
            )
        if self.frame_length_s > self.clip_duration_s:
            raise FrontendConfigError(
                "frame_length_s", f"frame ({self.frame_length_s} s) is longer than the clip"
            )
        nyquist = self.sample_rate / 2.0
        _check_range(
            "upper_edge_hz", self.upper_edge_hz, 0, nyquist, "Hz (the Nyquist frequency)", low_open=True
        )
        _check_range("lower_edge_hz", self.lower_edge_hz, 0, self.upper_edge_hz, "Hz (upper_edge_hz)")
        if self.lower_edge_hz == self.upper_edge_hz:
            raise FrontendConfigError("lower_edge_hz", f"must be below upper_edge_hz ({self.upper_edge_hz})")
        if self.frame_length < 2:
            raise FrontendConfigError("frame_length_s", f"{self.frame_length_s} s is less than two samples")
        if self.frame_step < 1:
            raise FrontendConfigError("frame_step_s", f"{self.frame_step_s} s is less than one sample")
        if self.fft_length is not None and not self.frame_length <= self.fft_length <= MAX_FFT_LENGTH:
            raise FrontendConfigError(
                "fft_length",
                f"must be from the frame length ({self.frame_length} samples) up to {MAX_FFT_LENGTH}, "
                f"got {self.fft_length!r}",
            )
        if self.fft_size > MAX_FFT_LENGTH:
            raise FrontendConfigError(
                "frame_length_s", f"{self.frame_length} samples need an FFT above {MAX_FFT_LENGTH} points"
            )
        if self.num_frames > MAX_FRAMES:
            raise FrontendConfigError(
                "frame_step_s",
                f"{self.num_frames} frames per clip; a keyword model takes at most {MAX_FRAMES}",
            )
        if self.num_frames * self.num_spectrogram_bins > MAX_SPECTRUM_VALUES:
            raise FrontendConfigError(
                "fft_length",
                f"{self.num_frames} frames x {self.num_spectrogram_bins} spectrum bins per clip is more "
                f"than the {MAX_SPECTRUM_VALUES} a keyword-spotting frontend needs",
            )

    # ------------------------------------------------------- derived (samples)
    @property
    def frame_length(self) -> int:
        """Frame length in samples."""
        return int(round(self.frame_length_s * self.sample_rate))

    @property
    def frame_step(self) -> int:
        """Frame step in samples."""
        return int(round(self.frame_step_s * self.sample_rate))

    @property
    def clip_samples(self) -> int:
        """Samples in one classification window."""
        return int(round(self.clip_duration_s * self.sample_rate))

    @property
    def fft_size(self) -> int:
        """FFT length actually used (``fft_length`` or the next power of two)."""
        if self.fft_length is not None:
            return int(self.fft_length)
        return 1 << (self.frame_length - 1).bit_length()

    @property
    def num_spectrogram_bins(self) -> int:
        """Bins of the one-sided spectrum."""
        return self.fft_size // 2 + 1

    @property
    def num_frames(self) -> int:
        """Frames in one clip (``pad_end=False``)."""
        return 1 + (self.clip_samples - self.frame_length) // self.frame_step

    @property
    def num_features(self) -> int:
        """Values per frame: MFCCs or mel bins."""
        return int(self.num_mfccs) if self.num_mfccs is not None else int(self.num_mel_bins)

    @property
    def feature_shape(self) -> tuple[int, int]:
        """(frames, features) of one clip."""
        return (self.num_frames, self.num_features)

    @property
    def kind(self) -> str:
        """``"mfcc"`` or ``"log-mel"``."""
        return "mfcc" if self.num_mfccs is not None else "log-mel"

    # ------------------------------------------------------------ (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, as embedded in model metadata."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrontendConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        if not isinstance(data, dict):
            raise FrontendConfigError("frontend", f"expected a mapping, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FrontendConfigError(unknown[0], "unknown frontend field")
        return cls(**data)

    def replace(self, **changes: Any) -> FrontendConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One line for people, e.g. ``MFCC 16 from 16 mel, 32/16 ms, 20-4000 Hz``."""
        what = (
            f"MFCC {self.num_mfccs} of {self.num_mel_bins} mel"
            if self.num_mfccs
            else f"log-Mel {self.num_mel_bins}"
        )
        return (
            f"{what}, frame {self.frame_length_s * 1000:g} ms / step {self.frame_step_s * 1000:g} ms, "
            f"{self.lower_edge_hz:g}-{self.upper_edge_hz:g} Hz, {self.num_frames}x{self.num_features}"
        )


#: The seed's reference pipeline: log-Mel, 40 ms / 20 ms frames, 40 bins.
REFERENCE = FrontendConfig(frame_length_s=0.04, frame_step_s=0.02, num_mel_bins=40, num_mfccs=None)
#: The seed's optimized pipeline. The seed asked for 20 MFCCs from 16 mel bins,
#: which cannot be: a DCT of 16 values has 16 coefficients, so all 16 are kept.
DS_CNN = FrontendConfig(frame_length_s=0.032, frame_step_s=0.016, num_mel_bins=16, num_mfccs=16)
PRESETS: dict[str, FrontendConfig] = {"reference": REFERENCE, "ds-cnn": DS_CNN}


# ------------------------------------------------------------------ building blocks
def periodic_hann(length: int) -> np.ndarray:
    """``tf.signal.hann_window(length, periodic=True)``."""
    n = np.arange(length, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)).astype(np.float32)


def _hertz_to_mel(hz: np.ndarray) -> np.ndarray:
    return _MEL_HIGH_FREQUENCY_Q * np.log1p(hz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins: int,
    num_spectrogram_bins: int,
    sample_rate: float,
    lower_edge_hertz: float,
    upper_edge_hertz: float,
) -> np.ndarray:
    """``tf.signal.linear_to_mel_weight_matrix``: shape (spectrogram bins, mel bins).

    HTK mel scale, triangular filters in the mel domain; the DC bin's row is zero.
    """
    nyquist = sample_rate / 2.0
    linear_hz = np.linspace(0.0, nyquist, num_spectrogram_bins, dtype=np.float64)[1:]
    spectrogram_mel = _hertz_to_mel(linear_hz)[:, np.newaxis]
    edges = np.linspace(
        _hertz_to_mel(np.float64(lower_edge_hertz)),
        _hertz_to_mel(np.float64(upper_edge_hertz)),
        num_mel_bins + 2,
        dtype=np.float64,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    lower_slopes = (spectrogram_mel - lower) / (center - lower)
    upper_slopes = (upper - spectrogram_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    weights = np.pad(weights, [[1, 0], [0, 0]])
    return weights.astype(np.float32)


def dct_ii_matrix(num_mel_bins: int, num_mfccs: int) -> np.ndarray:
    """MFCC matrix (mel bins, MFCCs): DCT-II scaled by ``sqrt(2 / N)`` for every k."""
    n = np.arange(num_mel_bins, dtype=np.float64)[:, np.newaxis]
    k = np.arange(num_mfccs, dtype=np.float64)[np.newaxis, :]
    basis = np.cos(np.pi * k * (2.0 * n + 1.0) / (2.0 * num_mel_bins))
    return (basis * math.sqrt(2.0 / num_mel_bins)).astype(np.float32)


# ----------------------------------------------------------------------- frontend
def frame_view(audio: np.ndarray, frame_length: int, frame_step: int) -> np.ndarray:
    """Overlapping frames along the last axis (``pad_end=False``) as a view, no copy.

    ``(..., samples)`` -> ``(..., frames, frame_length)``. Built with the ndarray
    constructor: ``sliding_window_view``/``as_strided`` cost 7-10 µs more per call.
    """
    x = np.ascontiguousarray(audio, dtype=np.float32)
    count = max(0, 1 + (x.shape[-1] - frame_length) // frame_step) if x.shape[-1] >= frame_length else 0
    shape = (*x.shape[:-1], count, frame_length)
    strides = (*x.strides[:-1], frame_step * x.itemsize, x.itemsize)
    return np.ndarray(shape, np.float32, buffer=x, strides=strides)


_BLAS_LIMITED: object | None = None  # the threadpoolctl limit, once applied


def limit_blas_threads() -> None:
    """Let BLAS run on the calling thread only, in this whole process (idempotent).

    OpenBLAS starts worker threads for products above ~262 k multiply-adds (the
    reference's whole-window mel product, every training batch); on a busy machine
    (or a Pi drawing plots) those threads spin and wait for a core: the reference's
    49x254x40 product took 11.9 ms instead of 29 µs on this 2-core machine under
    load, and batch features of 512 clips 594 ms instead of 155 ms. The frontend's
    products are small, so one thread is also the fastest when the machine is idle.
    Called by the streaming engine, the model timing and ``kws-train``.
    """
    global _BLAS_LIMITED
    if _BLAS_LIMITED is None:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMITED = threadpool_limits(limits=1, user_api="blas")


def _pocketfft_r2c() -> Callable[[np.ndarray, np.ndarray | None], np.ndarray] | None:
    """``scipy.fft``'s pocketfft kernel, called without ``scipy.fft``'s dispatch, or None.

    ``scipy.fft.rfft`` spends ~5 µs per call on its backend dispatch and argument
    checks before the kernel (as long as the FFTs of a hop's 6-7 frames). The kernel
    (``scipy.fft._pocketfft.pypocketfft.r2c``, the same call ``scipy.fft.rfft`` ends in
    since scipy 1.4) is private: it is used only when it exists and gives exactly what
    ``scipy.fft.rfft`` gives on a test stack; otherwise :func:`rfft` uses ``scipy.fft``.
    """
    try:
        from scipy.fft._pocketfft import pypocketfft

        kernel = pypocketfft.r2c
        probe = np.cos(np.arange(3 * 16, dtype=np.float32)).reshape(3, 16)
        got = kernel(probe, (-1,), True, 0, None, 1)
        want = scipy.fft.rfft(probe, axis=-1)
        if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
            return None
    except Exception:  # another scipy: the public call
        return None
    return lambda frames, out: kernel(frames, (-1,), True, 0, out, 1)


_R2C = _pocketfft_r2c()


def rfft(frames: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """One-sided FFT along the last axis, zero-padded to ``n``; float32 in, complex64 out.

    ``scipy.fft`` keeps single precision (NumPy < 2 computes in complex128) and is
    faster than ``numpy.fft`` on stacks of frames; float32 frames of length ``n`` go to
    its kernel directly (:func:`_pocketfft_r2c`, the same numbers without the dispatch),
    which writes into ``out`` (complex64, ``frames.shape[:-1] + (n // 2 + 1,)``) when
    given. Other calls return a new array, ``out`` unused: use the result, not ``out``.
    """
    if frames.shape[-1] == n:  # no padding
        if _R2C is not None and frames.dtype == np.float32:
            return _R2C(frames, out)
        return scipy.fft.rfft(frames, axis=-1)
    return scipy.fft.rfft(frames, n=n, axis=-1)


class Frontend:
    """Computes features for a :class:`FrontendConfig`; matrices are built once.

    Every path (one window, a batch of clips, the streaming frames of
    :class:`~kws_gui.core.streaming_features.StreamingFeatures`) goes through
    :meth:`frame_features`. Framing, window, FFT and magnitudes (nearly all the work)
    run in float32; only the spectrogram bins that some mel filter covers
    (:attr:`mel_band`) become magnitudes. The two small projections (mel weights, DCT)
    and the log accumulate in float64 before the float32 result: BLAS rounds a
    float32 product differently for different numbers of rows (up to 2 ulps,
    7.6e-6 on an MFCC c0 of -78 here), and a frame's features must not depend on how
    many frames are computed together (streaming vs whole window vs batch).
    """

    def __init__(self, config: FrontendConfig) -> None:
        self.config = config

    @cached_property
    def window(self) -> np.ndarray:
        return periodic_hann(self.config.frame_length)

    @cached_property
    def fft_size(self) -> int:
        """``config.fft_size``, looked up once (frame_features runs every hop)."""
        return self.config.fft_size

    @cached_property
    def mel_matrix(self) -> np.ndarray:
        c = self.config
        return linear_to_mel_weight_matrix(
            c.num_mel_bins, c.num_spectrogram_bins, c.sample_rate, c.lower_edge_hz, c.upper_edge_hz
        )

    @cached_property
    def mel_band(self) -> tuple[int, int]:
        """First and one-past-last spectrogram bin with a non-zero mel weight."""
        rows = np.flatnonzero(self.mel_matrix.any(axis=1))
        return (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 1)

    @cached_property
    def band_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each spectrogram bin in :attr:`mel_band`, float64."""
        lo, hi = self.mel_band
        return np.arange(lo, hi) * (self.config.sample_rate / self.fft_size)

    @cached_property
    def band_mel_matrix(self) -> np.ndarray:
        """The rows of :attr:`mel_matrix` in :attr:`mel_band` (the others are zero), float64."""
        lo, hi = self.mel_band
        return self.mel_matrix[lo:hi].astype(np.float64)

    @cached_property
    def _dct_matrix64(self) -> np.ndarray | None:
        return None if self.dct_matrix is None else self.dct_matrix.astype(np.float64)

    @cached_property
    def dct_matrix(self) -> np.ndarray | None:
        c = self.config
        return None if c.num_mfccs is None else dct_ii_matrix(c.num_mel_bins, int(c.num_mfccs))

    # --------------------------------------------------------------- stages
    def frames(self, audio: np.ndarray) -> np.ndarray:
        """Frame a 1-D signal (``pad_end=False``): shape (frames, frame_length)."""
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"audio must be 1-D, got shape {x.shape}")
        return frame_view(x, self.config.frame_length, self.config.frame_step)

    def magnitude_spectrogram(self, audio: np.ndarray) -> np.ndarray:
        """|STFT| with a periodic Hann window: shape (frames, fft_size // 2 + 1)."""
        return np.abs(rfft(self.frames(audio) * self.window, self.config.fft_size))

    def frame_features(self, frames: np.ndarray, band_gain: np.ndarray | None = None) -> np.ndarray:
        """The features of frames: (..., frame_length) float32 -> (..., features) float32.

        Window, FFT, magnitude of the mel band, mel weights, ``log(mel + 1e-6)``, DCT.
        ``band_gain`` (training only) multiplies the magnitudes of the mel band, bin by
        bin (:attr:`band_frequencies`): a microphone's frequency response; it must
        broadcast against ``(..., mel band bins)``.
        """
        lo, hi = self.mel_band
        spectrum = rfft(frames * self.window, self.fft_size)
        magnitude = np.abs(spectrum[..., lo:hi])
        if band_gain is not None:
            magnitude *= band_gain
        shape = magnitude.shape[:-1]
        # One 2-D product: NumPy runs a stacked (3-D) matmul as one small GEMM per clip.
        feats = magnitude.reshape(-1, hi - lo) @ self.band_mel_matrix
        feats += LOG_OFFSET
        np.log(feats, out=feats)
        if self._dct_matrix64 is not None:
            feats = feats @ self._dct_matrix64
        return feats.astype(np.float32).reshape(*shape, feats.shape[-1])

    def log_mel(self, audio: np.ndarray) -> np.ndarray:
        """``log(mel + 1e-6)``: shape (frames, mel bins)."""
        mel = self.magnitude_spectrogram(audio) @ self.mel_matrix
        return np.log(mel + LOG_OFFSET)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """The model's features for a signal of any length: shape (frames, features)."""
        return self.frame_features(self.frames(audio))

    def window_features(self, window: np.ndarray) -> np.ndarray:
        """Features of exactly one clip (padded with zeros / cropped to the clip length)."""
        return self.features(fit_to_length(window, self.config.clip_samples))

    def batch_features(
        self, clips: np.ndarray, batch_size: int = 256, band_gain: np.ndarray | None = None
    ) -> np.ndarray:
        """Features of a batch of equal-length clips: (n, samples) -> (n, frames, features).

        Vectorised over the batch; clips are padded / cropped to the clip length first.
        ``band_gain`` (n, mel band bins): each clip's magnitude gains (see :meth:`frame_features`).
        """
        c = self.config
        clips = np.asarray(clips, dtype=np.float32)
        if clips.ndim != 2:
            raise ValueError(f"clips must be 2-D (n, samples), got shape {clips.shape}")
        if clips.shape[1] != c.clip_samples:
            clips = (
                np.stack([fit_to_length(x, c.clip_samples) for x in clips])
                if len(clips)
                else (np.zeros((0, c.clip_samples), np.float32))
            )
        out = np.empty((clips.shape[0], *c.feature_shape), dtype=np.float32)
        for start in range(0, clips.shape[0], batch_size):
            chunk = clips[start : start + batch_size]
            framed = frame_view(chunk, c.frame_length, c.frame_step)
            gain = None if band_gain is None else band_gain[start : start + len(chunk), None, :]
            out[start : start + len(chunk)] = self.frame_features(framed, gain)
        return out


def fit_to_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Zero-pad at the end or crop at the end to ``length`` samples (float32)."""
    x = np.asarray(audio, dtype=np.float32)
    if x.shape[0] == length:
        return x
    if x.shape[0] > length:
        return x[:length]
    return np.pad(x, (0, length - x.shape[0]))
