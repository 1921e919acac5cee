"""Smoothed probability per label over the last seconds, with the threshold line."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPen, QPolygonF

from kws_gui._qt.widgets._plot_style import FOREGROUND, label_color, style_plot


class FixedRangeCurve(pg.GraphicsObject):
    """A polyline for a plot whose ranges never change.

    ``pg.PlotCurveItem`` computes the data's bounds (``nanmax`` under a warnings
    filter) whenever the scene asks for its bounding rectangle, several times per
    update, and tells the view box its bounds changed; here the rectangle is the
    fixed view range and an update only fills a QPolygonF from NumPy.
    """

    def __init__(self, pen: QPen, bounds: QRectF) -> None:
        super().__init__()
        self._pen = pen
        self._bounds = bounds
        self._x = self._y = np.zeros(0)
        self._polygon = QPolygonF()
        self.paints = 0

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:  # noqa: N802 (pyqtgraph's name)
        """New points (the same length); drawn at the next repaint."""
        self._x, self._y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        self._polygon = pg.functions.create_qpolygonf(self._x.size)
        points = pg.functions.ndarray_from_qpolygonf(self._polygon)
        points[:, 0] = self._x
        points[:, 1] = self._y
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802
        return self._x, self._y

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, painter: QPainter, *args) -> None:
        painter.setPen(self._pen)
        painter.drawPolyline(self._polygon)
        self.paints += 1


class ProbabilityPlot(pg.PlotWidget):
    """One trace per label (labels starting with ``_`` dashed grey) and a threshold line."""

    def __init__(self, seconds: float = 5.0) -> None:
        super().__init__()
        style_plot(self, "Probabilities")
        self.seconds = seconds
        item = self.getPlotItem()
        item.setXRange(-seconds, 0.0, padding=0)
        item.setYRange(0.0, 1.0, padding=0.02)
        item.setLabel("bottom", "s")
        self.threshold_line = pg.InfiniteLine(
            pos=0.7, angle=0, pen=pg.mkPen("#e0e0e0", width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        item.addItem(self.threshold_line)
        # Curves with a fixed bounding rectangle: the view never rescales (see FixedRangeCurve).
        self._bounds = QRectF(-seconds - 1.0, -0.1, seconds + 2.0, 1.2)
        self.curves: dict[str, FixedRangeCurve] = {}
        self.labels: tuple[str, ...] = ()
        self.updates = 0

    def set_labels(self, labels: tuple[str, ...] | list[str]) -> None:
        """One curve per label (rebuilt when the model's labels change)."""
        labels = tuple(labels)
        if labels == self.labels:
            return
        item = self.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves = {}
        legend = []
        for i, label in enumerate(labels):
            if label.startswith("_"):
                color = "#78909c"
                pen = pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
            else:
                color = label_color(i)
                pen = pg.mkPen(color, width=2)
            curve = FixedRangeCurve(pen, self._bounds)
            item.addItem(curve)
            self.curves[label] = curve
            legend.append(f'<span style="color:{color}">{html.escape(label)}</span>')
        # The legend is the title: outside the data area, it is not repainted with the curves.
        item.setTitle("Probabilities: " + " ".join(legend), color=FOREGROUND, size="9pt")
        self.labels = labels

    def set_threshold(self, threshold: float) -> None:
        """Move the threshold line."""
        self.threshold_line.setValue(float(threshold))

    @property
    def threshold(self) -> float:
        """Where the threshold line is."""
        return float(self.threshold_line.value())

    def set_history(self, times_s: np.ndarray, probs: np.ndarray, now_s: float) -> None:
        """``times_s`` (n,) stream times and ``probs`` (n, labels); plotted relative to ``now_s``."""
        t = np.asarray(times_s, dtype=np.float64).reshape(-1)
        p = np.asarray(probs, dtype=np.float32)
        if p.ndim != 2 or p.shape[0] != t.size:
            p = p.reshape(t.size, -1) if t.size else np.zeros((0, len(self.labels)), np.float32)
        x = t - float(now_s)
        keep = x >= -self.seconds - 0.5
        x, p = x[keep], p[keep]
        for j, curve in enumerate(self.curves.values()):
            if j < p.shape[1]:
                curve.setData(x, p[:, j])
            else:
                curve.setData(np.zeros(0), np.zeros(0))
        self.updates += 1
