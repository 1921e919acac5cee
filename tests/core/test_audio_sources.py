"""Audio sources: WAV file source, microphone through a fake sounddevice, and no PortAudio."""

from __future__ import annotations

import threading
import time
import tracemalloc

import numpy as np
import pytest
import soundfile

from kws_gui.core.audio import (
    AudioFileError,
    AudioSourceError,
    MicrophoneSource,
    WavFileSource,
    list_input_devices,
    portaudio_status,
)
from kws_gui.core.audio_io import read_audio
from tests.core.conftest import SR, FakeInputStream, declare_rate, silence, tone, write_long_noise


class Collector:
    """An on_samples callback that keeps every block."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.lock = threading.Lock()

    def __call__(self, block: np.ndarray) -> None:
        with self.lock:
            self.blocks.append(np.array(block, copy=True))

    @property
    def samples(self) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


# ------------------------------------------------------------------ WAV source
def test_wav_fast_delivers_every_sample_with_padding_then_finishes(write_wav) -> None:
    clip = tone(0.25, 0.5)
    source = WavFileSource(
        write_wav(clip), realtime=False, block_s=0.02, lead_silence_s=0.1, tail_silence_s=0.2
    )
    assert source.name == "WAV: clip.wav" and source.sample_rate == SR and not source.realtime
    got = Collector()
    source.start(got)
    assert source.wait(10)
    assert source.finished and not source.is_running and source.error is None
    expected = np.concatenate([silence(0.1), clip, silence(0.2)])
    np.testing.assert_allclose(got.samples, expected, atol=1 / 32768)
    assert {b.size for b in got.blocks[:-1]} == {320}


def test_wav_is_resampled_to_16k(write_wav) -> None:
    path = write_wav(tone(0.5, 0.5, 300.0)[::2], rate=8000)  # 0.5 s at 8 kHz
    source = WavFileSource(path, realtime=False)
    got = Collector()
    source.start(got)
    assert source.wait(10)
    assert got.samples.size == pytest.approx(SR * 0.5, abs=2)


@pytest.mark.parametrize(
    ("rate", "seconds", "block_s", "lead_s", "tail_s"),
    [(16000, 2.3, 0.02, 0.0, 0.0), (8000, 1.37, 0.0213, 0.013, 1.33), (44100, 0.7, 0.1, 2.1, 0.05)],
)
def test_wav_blocks_are_the_padded_file_cut_in_equal_blocks(
    write_wav, rate, seconds, block_s, lead_s, tail_s
):
    """Blocks of exactly ``block`` samples (the last one shorter), across the decoder's chunks
    (1 s and more) and the silences: the padded file's samples, in order."""
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, int(rate * seconds)).astype(np.float32)
    path = write_wav(noise, rate=rate)
    source = WavFileSource(
        path, realtime=False, block_s=block_s, lead_silence_s=lead_s, tail_silence_s=tail_s
    )
    blocks = list(source._one_pass())
    lead, tail = int(round(lead_s * SR)), int(round(tail_s * SR))
    expected = np.concatenate([np.zeros(lead, np.float32), read_audio(path), np.zeros(tail, np.float32)])
    sizes = [b.size for b in blocks]
    assert sizes[:-1] == [source.block] * (len(blocks) - 1) and 0 < sizes[-1] <= source.block
    assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), expected)


def test_wav_loop_repeats_until_stopped(write_wav) -> None:
    clip = tone(0.05, 0.3)
    source = WavFileSource(write_wav(clip), loop=True, realtime=False)
    seen = threading.Event()
    got = Collector()

    def on_samples(block: np.ndarray) -> None:
        got(block)
        if sum(b.size for b in got.blocks) > 5 * clip.size:
            seen.set()

    source.start(on_samples)
    assert seen.wait(10)
    source.stop()
    assert not source.finished and not source.is_running
    samples = got.samples
    np.testing.assert_allclose(samples[clip.size : 2 * clip.size], samples[: clip.size])


def test_wav_realtime_source_can_be_stopped_early(write_wav) -> None:
    source = WavFileSource(write_wav(silence(30.0)), realtime=True)
    got = Collector()
    source.start(got)
    assert source.is_running
    source.stop()
    assert not source.is_running and not source.finished
    assert got.samples.size < 30 * SR


def test_a_stopped_file_continues_where_it_stopped_and_starts_over_after_its_end(write_wav) -> None:
    clip = np.arange(SR, dtype=np.float32) / SR  # 1 s ramp: each sample says where it is
    source = WavFileSource(write_wav(clip), realtime=True, block_s=0.02)
    got = Collector()
    source.start(got)
    time.sleep(0.3)
    source.stop()
    first = got.samples
    assert 0 < first.size < clip.size and source.position_s == pytest.approx(first.size / SR)
    again = Collector()
    source.start(again)  # realtime: the rest of the second arrives in ~1 s
    assert source.wait(10) and source.finished
    np.testing.assert_allclose(np.concatenate([first, again.samples]), clip, atol=1 / 32768)
    third = Collector()
    source.start(third)  # after the end: from the beginning
    assert source.wait(10)
    np.testing.assert_allclose(third.samples, clip, atol=1 / 32768)


def test_unreadable_wav_raises_at_construction(tmp_path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(AudioFileError, match="bad.wav"):
        WavFileSource(bad)
    with pytest.raises(AudioFileError):
        WavFileSource(tmp_path / "missing.wav")


def test_a_long_file_is_streamed_in_blocks_with_bounded_memory(tmp_path) -> None:
    # Row 2 of issue 8: the whole file used to be decoded and resampled in memory.
    path = write_long_noise(tmp_path / "long.wav", 120)
    source = WavFileSource(path, realtime=False, tail_silence_s=0.5)
    assert source.duration_s == pytest.approx(120.5)
    sizes: list[int] = []
    tracemalloc.start()
    try:
        source.start(lambda block: sizes.append(block.size))
        assert source.wait(60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.finished and source.error is None
    assert set(sizes[:-1]) == {320} and abs(sum(sizes) - int(120.5 * SR)) <= 2
    assert peak < 4_000_000, peak  # decoding 2 min at once took > 20 MB


def test_a_file_claiming_an_absurd_rate_is_refused_at_construction(tmp_path) -> None:
    path = tmp_path / "one_hz.wav"
    soundfile.write(path, np.zeros(20000, np.float32), 16000, subtype="PCM_16")
    declare_rate(path, 1)
    with pytest.raises(AudioFileError, match="one_hz.wav.*1 Hz"):
        WavFileSource(path)


def test_consumer_error_is_reported_not_raised(write_wav) -> None:
    source = WavFileSource(write_wav(tone(0.1)), realtime=False)

    def broken(_block: np.ndarray) -> None:
        raise RuntimeError("consumer broke")

    source.start(broken)
    assert source.wait(10)
    assert source.error is not None and "consumer broke" in source.error


# ------------------------------------------------------------------ microphone (fake sounddevice)
def test_device_list_has_inputs_only_and_marks_the_default(fake_sounddevice) -> None:
    fake_sounddevice()
    devices = list_input_devices(refresh=True)
    assert [(d.index, d.name, d.hostapi) for d in devices] == [
        (1, "USB mic", "ALSA"),
        (2, "pulse", "PulseAudio"),
    ]
    assert [d.is_default for d in devices] == [False, True]
    assert "[default]" in devices[1].label()
    assert portaudio_status().available


def test_microphone_at_16k_delivers_blocks_and_counts_overflows(fake_sounddevice) -> None:
    fake_sounddevice()
    mic = MicrophoneSource("pulse")
    got = Collector()
    mic.start(got)
    stream = FakeInputStream.instances[-1]
    assert stream.samplerate == SR and stream.blocksize == 320 and mic.device_rate == SR
    assert mic.is_running and mic.name == "Microphone: pulse (16000 Hz)"
    block = tone(0.02)
    stream.feed(block)
    stream.feed(block, overflow=True)
    np.testing.assert_array_equal(got.samples, np.r_[block, block])
    assert mic.overflows == 1
    mic.stop()
    assert not mic.is_running and stream.closed and mic.error is None  # a requested stop is no error


def test_microphone_refusing_16k_is_opened_natively_and_resampled(fake_sounddevice) -> None:
    fake_sounddevice(native_rate=48000)
    mic = MicrophoneSource(1)
    got = Collector()
    mic.start(got)
    stream = FakeInputStream.instances[-1]
    assert stream.samplerate == 48000 and mic.device_rate == 48000
    assert "48000 Hz -> 16000 Hz" in mic.name
    t = np.arange(48000) / 48000
    signal = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for block in np.split(signal, 50):
        stream.feed(block)
    mic.stop()  # drains the resampler thread
    out = got.samples
    assert abs(out.size - SR) < 400  # one second at 16 kHz (soxr keeps a short delay)
    steady = out[2000:12000]
    expected_rms = 0.5 / np.sqrt(2)
    assert np.sqrt(np.mean(steady**2)) == pytest.approx(expected_rms, rel=0.02)
    spectrum = np.abs(np.fft.rfft(steady))
    assert np.argmax(spectrum) * SR / steady.size == pytest.approx(440, abs=3)


def test_vanished_device_sets_error_and_a_new_source_recovers(fake_sounddevice) -> None:
    fake_sounddevice()
    mic = MicrophoneSource("USB")
    mic.start(Collector())
    FakeInputStream.instances[-1].vanish()
    assert not mic.is_running
    assert mic.error is not None and "disconnected" in mic.error
    mic.stop()
    again = MicrophoneSource("USB")
    got = Collector()
    again.start(got)
    FakeInputStream.instances[-1].feed(tone(0.02))
    assert again.is_running and again.error is None and got.samples.size == 320
    again.stop()


def test_unknown_device_is_a_clear_error(fake_sounddevice) -> None:
    fake_sounddevice()
    with pytest.raises(AudioSourceError, match="no input device 'nonexistent'"):
        MicrophoneSource("nonexistent").start(Collector())
    with pytest.raises(AudioSourceError, match="no input device 0"):
        MicrophoneSource(0).start(Collector())  # output-only


# ------------------------------------------------------------------ no PortAudio
def test_without_portaudio_the_microphone_is_disabled_with_the_fix(no_portaudio) -> None:
    status = portaudio_status()
    assert not status.available
    assert "PortAudio library not found" in status.message
    assert "apt install libportaudio2" in status.message
    assert list_input_devices() == []
    with pytest.raises(AudioSourceError, match="libportaudio2"):
        MicrophoneSource().start(Collector())


def test_without_portaudio_the_wav_source_still_works(no_portaudio, write_wav) -> None:
    source = WavFileSource(write_wav(tone(0.1)), realtime=False)
    got = Collector()
    source.start(got)
    assert source.wait(10)
    assert source.finished and got.samples.size == int(0.1 * SR)


def test_no_input_device_disables_the_microphone_with_a_reason(fake_sounddevice) -> None:
    fake = fake_sounddevice()
    only_output = [d for d in fake.query_devices() if d["max_input_channels"] == 0]
    fake.query_devices = lambda device=None, kind=None: only_output
    fake.default.device = [-1, 0]
    assert list_input_devices() == []
    status = portaudio_status()
    assert not status.available and "no input device" in status.message


def test_a_stream_that_stops_delivering_is_reported_only_after_its_first_audio(
    fake_sounddevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kws_gui.core.audio import microphone

    fake_sounddevice()
    clock = [1000.0]
    monkeypatch.setattr(microphone.time, "monotonic", lambda: clock[0])
    mic = MicrophoneSource("USB")
    mic.start(Collector())
    clock[0] += microphone.STALL_TIMEOUT_S + 1  # slow server start: not a stall yet
    assert mic.error is None
    clock[0] += microphone.STARTUP_TIMEOUT_S
    assert mic.error is not None and "after opening" in mic.error
    FakeInputStream.instances[-1].feed(tone(0.02))
    assert mic.error is None
    clock[0] += microphone.STALL_TIMEOUT_S + 1  # audio arrived once, then stopped
    assert mic.error is not None and "no audio" in mic.error
    mic.stop()
