"""Start/Stop as the window shows it: state texts, the stream clock, gaps, Space and focus, the
Source tab naming the active source (after --wav, a drop, a failure)."""

from __future__ import annotations

import numpy as np
import soundfile
from PySide6.QtCore import Qt

from kws_gui.core.audio import SourceSpec
from kws_gui.core.audio_state import AudioState
from tests._qt.conftest import activate, drop_event


def start_wav(window, qtbot, wav, loop: bool = True) -> None:
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(wav), loop=loop))


def texts(window) -> dict[str, str]:
    return {
        "status": window.status_source.text(),
        "button": window.start_action.text(),
        "word area": window.detection.idle_text,
        "spectrogram": window.spectrogram.note,
        "probabilities": window.probabilities.note.toPlainText()
        if window.probabilities.note.isVisible()
        else "",
        "features": window.features.note,
        "source tab": window.source_tab.active.text(),
    }


def test_stop_and_start_say_so_everywhere_and_the_clock_continues(make_window, qtbot, yes_wav) -> None:
    window = make_window(load=True)
    controller = window.controller
    start_wav(window, qtbot, yes_wav)
    running = texts(window)
    assert running["status"].startswith("running: WAV: yes_sequence.wav (loop)")
    assert running["button"] == "Stop" and running["word area"] == "listening..."
    assert running["spectrogram"] == running["features"] == running["probabilities"] == ""
    assert running["source tab"] == running["status"]
    engine = controller.engine
    qtbot.waitUntil(lambda: engine.snapshot().time_s > 2.0, timeout=10000)
    source = engine.source

    window.start_action.trigger()  # Stop
    stopped = texts(window)
    assert stopped["status"] == "stopped: WAV: yes_sequence.wav (loop)"
    assert stopped["button"] == "Start" and stopped["word area"].startswith("stopped")
    assert stopped["spectrogram"] == stopped["features"] == stopped["probabilities"] == "stopped"
    assert window.detection.text == ""  # no old word under "stopped"
    qtbot.waitUntil(lambda: not engine.snapshot().source_running, timeout=5000)
    stopped_at = engine.snapshot().time_s
    position = source.position_s
    columns = window.spectrogram.columns_added

    with qtbot.waitSignal(controller.running_changed, timeout=10000):
        window.start_action.trigger()  # Start: the same file continues where it stopped
    assert engine.source is source and texts(window)["status"].startswith("running")
    qtbot.waitUntil(lambda: engine.snapshot().time_s > stopped_at + 0.5, timeout=10000)
    assert source.position_s > position or source.position_s < 0.6  # on, or looped round
    records = engine.recent_records(1000)
    times = np.array([r.time_s for r in records])
    assert np.all(np.diff(times) > 0), "stream time went back after Start"
    segments = {r.segment for r in records}
    assert len(segments) >= 2  # the restart is a new segment: the traces break there
    # The spectrogram marked the gap with one grey column and went on.
    qtbot.waitUntil(lambda: window.spectrogram.columns_added > columns + 10, timeout=5000)
    grey = window.spectrogram._gap_colour
    shown = window.spectrogram.displayed_rgba()
    assert np.any(np.all(shown[:, :, :] == grey, axis=(0, 2)))


def test_the_probability_traces_break_where_the_stream_changed(qtbot) -> None:
    from kws_gui._qt.widgets.probability_plot import ProbabilityPlot

    plot = ProbabilityPlot(seconds=5.0)
    qtbot.addWidget(plot)
    plot.set_labels(("yes", "no"))
    times = np.arange(0.1, 4.0, 0.1)
    probs = np.full((times.size, 2), 0.5, np.float32)
    segments = (times > 2.0).astype(int)
    plot.set_history(times, probs, now_s=times[-1], segments=segments)
    polygons = plot.curves["yes"]._polygons
    assert [p.size() for p in polygons] == [int(np.sum(segments == 0)), int(np.sum(segments == 1))]


def test_end_of_file_says_so_and_start_plays_it_again(make_window, qtbot, tmp_path) -> None:
    window = make_window(load=True)
    controller = window.controller
    clip = tmp_path / "short.wav"
    soundfile.write(str(clip), np.zeros(8000, np.float32), 16000)
    start_wav(window, qtbot, clip, loop=False)
    qtbot.waitUntil(lambda: controller.status.state is AudioState.END_OF_FILE, timeout=10000)
    assert window.status_source.text() == "end of file: WAV: short.wav"
    assert window.detection.idle_text.startswith("end of file") and window.start_action.text() == "Start"
    assert window.spectrogram.note == "end of file"
    ended_at = controller.engine.snapshot().time_s
    activate(window, qtbot)
    with qtbot.waitSignal(controller.running_changed, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F5)  # the dedicated Start/Stop key
    qtbot.waitUntil(lambda: controller.engine.snapshot().time_s > ended_at, timeout=10000)
    qtbot.waitUntil(lambda: controller.status.state is AudioState.END_OF_FILE, timeout=10000)


def test_space_goes_to_a_focused_button_else_starts_and_stops(make_window, qtbot, yes_wav) -> None:
    window = make_window(load=True)
    controller = window.controller
    start_wav(window, qtbot, yes_wav)
    window.tabs.setCurrentIndex(2)
    button = window.source_chooser.refresh_button
    button.setFocus()
    rescans = []
    button.clicked.connect(lambda: rescans.append(True))
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert rescans == [True] and controller.running  # the button got its Space
    box = window.decision_settings.threshold
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert controller.running  # a field keeps it too
    window.tabs.setCurrentIndex(0)
    window.tabs.tabBar().setFocus()  # a tab bar does not use Space
    qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_Space)
    assert not controller.running and window.start_action.text() == "Start"
    with qtbot.waitSignal(controller.running_changed, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert controller.running


def test_the_source_tab_shows_the_active_source(qtbot, tmp_path, default_model, yes_wav, no_wav) -> None:
    from kws_gui.app import build_parser, create_window

    args = build_parser().parse_args(["--wav", str(yes_wav), "--loop", "--settings", str(tmp_path / "s.ini")])
    window = create_window(args, training=False)
    qtbot.addWidget(window)
    window.show()
    try:
        chooser = window.source_chooser
        # At once, while the model still loads: the --wav file is the choice shown.
        assert chooser.wav_radio.isChecked() and chooser.wav_path.text() == str(yes_wav)
        qtbot.waitUntil(lambda: window.controller.running, timeout=20000)
        assert chooser.wav_radio.isChecked() and chooser.wav_path.text() == str(yes_wav)
        assert chooser.loop_box.isChecked()
        assert window.source_tab.active.text().startswith("running: WAV: yes_sequence.wav")

        # A dropped WAV becomes the source and the choice shown.
        drop = drop_event(no_wav)
        with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
            window.dropEvent(drop)
        assert chooser.wav_path.text() == str(no_wav)
        assert window.source_tab.active.text().startswith("running: WAV: no_sequence.wav")

        # A choice that fails leaves the active source shown.
        broken = tmp_path / "broken.wav"
        broken.write_bytes(b"RIFF1234WAVEjunk")
        chooser.wav_path.setText(str(broken))
        with qtbot.waitSignal(window.controller.source_failed, timeout=10000):
            chooser.apply()
        assert chooser.wav_path.text() == str(no_wav)
        assert window.source_tab.active.text().startswith("running: WAV: no_sequence.wav")
        assert "broken.wav" in window.notice.text
    finally:
        window.close()
