"""The feature matrix (MFCC or log-Mel) the model saw in its last window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QPainter

from kws_gui._qt.widgets._rgba_image import RgbaImagePlot, colorize, lookup_table

#: Frames between the ticks of the time axis.
TICK_FRAMES = 10


class FeatureImageWidget(RgbaImagePlot):
    """Shows a (frames x features) matrix, time left to right, feature index upwards.

    The colours span the matrix's range (for MFCCs without c0, the energy term, which
    is far larger than the rest and would flatten them). A matrix already on screen
    (the engine hands the same array while no new frame completed) is not drawn again.
    """

    def __init__(self) -> None:
        super().__init__("Model input", 0, 0, lookup_table("viridis"))
        self._kind = "features"
        self._shown: np.ndarray | None = None
        self.updates = 0

    def set_kind(self, kind: str, shape: tuple[int, int]) -> None:
        """Title from the model's frontend, e.g. ``("mfcc", (61, 16))``."""
        self._kind = kind
        name = "MFCC" if kind == "mfcc" else "log-Mel"
        self.set_title(f"Model input: {name} {shape[0]}x{shape[1]}")

    def set_features(self, features: np.ndarray | None) -> None:
        """Display a new matrix (``None`` clears it)."""
        if features is None or np.size(features) == 0:
            self._shown = None
            if self.columns:
                self.set_image_size(0, 0)
            return
        if features is self._shown:
            return
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2:
            x = x.reshape(x.shape[0], -1)
        frames, feats = int(x.shape[0]), int(x.shape[1])
        if (self.columns, self.rows) != (frames, feats):
            self.set_image_size(feats, frames)
        basis = x[:, 1:] if self._kind == "mfcc" and feats > 1 else x
        # Row 0 of the image is the top: the last feature.
        self.rgba[:] = colorize(x[:, ::-1].T, float(basis.min()), float(basis.max()), self.lut)
        self._shown = features
        self.mark_changed()
        self.refresh()
        self.updates += 1

    @property
    def shape(self) -> tuple[int, int] | None:
        """(frames, features) of the matrix on screen."""
        if self._shown is None:
            return None
        return (self.columns, self.rows)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(400, 320)  # the taller part of its column (the latency panel and log share it)

    def margins(self) -> tuple[int, int, int, int]:
        left, top, right, _ = super().margins()
        return left, top, right, 2 * self.fontMetrics().height() + 6  # tick labels, then "frame"

    def draw_axes(self, painter: QPainter, plot: QRect) -> None:
        if not self.columns:
            return
        metrics = self.fontMetrics()
        baseline = plot.bottom() + 4 + metrics.ascent()
        painter.drawLine(plot.left(), plot.bottom() + 1, plot.right(), plot.bottom() + 1)
        for frame in range(TICK_FRAMES, self.columns, TICK_FRAMES):
            x = plot.left() + round(frame / self.columns * plot.width())
            painter.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4)
            text = f"{frame}"
            painter.drawText(x - metrics.horizontalAdvance(text) // 2, baseline, text)
        label = "frame"
        x = plot.center().x() - metrics.horizontalAdvance(label) // 2
        painter.drawText(x, baseline + metrics.height(), label)
