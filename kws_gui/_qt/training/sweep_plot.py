"""A sweep as a scatter plot: accuracy against zipped size, colour = latency, with its colour scale.

One point per model file of every finished trial (circles float32, squares int8);
the sweep's pick is ringed. Clicking a point emits ``point_clicked(SweepPoint)``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kws_gui._qt.widgets._plot_style import FOREGROUND, style_plot
from kws_gui.jobs.sweep import ACCURACY_NAME, SweepPoint, SweepState

COLOR_MAP = "viridis"
SYMBOLS = {"float32": "o", "int8": "s"}
NO_LATENCY = "#9e9e9e"
PICK_PEN = pg.mkPen("#ffffff", width=2.5)


class SweepScatter(QWidget):
    """Shows a :class:`SweepState`; redraws only when it changed."""

    point_clicked = Signal(object)  # SweepPoint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        style_plot(self.plot, f"{ACCURACY_NAME} vs zipped size (colour: latency)")
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "zipped size", units="KB", color=FOREGROUND)
        item.setLabel("left", ACCURACY_NAME, units="%", color=FOREGROUND)
        # The points are the only thing to click: let them receive it.
        self.scatter = pg.ScatterPlotItem(size=12, hoverable=True, tip=None)
        self.scatter.sigClicked.connect(self._on_clicked)
        item.addItem(self.scatter)
        self.color_map = pg.colormap.get(COLOR_MAP)
        self.color_bar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=self.color_map,
            label="latency (µs)",
            interactive=False,
            colorMapMenu=False,
        )
        item.layout.addItem(self.color_bar, 2, 5)
        self.summary = QLabel("No trial has finished yet.")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        self.points: list[SweepPoint] = []
        self._revision = -1
        self._state: SweepState | None = None

    def show_state(self, state: SweepState | None) -> None:
        """Draw the finished trials of ``state`` (None: empty)."""
        if state is self._state and state is not None and state.revision == self._revision:
            return
        self._state, self._revision = state, state.revision if state else -1
        self.points = state.points() if state else []
        counts = state.counts() if state else {}
        done = f"{state.done} of {state.total or '?'} trials done" if state else "No sweep."
        extra = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if k != "ok")
        self.summary.setText(
            f"{done}" + (f" ({extra})" if extra else "") + ". Click a point for its result card."
            if self.points
            else done
        )
        latencies = [p.latency_us for p in self.points if p.latency_us is not None]
        lo, hi = (min(latencies), max(latencies)) if latencies else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.color_bar.setLevels((lo, hi))
        spots = []
        for p in self.points:
            if p.latency_us is None or not math.isfinite(p.latency_us):
                brush = pg.mkBrush(NO_LATENCY)
            else:
                brush = pg.mkBrush(self.color_map.map((p.latency_us - lo) / (hi - lo), mode="qcolor"))
            spot = {
                "pos": (p.zipped_bytes / 1024.0, 100.0 * p.accuracy),
                "brush": brush,
                "symbol": SYMBOLS.get(p.flavour, "t"),
                "data": p,
                "pen": PICK_PEN if state is not None and state.is_pick(p) else pg.mkPen(None),
                "size": 16 if state is not None and state.is_pick(p) else 12,
            }
            spots.append(spot)
        self.scatter.setData(spots)
        if self.points:
            x = np.array([p.zipped_bytes / 1024.0 for p in self.points])
            y = np.array([100.0 * p.accuracy for p in self.points])
            pad_x = max(0.5, 0.1 * (x.max() - x.min()))
            pad_y = max(0.5, 0.1 * (y.max() - y.min()))
            self.plot.setRange(
                xRange=(x.min() - pad_x, x.max() + pad_x),
                yRange=(y.min() - pad_y, min(100.5, y.max() + pad_y)),
            )

    def click_point(self, index: int) -> None:
        """Act as if the ``index``-th point was clicked (keyboard users, tests)."""
        self.point_clicked.emit(self.points[index])

    def _on_clicked(self, _item: object, spots: list, *_: object) -> None:
        if len(spots):
            point = spots[0].data()
            if isinstance(point, SweepPoint):
                self.point_clicked.emit(point)
