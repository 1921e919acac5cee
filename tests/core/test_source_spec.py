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
    spec_from_options,
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


def test_command_line_options_name_one_source_for_the_app_and_kws_listen(tmp_path) -> None:
    from kws_gui.app import build_parser, initial_source
    from kws_gui.listen import build_parser as listen_parser

    wav = str(tmp_path / "a.wav")
    assert spec_from_options(wav, "3", loop=False) == SourceSpec(kind=WAV, wav_path=wav, loop=False)
    assert spec_from_options(None, " 3 ") == SourceSpec(kind=MICROPHONE, device=3)
    assert spec_from_options(None, "") == SourceSpec(kind=MICROPHONE, device=None)
    assert spec_from_options("", None) is None
    remembered = SourceSpec(kind=MICROPHONE, device="usb")
    for argv in (["--wav", wav, "--loop"], ["--device", "pulse"]):
        app_args = build_parser().parse_args(argv)
        listen_args = listen_parser().parse_args(argv)
        expected = spec_from_options(listen_args.wav, listen_args.device, listen_args.loop)
        assert initial_source(app_args, remembered, microphone_ok=True) == expected


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
