"""Audio sources: a microphone (sounddevice), a WAV file or samples paced in real time, one interface."""

from kws_gui.core.audio.base import SAMPLE_RATE, AudioSource, AudioSourceError, SampleCallback
from kws_gui.core.audio.microphone import (
    InputDevice,
    MicrophoneSource,
    PortAudioStatus,
    list_input_devices,
    portaudio_status,
)
from kws_gui.core.audio.wav_source import ArraySource, WavFileSource
from kws_gui.core.audio_io import AudioFileError

__all__ = [
    "SAMPLE_RATE",
    "ArraySource",
    "AudioFileError",
    "AudioSource",
    "AudioSourceError",
    "InputDevice",
    "MicrophoneSource",
    "PortAudioStatus",
    "SampleCallback",
    "WavFileSource",
    "list_input_devices",
    "portaudio_status",
]
