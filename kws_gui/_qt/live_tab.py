"""The Live tab's widgets and layout: detected word, spectrogram, probabilities, model input,
level meter, latency panel and log.

The detected word takes a share of the window's height (:meth:`LiveTab.fit_height`), a
larger one in presentation mode, so it grows with the window and the screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from kws_gui._qt.widgets.detection_display import DetectionDisplay
from kws_gui._qt.widgets.detection_log import DetectionLog
from kws_gui._qt.widgets.feature_image import FeatureImageWidget
from kws_gui._qt.widgets.latency_panel import LatencyPanel
from kws_gui._qt.widgets.level_meter import LevelMeter
from kws_gui._qt.widgets.probability_plot import ProbabilityPlot
from kws_gui._qt.widgets.spectrogram import SpectrogramWidget

#: Share of the window's height the detected word takes (normal, presentation mode).
WORD_SHARE = (0.15, 0.36)
MIN_WORD_HEIGHT = 40


class LiveTab(QWidget):
    """What the model hears and says, how fast; fed by the window's refresh timer."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.detection = DetectionDisplay()
        self.spectrogram = SpectrogramWidget(seconds=seconds)
        self.probabilities = ProbabilityPlot(seconds=seconds)
        self.features = FeatureImageWidget()
        self.level = LevelMeter()
        self.latency = LatencyPanel()
        self.log = DetectionLog()
        self.presentation = False

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.spectrogram)
        left.addWidget(self.probabilities)
        left.setChildrenCollapsible(False)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)
        left.setSizes([1000, 1000])  # half and half, whatever the size hints

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.features)
        right.addWidget(self.latency)
        right.addWidget(self.log)
        right.setChildrenCollapsible(False)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 0)
        right.setStretchFactor(2, 2)

        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(left)
        plots.addWidget(self.level)  # its fixed width (the splitter keeps it)
        plots.addWidget(right)
        plots.setChildrenCollapsible(False)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 0)
        plots.setStretchFactor(2, 2)
        self.splitter = plots

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.detection)
        layout.addWidget(plots, 1)
        self._window_height = 0
        self._shared = False  # the columns' widths, set once the tab has a width

    def resizeEvent(self, event) -> None:  # noqa: N802
        if not self._shared and event.size().width() > 0:
            # Three fifths for the spectrogram and the probabilities, the rest for the right column
            # (the splitter keeps each part at least as wide as it must be).
            self._shared = True
            width = event.size().width() - self.level.width()
            self.splitter.setSizes([width * 3 // 5, self.level.width(), width * 2 // 5])
        super().resizeEvent(event)

    def set_presentation(self, on: bool) -> None:
        """A larger word (presentation mode) or the normal one."""
        self.presentation = bool(on)
        self.fit_height(self._window_height)

    def fit_height(self, window_height: int) -> None:
        """Size the detected word for a window ``window_height`` pixels tall."""
        self._window_height = int(window_height)
        share = WORD_SHARE[1] if self.presentation else WORD_SHARE[0]
        height = max(MIN_WORD_HEIGHT, int(self._window_height * share))
        if height != self.detection.height() or self.detection.minimumHeight() != height:
            self.detection.setFixedHeight(height)
