"""Missing PortAudio, a vanishing device, and a real microphone (PulseAudio null sink)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kws_gui.app import build_parser, initial_source
from kws_gui.core.audio import SourceSpec, microphone


def test_without_portaudio_the_microphone_is_disabled_and_wav_works(
    no_portaudio, make_window, qtbot, yes_wav
) -> None:
    window = make_window(load=True)
    chooser = window.source_chooser
    assert not chooser.microphone_available
    assert not chooser.mic_radio.isEnabled()
    assert "PortAudio" in chooser.microphone_reason and "libportaudio2" in chooser.microphone_reason
    # Asking for a microphone anyway reports why, without crashing.
    with qtbot.waitSignal(window.controller.source_failed, timeout=10000) as blocker:
        window.controller.set_source(SourceSpec(kind="microphone"))
    assert "libportaudio2" in blocker.args[0]
    assert "libportaudio2" in window.notice.text
    # The WAV source still works end to end.
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    qtbot.waitUntil(lambda: window.detection.text == "YES", timeout=15000)
    # Refresh keeps saying why.
    chooser.refresh_button.click()
    assert not chooser.microphone_available


def test_without_portaudio_the_app_starts_without_a_source(no_portaudio) -> None:
    from kws_gui.core.audio import SourceSpec as Spec

    args = build_parser().parse_args([])
    assert initial_source(args, Spec(), microphone_ok=False) is None
    args = build_parser().parse_args(["--wav", "x.wav", "--loop"])
    assert initial_source(args, Spec(), microphone_ok=False) == Spec(kind="wav", wav_path="x.wav", loop=True)


@pytest.fixture
def fake_devices(monkeypatch):
    """A fake sounddevice module (devices and streams driven by the test)."""
    from tests.core.conftest import FakeInputStream, make_fake_sounddevice

    fake = make_fake_sounddevice()
    monkeypatch.setattr(microphone, "_sounddevice", lambda: fake)
    return FakeInputStream


def test_a_vanishing_device_is_reported_and_choosing_again_recovers(fake_devices, make_window, qtbot) -> None:
    window = make_window(load=True)
    chooser = window.source_chooser
    assert chooser.microphone_available
    names = [chooser.device_combo.itemText(i) for i in range(chooser.device_combo.count())]
    assert names == ["USB mic - ALSA", "pulse - PulseAudio (default)"]
    chooser.select_device(1)
    chooser.set_kind("microphone")
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        chooser.apply()  # as a tap on the microphone choice
    stream = fake_devices.instances[-1]
    assert stream.device == 1 and stream.active
    stream.feed(np.full(320, 0.1, np.float32))
    assert window.controller.running

    with qtbot.waitSignal(window.controller.source_failed, timeout=10000) as blocker:
        stream.vanish()
    assert "disconnected" in blocker.args[0] and "Choose a device again" in blocker.args[0]
    assert "disconnected" in window.notice.text
    qtbot.waitUntil(lambda: not window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: window.status_source.text().startswith("no device"))
    assert window.detection.idle_text.startswith("no device") and window.start_action.text() == "Start"

    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        chooser.apply()
    assert fake_devices.instances[-1] is not stream and fake_devices.instances[-1].active
    assert window.controller.running
    assert not window.notice.isVisible()
    qtbot.waitUntil(lambda: window.status_source.text().startswith("running"), timeout=5000)

    # Start after a failure opens the device again.
    again = fake_devices.instances[-1]
    with qtbot.waitSignal(window.controller.source_failed, timeout=10000):
        again.vanish()
    qtbot.waitUntil(lambda: not window.controller.running, timeout=5000)
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.start_action.trigger()
    assert fake_devices.instances[-1] is not again and fake_devices.instances[-1].active


def test_a_device_that_cannot_open_keeps_the_previous_source(
    fake_devices, make_window, qtbot, yes_wav
) -> None:
    window = make_window(load=True)
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    with qtbot.waitSignal(window.controller.source_failed, timeout=10000) as blocker:
        window.controller.set_source(SourceSpec(kind="microphone", device=0))  # an output-only device
    assert "no input device" in blocker.args[0]
    assert window.controller.engine.source.name.startswith("WAV")
    assert window.controller.engine.snapshot().source_running


@pytest.mark.audio
@pytest.mark.slow
def test_real_microphone_through_pulseaudio_detects_yes(make_window, qtbot, monkeypatch, yes_wav) -> None:
    """The app records the null sink's monitor via sounddevice's ``pulse`` device and hears "yes"."""
    from tests.pulse import MONITOR, play_wav, require_pulse_sink

    require_pulse_sink()
    monkeypatch.setenv("PULSE_SOURCE", MONITOR)
    window = make_window(load=True)
    controller = window.controller
    window.refresh_devices(rescan=True)
    combo = window.source_chooser.device_combo
    devices = [combo.itemText(i) for i in range(combo.count())]
    assert any(name.startswith("pulse") for name in devices), devices
    with qtbot.waitSignal(controller.source_changed, timeout=10000) as blocker:
        controller.set_source(SourceSpec(kind="microphone", device="pulse"))
    assert blocker.args[0].startswith("Microphone: pulse")
    ring = controller.engine.ring
    start = ring.total_written
    # A freshly started PulseAudio server can be silent for seconds at first, which the
    # app reports as a stalled device; choosing the device again is the recovery path.
    qtbot.waitUntil(lambda: ring.total_written - start > 8000 or not controller.running, timeout=10000)
    if not controller.running:
        assert "no audio" in window.notice.text or "stopped" in window.notice.text
        with qtbot.waitSignal(controller.source_changed, timeout=10000):
            controller.set_source(SourceSpec(kind="microphone", device="pulse"))
        start = ring.total_written
        qtbot.waitUntil(lambda: ring.total_written - start > 8000, timeout=10000)
    done = threading.Event()
    errors: list[BaseException] = []

    def play() -> None:
        try:
            for _ in range(3):
                play_wav(yes_wav)
                if "yes" in window.log.words():
                    break
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    threading.Thread(target=play, daemon=True).start()
    qtbot.waitUntil(lambda: "yes" in window.log.words() or done.is_set(), timeout=30000)
    assert not errors, errors
    try:
        qtbot.waitUntil(lambda: "yes" in window.log.words(), timeout=3000)
    except qtbot.TimeoutError:
        snap = controller.engine.snapshot()
        pytest.fail(
            f"no 'yes' heard (log {window.log.words()}); level {snap.level_dbfs:.0f} dBFS, "
            f"{snap.inferences} inferences, source {snap.source_name}, error {snap.source_error}; "
            f"notice {window.notice.text!r}"
        )
    assert window.spectrogram.columns_added > 0
    assert controller.engine.snapshot().source_name.startswith("Microphone: pulse")
