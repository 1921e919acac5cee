"""Audio sources: a microphone (sounddevice), a WAV file or samples paced in real time, one interface.

A :class:`SourceSpec` says which of the microphone or a WAV file to use; :func:`open_source` opens it.
"""

from kws_gui.core.audio.base import SAMPLE_RATE, AudioSource, AudioSourceError, SampleCallback
from kws_gui.core.audio.microphone import (
    InputDevice,
    MicrophoneSource,
    PortAudioStatus,
    list_input_devices,
    portaudio_status,
)
from kws_gui.core.audio.spec import (
    MICROPHONE,
    SOURCE_KINDS,
    WAV,
    SourceSpec,
    SourceSpecError,
    open_source,
    parse_device,
    spec_from_options,
)
from kws_gui.core.audio.wav_source import ArraySource, WavFileSource
from kws_gui.core.audio_io import AudioFileError

__all__ = [
    "MICROPHONE",
    "WAV",
    "SAMPLE_RATE",
    "SOURCE_KINDS",
    "ArraySource",
    "AudioFileError",
    "AudioSource",
    "AudioSourceError",
    "InputDevice",
    "MicrophoneSource",
    "PortAudioStatus",
    "SampleCallback",
    "SourceSpec",
    "SourceSpecError",
    "WavFileSource",
    "list_input_devices",
    "open_source",
    "parse_device",
    "spec_from_options",
    "portaudio_status",
]
