"""Fixtures for the streaming tests: a stub model, tiny generated WAVs, a fake sounddevice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile

from kws_gui.core.decision import default_keywords
from kws_gui.core.frontend import DS_CNN, Frontend

SR = 16000


class StubModel:
    """Duck-types :class:`KwsModel` for engine tests without a model file.

    ``probs[0]`` (``labels[0]``) is 1 when the frames of the last ``react_s`` of the
    window hold a tone louder than -30 dBFS (judged by MFCC c0, the frame's log
    energy), else ``probs[1]`` is 1: a keyword that is "heard" exactly where the test
    put a burst. ``keywords`` as a model file's (default: the labels not starting
    with ``_``).
    """

    def __init__(
        self,
        labels: tuple[str, ...] = ("yes", "no"),
        react_s: float = 0.3,
        path: str = "stub",
        keywords: tuple[str, ...] | None = None,
    ) -> None:
        self.labels = labels
        self.keywords = default_keywords(labels) if keywords is None else keywords
        self.path = path
        self.frontend_config = DS_CNN
        self.frontend = Frontend(DS_CNN)
        self.runtime = SimpleNamespace(name="stub")
        self.react_frames = int(round(react_s / DS_CNN.frame_step_s))
        quiet = tone(DS_CNN.frame_length / SR, amplitude=10 ** (-30 / 20) * np.sqrt(2))
        self.loud_c0 = float(self.frontend.features(quiet)[0, 0])
        self.calls = 0

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        assert features.shape == DS_CNN.feature_shape and features.dtype == np.float32
        self.calls += 1
        loud = float(features[-self.react_frames :, 0].max()) > self.loud_c0
        probs = np.zeros(len(self.labels), np.float32)
        probs[0 if loud else 1] = 1.0
        return probs


@pytest.fixture
def stub_model() -> StubModel:
    return StubModel()


def tone(seconds: float, amplitude: float = 0.5, freq: float = 440.0) -> np.ndarray:
    """A sine burst."""
    t = np.arange(int(round(seconds * SR))) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), np.float32)


@pytest.fixture
def write_wav(tmp_path: Path) -> Callable[..., Path]:
    """``write_wav(samples, name="x.wav", rate=16000)`` -> path of a 16-bit WAV."""

    def write(samples: np.ndarray, name: str = "clip.wav", rate: int = SR) -> Path:
        path = tmp_path / name
        soundfile.write(str(path), np.asarray(samples, np.float32), rate, subtype="PCM_16")
        return path

    return write


def write_long_noise(path: Path, seconds: int, rate: int = 48000, channels: int = 2) -> Path:
    """A long 16-bit noise WAV written second by second (never whole in memory)."""
    rng = np.random.default_rng(seconds)
    with soundfile.SoundFile(path, "w", rate, channels, subtype="PCM_16") as handle:
        for _ in range(seconds):
            handle.write((0.1 * rng.standard_normal((rate, channels))).astype(np.float32))
    return path


def declare_rate(path: Path, rate: int) -> Path:
    """Patch a WAV header's sample rate (and byte rate) in place, as a damaged file would have."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"RIFF" and data[12:16] == b"fmt "
    block_align = int.from_bytes(data[32:34], "little")
    data[24:28] = rate.to_bytes(4, "little")
    data[28:32] = (rate * block_align).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


# ------------------------------------------------------------------ fake sounddevice
@dataclass
class FakeStatus:
    input_overflow: bool = False


class FakeInputStream:
    """Records how it was opened; the test drives ``callback``/``finished_callback`` itself."""

    instances: list[FakeInputStream] = []

    def __init__(self, samplerate, blocksize, device, channels, dtype, callback, finished_callback):
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.device = device
        self.callback = callback
        self.finished_callback = finished_callback
        self.active = False
        self.closed = False
        FakeInputStream.instances.append(self)

    def start(self):
        self.active = True

    def stop(self):
        was_active, self.active = self.active, False
        if was_active:
            self.finished_callback()

    def close(self):
        self.closed = True

    def feed(self, mono: np.ndarray, overflow: bool = False) -> None:
        """Deliver one block as PortAudio would (frames x channels)."""
        self.callback(mono.reshape(-1, 1).astype(np.float32), mono.size, None, FakeStatus(overflow))

    def vanish(self) -> None:
        """The device disappears: PortAudio ends the stream on its own."""
        self.active = False
        self.finished_callback()


def make_fake_sounddevice(native_rate: int | None = None) -> SimpleNamespace:
    """A stand-in for the sounddevice module: one output-only and two input devices.

    ``native_rate`` set: the device refuses 16 kHz and opens at that rate.
    """
    FakeInputStream.instances = []
    devices = [
        {"name": "HDMI out", "hostapi": 0, "max_input_channels": 0, "default_samplerate": 48000.0},
        {
            "name": "USB mic",
            "hostapi": 0,
            "max_input_channels": 1,
            "default_samplerate": float(native_rate or 48000),
        },
        {"name": "pulse", "hostapi": 1, "max_input_channels": 32, "default_samplerate": 44100.0},
    ]

    def query_devices(device=None, kind=None):
        if device is None and kind is None:
            return devices
        if device is None:
            return devices[2]
        if isinstance(device, int):
            if not 0 <= device < len(devices) or devices[device]["max_input_channels"] == 0:
                raise ValueError(f"no input device {device}")
            return devices[device]
        for d in devices:
            if device in d["name"] and d["max_input_channels"]:
                return d
        raise ValueError(f"No input device matching {device!r}")

    def check_input_settings(device=None, channels=None, dtype=None, samplerate=None):
        info = query_devices(device, "input")
        if native_rate is not None and info["name"] == "USB mic" and samplerate != native_rate:
            raise ValueError("Invalid sample rate")

    return SimpleNamespace(
        query_devices=query_devices,
        query_hostapis=lambda: [{"name": "ALSA"}, {"name": "PulseAudio"}],
        default=SimpleNamespace(device=[2, 0]),
        check_input_settings=check_input_settings,
        InputStream=FakeInputStream,
        _terminate=lambda: None,
        _initialize=lambda: None,
    )


@pytest.fixture
def fake_sounddevice(monkeypatch: pytest.MonkeyPatch) -> Callable[..., SimpleNamespace]:
    """``fake_sounddevice(native_rate=None)`` installs a fake sounddevice module and returns it."""
    from kws_gui.core.audio import microphone

    def install(native_rate: int | None = None) -> SimpleNamespace:
        fake = make_fake_sounddevice(native_rate)
        monkeypatch.setattr(microphone, "_sounddevice", lambda: fake)
        return fake

    return install
