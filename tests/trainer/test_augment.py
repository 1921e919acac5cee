"""trainer.augment: time shift and background noise within the recipe's bounds."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.augment import AugmentConfig, Augmenter, SpecAugmentConfig, spec_augment

SR = 16000


def ramp_batch(n: int = 64) -> np.ndarray:
    """Rows whose samples encode their own position: shifts are easy to measure."""
    return np.tile(np.linspace(0.01, 0.5, SR, dtype=np.float32), (n, 1))


def measured_shift(original: np.ndarray, shifted: np.ndarray) -> int:
    """Shift (samples, + = right) that maps ``original`` onto ``shifted``."""
    nz = np.flatnonzero(shifted)
    first = shifted[nz[0]]
    return int(nz[0] - np.argmin(np.abs(original - first)))


def test_shift_only_moves_and_zero_fills() -> None:
    audio = ramp_batch()
    aug = Augmenter(AugmentConfig(time_shift_s=0.1, background_frequency=0.0), noise=[])
    out = aug(audio, np.random.default_rng(1))
    assert out.shape == audio.shape and out.dtype == np.float32
    assert not np.shares_memory(out, audio)
    np.testing.assert_array_equal(audio, ramp_batch())  # input untouched
    shifts = [measured_shift(audio[i], out[i]) for i in range(len(out))]
    assert max(abs(s) for s in shifts) <= 1600
    assert len(set(shifts)) > 10 and min(shifts) < 0 < max(shifts)
    for row, s in zip(out, shifts, strict=True):
        if s > 0:
            assert not row[:s].any()
            np.testing.assert_array_equal(row[s:], audio[0][: SR - s])
        elif s < 0:
            assert not row[SR + s :].any()
            np.testing.assert_array_equal(row[: SR + s], audio[0][-s:])


def test_no_shift_and_no_noise_is_identity() -> None:
    audio = ramp_batch(4)
    aug = Augmenter(AugmentConfig(time_shift_s=0.0, background_frequency=0.0), noise=[np.ones(SR)])
    np.testing.assert_array_equal(aug(audio, np.random.default_rng(0)), audio)


def test_noise_volume_frequency_and_windows() -> None:
    n = 2000
    silent = np.zeros((n, SR), dtype=np.float32)
    noise = np.linspace(-1.0, 1.0, 5 * SR, dtype=np.float64)  # a window's values give away its offset
    step = noise[1] - noise[0]
    cfg = AugmentConfig(time_shift_s=0.0, background_frequency=0.8, background_volume=0.1)
    out = Augmenter(cfg, [noise.astype(np.float32)])(silent, np.random.default_rng(2))
    noisy = np.flatnonzero(np.abs(out).max(axis=1) > 0)
    assert abs(len(noisy) / n - 0.8) < 0.04
    gains, offsets = [], []
    for i in noisy[:300]:
        row = out[i].astype(np.float64)
        gain = (row[-1] - row[0]) / (step * (SR - 1))
        offset = (row[0] / gain + 1.0) / step
        np.testing.assert_allclose(row, gain * noise[int(round(offset)) :][:SR], atol=1e-5)
        gains.append(gain)
        offsets.append(offset)
    assert 0 < min(gains) < 0.01 and 0.09 < max(gains) <= 0.1 + 1e-6
    assert min(offsets) > -0.5 and max(offsets) < 4 * SR + 0.5 and np.std(offsets) > SR


def test_output_is_clipped_and_short_noise_is_repeated() -> None:
    loud = np.full((50, SR), 0.98, dtype=np.float32)
    cfg = AugmentConfig(time_shift_s=0.0, background_frequency=1.0, background_volume=1.0)
    out = Augmenter(cfg, [np.full(100, 1.0, dtype=np.float32)])(loud, np.random.default_rng(3))
    assert out.max() <= 1.0 and out.min() >= -1.0
    assert np.all(out[:, -1] >= 0.98)  # noise covered the whole clip, not only 100 samples
    assert np.any(out == 1.0)


def test_reproducible_with_the_same_seed() -> None:
    audio = ramp_batch(8)
    aug = Augmenter(AugmentConfig(), [np.random.default_rng(0).normal(0, 0.3, 3 * SR)])
    a = aug(audio, np.random.default_rng(42))
    b = aug(audio, np.random.default_rng(42))
    c = aug(audio, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_shift_s": -0.1},
        {"background_frequency": 1.5},
        {"background_volume": float("nan")},
        {"noise_snr_db": (30.0, 0.0)},
        {"noise_snr_db": (0.0,)},
        {"gain_db": (-10.0, float("inf"))},
        {"speed": 0.7},
        {"reverb_probability": -0.1},
        {"reverb_rt60_s": (0.1, 5.0)},
        {"channel_probability": 1.5},
        {"channel_tilt_db": -1.0},
        {"channel_lowpass_hz": (4000.0, 1000.0)},
    ],
)
def test_bad_config_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        AugmentConfig(**kwargs)


def test_bad_shapes_and_empty_batches() -> None:
    aug = Augmenter(AugmentConfig(), [])
    with pytest.raises(ValueError, match="2-D"):
        aug(np.zeros(SR, np.float32), np.random.default_rng(0))
    assert aug(np.zeros((0, SR), np.float32), np.random.default_rng(0)).shape == (0, SR)


def test_shift_longer_than_the_clip_is_limited() -> None:
    audio = np.ones((20, 800), dtype=np.float32)
    out = Augmenter(AugmentConfig(time_shift_s=1.0, background_frequency=0.0), [])(
        audio, np.random.default_rng(0)
    )
    assert out.shape == audio.shape and np.all(out.sum(axis=1) >= 1)


def tone_batch(n: int, level: float = 0.1) -> np.ndarray:
    t = np.arange(SR) / SR
    return np.tile((level * np.sin(2 * np.pi * 440 * t)).astype(np.float32), (n, 1))


def rms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(np.square(x.astype(np.float64)), axis=-1))


def test_noise_at_a_signal_to_noise_ratio() -> None:
    clean = tone_batch(400, level=0.05)
    noise = np.random.default_rng(0).normal(0, 0.3, 3 * SR).astype(np.float32)
    cfg = AugmentConfig(time_shift_s=0.0, background_frequency=1.0, noise_snr_db=(5.0, 20.0))
    out = Augmenter(cfg, [noise])(clean, np.random.default_rng(1))
    snr = 20 * np.log10(rms(clean) / rms(out - clean))
    assert snr.min() > 4.9 and snr.max() < 20.1 and snr.std() > 3  # spread over the range
    silent = np.zeros((20, SR), np.float32)  # no signal: the volume rule applies instead
    quiet = Augmenter(cfg, [noise])(silent, np.random.default_rng(2))
    assert rms(quiet).max() <= 0.1 * 0.3 * 1.05


def test_gain_scales_and_loud_clips_clip() -> None:
    clean = tone_batch(300, level=0.5)
    cfg = AugmentConfig(time_shift_s=0.0, background_frequency=0.0, gain_db=(-20.0, 12.0))
    out = Augmenter(cfg, [])(clean, np.random.default_rng(3))
    gains = 20 * np.log10(np.abs(out).max(axis=1) / 0.5)
    assert gains.min() >= -20.01 and gains.min() < -15
    clipped = np.abs(out).max(axis=1) >= 1.0
    assert 0.1 < clipped.mean() < 0.5  # above +6 dB a 0.5 tone hits full scale
    assert np.all(np.abs(out) <= 1.0)


def test_speed_perturbation_inside_the_augmenter() -> None:
    clean = tone_batch(50)
    out = Augmenter(AugmentConfig(time_shift_s=0.0, background_frequency=0.0, speed=0.2), [])(
        clean, np.random.default_rng(4)
    )
    spectrum = np.abs(np.fft.rfft(out, axis=1))
    peaks = spectrum.argmax(axis=1)  # bin = Hz for a 1 s clip
    assert peaks.min() >= 440 * 0.8 - 2 and peaks.max() <= 440 * 1.2 + 2 and peaks.std() > 10


def test_reverb_adds_a_decaying_tail_to_a_share_of_clips() -> None:
    clicks = np.zeros((400, SR), np.float32)
    clicks[:, SR // 4] = 0.5
    cfg = AugmentConfig(time_shift_s=0.0, background_frequency=0.0, reverb_probability=0.5)
    out = Augmenter(cfg, [])(clicks, np.random.default_rng(5))
    tail = np.abs(out[:, SR // 4 + 40 :]).sum(axis=1) > 1e-3
    assert 0.4 < tail.mean() < 0.6
    np.testing.assert_array_equal(out[~tail], clicks[~tail])  # the others untouched
    wet = out[tail]
    assert np.abs(wet[:, : SR // 4]).max() < 1e-6  # causal: nothing before the click (FFT round-off)
    early = np.abs(wet[:, SR // 4 + 40 : SR // 4 + 800]).mean(axis=1)
    late = np.abs(wet[:, SR // 4 + 6000 : SR // 4 + 6800]).mean(axis=1)
    assert np.all(late < early)


def test_spec_augment_masks_bands_with_the_fill_value() -> None:
    features = np.ones((200, 61, 16), np.float32)
    fill = np.arange(16, dtype=np.float32) + 10
    out = spec_augment(features, np.random.default_rng(6), masks=2, time_width=6, freq_width=2, fill=fill)
    assert out is features
    masked = features != 1
    assert masked.any(axis=(1, 2)).mean() > 0.8
    np.testing.assert_array_equal(features[masked], np.broadcast_to(fill, features.shape)[masked])
    frames_fully_masked = masked.all(axis=2).sum(axis=1)
    assert frames_fully_masked.max() <= 12  # two time masks of at most 6 frames
    bins_fully_masked = masked.all(axis=1).sum(axis=1)
    assert bins_fully_masked.max() <= 4
    untouched = np.ones((5, 61, 16), np.float32)
    spec_augment(untouched, np.random.default_rng(0), masks=0, time_width=6, freq_width=2)
    assert np.all(untouched == 1)
    with pytest.raises(ValueError, match="masks"):
        SpecAugmentConfig(masks=-1)


def test_microphone_responses_on_a_share_of_clips_within_their_bounds() -> None:
    config = AugmentConfig(channel_probability=0.5, channel_tilt_db=6.0)
    aug = Augmenter(config, [])
    freqs = np.array([50.0, 250.0, 1000.0, 4000.0])
    gains = aug.channel_gains(400, freqs, np.random.default_rng(0))
    assert gains.shape == (400, 4) and gains.dtype == np.float32
    coloured = ~np.all(gains == 1.0, axis=1)
    assert 0.4 < coloured.mean() < 0.6  # about half the clips
    assert np.all(gains > 0) and np.all(np.isfinite(gains))
    db = 20 * np.log10(gains[coloured])
    # at 1 kHz only the filters act; 2 octaves away the tilt alone reaches at most 12 dB
    assert np.all(db[:, 2] <= 1e-4) and np.all(db[:, 2] > -10.0)
    assert np.all(db[:, 3] <= 12.0 + 1e-3)
    assert (db[:, 0] < -12.0).any() and (db[:, 3] > 6.0).any()  # thin and bright ones both occur
    again = aug.channel_gains(400, freqs, np.random.default_rng(0))
    np.testing.assert_array_equal(gains, again)
    assert Augmenter(AugmentConfig(), []).channel_gains(4, freqs, np.random.default_rng(0)) is None
