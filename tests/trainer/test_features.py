"""trainer.features: per-epoch augmented features, feature statistics."""

from __future__ import annotations

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN, REFERENCE, Frontend
from tests.trainer.conftest import synth_clip
from trainer.augment import AugmentConfig, Augmenter
from trainer.features import augmented_features, feature_stats


def clips(n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.stack([synth_clip(i % 2, rng) for i in range(n)])


def test_without_augmenter_equals_the_frontend() -> None:
    audio = clips()
    frontend = Frontend(DS_CNN)
    out = augmented_features(audio, frontend, None, np.random.default_rng(0), batch_size=7)
    np.testing.assert_array_equal(out, frontend.batch_features(audio))


def test_matches_augmenting_then_featurising_in_batches() -> None:
    audio = clips()
    frontend = Frontend(REFERENCE)
    aug = Augmenter(AugmentConfig(), [np.random.default_rng(1).normal(0, 0.3, 32000).astype(np.float32)])
    out = augmented_features(audio, frontend, aug, np.random.default_rng(5), batch_size=16)
    assert out.shape == (40, 49, 40) and out.dtype == np.float32
    rng = np.random.default_rng(5)
    expected = np.concatenate(
        [frontend.batch_features(aug(audio[i : i + 16], rng)) for i in range(0, 40, 16)]
    )
    np.testing.assert_array_equal(out, expected)
    # A new epoch (the generator moved on) gives different features.
    again = augmented_features(audio, frontend, aug, np.random.default_rng(6), batch_size=16)
    assert not np.allclose(again, out)


def test_feature_stats_per_bin() -> None:
    rng = np.random.default_rng(3)
    means, stds = np.arange(16, dtype=np.float32), np.linspace(0.5, 3.0, 16, dtype=np.float32)
    features = (rng.normal(size=(300, 61, 16)) * stds + means).astype(np.float32)
    features[:, :, 5] = 2.0  # a constant bin
    mean, std = feature_stats(features)
    assert mean.shape == std.shape == (16,) and mean.dtype == std.dtype == np.float32
    keep = np.arange(16) != 5
    flat = features.reshape(-1, 16).astype(np.float64)
    np.testing.assert_allclose(mean, flat.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(std[keep], flat.std(axis=0)[keep], rtol=1e-5)
    np.testing.assert_allclose(mean[keep], means[keep], atol=0.1)  # per bin, not pooled
    np.testing.assert_allclose(std[keep], stds[keep], rtol=0.05)
    assert mean[5] == 2.0 and std[5] == pytest.approx(1e-6)
    normalised = (features - mean) / std
    assert np.all(np.isfinite(normalised))


@pytest.mark.parametrize("shape", [(0, 61, 16), (61, 16)])
def test_feature_stats_refuses_bad_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="features"):
        feature_stats(np.zeros(shape, np.float32))


def test_microphone_response_weights_the_spectrum_of_the_coloured_clips_only() -> None:
    fe = Frontend(DS_CNN)
    rng0 = np.random.default_rng(7)
    clips = np.stack([synth_clip(i % 2, rng0) for i in range(6)])
    config = AugmentConfig(time_shift_s=0.0, background_frequency=0.0, channel_probability=0.5)
    aug = Augmenter(config, [])
    coloured = augmented_features(clips, fe, aug, np.random.default_rng(3))
    plain = fe.batch_features(clips)
    rng = np.random.default_rng(3)
    aug(clips, rng)  # the same draws as augmented_features makes
    gains = aug.channel_gains(len(clips), fe.band_frequencies, rng)
    same = np.all(gains == 1.0, axis=1)
    assert same.any() and (~same).any()
    np.testing.assert_array_equal(coloured[same], plain[same])
    assert np.abs(coloured[~same] - plain[~same]).max() > 0.1
    # a flat gain of g adds log(g) to every log-mel band: the MFCC c0 of each frame moves by
    # log(g) times the DCT's c0 weight, the other coefficients stay
    flat = fe.batch_features(clips, band_gain=np.full((6, fe.band_frequencies.size), 2.0, np.float32))
    shift = flat - plain
    loud = plain[..., 0] > np.median(plain[..., 0])  # frames well above the log offset
    np.testing.assert_allclose(shift[..., 0][loud], np.log(2.0) * fe.dct_matrix[:, 0].sum(), rtol=1e-2)
    assert np.abs(shift[..., 1:][loud]).max() < 1e-2
