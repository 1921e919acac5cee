"""Issue 9: every plot says what it shows (axis captions with units, colour scales, the
threshold, the level scale), idle is not a dead 0.0, readouts explain themselves, and the
controls are big enough for a finger."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

from kws_gui._qt.widgets.detection_log import DetectionLog
from kws_gui._qt.widgets.feature_image import FeatureImageWidget
from kws_gui._qt.widgets.latency_panel import IDLE, LatencyPanel
from kws_gui._qt.widgets.level_meter import LevelMeter
from kws_gui._qt.widgets.probability_plot import ProbabilityPlot
from kws_gui._qt.widgets.spectrogram import SpectrogramWidget
from kws_gui.core.latency import LatencyStats


@contextmanager
def drawn_texts() -> Iterator[list[str]]:
    """Every string our painting code hands to ``QPainter.drawText`` while the block runs."""
    texts: list[str] = []
    original = QPainter.drawText

    def spy(painter, *args):
        texts.extend(a for a in args if isinstance(a, str))
        return original(painter, *args)

    QPainter.drawText = spy
    try:
        yield texts
    finally:
        QPainter.drawText = original


def _bar_colours(widget, right_margin: int) -> int:
    """Distinct colours down the colour bar's column (right of the plot)."""
    image = widget.grab().toImage()
    plot = widget.plot_rect()
    x = plot.right() + 12  # inside the 10 px bar that starts 7 px right of the plot
    assert x < widget.width() - 1 and right_margin > 12
    return len({image.pixel(x, y) for y in range(plot.top() + 1, plot.bottom())})


def test_spectrogram_has_captions_with_units_and_a_db_colour_bar(qtbot) -> None:
    widget = SpectrogramWidget()
    qtbot.addWidget(widget)
    widget.resize(480, 220)
    widget.show()
    with drawn_texts() as texts:
        widget.grab()
    assert {"frequency (kHz)", "time (s)", "-10", "-100"} <= set(texts)
    assert _bar_colours(widget, widget.margins()[2]) > 50  # a gradient, not a blank margin
    assert "dB" in widget.toolTip()


def test_model_input_has_its_axes_before_the_first_inference(qtbot) -> None:
    widget = FeatureImageWidget()
    qtbot.addWidget(widget)
    widget.resize(480, 220)
    widget.show()
    widget.set_kind("mfcc", (61, 16), 1.0)
    with drawn_texts() as texts:
        widget.grab()
    # rows labelled from 0 up, x from -1 s (the window's start) to 0 (its end)
    assert {"coefficient", "time in the window (s)", "high", "low", "-1", "0", "5"} <= set(texts)
    assert widget.title == "Model input: MFCC 61x16"
    assert _bar_colours(widget, widget.margins()[2]) > 50
    widget.set_kind("log-mel", (49, 40), 1.0)
    with drawn_texts() as texts:
        widget.grab()
    assert "mel bin" in texts


def test_level_meter_and_threshold_are_labelled(qtbot) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(meter.sizeHint())
    meter.show()
    with drawn_texts() as texts:
        meter.grab()
    assert "dBFS" in texts and "-60" in texts and "0" in texts
    assert "dBFS" in meter.toolTip()
    plot = ProbabilityPlot()
    qtbot.addWidget(plot)
    item = plot.getPlotItem()
    assert item.getAxis("bottom").labelText == "time" and item.getAxis("bottom").labelUnits == "s"
    assert item.getAxis("left").labelText == "probability"
    assert item.getAxis("right").labelText == "threshold"
    plot.set_threshold(0.55)
    assert plot.threshold_line.value() == 0.55


def test_silence_reads_idle_and_the_readouts_explain_themselves(qtbot) -> None:
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    stats = LatencyStats(100.0, 100.0, 120.0, 5)

    def snapshot(inferences: int, skips: int) -> SimpleNamespace:
        return SimpleNamespace(
            preprocess=stats, window_preprocess=stats, inference=stats, total=stats, window_total=stats,
            inferences=inferences, vad_skips=skips, inferences_per_s=0.0, overflows=0, runtime="LiteRT",
        )  # fmt: skip

    panel.show_snapshot(snapshot(5, 0))
    panel.show_snapshot(snapshot(5, 10))  # hops went by, all skipped by the energy gate
    assert panel.rate.text() == IDLE
    panel.show_snapshot(snapshot(5, 10), running=False)
    assert panel.rate.text() == "-"
    assert "95" in panel.cells[("total", "p95")].toolTip()
    assert "dropped" in panel.overflows.toolTip() and "silence" in panel.rate.toolTip()
    log = DetectionLog()
    qtbot.addWidget(log)
    tips = {
        log.horizontalHeaderItem(c).text(): log.horizontalHeaderItem(c).toolTip()
        for c in range(log.columnCount())
    }
    assert tips["Stream s"] and all(tips.values())


def test_demo_controls_are_big_enough_to_tap_at_800x480(make_window, qtbot) -> None:
    # The tabs a presenter touches (Live, Model, Source); the Training tab's long form keeps
    # desktop-sized controls so that it fits.
    window = make_window(load=True)
    window.resize(800, 480)
    small: list[str] = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        assert window.tabs.tabBar().tabRect(index).height() >= 32
        page = window.tabs.widget(index)
        controls = [
            c for kind in (QAbstractButton, QAbstractSpinBox, QComboBox) for c in page.findChildren(kind)
        ]
        for control in controls:
            if control.isVisible() and control.height() < 26:
                text = control.text() if isinstance(control, QAbstractButton) else ""
                small.append(
                    f"{window.tabs.tabText(index)}: {type(control).__name__} {text!r} {control.height()} px"
                )
    assert not small, "\n".join(small)
