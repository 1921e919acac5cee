"""A vertical input level meter in dBFS with a falling peak marker and a labelled scale."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from kws_gui._qt.widgets._plot_style import FOREGROUND, background_pixmap

MIN_DB = -80.0
#: Where the scale is labelled (dBFS).
SCALE_DB = (0, -20, -40, -60)
BAR_WIDTH = 12
#: The bar's colour: green, orange from -12 dBFS, red above -3 dBFS; the peak line.
QUIET, LOUD, CLIPPING, PEAK = (QColor(c) for c in ("#66bb6a", "#ffa726", "#ef5350", "#eeeeee"))


class LevelMeter(QWidget):
    """Paints the current level (bar) and the recent peak (line) beside a dBFS scale.

    The scale and its labels are drawn once per size (and font) into a pixmap; a level
    change repaints only when a pixel of the bar or the peak line changes, and only the bar.
    """

    def __init__(self, peak_decay_db_per_s: float = 20.0) -> None:
        super().__init__()
        self.level_db = MIN_DB
        self.peak_db = MIN_DB
        self._decay = peak_decay_db_per_s
        self._painted: tuple[int, int] | None = None
        self._scale: QPixmap | None = None
        self._bar: QRectF | None = None  # _bar_rect(), kept until the size or font changes
        self._bar_pixels = QRect()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setFixedWidth(self._width())
        self.setToolTip(
            "Input level in dBFS (0 = the loudest a sound card can deliver); the line is the "
            "recent peak. Speech at a normal distance reads about -40 to -20; below the "
            "energy gate (Source & settings, -45 by default) the model is not run."
        )

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(self._width(), 120)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._width(), 60)

    def _width(self) -> int:
        metrics = self.fontMetrics()
        return (
            2 + BAR_WIDTH + 6 + max(metrics.horizontalAdvance("-60"), metrics.horizontalAdvance("dBFS")) + 4
        )

    def _bar_rect(self) -> QRectF:
        """Where the bar goes: under the "dBFS" caption, left of the labels."""
        if self._bar is None:
            top = self.fontMetrics().height() + 2
            self._bar = QRectF(2, top, BAR_WIDTH, max(1, self.height() - top - 2))
            self._bar_pixels = self._bar.toAlignedRect()
        return self._bar

    def set_level(self, level_db: float, dt_s: float = 1 / 30) -> None:
        """New level in dBFS; the peak marker falls at the decay rate."""
        level = level_db if math.isfinite(level_db) else MIN_DB
        self.level_db = max(MIN_DB, min(0.0, level))
        self.peak_db = max(self.level_db, self.peak_db - self._decay * max(dt_s, 0.0))
        bar = self._bar_rect()
        pixels = (int(self._y(self.level_db, bar)), int(self._y(self.peak_db, bar)))
        if pixels != self._painted:  # repaint only when a pixel changes
            self._painted = pixels
            self.update(self._bar_pixels)

    @staticmethod
    def _y(db: float, bar: QRectF) -> float:
        return bar.top() + bar.height() * (db / MIN_DB)

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._painted = None
        self._scale = None
        self._bar = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._scale = None
            self._bar = None
            self._painted = None
            self.setFixedWidth(self._width())
            self.update()
        super().changeEvent(event)

    def _draw_scale(self) -> QPixmap:
        pixmap, painter = background_pixmap(self)
        metrics = self.fontMetrics()
        painter.drawText(QRect(0, 0, self.width(), metrics.height()), Qt.AlignmentFlag.AlignCenter, "dBFS")
        bar = self._bar_rect()
        x = int(bar.right()) + 6
        painter.setPen(QColor("#3a4450"))
        for db in SCALE_DB:  # a line across the bar (it shows where the bar is not)
            y = int(self._y(db, bar))
            painter.drawLine(int(bar.left()), y, int(bar.right()), y)
        painter.setPen(QColor(FOREGROUND))
        for db in SCALE_DB:
            y = int(self._y(db, bar))
            baseline = min(
                max(y + metrics.ascent() // 2, int(bar.top()) + metrics.ascent()), self.height() - 2
            )
            painter.drawText(x, baseline, f"{db}")
        painter.end()
        return pixmap

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._scale is None or self._scale.size() != self.size():
            self._scale = self._draw_scale()
        painter = QPainter(self)
        painter.drawPixmap(event.rect(), self._scale, event.rect())
        bar = self._bar_rect()
        y = self._y(self.level_db, bar)
        color = QUIET if self.level_db < -12 else LOUD if self.level_db <= -3 else CLIPPING
        painter.fillRect(QRectF(bar.left(), y, bar.width(), bar.bottom() - y), color)
        painter.setPen(PEAK)
        yp = int(self._y(self.peak_db, bar))
        painter.drawLine(int(bar.left()), yp, int(bar.right()), yp)
        painter.end()
