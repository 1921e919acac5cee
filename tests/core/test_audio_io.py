"""Audio files are decoded to 16 kHz mono float32, or refused with a clear message."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile

from kws_gui.core.audio_io import (
    MAX_CHANNELS,
    AudioFileError,
    AudioReader,
    audio_info,
    read_audio,
    resample,
)
from tests.core.conftest import declare_rate, write_long_noise


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


# ------------------------------------------------------------------ hostile files (issue 8)
def test_a_header_claiming_1_hz_is_refused_before_decoding(tmp_path) -> None:
    # 40 KB of samples that claim 1 Hz would decode and resample to hours of audio (2.5 GB).
    path = tmp_path / "one_hz.wav"
    soundfile.write(path, np.zeros(20000, np.float32), 16000, subtype="PCM_16")
    declare_rate(path, 1)
    with pytest.raises(AudioFileError, match=r"one_hz\.wav.*1 Hz.*4000-192000 Hz"):
        read_audio(path)
    with pytest.raises(AudioFileError, match="1 Hz"):
        audio_info(path)


def test_too_many_channels_are_refused(tmp_path) -> None:
    path = tmp_path / "many.wav"
    soundfile.write(path, np.zeros((10, MAX_CHANNELS + 1), np.float32), 16000, subtype="PCM_16")
    with pytest.raises(AudioFileError, match=f"many.wav.*{MAX_CHANNELS + 1} channels"):
        read_audio(path)


def test_max_seconds_decodes_only_what_is_needed(tmp_path) -> None:
    # 2 min of 48 kHz stereo: decoding it whole takes > 20 MB; a 1 s clip loader needs ~100 KB.
    path = write_long_noise(tmp_path / "long.wav", 120)
    full_first_second = read_audio(path)[:16000]
    tracemalloc.start()
    try:
        clip = read_audio(path, max_seconds=1.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clip.shape == (16000,)
    np.testing.assert_array_equal(clip, full_first_second)  # the same samples as a whole-file decode
    assert peak < 4_000_000, peak
    with pytest.raises(AudioFileError, match=r"long\.wav: 2\.0 min long, more than the 30 s"):
        read_audio(path, max_file_seconds=30)


def test_block_reader_matches_whole_file_resampling(tmp_path) -> None:
    x = _tone(44100, 2.0, 700.0)
    soundfile.write(tmp_path / "a.wav", x, 44100, subtype="FLOAT")
    reader = AudioReader(tmp_path / "a.wav", block_frames=1000)
    streamed = np.concatenate(list(reader.blocks()))
    np.testing.assert_array_equal(streamed, resample(x, 44100, 16000))
    assert reader.duration_s == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda p: p.write_text("just some notes"),
            r"notes\.wav: cannot read audio: not a readable audio file \(expected WAV, FLAC or OGG",
        ),
        (lambda p: p.mkdir(), r"notes\.wav: cannot read audio: it is a folder"),
        (lambda p: None, r"notes\.wav: cannot read audio: no such file"),
    ],
    ids=["text", "folder", "missing"],
)
def test_messages_name_the_file_and_what_was_expected(tmp_path, make, expected: str) -> None:
    path = tmp_path / "notes.wav"
    make(path)
    with pytest.raises(AudioFileError, match=expected) as info:
        read_audio(path)
    assert "System error" not in str(info.value)
