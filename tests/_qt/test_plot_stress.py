"""Thousands of plot updates on the real widgets (PySide6 6.12.0 + pyqtgraph 0.14.0 crashed here)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from kws_gui._qt.widgets.detection_display import DetectionDisplay
from kws_gui._qt.widgets.feature_image import FeatureImageWidget
from kws_gui._qt.widgets.latency_panel import LatencyPanel
from kws_gui._qt.widgets.level_meter import LevelMeter
from kws_gui._qt.widgets.probability_plot import ProbabilityPlot
from kws_gui._qt.widgets.spectrogram import SpectrogramWidget
from kws_gui.core.latency import LatencyStats

FRAMES = 3000


@pytest.mark.slow
def test_three_thousand_frames_of_every_plot(qtbot) -> None:
    rng = np.random.default_rng(0)
    box = QWidget()
    layout = QHBoxLayout(box)
    spectrogram = SpectrogramWidget(seconds=5.0)
    probabilities = ProbabilityPlot(seconds=5.0)
    features = FeatureImageWidget()
    level = LevelMeter()
    display = DetectionDisplay()
    latency = LatencyPanel()
    # The crash was reported for PlotDataItem.setData; the app's plots use PlotCurveItem
    # and an image item, so a PlotDataItem (as the training panel uses) is updated too.
    import pyqtgraph as pg

    data_plot = pg.PlotWidget()
    data_item = data_plot.plot([], [], pen="y")
    for widget in (spectrogram, probabilities, features, level, display, latency, data_plot):
        layout.addWidget(widget)
    qtbot.addWidget(box)
    box.resize(800, 300)
    box.show()
    probabilities.set_labels(("yes", "no", "_silence_"))
    features.set_kind("mfcc", (61, 16))
    times = np.arange(50) * 0.1
    for frame in range(FRAMES):
        spectrogram.append_samples((0.05 * rng.standard_normal(533)).astype(np.float32))
        spectrogram.refresh()
        probs = rng.random((times.size, 3)).astype(np.float32)
        probabilities.set_history(times + frame * 0.033, probs, now_s=times[-1] + frame * 0.033)
        features.set_features(rng.standard_normal((61, 16)).astype(np.float32))
        level.set_level(float(rng.uniform(-80, 0)))
        data_item.setData(times, probs[:, 0])
        if frame % 100 == 0:
            display.show_detection("yes", 0.9)
            probabilities.set_labels(("yes", "no") if frame % 200 else ("yes", "no", "_silence_"))
        display.tick()
        stats = LatencyStats(float(frame), float(frame), float(frame), frame + 1)
        latency.set_stats("total", stats)
        QApplication.processEvents()
        if frame % 50 == 0:
            box.grab()  # force a full render of every plot
    assert probabilities.updates == FRAMES
    assert features.updates == FRAMES
    assert spectrogram.columns_added > FRAMES
    assert latency.value("total", "last") == f"{FRAMES - 1:,}"
    assert data_item.getData()[1] is not None and data_item.getData()[1].size == times.size
