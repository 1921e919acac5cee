"""The large detected word with its confidence, fading out."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

FADE_STEPS = 16


class DetectionDisplay(QWidget):
    """Shows the last detection in big letters; fades over ``fade_s`` seconds."""

    def __init__(self, fade_s: float = 2.0, hold_s: float = 0.6) -> None:
        super().__init__()
        self.fade_s = fade_s
        self.hold_s = hold_s
        self.label: str | None = None
        self.score = 0.0
        self.cost_us: float | None = None
        self._shown_at = 0.0
        self._opacity = 0.0
        self.idle_text = "listening..."
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(56)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 72)

    @property
    def text(self) -> str:
        """The word on screen ("" when nothing is shown)."""
        return self.label.upper() if self.label and self._opacity > 0 else ""

    @property
    def opacity(self) -> float:
        """Current opacity of the word (1 right after a detection, 0 once faded)."""
        return self._opacity

    def show_detection(
        self, label: str, score: float, now: float | None = None, cost_us: float | None = None
    ) -> None:
        """Display a new detection at full opacity; ``cost_us``: compute time of its hop."""
        self.label = label
        self.score = float(score)
        self.cost_us = cost_us
        self._shown_at = time.monotonic() if now is None else now
        self._opacity = 1.0
        self.update()

    def tick(self, now: float | None = None) -> None:
        """Advance the fade (called by the window's refresh timer)."""
        if self._opacity <= 0.0:
            return
        age = (time.monotonic() if now is None else now) - self._shown_at
        opacity = 1.0 if age <= self.hold_s else max(0.0, 1.0 - (age - self.hold_s) / self.fade_s)
        opacity = math.ceil(opacity * FADE_STEPS) / FADE_STEPS  # repaint in steps, not every frame
        if opacity != self._opacity:
            self._opacity = opacity
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802, ARG002
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101418"))
        rect = self.rect().adjusted(8, 2, -8, -2)
        if self._opacity > 0 and self.label:
            font = QFont(self.font())
            font.setBold(True)
            font.setPixelSize(max(18, int(rect.height() * 0.72)))
            painter.setFont(font)
            color = QColor("#66bb6a")
            color.setAlphaF(self._opacity)
            painter.setPen(color)
            painter.drawText(
                rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.label.upper()
            )
            small = QFont(self.font())
            small.setPixelSize(max(12, int(rect.height() * 0.32)))
            painter.setFont(small)
            grey = QColor("#e0e0e0")
            grey.setAlphaF(self._opacity)
            painter.setPen(grey)
            detail = f"{self.score:.0%}"
            if self.cost_us is not None:
                detail += f"\n{self.cost_us:,.0f} µs"
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, detail)
        else:
            small = QFont(self.font())
            small.setPixelSize(max(12, int(rect.height() * 0.3)))
            painter.setFont(small)
            painter.setPen(QColor("#607080"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.idle_text)
        painter.end()
