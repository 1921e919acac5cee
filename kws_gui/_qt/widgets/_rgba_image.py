"""A cheap image item for pyqtgraph plots: a QImage over a NumPy RGBA buffer.

pyqtgraph's ImageItem maps levels through a lookup table on every render; for
images that change 10-30 times a second that Python work dominates. Here the
caller colours only what changed (:func:`colorize`) and painting is one or two
``drawImage`` calls. The buffer can be circular (``write`` = oldest column).
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

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


def colorize(values: np.ndarray, lo: float, hi: float, lut: np.ndarray) -> np.ndarray:
    """Colours (as in ``lut``) of ``values`` mapped linearly from [lo, hi] onto ``lut``."""
    span = hi - lo if hi > lo else 1.0
    index = np.clip((np.asarray(values, np.float32) - lo) * (255.0 / span), 0, 255).astype(np.uint8)
    return lut[index]


class RgbaImageItem(pg.GraphicsObject):
    """Paints a (rows x columns x 4) uint8 buffer of :func:`lookup_table` colours.

    With ``write`` > 0 the columns wrap around (``write`` is the oldest column).

    Item coordinates: x = column, y = row (row 0 at the bottom of a normal plot).
    """

    def __init__(self, rgba: np.ndarray) -> None:
        super().__init__()
        if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or not rgba.flags.c_contiguous:
            raise ValueError("expected a C-contiguous (rows, columns, 4) uint8 array")
        self.rgba = rgba  # kept alive: the QImage wraps its memory
        self.rows, self.columns = int(rgba.shape[0]), int(rgba.shape[1])
        self.qimage = QImage(rgba.data, self.columns, self.rows, self.columns * 4, IMAGE_FORMAT)
        self.write = 0
        self.paints = 0

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(0.0, 0.0, float(self.columns), float(self.rows))

    def paint(self, painter: QPainter, *args) -> None:
        w, n, h = self.write, self.columns, float(self.rows)
        if w < n:
            painter.drawImage(QRectF(0.0, 0.0, n - w, h), self.qimage, QRectF(w, 0.0, n - w, h))
        if w > 0:
            painter.drawImage(QRectF(n - w, 0.0, w, h), self.qimage, QRectF(0.0, 0.0, w, h))
        self.paints += 1
