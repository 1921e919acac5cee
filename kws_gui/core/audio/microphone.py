"""Microphone input through sounddevice (PortAudio): device list, 16 kHz capture, status.

``sounddevice`` is imported lazily: without the PortAudio library its import
raises ``OSError``, and then :func:`portaudio_status` says so and names the fix,
the WAV source keeps working and nothing crashes.

The device is opened at 16 kHz mono when it accepts that; otherwise at its
native rate, and a small thread resamples to 16 kHz with ``soxr.ResampleStream``.
In both cases the PortAudio callback does one copy (a ring-buffer write, or a
queue put of the block) and counts overflows; nothing else runs there.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from kws_gui.core.audio.base import SAMPLE_RATE, AudioSource, AudioSourceError, SampleCallback

PORTAUDIO_FIX = "install PortAudio (Debian/Ubuntu/Raspberry Pi OS: sudo apt install libportaudio2)"
#: Seconds without a callback after which a running stream counts as stalled.
STALL_TIMEOUT_S = 2.0
#: Some servers (a freshly started PulseAudio) take seconds to deliver the first block.
STARTUP_TIMEOUT_S = 10.0

_open_streams = 0
_open_lock = threading.Lock()


def _sounddevice() -> ModuleType:
    """Import sounddevice; ``OSError`` when PortAudio is missing, ``ImportError`` when it is."""
    return importlib.import_module("sounddevice")


@dataclass(frozen=True)
class PortAudioStatus:
    """Whether a microphone can be used; ``message`` explains why not and names the fix."""

    available: bool
    message: str


@dataclass(frozen=True)
class InputDevice:
    """One input device as PortAudio lists it."""

    index: int
    name: str
    hostapi: str
    default_samplerate: float
    max_input_channels: int
    is_default: bool

    def label(self) -> str:
        """For a device chooser, e.g. ``pulse (ALSA, 44100 Hz) [default]``."""
        mark = " [default]" if self.is_default else ""
        return f"{self.name} ({self.hostapi}, {self.default_samplerate:.0f} Hz){mark}"


def _refresh(sd: ModuleType) -> None:
    """Re-scan devices (PortAudio lists them once, at initialisation); only with no stream open."""
    with _open_lock:
        if _open_streams == 0:
            sd._terminate()
            sd._initialize()


def list_input_devices(refresh: bool = False) -> list[InputDevice]:
    """Input devices (name, host API, default marked); empty without PortAudio.

    ``refresh=True`` re-scans, so a device plugged in (or a sound server
    started) after the first call appears; skipped while a stream is open.
    """
    try:
        sd = _sounddevice()
        if refresh:
            _refresh(sd)
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception:
        return []
    if isinstance(default_in, str):
        default_in = -1
    result = []
    for index, info in enumerate(devices):
        if int(info.get("max_input_channels", 0)) <= 0:
            continue
        api = hostapis[info["hostapi"]]["name"] if 0 <= info["hostapi"] < len(hostapis) else "?"
        result.append(
            InputDevice(
                index=index,
                name=str(info["name"]),
                hostapi=str(api),
                default_samplerate=float(info["default_samplerate"]),
                max_input_channels=int(info["max_input_channels"]),
                is_default=index == default_in,
            )
        )
    return result


def portaudio_status() -> PortAudioStatus:
    """Can a microphone be opened at all? Never raises.

    Unavailable when the PortAudio library is missing (the message names the
    apt package) or when PortAudio lists no input device.
    """
    try:
        _sounddevice()
    except OSError as exc:
        return PortAudioStatus(False, f"Microphone disabled: {exc}. Fix: {PORTAUDIO_FIX}.")
    except ImportError as exc:
        return PortAudioStatus(False, f"Microphone disabled: {exc}. Fix: pip install sounddevice.")
    except Exception as exc:  # a broken install
        return PortAudioStatus(False, f"Microphone disabled: sounddevice failed to load: {exc}")
    devices = list_input_devices()
    if not devices:
        return PortAudioStatus(
            False,
            "Microphone disabled: PortAudio found no input device. Fix: connect a microphone "
            "(or start the sound server, e.g. PulseAudio), then refresh the device list.",
        )
    return PortAudioStatus(True, f"{len(devices)} input device(s)")


class MicrophoneSource(AudioSource):
    """Captures a sounddevice input device as 16 kHz mono float32 blocks.

    ``device`` is an index, a (sub)string of a device name (e.g. ``"pulse"``)
    or None for the default input. Construction does not open anything;
    :meth:`start` raises :class:`AudioSourceError` with the reason and the fix.
    """

    def __init__(self, device: int | str | None = None, block_s: float = 0.02) -> None:
        super().__init__()
        self.device = device
        self.block_s = float(block_s)
        self.device_rate: int | None = None
        self.name = f"Microphone: {device if device is not None else 'default'}"
        self._stream: Any = None
        self._stopping = False
        self._last_callback = 0.0
        self._got_audio = False
        self._resampler_thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()

    # ------------------------------------------------------------------ status
    @property
    def error(self) -> str | None:  # type: ignore[override]
        """Why capture stopped unexpectedly, or that no audio arrives any more."""
        if self._error is None and self._stream is not None and not self._stopping:
            silent_for = time.monotonic() - self._last_callback
            if self._got_audio and silent_for > STALL_TIMEOUT_S:
                return f"{self.name}: no audio for {silent_for:.0f} s (device unplugged?)"
            if not self._got_audio and silent_for > STARTUP_TIMEOUT_S:
                return f"{self.name}: no audio {silent_for:.0f} s after opening the device"
        return self._error

    @error.setter
    def error(self, value: str | None) -> None:
        self._error = value

    @property
    def is_running(self) -> bool:
        stream = self._stream
        return stream is not None and bool(stream.active) and self._error is None

    # ------------------------------------------------------------------ control
    def start(self, on_samples: SampleCallback) -> None:
        """Open the device (16 kHz, else native rate + soxr) and start the callback."""
        global _open_streams
        if self._stream is not None:
            raise AudioSourceError(f"{self.name} is already running")
        try:
            sd = _sounddevice()
        except OSError as exc:
            raise AudioSourceError(f"Microphone unavailable: {exc}. Fix: {PORTAUDIO_FIX}.") from exc
        except ImportError as exc:
            raise AudioSourceError(f"Microphone unavailable: {exc}. Fix: pip install sounddevice.") from exc
        try:
            info = sd.query_devices(self.device, kind="input")
        except Exception as exc:
            raise AudioSourceError(
                f"no input device {self.device!r}: {exc}. Choose another device, or check that "
                "a microphone is connected."
            ) from exc
        device_name = str(info["name"])
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=self.device, channels=1, dtype="float32", samplerate=SAMPLE_RATE)
        except Exception:
            rate = int(round(float(info["default_samplerate"])))
        self.device_rate = rate
        self.error = None
        self.overflows = 0
        self._stopping = False
        direct = rate == SAMPLE_RATE

        def callback(indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
            if status.input_overflow:
                self.overflows += 1
            self._last_callback = time.monotonic()
            self._got_audio = True
            if direct:
                on_samples(indata[:, 0])
            else:
                self._queue.put_nowait(indata[:, 0].copy())

        try:
            stream = sd.InputStream(
                samplerate=rate,
                blocksize=max(1, int(round(self.block_s * rate))),
                device=self.device,
                channels=1,
                dtype="float32",
                callback=callback,
                finished_callback=self._on_finished,
            )
        except Exception as exc:
            raise AudioSourceError(f"cannot open {device_name!r} at {rate} Hz: {exc}") from exc
        self.name = (
            f"Microphone: {device_name} ({rate} Hz" + ("" if direct else f" -> {SAMPLE_RATE} Hz") + ")"
        )
        if not direct:
            self._queue = queue.SimpleQueue()
            self._resampler_thread = threading.Thread(
                target=self._resample_loop, args=(rate, on_samples), name="mic-resampler", daemon=True
            )
            self._resampler_thread.start()
        self._last_callback = time.monotonic()
        self._got_audio = False
        self._stream = stream
        with _open_lock:
            _open_streams += 1
        try:
            stream.start()
        except Exception as exc:
            self.stop()
            raise AudioSourceError(f"cannot start {device_name!r}: {exc}") from exc

    def stop(self) -> None:
        """Stop and close the stream (and the resampler thread)."""
        global _open_streams
        self._stopping = True
        stream, self._stream = self._stream, None
        if stream is not None:
            for action in (stream.stop, stream.close):
                # a vanished device fails to stop; it is gone anyway
                with contextlib.suppress(Exception):
                    action()
            with _open_lock:
                _open_streams -= 1
        thread, self._resampler_thread = self._resampler_thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=2.0)

    # ------------------------------------------------------------------ internals
    def _on_finished(self) -> None:
        """PortAudio's stream ended: expected after stop(), otherwise the device is lost."""
        if not self._stopping and self._error is None:
            self.error = f"{self.name}: the input stream stopped (device disconnected?)"

    def _resample_loop(self, rate: int, on_samples: SampleCallback) -> None:
        import soxr

        resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        while True:
            block = self._queue.get()
            if block is None:
                return
            out = resampler.resample_chunk(block)
            if out.size:
                on_samples(out)
