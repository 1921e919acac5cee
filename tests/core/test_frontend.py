"""The NumPy frontend matches tf.signal (1e-4) on both presets; bad configs name the field."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kws_gui.core.frontend import (
    DS_CNN,
    PRESETS,
    REFERENCE,
    Frontend,
    FrontendConfig,
    FrontendConfigError,
    fit_to_length,
)

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def tf():
    pytest.importorskip("tensorflow", reason='the train extra is not installed (pip install -e ".[train]")')
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    from trainer.tf_setup import import_tf

    return import_tf().tf


def _clips(n: int = 3, seed: int = 0) -> np.ndarray:
    """Test signals: a chirp, noise, a quiet tone (1 s at 16 kHz), each over a noise floor.

    Recorded audio always has a noise floor. A mathematically pure chirp leaves mel
    bins at ~1e-6, where ``log(mel + 1e-6)`` turns float32 FFT rounding (TF and NumPy
    round differently) into differences of ~0.1: a property of the log, not of the
    frontend, so the test signals carry a -60 dB floor.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000.0
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 1500 * t) * t) + 0.001 * rng.standard_normal(16000)
    noise = 0.3 * rng.standard_normal(16000)
    tone = 0.05 * np.sin(2 * np.pi * 440 * t) + 0.001 * rng.standard_normal(16000)
    return np.stack([chirp, noise, tone])[:n].astype(np.float32)


def _tf_features(tf, config: FrontendConfig, audio: np.ndarray) -> np.ndarray:
    stft = tf.signal.stft(
        audio,
        frame_length=config.frame_length,
        frame_step=config.frame_step,
        fft_length=config.fft_size,
        window_fn=tf.signal.hann_window,
        pad_end=False,
    )
    magnitude = tf.abs(stft)
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        config.num_mel_bins,
        magnitude.shape[-1],
        config.sample_rate,
        config.lower_edge_hz,
        config.upper_edge_hz,
    )
    log_mel = tf.math.log(tf.tensordot(magnitude, mel_matrix, 1) + 1e-6)
    if config.num_mfccs is None:
        return log_mel.numpy()
    return tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., : config.num_mfccs].numpy()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_features_match_tf_signal(tf, name: str) -> None:
    config = PRESETS[name]
    audio = _clips()
    expected = _tf_features(tf, config, audio)
    frontend = Frontend(config)
    batch = frontend.batch_features(audio)
    assert batch.shape == (len(audio), *config.feature_shape)
    np.testing.assert_allclose(batch, expected, atol=TOLERANCE, rtol=TOLERANCE)
    for clip, want in zip(audio, expected, strict=True):
        np.testing.assert_allclose(frontend.window_features(clip), want, atol=TOLERANCE, rtol=TOLERANCE)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_mel_matrix_matches_tf(tf, name: str) -> None:
    c = PRESETS[name]
    ours = Frontend(c).mel_matrix
    theirs = tf.signal.linear_to_mel_weight_matrix(
        c.num_mel_bins, c.num_spectrogram_bins, c.sample_rate, c.lower_edge_hz, c.upper_edge_hz
    ).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_preset_shapes() -> None:
    assert REFERENCE.feature_shape == (49, 40)
    assert DS_CNN.feature_shape == (61, 16)
    assert REFERENCE.fft_size == 1024 and DS_CNN.fft_size == 512


def test_short_and_long_windows_are_fitted() -> None:
    frontend = Frontend(DS_CNN)
    short = _clips(1)[0][:8000]
    assert frontend.window_features(short).shape == DS_CNN.feature_shape
    np.testing.assert_array_equal(
        frontend.window_features(short), frontend.features(fit_to_length(short, 16000))
    )
    long = np.concatenate([_clips(1)[0], _clips(1)[0]])
    assert frontend.window_features(long).shape == DS_CNN.feature_shape


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"num_mfccs": 20}, "num_mfccs"),
        ({"num_mfccs": 0}, "num_mfccs"),
        ({"upper_edge_hz": 9000.0}, "upper_edge_hz"),
        ({"lower_edge_hz": 5000.0, "upper_edge_hz": 4000.0}, "lower_edge_hz"),
        ({"frame_step_s": 0.05}, "frame_step_s"),
        ({"frame_length_s": 2.0}, "frame_length_s"),
        ({"sample_rate": 0}, "sample_rate"),
        ({"num_mel_bins": 2.5}, "num_mel_bins"),
        ({"fft_length": 100}, "fft_length"),
        ({"clip_duration_s": float("nan")}, "clip_duration_s"),
    ],
)
def test_config_errors_name_the_field(changes: dict, field: str) -> None:
    with pytest.raises(FrontendConfigError) as info:
        DS_CNN.replace(**changes)
    assert info.value.field == field
    assert field in str(info.value)


def test_from_dict_round_trip_and_unknown_key() -> None:
    for config in PRESETS.values():
        assert FrontendConfig.from_dict(config.to_dict()) == config
    with pytest.raises(FrontendConfigError) as info:
        FrontendConfig.from_dict({**DS_CNN.to_dict(), "hop": 1})
    assert info.value.field == "hop"


def test_rfft_gives_scipy_ffts_numbers_and_a_unit_band_gain_changes_nothing() -> None:
    import scipy.fft

    from kws_gui.core.frontend import frame_view, rfft

    rng = np.random.default_rng(2)
    frames = rng.standard_normal((2, 7, 512)).astype(np.float32)
    np.testing.assert_array_equal(rfft(frames, 512), scipy.fft.rfft(frames, axis=-1))
    np.testing.assert_array_equal(
        rfft(frames[..., :400], 512), scipy.fft.rfft(frames[..., :400], n=512, axis=-1)
    )
    assert rfft(frames, 512).dtype == np.complex64
    frontend = Frontend(DS_CNN)
    framed = frame_view(_clips(1)[0], DS_CNN.frame_length, DS_CNN.frame_step)
    unit = np.ones(frontend.band_frequencies.size, np.float32)
    np.testing.assert_array_equal(frontend.frame_features(framed, unit), frontend.frame_features(framed))
