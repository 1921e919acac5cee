"""Training-time augmentation, as in the Speech Commands recipe (``input_data.py``).

For every clip of a batch:

1. **time shift** by a whole number of samples drawn uniformly from
   ``[-time_shift_s, +time_shift_s]`` (100 ms by default), the gap filled with zeros;
2. **background noise** on a ``background_frequency`` share of the clips (0.8): a
   window of a random ``_background_noise_`` recording, at a random offset, scaled by
   ``U(0, background_volume)`` (0.1), added to the clip;
3. the sum is clipped to ``[-1, 1]``.

NumPy only (no TensorFlow): the random draws and the shift are vectorised over
the batch, the noise is added with one multiply-add per noisy row. The caller
passes the ``np.random.Generator`` so runs are reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CHUNK_ROWS = 256  # bounds the zero-padded copy made for shifting


@dataclass
class AugmentConfig:
    """Augmentation settings; the defaults are the Speech Commands recipe's."""

    time_shift_s: float = 0.1
    background_frequency: float = 0.8
    background_volume: float = 0.1

    def __post_init__(self) -> None:
        checks = {
            "time_shift_s": (self.time_shift_s, 0.0, math.inf),
            "background_frequency": (self.background_frequency, 0.0, 1.0),
            "background_volume": (self.background_volume, 0.0, math.inf),
        }
        for name, (value, low, high) in checks.items():
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not math.isfinite(value)
                or not low <= value <= high
            ):
                bound = f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
                raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


class Augmenter:
    """Applies :class:`AugmentConfig` to batches of equal-length clips.

    ``noise`` are background-noise recordings at ``sample_rate`` (e.g. from
    :func:`trainer.data.load_background_noise`); with none, only shifting is done.
    Recordings shorter than a clip are repeated to a clip's length when used.
    """

    def __init__(self, config: AugmentConfig, noise: list[np.ndarray], sample_rate: int = 16000) -> None:
        self.config = config
        self.sample_rate = int(sample_rate)
        self.noise = [np.asarray(n, dtype=np.float32).reshape(-1) for n in noise]
        self.noise = [n for n in self.noise if n.size > 0 and np.all(np.isfinite(n))]
        self.max_shift = int(round(config.time_shift_s * self.sample_rate))

    def _noise_for(self, index: int, samples: int) -> np.ndarray:
        """Recording ``index``, repeated if needed so that it holds at least ``samples``."""
        noise = self.noise[index]
        if noise.size < samples:
            noise = np.resize(noise, samples)
        return noise

    def shift(self, audio: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Shift each row right by ``amounts[i]`` samples (left if negative), zero-filled.

        One gather over a zero-padded copy: row ``i`` is the window of the padded row
        that starts ``amounts[i]`` samples before the original start.
        """
        n, samples = audio.shape
        amounts = np.asarray(amounts, dtype=np.int64)
        margin = int(np.abs(amounts).max()) if n else 0
        if margin == 0:
            return audio.copy()
        if margin >= samples:
            raise ValueError(f"shift of {margin} samples is not shorter than the clip ({samples})")
        out = np.empty_like(audio)
        for start in range(0, n, CHUNK_ROWS):
            rows = audio[start : start + CHUNK_ROWS]
            padded = np.pad(rows, ((0, 0), (margin, margin)))
            windows = np.lib.stride_tricks.sliding_window_view(padded, samples, axis=1)
            out[start : start + len(rows)] = windows[
                np.arange(len(rows)), margin - amounts[start : start + CHUNK_ROWS]
            ]
        return out

    def __call__(self, audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augmented copy of ``audio`` (shape (n, samples), float32); the input is untouched."""
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"audio must be 2-D (n, samples), got shape {x.shape}")
        n, samples = x.shape
        if n == 0:
            return x.copy()
        limit = min(self.max_shift, samples - 1)
        if limit > 0:
            amounts = rng.integers(-limit, limit + 1, size=n)
            out = self.shift(x, amounts)
        else:
            out = x.copy()
        cfg = self.config
        if self.noise and cfg.background_frequency > 0 and cfg.background_volume > 0:
            which = rng.integers(0, len(self.noise), size=n)
            active = rng.random(n) < cfg.background_frequency
            volumes = rng.uniform(0.0, cfg.background_volume, size=n).astype(np.float32)
            offsets = rng.random(n)
            noises = [self._noise_for(k, samples) for k in range(len(self.noise))]
            # Row by row: each step is one fused multiply-add over a contiguous slice,
            # cheaper than gathering (rows x samples) windows with fancy indexing.
            for i in np.flatnonzero(active):
                noise = noises[which[i]]
                start = int(offsets[i] * (noise.size - samples + 1))
                out[i] += volumes[i] * noise[start : start + samples]
        np.clip(out, -1.0, 1.0, out=out)
        return out
