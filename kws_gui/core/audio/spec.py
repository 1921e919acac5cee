"""Which audio source to use, as plain data, and the one function that opens it.

A :class:`SourceSpec` is what the user chose (a microphone device or a WAV file);
it is persisted by the app's settings and built from ``--device`` / ``--wav`` by
``kws-gui`` and ``kws-listen``. :func:`open_source` turns it into a ready
:class:`~kws_gui.core.audio.base.AudioSource` for all of them. Adding a source kind
means one opener in :data:`_OPENERS` (and the source class in its own module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kws_gui.core.audio.base import AudioSource, AudioSourceError
from kws_gui.core.audio.microphone import MicrophoneSource, portaudio_status
from kws_gui.core.audio.wav_source import WavFileSource
from kws_gui.core.audio_io import AudioFileError

MICROPHONE = "microphone"
WAV = "wav"


class SourceSpecError(ValueError):
    """A source description that names no known kind of source."""


def parse_device(value: object) -> int | str | None:
    """A device as typed or stored: digits are a PortAudio index, other text part of a
    device name, ``None`` or blank the system default."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


@dataclass(frozen=True)
class SourceSpec:
    """A microphone (``device``: index, part of a name, or None for the default) or a WAV file."""

    kind: str = MICROPHONE
    device: int | str | None = None
    wav_path: str = ""
    loop: bool = True

    def __post_init__(self) -> None:
        if self.kind not in _OPENERS:
            raise SourceSpecError(
                f"unknown kind of audio source {self.kind!r} (known: {', '.join(_OPENERS)})"
            )

    def describe(self) -> str:
        """Short text for people."""
        if self.kind == WAV:
            return f"WAV file {Path(self.wav_path).name}" + (" (loop)" if self.loop else "")
        return "default microphone" if self.device in (None, "") else f"microphone {self.device}"


def spec_from_options(wav: str | Path | None, device: object = None, loop: bool = True) -> SourceSpec | None:
    """The source the command-line options ``--wav``/``--loop`` or ``--device`` name (WAV first).

    None when neither is given (the caller's default applies). Shared by ``kws-gui`` and
    ``kws-listen``; a bad device string raises :class:`SourceSpecError`.
    """
    if wav:
        return SourceSpec(kind=WAV, wav_path=str(wav), loop=loop)
    if device is not None:
        return SourceSpec(kind=MICROPHONE, device=parse_device(device))
    return None


def open_source(spec: SourceSpec, *, realtime: bool = True, tail_silence_s: float = 0.0) -> AudioSource:
    """The source ``spec`` describes, not started yet.

    ``tail_silence_s`` pads the end of a WAV file with silence (give the model's window,
    so that a word at the very end is heard whole); ``realtime=False`` delivers a WAV
    file as fast as the consumer takes it. Raises :class:`AudioSourceError` when no
    microphone can be used, :class:`~kws_gui.core.audio_io.AudioFileError` for a file
    that cannot be read.
    """
    return _OPENERS[spec.kind](spec, realtime, tail_silence_s)


def _open_microphone(spec: SourceSpec, _realtime: bool, _tail_silence_s: float) -> AudioSource:
    status = portaudio_status()
    if not status.available:
        raise AudioSourceError(status.message)
    return MicrophoneSource(spec.device)


def _open_wav(spec: SourceSpec, realtime: bool, tail_silence_s: float) -> AudioSource:
    if not spec.wav_path:
        raise AudioFileError("no WAV file chosen")
    return WavFileSource(spec.wav_path, loop=spec.loop, realtime=realtime, tail_silence_s=tail_silence_s)


_OPENERS: dict[str, Callable[[SourceSpec, bool, float], AudioSource]] = {
    MICROPHONE: _open_microphone,
    WAV: _open_wav,
}
#: Every kind a :class:`SourceSpec` may name.
SOURCE_KINDS = tuple(_OPENERS)
