"""SourceSpec and open_source: one way to describe and open a source for the app and kws-listen."""

from __future__ import annotations

import pytest

from kws_gui.core.audio import (
    MICROPHONE,
    SOURCE_KINDS,
    WAV,
    AudioFileError,
    AudioSourceError,
    MicrophoneSource,
    SourceSpec,
    SourceSpecError,
    WavFileSource,
    open_source,
    parse_device,
)
from tests.core.conftest import SR, tone


@pytest.mark.parametrize(
    ("text", "device"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("3", 3),
        (" 12 ", 12),
        (7, 7),
        ("pulse", "pulse"),
        ("-1", "-1"),
    ],
)
def test_device_strings_are_parsed_one_way(text, device) -> None:
    assert parse_device(text) == device


def test_unknown_kinds_are_an_error() -> None:
    assert set(SOURCE_KINDS) == {MICROPHONE, WAV}
    with pytest.raises(SourceSpecError, match="network"):
        SourceSpec(kind="network")
    assert isinstance(SourceSpecError("x"), ValueError)


def test_open_wav_pads_the_tail_and_paces_as_asked(write_wav) -> None:
    path = write_wav(tone(0.5))
    source = open_source(
        SourceSpec(kind=WAV, wav_path=str(path), loop=False), realtime=False, tail_silence_s=1.0
    )
    assert isinstance(source, WavFileSource) and not source.realtime and not source.loop
    assert source.duration_s == pytest.approx(1.5, abs=1 / SR) and not source.is_running
    assert SourceSpec(kind=WAV, wav_path=str(path)).describe() == "WAV file clip.wav (loop)"


def test_open_wav_errors(tmp_path) -> None:
    with pytest.raises(AudioFileError, match="no WAV file"):
        open_source(SourceSpec(kind=WAV))
    with pytest.raises(AudioFileError):
        open_source(SourceSpec(kind=WAV, wav_path=str(tmp_path / "missing.wav")))


def test_open_microphone(fake_sounddevice) -> None:
    fake_sounddevice()
    source = open_source(SourceSpec(kind=MICROPHONE, device="USB"))
    assert isinstance(source, MicrophoneSource) and source.device == "USB" and not source.is_running
    assert SourceSpec().describe() == "default microphone"


def test_open_microphone_without_portaudio_says_why(no_portaudio) -> None:
    with pytest.raises(AudioSourceError, match="PortAudio"):
        open_source(SourceSpec(kind=MICROPHONE))
