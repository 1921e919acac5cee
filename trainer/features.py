"""Feature helpers for training: per-epoch features of augmented audio, feature statistics.

NumPy only (no TensorFlow). Features come from :class:`kws_gui.core.frontend.Frontend`,
the same code the app runs, so training and inference see identical features.
"""

from __future__ import annotations

import numpy as np

from kws_gui.core.frontend import Frontend
from trainer.augment import Augmenter, SpecAugmentConfig, spec_augment

DEFAULT_BATCH = 512


def augmented_features(
    audio: np.ndarray,
    frontend: Frontend,
    augmenter: Augmenter | None,
    rng: np.random.Generator,
    batch_size: int = DEFAULT_BATCH,
    spec: SpecAugmentConfig | None = None,
    fill: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Features of a freshly augmented copy of ``audio`` (n, samples) -> (n, frames, features).

    Call once per epoch for new shifts, noise and microphone responses. Works in batches of ``batch_size``
    clips so memory stays bounded; ``augmenter=None`` gives the plain features.
    ``spec`` adds SpecAugment masks filled with ``fill`` (the training mean per bin).
    """
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"audio must be 2-D (n, samples), got shape {x.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    out = np.empty((x.shape[0], *frontend.config.feature_shape), dtype=np.float32)
    for start in range(0, x.shape[0], batch_size):
        chunk = x[start : start + batch_size]
        gains = None
        if augmenter is not None:
            chunk = augmenter(chunk, rng)
            gains = augmenter.channel_gains(len(chunk), frontend.band_frequencies, rng)
        out[start : start + len(chunk)] = frontend.batch_features(chunk, band_gain=gains)
    if spec is not None and spec.masks > 0:
        spec_augment(out, rng, spec.masks, spec.time_width, spec.freq_width, fill)
    return out


def feature_stats(features: np.ndarray, min_std: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per feature bin over all clips and frames.

    ``features`` has shape (n, frames, features); both results have shape
    (features,), float32. ``std`` is floored at ``min_std`` so that dividing by it
    is always safe (a constant bin would otherwise give 0).
    """
    f = np.asarray(features)
    if f.ndim != 3 or f.shape[0] == 0 or f.shape[1] == 0:
        raise ValueError(f"features must be (n, frames, features) with n, frames > 0, got shape {f.shape}")
    flat = f.reshape(-1, f.shape[-1]).astype(np.float64)
    mean = flat.mean(axis=0)
    std = np.sqrt(np.maximum(flat.var(axis=0), 0.0))
    return mean.astype(np.float32), np.maximum(std, min_std).astype(np.float32)
