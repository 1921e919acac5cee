"""Shared look of the pyqtgraph plots (no global pyqtgraph config is changed)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

BACKGROUND = "#101418"
FOREGROUND = "#c8d0d8"
LABEL_COLORS = ("#4fc3f7", "#ff8a65", "#aed581", "#ba68c8", "#ffd54f", "#4db6ac", "#f06292", "#90a4ae")
#: The trace of every label that is not a keyword, summed (``_silence_``, ``_unknown_``, ...).
OTHER_COLOR = "#8a949c"


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


def background_pixmap(widget: QWidget) -> tuple[QPixmap, QPainter]:
    """A pixmap of ``widget``'s size on the plot background and a painter on it (font and pen
    as the widget's text: a pixmap painter would start with the application's font)."""
    pixmap = QPixmap(widget.size())
    pixmap.fill(QColor(BACKGROUND))
    painter = QPainter(pixmap)
    painter.setFont(widget.font())
    painter.setPen(QColor(FOREGROUND))
    return pixmap, painter


def label_color(index: int) -> str:
    """A stable colour for the index-th label."""
    return LABEL_COLORS[index % len(LABEL_COLORS)]


def keyword_colors(keywords: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Keyword -> colour, the same in the probability plot, the detected word and the log."""
    return {keyword: label_color(i) for i, keyword in enumerate(keywords)}


def set_plot_font(plot: pg.PlotWidget, title: str | None = None) -> None:
    """Axis numbers, axis labels and the title in the widget's font (it follows the zoom)."""
    font = plot.font()
    size = f"{font.pointSizeF():.1f}pt"
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right"):
        axis = item.getAxis(name)
        axis.setTickFont(font)
        if axis.labelText:
            axis.setLabel(
                axis.labelText, units=axis.labelUnits or None, color=FOREGROUND, **{"font-size": size}
            )
    if title is not None:
        item.setTitle(title, color=FOREGROUND, size=size)
