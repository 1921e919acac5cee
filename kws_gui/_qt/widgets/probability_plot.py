"""Smoothed probability of each keyword over the last seconds, one grey "other" trace, the threshold.

A model's non-keyword labels (``_silence_``, ``_unknown_``, ...) never fire; they are
drawn as one grey trace, the sum of their smoothed probabilities (what the model gives
to "none of the keywords"). The threshold line is labelled on the right axis (outside
the data area, so it costs nothing per update); traces break where the stream changed
(a restart, another source or model), never joining old and new data.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QPainter, QPen, QPolygonF

from kws_gui._qt.widgets._plot_style import (
    FOREGROUND,
    OTHER_COLOR,
    keyword_colors,
    set_plot_font,
    style_plot,
)
from kws_gui.core.decision import default_keywords

#: Name of the trace of the non-keyword labels.
OTHER = "other"
THRESHOLD_COLOR = "#e0e0e0"


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
        self._polygons: list[QPolygonF] = []
        self.paints = 0

    def setData(self, x: np.ndarray, y: np.ndarray, breaks: np.ndarray | None = None) -> None:  # noqa: N802
        """New points (the same length); drawn at the next repaint. The line is broken before
        each index in ``breaks`` (no segment joins those points to the ones before)."""
        self._x, self._y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        bounds = [0, *(() if breaks is None else (int(b) for b in breaks)), self._x.size]
        self._polygons = []
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            if end - start < 1:
                continue
            polygon = pg.functions.create_qpolygonf(end - start)
            points = pg.functions.ndarray_from_qpolygonf(polygon)
            points[:, 0] = self._x[start:end]
            points[:, 1] = self._y[start:end]
            self._polygons.append(polygon)
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802
        return self._x, self._y

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, painter: QPainter, *args) -> None:
        painter.setPen(self._pen)
        for polygon in self._polygons:
            painter.drawPolyline(polygon)
        self.paints += 1


class ProbabilityPlot(pg.PlotWidget):
    """One trace per keyword, one grey trace for the other labels, and a labelled threshold line."""

    def __init__(self, seconds: float = 5.0) -> None:
        super().__init__()
        self._title = "Probabilities"
        style_plot(self, self._title)
        self.seconds = seconds
        item = self.getPlotItem()
        item.setXRange(-seconds, 0.0, padding=0)
        item.setYRange(0.0, 1.0, padding=0.02)
        item.setLabel("bottom", "time", units="s")
        item.setLabel("left", "probability")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.showAxis("right")
        right = item.getAxis("right")
        right.setPen(FOREGROUND)
        right.setTextPen(THRESHOLD_COLOR)
        right.setStyle(tickLength=4)
        right.setLabel("threshold", color=THRESHOLD_COLOR)
        self.threshold_line = pg.InfiniteLine(
            pos=0.7, angle=0, pen=pg.mkPen(THRESHOLD_COLOR, width=1, style=Qt.PenStyle.DashLine)
        )
        item.addItem(self.threshold_line)
        self.note = pg.TextItem("", color=FOREGROUND, anchor=(0.5, 0.5))
        self.note.setPos(-seconds / 2, 0.5)
        self.note.setVisible(False)
        item.addItem(self.note)
        # Curves with a fixed bounding rectangle: the view never rescales (see FixedRangeCurve).
        self._bounds = QRectF(-seconds - 1.0, -0.1, seconds + 2.0, 1.2)
        self.curves: dict[str, FixedRangeCurve] = {}
        self.labels: tuple[str, ...] = ()
        self.keywords: tuple[str, ...] = ()
        self.other_labels: tuple[str, ...] = ()
        self._columns = np.zeros(0, np.intp)
        self._other_columns = np.zeros(0, np.intp)
        self.updates = 0
        self.set_threshold(0.7)
        self.setToolTip(
            "Smoothed probability of each keyword; a word fires when its trace reaches the threshold. "
            "The grey trace is the sum of the labels that are not keywords (e.g. silence, unknown)."
        )

    def set_labels(
        self, labels: tuple[str, ...] | list[str], keywords: tuple[str, ...] | list[str] | None = None
    ) -> None:
        """One curve per keyword and one for the other labels (rebuilt when they change).

        ``keywords`` default to every label not starting with ``_``.
        """
        labels = tuple(labels)
        keywords = tuple(
            k for k in (default_keywords(labels) if keywords is None else keywords) if k in labels
        )
        if labels == self.labels and keywords == self.keywords:
            return
        item = self.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves = {}
        self.labels, self.keywords = labels, keywords
        self.other_labels = tuple(label for label in labels if label not in keywords)
        self._columns = np.array([labels.index(k) for k in keywords], np.intp)
        self._other_columns = np.array([labels.index(o) for o in self.other_labels], np.intp)
        legend = []
        for keyword, color in keyword_colors(keywords).items():
            self._add_curve(keyword, pg.mkPen(color, width=2))
            legend.append(f'<span style="color:{color}">{html.escape(keyword)}</span>')
        if self.other_labels:
            self._add_curve(OTHER, pg.mkPen(OTHER_COLOR, width=1))
            names = html.escape(" + ".join(self.other_labels))
            legend.append(f'<span style="color:{OTHER_COLOR}">{OTHER} = sum of {names}</span>')
        # The legend is the title: outside the data area, it is not repainted with the curves.
        self._title = " &nbsp;".join(legend)
        set_plot_font(self, self._title)

    def _add_curve(self, name: str, pen: QPen) -> None:
        curve = FixedRangeCurve(pen, self._bounds)
        self.getPlotItem().addItem(curve)
        self.curves[name] = curve

    def set_threshold(self, threshold: float) -> None:
        """Move the threshold line and its label."""
        value = float(threshold)
        self.threshold_line.setValue(value)
        self.getPlotItem().getAxis("right").setTicks([[(value, f"{value:.2f}")], []])

    @property
    def threshold(self) -> float:
        """Where the threshold line is."""
        return float(self.threshold_line.value())

    def set_note(self, text: str) -> None:
        """A word in the middle of the plot (e.g. "stopped"); "" hides it."""
        if text != self.note.toPlainText() or self.note.isVisible() != bool(text):
            self.note.setText(text)
            self.note.setVisible(bool(text))

    def set_history(
        self, times_s: np.ndarray, probs: np.ndarray, now_s: float, segments: np.ndarray | None = None
    ) -> None:
        """``times_s`` (n,) stream times and ``probs`` (n, labels); plotted relative to ``now_s``.

        ``segments`` (n,): where it changes, the traces break (a restart, a new source or model).
        """
        t = np.asarray(times_s, dtype=np.float64).reshape(-1)
        p = np.asarray(probs, dtype=np.float32)
        if p.ndim != 2 or p.shape[0] != t.size:
            p = p.reshape(t.size, -1) if t.size else np.zeros((0, len(self.labels)), np.float32)
        x = t - float(now_s)
        keep = x >= -self.seconds - 0.5
        x, p = x[keep], p[keep]
        breaks = None
        if segments is not None:
            seg = np.asarray(segments).reshape(-1)[keep]
            breaks = np.flatnonzero(np.diff(seg)) + 1 if seg.size > 1 else None
        if p.shape[1] != len(self.labels):  # another model's hops: nothing to draw for these labels
            x, p, breaks = x[:0], np.zeros((0, len(self.labels)), np.float32), None
        for name, column in zip(self.keywords, self._columns, strict=True):
            self.curves[name].setData(x, p[:, column], breaks)
        if OTHER in self.curves:
            self.curves[OTHER].setData(x, p[:, self._other_columns].sum(axis=1), breaks)
        self.updates += 1

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            set_plot_font(self, self._title)
        super().changeEvent(event)
