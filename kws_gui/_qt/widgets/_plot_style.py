"""Shared look of the pyqtgraph plots (no global pyqtgraph config is changed)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

BACKGROUND = "#101418"
FOREGROUND = "#c8d0d8"
LABEL_COLORS = ("#4fc3f7", "#ff8a65", "#aed581", "#ba68c8", "#ffd54f", "#4db6ac", "#f06292", "#90a4ae")


def style_plot(plot: pg.PlotWidget, title: str | None = None) -> None:
    """Make ``plot`` static (no mouse zoom, no context menu) and dark."""
    plot.setBackground(BACKGROUND)
    # Curves and images are drawn without antialiasing, so the 2-pixel update margin
    # Qt adds for it only drags the neighbouring axes into every repaint.
    plot.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    if title:
        item.setTitle(title, color=FOREGROUND, size="9pt")
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(FOREGROUND)
        axis.setTextPen(FOREGROUND)
        # Ticks point outwards: an axis then does not overlap the data area, so a
        # changing image or curve does not make Qt repaint the axes every frame.
        axis.setStyle(tickLength=4)
        # Data updates still touch the axes by a pixel (rounding): repaint them from a pixmap.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.setMinimumSize(120, 70)


def label_color(index: int) -> str:
    """A stable colour for the index-th label."""
    return LABEL_COLORS[index % len(LABEL_COLORS)]
