"""The large detected word with its confidence: held, then fading out; the audio state while idle.

The word is as tall as the widget allows (the window makes the widget taller in
presentation mode) and drawn in its keyword's colour, the colour of its trace in the
probability plot.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from kws_gui._qt.widgets._plot_style import BACKGROUND

FADE_STEPS = 16
DEFAULT_COLOR = "#66bb6a"
IDLE_COLOR = "#8090a0"


class DetectionDisplay(QWidget):
    """Shows the last detection in big letters for ``hold_s``, then fades it over ``fade_s``."""

    def __init__(self, fade_s: float = 1.0, hold_s: float = 2.0) -> None:
        super().__init__()
        self.fade_s = fade_s
        self.hold_s = hold_s
        self.label: str | None = None
        self.score = 0.0
        self.cost_us: float | None = None
        self.colors: dict[str, str] = {}
        self._shown_at = 0.0
        self._opacity = 0.0
        self.idle_text = "listening..."
        self._fonts: dict[tuple, Any] = {}  # fitted fonts and layouts (per size), until the font changes
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(40)
        self.setToolTip("The last detected keyword, its smoothed score and the compute time of its hop")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 72)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 40)

    @property
    def text(self) -> str:
        """The word on screen ("" when nothing is shown)."""
        return self.label.upper() if self.label and self._opacity > 0 else ""

    @property
    def opacity(self) -> float:
        """Current opacity of the word (1 right after a detection and while held, 0 once faded)."""
        return self._opacity

    def color_of(self, label: str) -> str:
        """The colour ``label`` is drawn in (its trace's colour)."""
        return self.colors.get(label, DEFAULT_COLOR)

    def set_colors(self, colors: dict[str, str]) -> None:
        """Keyword -> colour (as in the probability plot)."""
        self.colors = dict(colors)
        self.update()

    def set_idle_text(self, text: str) -> None:
        """What to say while no word is shown (the audio state)."""
        if text != self.idle_text:
            self.idle_text = text
            if self._opacity <= 0:
                self.update()

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

    def clear(self) -> None:
        """Remove the word at once."""
        if self._opacity > 0:
            self._opacity = 0.0
            self.update()

    def tick(self, now: float | None = None) -> None:
        """Advance the fade (called by the window's refresh timer)."""
        if self._opacity <= 0.0:
            return
        age = (time.monotonic() if now is None else now) - self._shown_at
        fade = max(self.fade_s, 1e-3)
        opacity = 1.0 if age <= self.hold_s else max(0.0, 1.0 - (age - self.hold_s) / fade)
        opacity = math.ceil(opacity * FADE_STEPS) / FADE_STEPS  # repaint in steps, not every frame
        if opacity != self._opacity:
            self._opacity = opacity
            self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._fonts.clear()
        super().changeEvent(event)

    def _fitted_font(self, text: str, rect: QRect, share: float, bold: bool) -> QFont:
        """The widget's font, as tall as ``share`` of ``rect`` and no wider than ``rect``
        (measured once per text and size: a fading word is repainted 16 times)."""
        key = (text, rect.width(), rect.height(), share, bold)
        font = self._fonts.get(key)
        if font is None:
            if len(self._fonts) > 64:
                self._fonts.clear()
            font = self._fonts[key] = self._measure_font(text, rect, share, bold)
        return font

    def _measure_font(self, text: str, rect: QRect, share: float, bold: bool) -> QFont:
        font = QFont(self.font())
        font.setBold(bold)
        size = max(10, int(rect.height() * share))
        font.setPixelSize(size)
        width = QFontMetrics(font).horizontalAdvance(text)
        if width > rect.width() > 0:
            font.setPixelSize(max(10, int(size * rect.width() / width)))
        return font

    def _word_layout(self, word: str, rect: QRect) -> tuple[QFont, QRect, QFont]:
        """The details' font, the word's place and font in ``rect`` (measured once per word and size)."""
        key = ("layout", word, rect.width(), rect.height())
        layout = self._fonts.get(key)
        if layout is None:
            small = self._fitted_font("99,999 µs", QRect(0, 0, rect.width() // 4, rect.height()), 0.3, False)
            detail_width = QFontMetrics(small).horizontalAdvance("99,999 µs") + 8
            word_rect = rect.adjusted(0, 0, -detail_width, 0)
            layout = self._fonts[key] = (small, word_rect, self._fitted_font(word, word_rect, 0.8, True))
        return layout

    def paintEvent(self, event) -> None:  # noqa: N802, ARG002
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(BACKGROUND))
        rect = self.rect().adjusted(8, 2, -8, -2)
        if self._opacity > 0 and self.label:
            detail = f"{self.score:.0%}"
            if self.cost_us is not None:
                detail += f"\n{self.cost_us:,.0f} µs"
            word = self.label.upper()
            small, word_rect, word_font = self._word_layout(word, rect)
            painter.setFont(word_font)
            color = QColor(self.color_of(self.label))
            color.setAlphaF(self._opacity)
            painter.setPen(color)
            painter.drawText(word_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, word)
            painter.setFont(small)
            grey = QColor("#e0e0e0")
            grey.setAlphaF(self._opacity)
            painter.setPen(grey)
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, detail)
        else:
            painter.setFont(self._fitted_font(self.idle_text, rect, 0.3, False))
            painter.setPen(QColor(IDLE_COLOR))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.idle_text)
        painter.end()
