"""A vertical input level meter in dBFS with a falling peak marker."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_DB = -80.0


class LevelMeter(QWidget):
    """Paints the current level (bar) and the recent peak (line)."""

    def __init__(self, peak_decay_db_per_s: float = 20.0) -> None:
        super().__init__()
        self.level_db = MIN_DB
        self.peak_db = MIN_DB
        self._decay = peak_decay_db_per_s
        self._painted: tuple[int, int] | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setToolTip("Input level (dBFS)")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(22, 120)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(14, 60)

    def set_level(self, level_db: float, dt_s: float = 1 / 30) -> None:
        """New level in dBFS; the peak marker falls at the decay rate."""
        level = level_db if math.isfinite(level_db) else MIN_DB
        self.level_db = max(MIN_DB, min(0.0, level))
        self.peak_db = max(self.level_db, self.peak_db - self._decay * max(dt_s, 0.0))
        h = float(self.height())
        pixels = (int(self._y(self.level_db, h)), int(self._y(self.peak_db, h)))
        if pixels != self._painted:  # repaint only when a pixel changes
            self._painted = pixels
            self.update()

    def _y(self, db: float, height: float) -> float:
        return height * (db / MIN_DB)

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._painted = None
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802, ARG002
        painter = QPainter(self)
        w, h = float(self.width()), float(self.height())
        painter.fillRect(self.rect(), QColor("#101418"))
        y = self._y(self.level_db, h)
        color = QColor("#66bb6a") if self.level_db < -12 else QColor("#ffa726")
        if self.level_db > -3:
            color = QColor("#ef5350")
        painter.fillRect(QRectF(2, y, w - 4, h - y), color)
        painter.setPen(QColor("#eeeeee"))
        yp = self._y(self.peak_db, h)
        painter.drawLine(2, int(yp), int(w - 2), int(yp))
        painter.setPen(QColor("#555"))
        for db in (-60, -40, -20):
            yy = int(self._y(db, h))
            painter.drawLine(0, yy, 4, yy)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.end()
