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


def live_plots(
    qtbot, *others: QWidget, width: int = 800
) -> tuple[QWidget, SpectrogramWidget, ProbabilityPlot, FeatureImageWidget]:
    """A shown box with the live tab's three plots (and ``others``) side by side; keep the box."""
    box = QWidget()
    layout = QHBoxLayout(box)
    plots = (SpectrogramWidget(seconds=5.0), ProbabilityPlot(seconds=5.0), FeatureImageWidget())
    for widget in (*plots, *others):
        layout.addWidget(widget)
    qtbot.addWidget(box)
    box.resize(width, 250)
    box.show()
    qtbot.waitExposed(box)
    return box, *plots


@pytest.mark.slow
def test_three_thousand_frames_of_every_plot(qtbot) -> None:
    rng = np.random.default_rng(0)
    level = LevelMeter()
    display = DetectionDisplay()
    latency = LatencyPanel()
    # The crash was reported for PlotDataItem.setData; the app's plots draw their own
    # curves and images, so a PlotDataItem (as the training panel uses) is updated too.
    import pyqtgraph as pg

    data_plot = pg.PlotWidget()
    data_item = data_plot.plot([], [], pen="y")
    box, spectrogram, probabilities, features = live_plots(qtbot, level, display, latency, data_plot)
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


def test_drawing_cost_is_bounded_by_counts_not_time(qtbot) -> None:
    """What a frame costs, counted: repaints, pixels repainted, buffers and frames (axes) drawn.

    - the spectrogram repaints its plot area only, once per frame with new columns and
      never without; its axes are drawn once; its buffer is never reallocated;
    - the feature image ignores a matrix already on screen and recolours in place;
    - each probability trace paints once per update and the view never rescales;
    - thousands of frames leave no memory behind.
    """
    import tracemalloc

    rng = np.random.default_rng(0)
    _box, spectrogram, probabilities, features = live_plots(qtbot, width=900)
    probabilities.set_labels(("yes", "no"))
    features.set_kind("mfcc", (61, 16))
    view_range = probabilities.getPlotItem().getViewBox().viewRange()
    matrix = rng.standard_normal((61, 16)).astype(np.float32)
    times = np.arange(50) * 0.1

    shown = [matrix]

    def frame(i: int) -> None:
        spectrogram.append_samples((0.05 * rng.standard_normal(533)).astype(np.float32))
        spectrogram.refresh()
        if i % 3 == 0:  # the engine's ten snapshots a second
            probabilities.set_history(times + i * 0.033, rng.random((50, 2)).astype(np.float32), times[-1])
            if (i // 3) % 2 == 0:  # a new matrix every other snapshot (a hop without a new frame)
                shown[0] = shown[0].copy()
            features.set_features(shown[0])
        QApplication.processEvents()

    for i in range(6):  # shown, laid out, first matrix
        frame(i)
    buffers = (spectrogram.rgba, features.rgba)
    frames_before = (spectrogram.frame_draws, features.frame_draws)
    paints, pixels, updates = spectrogram.paints, spectrogram.painted_pixels, features.updates
    plot_area = spectrogram.plot_rect().width() * spectrogram.plot_rect().height()
    curve_paints = [c.paints for c in probabilities.curves.values()]
    for i in range(6, 206):
        frame(i)
    # once per frame, the plot area only
    assert spectrogram.paints - paints == 200
    assert spectrogram.painted_pixels - pixels == 200 * plot_area
    # 20 samples: no new column, no repaint
    spectrogram.append_samples(np.zeros(20, np.float32))
    spectrogram.refresh()
    QApplication.processEvents()
    assert spectrogram.paints - paints == 200
    # the same matrix object again is not drawn again
    assert features.updates - updates == 34
    assert [c.paints - n for c, n in zip(probabilities.curves.values(), curve_paints, strict=True)] == [
        67,
        67,
    ]
    assert probabilities.getPlotItem().getViewBox().viewRange() == view_range
    assert (spectrogram.frame_draws, features.frame_draws) == frames_before
    assert (spectrogram.rgba, features.rgba) == buffers

    tracemalloc.start()
    for i in range(200):  # warm: caches and pools filled
        frame(i)
    before = tracemalloc.take_snapshot()
    for i in range(1000):
        frame(i)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, f"{grown} bytes left behind by 1000 frames"
