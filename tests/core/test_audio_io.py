"""Audio files are decoded to 16 kHz mono float32, or refused with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from kws_gui.core.audio_io import AudioFileError, read_audio


def _tone(rate: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_16k_mono_is_read_unchanged(tmp_path) -> None:
    x = _tone(16000, 0.5)
    soundfile.write(tmp_path / "a.wav", x, 16000, subtype="FLOAT")
    y = read_audio(tmp_path / "a.wav")
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_8k_is_resampled_and_keeps_its_pitch(tmp_path) -> None:
    soundfile.write(tmp_path / "a.wav", _tone(8000, 1.0, 500.0), 8000, subtype="PCM_16")
    y = read_audio(tmp_path / "a.wav")
    assert abs(len(y) - 16000) <= 1
    peak_hz = np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)
    assert abs(peak_hz - 500.0) < 2.0


def test_stereo_is_mixed_down(tmp_path) -> None:
    left = _tone(16000, 0.25)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    soundfile.write(tmp_path / "s.wav", stereo, 16000, subtype="FLOAT")
    y = read_audio(tmp_path / "s.wav")
    assert y.ndim == 1
    np.testing.assert_allclose(y, left / 2, atol=1e-6)


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00garbage-bytes-not-a-wav" * 3])
def test_unreadable_files_raise_audio_file_error(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match="bad.wav"):
        read_audio(path)


def test_wav_with_no_samples_is_refused(tmp_path) -> None:
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioFileError, match="no audio samples"):
        read_audio(tmp_path / "empty.wav")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(AudioFileError):
        read_audio(tmp_path / "nope.wav")
