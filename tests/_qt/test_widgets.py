"""Each widget on its own, fed with plain values."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from kws_gui._qt.widgets.decision_settings import DecisionSettingsWidget
from kws_gui._qt.widgets.detection_display import DetectionDisplay
from kws_gui._qt.widgets.detection_log import DetectionLog
from kws_gui._qt.widgets.feature_image import FeatureImageWidget
from kws_gui._qt.widgets.latency_panel import LatencyPanel, format_us
from kws_gui._qt.widgets.level_meter import MIN_DB, LevelMeter
from kws_gui._qt.widgets.model_info import ModelInfoPanel
from kws_gui._qt.widgets.probability_plot import ProbabilityPlot
from kws_gui._qt.widgets.source_chooser import SourceChooser
from kws_gui._qt.widgets.spectrogram import SpectrogramWidget
from kws_gui.core.audio import InputDevice, PortAudioStatus, SourceSpec
from kws_gui.core.decision import DecisionSettings
from kws_gui.core.latency import LatencyStats

SR = 16000


def sine(freq: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_spectrogram_peak_at_the_tone_frequency(qtbot) -> None:
    spec = SpectrogramWidget(seconds=2.0)
    qtbot.addWidget(spec)
    spec.append_samples(sine(1000.0, 1.0))
    image = spec.image()
    newest = image[-1]
    freqs = spec.row_frequencies()
    assert freqs.size == image.shape[1] and freqs[-1] <= 8000.0
    assert abs(freqs[int(np.argmax(newest))] - 1000.0) <= 2 * SR / spec.frame_length
    assert newest.max() > -12.0  # a -6 dBFS sine reads close to -6 dB
    spec.refresh()
    spec.grab()
    assert spec.paints > 0
    # The colour of the newest column is brightest at the tone's row (the screen has the top row first).
    rgba = spec.displayed_rgba()[::-1]
    assert int(np.argmax(rgba[:, -1, :3].sum(axis=1))) == int(np.argmax(newest))


def test_spectrogram_incremental_equals_one_shot(qtbot) -> None:
    """Columns computed from small pieces equal those from one block (no gaps, no repeats)."""
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    whole = SpectrogramWidget(seconds=1.0)
    pieces = SpectrogramWidget(seconds=1.0)
    qtbot.addWidget(whole)
    qtbot.addWidget(pieces)
    whole.append_samples(audio)
    for chunk in np.array_split(audio, 37):
        pieces.append_samples(chunk)
    assert whole.columns_added == pieces.columns_added > 0
    np.testing.assert_allclose(whole.image(), pieces.image(), atol=1e-3)


def test_spectrogram_keeps_only_the_visible_seconds(qtbot) -> None:
    spec = SpectrogramWidget(seconds=1.0)
    qtbot.addWidget(spec)
    added = spec.append_samples(np.zeros(SR * 10, np.float32))
    assert added == spec.columns  # never more columns than shown
    spec.clear_audio()
    assert spec.image().max() <= -99.0


def test_level_meter_clamps_and_peak_decays(qtbot) -> None:
    meter = LevelMeter(peak_decay_db_per_s=20.0)
    qtbot.addWidget(meter)
    meter.set_level(-6.0)
    assert meter.level_db == -6.0 and meter.peak_db == -6.0
    meter.set_level(-60.0, dt_s=1.0)
    assert meter.level_db == -60.0
    assert meter.peak_db == pytest.approx(-26.0)
    meter.set_level(float("-inf"))
    assert meter.level_db == MIN_DB
    meter.set_level(12.0)
    assert meter.level_db == 0.0
    meter.repaint()


def test_detection_display_fades_out(qtbot) -> None:
    display = DetectionDisplay(fade_s=1.0, hold_s=0.5)
    qtbot.addWidget(display)
    assert display.text == ""
    display.show_detection("yes", 0.93, now=100.0)
    assert display.text == "YES" and display.opacity == 1.0
    display.tick(now=100.4)
    assert display.opacity == 1.0
    display.tick(now=101.0)
    assert 0.0 < display.opacity < 1.0
    display.tick(now=102.0)
    assert display.opacity == 0.0 and display.text == ""
    display.repaint()


def test_fading_word_is_measured_once(qtbot, monkeypatch) -> None:
    """The 16 repaints of a fading word reuse its fonts: no text is measured again."""
    from kws_gui._qt.widgets import detection_display

    measured = []

    class CountingMetrics(detection_display.QFontMetrics):
        def __init__(self, *args) -> None:
            measured.append(1)
            super().__init__(*args)

    monkeypatch.setattr(detection_display, "QFontMetrics", CountingMetrics)
    display = DetectionDisplay(fade_s=1.0, hold_s=0.5)
    qtbot.addWidget(display)
    display.resize(400, 80)

    def show_and_fade(start: float) -> None:
        display.show_detection("yes", 0.93, now=start, cost_us=812.0)
        display.grab()
        for step in range(1, 17):
            display.tick(now=start + 0.5 + step / 16)
            display.grab()  # the last one: faded out, the idle text
        assert display.opacity == 0.0

    show_and_fade(100.0)
    first = len(measured)
    assert first > 0
    show_and_fade(200.0)  # the same word and size: nothing measured again
    assert len(measured) == first


def test_detection_log_newest_first_and_capped(qtbot) -> None:
    log = DetectionLog(max_rows=3)
    qtbot.addWidget(log)
    for i, word in enumerate(["yes", "no", "yes", "no"]):
        log.add_detection(word, 0.9, float(i), 1_700_000_000.0 + i)
    assert log.rowCount() == 3
    assert log.words() == ["no", "yes", "no"]
    assert log.item(0, 1).text() == "3.00"


def test_latency_panel_formats(qtbot) -> None:
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    assert panel.value("total", "median") == "-"
    panel.set_stats("inference", LatencyStats(last_us=250.4, median_us=1234.0, p95_us=250_000.0, count=5))
    assert panel.value("inference", "last") == "250"
    assert panel.value("inference", "median") == "1,234"
    assert panel.value("inference", "p95") == "250 ms"
    assert panel.value("inference", "window") == "1,234"  # the same cost per hop and per window
    assert format_us(5.0, 0) == "-"
    hop = LatencyStats(last_us=31.0, median_us=30.2, p95_us=45.0, count=90)
    panel.set_stats("preprocess", hop, LatencyStats(last_us=80.0, median_us=79.6, p95_us=95.0, count=10))
    assert [panel.value("preprocess", c) for c in ("last", "median", "p95", "window")] == [
        "31",
        "30",
        "45",
        "80",
    ]
    panel.set_stats("total", hop, LatencyStats())
    assert panel.value("total", "window") == "-"  # no whole window measured yet


def test_feature_image_shows_the_matrix(qtbot) -> None:
    widget = FeatureImageWidget()
    qtbot.addWidget(widget)
    widget.set_kind("mfcc", (61, 16))
    matrix = np.random.default_rng(1).standard_normal((61, 16)).astype(np.float32)
    matrix[:, 0] = 50.0  # c0, the energy, is left out of the colour range
    widget.set_features(matrix)
    assert widget.shape == (61, 16) and widget.rgba.shape == (16, 61, 4)
    widget.resize(300, 200)
    widget.grab()
    assert widget.paints > 0
    # time left to right, feature 0 at the bottom; the largest value of c1..c15 is the brightest
    rgba = widget.displayed_rgba()
    frame, feature = np.unravel_index(np.argmax(matrix[:, 1:]), (61, 15))
    assert (rgba[15 - (feature + 1), frame] == widget.lut[255]).all()
    assert (rgba[15, :] == widget.lut[255]).all()  # c0 above the range: the top colour
    updates = widget.updates
    widget.set_features(matrix)  # the same matrix again (no new frame): nothing to do
    assert widget.updates == updates
    widget.set_features(np.zeros((49, 40), np.float32))  # a log-Mel model; constant image
    assert widget.shape == (49, 40)
    widget.set_features(None)
    assert widget.shape is None
    widget.grab()  # an empty plot paints too


def test_probability_plot_traces_and_threshold(qtbot) -> None:
    plot = ProbabilityPlot(seconds=5.0)
    qtbot.addWidget(plot)
    plot.set_labels(("yes", "no", "_silence_"))
    assert list(plot.curves) == ["yes", "no", "other"]  # one grey trace for the non-keywords
    times = np.arange(0.0, 8.0, 0.1)
    probs = np.stack([np.linspace(0, 1, times.size), np.zeros(times.size), np.ones(times.size)], axis=1)
    plot.set_history(times, probs, now_s=8.0)
    x, y = plot.curves["yes"].getData()
    assert x.min() >= -5.5 and x.max() <= 0.0
    assert y[-1] == pytest.approx(1.0)
    plot.set_threshold(0.42)
    assert plot.threshold == pytest.approx(0.42)
    plot.set_labels(("a", "b"))
    assert list(plot.curves) == ["a", "b"]


def test_probability_plot_other_trace_is_the_sum_of_the_non_keywords(qtbot) -> None:
    plot = ProbabilityPlot(seconds=5.0)
    qtbot.addWidget(plot)
    plot.set_labels(("_silence_", "_unknown_", "yes", "no"), keywords=("yes", "no"))
    assert list(plot.curves) == ["yes", "no", "other"]
    assert plot.other_labels == ("_silence_", "_unknown_")
    assert "other = sum of _silence_ + _unknown_" in plot.getPlotItem().titleLabel.text
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=40).astype(np.float32)
    times = np.arange(1, 41) * 0.1
    plot.set_history(times, probs, now_s=4.0)
    np.testing.assert_allclose(plot.curves["other"].getData()[1], probs[:, 0] + probs[:, 1], rtol=1e-6)
    np.testing.assert_allclose(plot.curves["no"].getData()[1], probs[:, 3], rtol=1e-6)
    # hops of another model (a different number of labels) are not drawn with these labels
    plot.set_history(times, probs[:, :2], now_s=4.0)
    assert plot.curves["other"].getData()[0].size == 0


def test_model_info_rows(qtbot, default_model) -> None:
    from kws_gui.core.model_file import KwsModel

    panel = ModelInfoPanel()
    qtbot.addWidget(panel)
    info = KwsModel.load(default_model).info()
    panel.show_info(info)
    rows = panel.rows()
    for key in ("File", "Size", "Zipped", "Parameters", "Input", "Labels", "Frontend", "Weights", "Sparsity"):
        assert key in rows
    assert rows["Labels"] == ", ".join(info.labels)
    # the live default was trained on three folders: its accuracy names them all
    assert "% on the test split of " in rows["Accuracy"] and "real-v0.02-test-speakers" in rows["Accuracy"]


DEVICES = [
    InputDevice(0, "USB mic", "ALSA", 48000.0, 1, False),
    InputDevice(3, "pulse", "ALSA", 44100.0, 32, True),
]


def test_source_chooser_lists_devices_and_emits(qtbot) -> None:
    chooser = SourceChooser()
    qtbot.addWidget(chooser)
    chooser.set_devices(DEVICES, PortAudioStatus(True, "2 input device(s)"))
    assert chooser.microphone_available
    assert chooser.device_combo.count() == 2
    assert chooser.device_combo.currentData() == 3  # the default is preselected
    assert "(default)" in chooser.device_combo.currentText() and "ALSA" in chooser.device_combo.currentText()
    # Each choice applies at once: a tap on the microphone, a device, the WAV choice, Enter, loop.
    with qtbot.waitSignal(chooser.microphone_chosen) as blocker:
        chooser.mic_radio.click()
    assert blocker.args == [3]
    chooser.device_combo.setCurrentIndex(0)
    with qtbot.waitSignal(chooser.microphone_chosen) as blocker:
        chooser.device_combo.activated.emit(0)
    assert blocker.args == [0]
    chooser.set_wav("/tmp/x.wav", False)
    with qtbot.waitSignal(chooser.wav_chosen) as blocker:
        chooser.wav_radio.click()
    assert blocker.args == ["/tmp/x.wav", False]
    with qtbot.waitSignal(chooser.wav_chosen) as blocker:
        chooser.loop_box.click()
    assert blocker.args == ["/tmp/x.wav", True]
    chooser.wav_path.setText("/tmp/y.wav")
    with qtbot.waitSignal(chooser.wav_chosen) as blocker:
        qtbot.keyClick(chooser.wav_path, Qt.Key.Key_Return)
    assert blocker.args == ["/tmp/y.wav", True]
    chooser.show_spec(SourceSpec(kind="microphone", device=3))  # the active source, no signal
    assert chooser.mic_radio.isChecked() and chooser.device_combo.currentData() == 3


def test_source_chooser_without_portaudio_disables_microphone(qtbot) -> None:
    chooser = SourceChooser()
    qtbot.addWidget(chooser)
    chooser.set_devices(
        [], PortAudioStatus(False, "Microphone disabled. Fix: sudo apt install libportaudio2")
    )
    assert not chooser.microphone_available
    assert not chooser.mic_radio.isEnabled()
    assert "libportaudio2" in chooser.microphone_reason
    chooser.set_kind("microphone")
    assert chooser.wav_radio.isChecked()  # the WAV choice stays usable
    chooser.set_devices([], PortAudioStatus(True, "ok"))
    assert not chooser.microphone_available and "No audio input device" in chooser.microphone_reason


def test_decision_settings_round_trip(qtbot) -> None:
    widget = DecisionSettingsWidget()
    qtbot.addWidget(widget)
    values = DecisionSettings(
        threshold=0.55, hop_s=0.2, smoothing_s=0.5, suppression_s=2.0, vad_enabled=False, rearm_margin=0.1
    )
    with qtbot.assertNotEmitted(widget.changed):
        widget.set_values(values)
    assert widget.values() == values
    with qtbot.waitSignal(widget.changed) as blocker:
        widget.threshold.setValue(0.8)
    # the fields without a control are carried through unchanged
    assert blocker.args[0] == DecisionSettings(
        threshold=0.8, hop_s=0.2, smoothing_s=0.5, suppression_s=2.0, vad_enabled=False, rearm_margin=0.1
    )


def test_rgba_image_plot_paints_the_colour_map_colours(qtbot) -> None:
    """Byte order check: a buffer of the colour map's top colour appears as that colour."""
    import pyqtgraph as pg

    from kws_gui._qt.widgets._rgba_image import RgbaImagePlot, colorize, lookup_table

    lut = lookup_table("inferno")
    plot = RgbaImagePlot("title", 4, 8, lut)
    qtbot.addWidget(plot)
    plot.rgba[:] = colorize(np.ones((4, 8)), 0.0, 1.0, lut)
    plot.resize(200, 100)
    image = plot.grab().toImage()
    centre = plot.plot_rect().center()
    color = image.pixelColor(centre.x(), centre.y())
    expected = pg.colormap.get("inferno").map(1.0, mode="qcolor")
    assert (color.red(), color.green(), color.blue()) == (expected.red(), expected.green(), expected.blue())


def test_notice_bar_clears_by_topic_and_keeps_errors_over_information(qtbot) -> None:
    from kws_gui._qt.widgets.notice_bar import NoticeBar, NoticeTopic

    bar = NoticeBar()
    qtbot.addWidget(bar)
    bar.show_message("Cannot use this audio source: gone", NoticeTopic.SOURCE)
    assert bar.topic is NoticeTopic.SOURCE and "gone" in bar.text
    bar.clear(NoticeTopic.MODEL)  # a model loading says nothing about the source
    assert bar.topic is NoticeTopic.SOURCE
    bar.show_message("Microphone disabled", NoticeTopic.SOURCE, error=False)
    assert "gone" in bar.text  # information does not hide an error
    bar.clear(NoticeTopic.SOURCE)
    assert bar.text == "" and bar.topic is None
    bar.show_message("Microphone disabled", NoticeTopic.SOURCE, error=False)
    bar.show_message("Cannot use bad.tflite", NoticeTopic.MODEL)
    assert bar.topic is NoticeTopic.MODEL and bar.text == "Cannot use bad.tflite"


def test_file_dialog_fits_the_screen_and_shows_whole_sizes(qtbot, tmp_path) -> None:
    from PySide6.QtWidgets import QHeaderView, QTreeView

    from kws_gui._qt.file_dialogs import make_dialog

    (tmp_path / "model.tflite").write_bytes(bytes(22376))
    dialog = make_dialog(None, "Open a model", str(tmp_path), "TFLite models (*.tflite)")
    qtbot.addWidget(dialog)
    available = dialog.screen().availableGeometry()
    assert dialog.width() <= available.width() and dialog.height() <= available.height()
    views = dialog.findChildren(QTreeView)
    assert views  # Qt's own dialog here (offscreen)
    header = views[0].header()
    assert header.sectionResizeMode(1) == QHeaderView.ResizeMode.ResizeToContents  # the size column
    assert header.sectionResizeMode(0) == QHeaderView.ResizeMode.Stretch
