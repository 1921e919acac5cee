"""The audio's start/stop state machine and what each state says (kws_gui.core.audio_state)."""

from __future__ import annotations

from kws_gui.core.audio_state import AudioState, AudioStatus


def test_a_session_through_every_state() -> None:
    status = AudioStatus()
    assert status.state is AudioState.NO_SOURCE and status.action == "Start" and not status.active
    assert "choose one" in status.status_text() and "choose one" in status.headline()
    status = status.choose("WAV file yes.wav")
    assert status.state is AudioState.STARTING and status.active and not status.running
    assert status.action == "Stop" and status.plot_note() == "starting"
    status = status.started("WAV: yes.wav")
    assert status.running and status.status_text() == "running: WAV: yes.wav"
    assert status.headline() == "listening..." and status.plot_note() == ""
    stopped = status.stop()
    assert stopped.state is AudioState.STOPPED and stopped.status_text() == "stopped: WAV: yes.wav"
    assert stopped.action == "Start" and stopped.plot_note() == "stopped"
    assert stopped.stop() == stopped  # stopping twice changes nothing
    assert stopped.finished() == stopped  # only a running source reaches its end
    ended = status.finished()
    assert ended.state is AudioState.END_OF_FILE and ended.headline().startswith("end of file")
    failed = status.failed("device unplugged")
    assert failed.state is AudioState.NO_DEVICE and failed.source == "WAV: yes.wav"
    assert failed.status_text() == "no device: WAV: yes.wav (device unplugged)"
    assert failed.stop() == failed
    assert failed.choose("").source == "WAV: yes.wav"  # a retry keeps the name
