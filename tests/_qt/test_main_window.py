"""The main window on the real engine: layout, live detection, latency, shortcuts, tabs."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QLabel

from kws_gui.core.audio import SourceSpec
from kws_gui.paths import DEFAULT_MODEL
from tests._qt.conftest import key_widgets


def test_window_builds_and_fits_800x480(make_window, qtbot) -> None:
    window = make_window(load=True)
    assert window.tabs.tabText(0) == "Live"
    assert window.size().width() == 800 and window.size().height() == 480
    hint = window.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 480
    qtbot.waitExposed(window)
    inside = QRect(QPoint(0, 0), window.size())
    for name, widget in key_widgets(window).items():
        assert widget.isVisible(), name
        assert widget.width() >= 14 and widget.height() >= 40, (name, widget.size())
        top_left = widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        assert inside.contains(rect), (name, rect)
    # The latency grid is not squeezed: every cell is at least as tall as its text.
    for cell in window.latency.cells.values():
        assert cell.height() >= cell.fontMetrics().height() - 2
    assert window.start_button.isVisible()


def test_yes_clip_shows_yes_and_latency(make_window, qtbot, yes_wav, no_wav) -> None:
    window = make_window(load=True)
    controller = window.controller
    assert window.latency.value("total", "median") == "-"
    with qtbot.waitSignal(controller.source_changed, timeout=10000):
        controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    qtbot.waitUntil(lambda: window.detection.text == "YES", timeout=15000)
    assert "yes" in window.log.words()
    assert window.detection.score >= controller.decision.threshold
    assert window.detection.cost_us is not None and window.detection.cost_us > 0  # microseconds shown
    # Latency readouts are filled with numbers, and plausible: total >= inference.
    qtbot.waitUntil(lambda: window.latency.value("total", "median") != "-", timeout=5000)
    number = re.compile(r"^[\d,]+( ms)?$")
    for row in ("preprocess", "inference", "total"):
        for col in ("last", "median", "p95", "window"):
            assert number.match(window.latency.value(row, col)), (row, col, window.latency.value(row, col))
    qtbot.waitUntil(lambda: float(window.latency.rate.text()) > 0, timeout=5000)
    assert window.latency.runtime.text() in ("LiteRT", "tflite-runtime", "tf.lite")
    # The displays follow the audio.
    assert window.spectrogram.columns_added > 0
    assert window.features.shape == controller.model_info.frontend.feature_shape
    assert window.probabilities.updates > 0
    # Each hop is converted for the plot once (not the whole history at every update).
    assert 0 < window.history.converted <= len(controller.engine.recent_records(1000))
    status = window.status_source.text()
    assert status.startswith("running: WAV") and status.count("16000 Hz") == 1
    assert DEFAULT_MODEL.name in window.status_model.text()
    # A different word changes what the window says.
    with qtbot.waitSignal(controller.source_changed, timeout=10000):
        controller.set_source(SourceSpec(kind="wav", wav_path=str(no_wav), loop=True))
    qtbot.waitUntil(lambda: window.detection.text == "NO", timeout=15000)
    assert window.log.words()[0] == "no"


def test_space_toggles_audio_and_ctrl_q_quits(make_window, qtbot, yes_wav) -> None:
    window = make_window(load=True)
    controller = window.controller
    with qtbot.waitSignal(controller.source_changed, timeout=10000):
        controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    assert controller.running and window.start_action.text() == "Stop"
    # Space typed into a text field is text, not start/stop.
    window.tabs.setCurrentIndex(2)
    field = window.source_chooser.wav_path
    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, "a b")
    assert field.text() == "a b" and controller.running
    window.tabs.setCurrentIndex(0)
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not controller.running and window.start_action.text() == "Start"
    qtbot.waitUntil(lambda: not controller.engine.snapshot().source_running, timeout=5000)
    with qtbot.waitSignal(controller.running_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert controller.running
    qtbot.waitUntil(lambda: controller.engine.snapshot().source_running, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert not controller.engine.snapshot().source_running


def test_other_tabs_fit_800x480(make_window, qtbot) -> None:
    window = make_window(load=True)
    qtbot.waitExposed(window)
    inside = QRect(QPoint(0, 0), window.size())
    for index, widgets in (
        (1, [window.model_info, window.open_button, window.recent_list]),
        (
            2,
            [
                window.source_chooser.wav_path,
                window.source_chooser.device_combo,
                window.source_chooser.loop_box,
                window.decision_settings.threshold,
            ],
        ),
    ):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(10)
        for widget in widgets:
            assert widget.isVisible() and widget.height() >= 16, widget
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            assert inside.contains(rect), (widget, rect)
    # The rest of the settings scroll into view; nothing is cut off for good.
    window.source_tab.ensureWidgetVisible(window.decision_settings.reset_button)
    qtbot.wait(10)
    button = window.decision_settings.reset_button
    assert inside.contains(QRect(button.mapTo(window, QPoint(0, 0)), button.size()))
    assert len(window.model_info.rows()) >= 9


def test_add_tab_for_other_panels(make_window) -> None:
    window = make_window(load=False)
    before = window.tabs.count()
    tall = QLabel("training")
    tall.setMinimumSize(300, 2000)
    index = window.add_tab(tall, "Train")
    assert window.tabs.count() == before + 1
    assert window.tabs.tabText(index) == "Train"
    assert window.minimumSizeHint().height() <= 480  # scrolls instead of growing the window


def test_without_a_model_nothing_runs_and_nothing_crashes(make_window, qtbot) -> None:
    window = make_window(load=False)
    assert window.controller.engine is None
    for _ in range(5):
        window.refresh()
    window.controller.toggle_audio()  # no engine yet: a no-op
    assert not window.controller.running


@pytest.mark.parametrize("kind", ["garbage"])
def test_first_model_failing_falls_back_to_default(make_window, qtbot, tmp_path, default_model, kind) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00garbage" * 100)
    window = make_window(load=False)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        window.load_model(bad)
    assert "bad.tflite" in window.notice.text
    assert window.controller.engine.model.path == str(default_model)
