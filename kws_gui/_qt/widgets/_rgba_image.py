"""Image plots that cost one ``drawImage`` per frame: a NumPy RGBA buffer wrapped by a QImage.

Colours come from a 256-entry lookup table of a pyqtgraph colour map, applied by the
caller to what changed only (:func:`colorize`, or indices into :func:`lookup_table`).
:class:`RgbaImagePlot` is a plain QWidget, not a pyqtgraph plot: its title and axes are
drawn once per size into a pixmap, and a repaint draws the image into the plot area
(in two parts when the buffer is circular). A QGraphicsView plot repainted 10-30 times
a second costs several times that in scene bookkeeping. Axis labels and the colour bar
are part of that pixmap (:meth:`RgbaImagePlot.draw_colour_bar`,
:meth:`RgbaImagePlot.draw_vertical_label`); a note over the image ("stopped") is drawn
only while one is set, when the image does not change.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from kws_gui._qt.widgets._plot_style import BACKGROUND, FOREGROUND, background_pixmap

#: The raster engine paints ARGB32_Premultiplied without converting it first. On a
#: little-endian machine its bytes are B, G, R, A (opaque colours: premultiplied = plain).
_LITTLE_ENDIAN = sys.byteorder == "little"
IMAGE_FORMAT = QImage.Format.Format_ARGB32_Premultiplied if _LITTLE_ENDIAN else QImage.Format.Format_RGBA8888


def lookup_table(name: str) -> np.ndarray:
    """A (256, 4) uint8 table of a pyqtgraph colour map, in the byte order of :data:`IMAGE_FORMAT`."""
    cmap = pg.colormap.get(name)
    rgba = np.asarray(cmap.getLookupTable(0.0, 1.0, 256, alpha=True), dtype=np.uint8)
    rgba[:, 3] = 255  # opaque
    return np.ascontiguousarray(rgba[:, [2, 1, 0, 3]] if _LITTLE_ENDIAN else rgba)


def colour_bytes(colour: str) -> np.ndarray:
    """One opaque colour (``"#rrggbb"``) as 4 bytes in the order of :data:`IMAGE_FORMAT`."""
    c = QColor(colour)
    rgba = (c.red(), c.green(), c.blue(), 255)
    return np.array([rgba[2], rgba[1], rgba[0], 255] if _LITTLE_ENDIAN else rgba, np.uint8)


def colorize(values: np.ndarray, lo: float, hi: float, lut: np.ndarray) -> np.ndarray:
    """Colours (as in ``lut``) of ``values`` mapped linearly from [lo, hi] onto ``lut``."""
    span = hi - lo if hi > lo else 1.0
    index = np.clip((np.asarray(values, np.float32) - lo) * (255.0 / span), 0, 255).astype(np.uint8)
    return lut[index]


class RgbaImagePlot(QWidget):
    """A titled plot area showing a (rows x columns x 4) uint8 buffer of :func:`lookup_table` colours.

    Row 0 of the buffer is the top of the plot. With :attr:`write` > 0 the columns
    wrap around (:attr:`write` is the oldest column, drawn on the left). Subclasses
    fill :attr:`rgba`, call :meth:`refresh` and draw their axes in :meth:`draw_axes`.
    """

    def __init__(self, title: str, rows: int, columns: int, lut: np.ndarray) -> None:
        super().__init__()
        self.lut = lut
        self.title = title
        self.write = 0
        # Drawing cost, counted (tests check it): repaints, pixels repainted, frames drawn.
        self.paints = 0
        self.painted_pixels = 0
        self.frame_draws = 0
        self._dirty = False
        self._frame: QPixmap | None = None
        self._plot_rect: QRect | None = None
        self.note = ""
        # The colour scale as an image (highest colour on top) for the colour bar.
        self._bar = np.ascontiguousarray(lut[::-1].reshape(256, 1, 4))
        self._bar_image = QImage(self._bar.data, 1, 256, 4, IMAGE_FORMAT)
        self.set_image_size(rows, columns)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # every pixel is painted
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 70)

    def set_image_size(self, rows: int, columns: int) -> None:
        """A new buffer (filled with the lowest colour) of ``rows`` x ``columns``."""
        self.rows, self.columns = int(rows), int(columns)
        self.rgba = np.empty((self.rows, self.columns, 4), dtype=np.uint8)
        self.rgba[:] = self.lut[0]
        self.write = 0
        # The QImage wraps the buffer's memory (kept alive by self.rgba): no copy per paint.
        self.qimage = QImage(self.rgba.data, self.columns, self.rows, self.columns * 4, IMAGE_FORMAT)
        self._frame = None
        self._dirty = True
        self.update()

    def set_title(self, title: str) -> None:
        """Change the title (the frame is drawn again)."""
        if title != self.title:
            self.title = title
            self._frame = None
            self.update()

    def set_note(self, text: str) -> None:
        """A word over the image (e.g. "stopped"); "" removes it."""
        if text != self.note:
            self.note = text
            self.update(self.plot_rect())

    def refresh(self) -> None:
        """Repaint the plot area if the buffer changed since the last repaint."""
        if self._dirty:
            self._dirty = False
            self.update(self.plot_rect())

    def mark_changed(self) -> None:
        """The buffer changed: the next :meth:`refresh` repaints."""
        self._dirty = True

    # ------------------------------------------------------------------ geometry
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(400, 160)

    def margins(self) -> tuple[int, int, int, int]:
        """Left, top, right, bottom space around the plot area for the title and axes."""
        height = self.fontMetrics().height()
        return 6, height + 4, 6, height + 6

    def plot_rect(self) -> QRect:
        """Where the image goes (computed once per size)."""
        if self._plot_rect is None:
            left, top, right, bottom = self.margins()
            self._plot_rect = self.rect().adjusted(left, top, -right, -bottom)
        return self._plot_rect

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._frame = None
        self._plot_rect = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:  # zoom: margins and labels change
            self._frame = None
            self._plot_rect = None
            self.update()
        super().changeEvent(event)

    # ------------------------------------------------------------------ painting
    def draw_axes(self, painter: QPainter, plot: QRect) -> None:
        """Ticks and labels around ``plot`` (the pen is the foreground colour)."""

    def colour_bar_width(self, widest: str) -> int:
        """Right margin a colour bar takes whose widest label is ``widest``."""
        return 6 + 10 + 4 + self.fontMetrics().horizontalAdvance(widest) + 4

    def draw_colour_bar(self, painter: QPainter, plot: QRect, top: str, bottom: str) -> None:
        """The colour scale right of ``plot``, ``top`` and ``bottom`` written beside its ends."""
        bar = QRect(plot.right() + 7, plot.top(), 10, plot.height())
        painter.drawImage(QRectF(bar), self._bar_image, QRectF(0, 0, 1, 256))
        metrics = self.fontMetrics()
        x = bar.right() + 4
        painter.drawText(x, plot.top() + metrics.ascent(), top)
        painter.drawText(x, plot.bottom(), bottom)

    def draw_vertical_label(self, painter: QPainter, text: str, plot: QRect) -> None:
        """``text`` turned 90 degrees at the left edge, centred on ``plot``'s height (elided to fit)."""
        metrics = self.fontMetrics()
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(plot.height(), 1))
        painter.save()
        painter.translate(1 + metrics.ascent(), plot.center().y() + metrics.horizontalAdvance(text) / 2)
        painter.rotate(-90)
        painter.drawText(0, 0, text)
        painter.restore()

    def draw_x_caption(self, painter: QPainter, text: str, plot: QRect) -> None:
        """``text`` centred under the tick labels of the x axis."""
        metrics = self.fontMetrics()
        baseline = plot.bottom() + 4 + metrics.ascent() + metrics.height()
        painter.drawText(plot.center().x() - metrics.horizontalAdvance(text) // 2, baseline, text)

    def _draw_frame(self) -> QPixmap:
        """Background, title and axes: drawn again only when the size or title changes."""
        pixmap, painter = background_pixmap(self)
        plot = self.plot_rect()
        title = self.fontMetrics().elidedText(
            self.title, Qt.TextElideMode.ElideRight, max(self.width() - 4, 1)
        )
        painter.drawText(QRect(0, 0, self.width(), plot.top()), Qt.AlignmentFlag.AlignCenter, title)
        self.draw_axes(painter, plot)
        painter.end()
        self.frame_draws += 1
        return pixmap

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._frame is None or self._frame.size() != self.size():
            self._frame = self._draw_frame()
        painter = QPainter(self)
        painter.drawPixmap(event.rect(), self._frame, event.rect())
        plot = QRectF(self.plot_rect())
        w, n, h = self.write, self.columns, float(self.rows)
        x_split = plot.left() + plot.width() * (n - w) / max(n, 1)
        if n > 0 and w < n:  # oldest columns first, on the left
            target = QRectF(plot.left(), plot.top(), x_split - plot.left(), plot.height())
            painter.drawImage(target, self.qimage, QRectF(w, 0.0, n - w, h))
        if w > 0:
            target = QRectF(x_split, plot.top(), plot.right() + 1 - x_split, plot.height())
            painter.drawImage(target, self.qimage, QRectF(0.0, 0.0, w, h))
        if self.note:
            self._draw_note(painter, plot)
        painter.end()
        self.paints += 1
        self.painted_pixels += event.rect().width() * event.rect().height()

    def _draw_note(self, painter: QPainter, plot: QRectF) -> None:
        metrics = self.fontMetrics()
        box = QRectF(metrics.boundingRect(self.note)).adjusted(-8, -3, 8, 3)
        box.moveCenter(plot.center())
        shade = QColor(BACKGROUND)
        shade.setAlpha(200)
        painter.fillRect(box, shade)
        painter.setPen(QColor(FOREGROUND))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.note)

    def displayed_rgba(self) -> np.ndarray:
        """The colours on screen (rows x columns x 4), top row first, oldest column first."""
        return np.roll(self.rgba, -self.write, axis=1)
