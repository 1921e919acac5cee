"""The feature matrix (MFCC or log-Mel) the model saw in its last window.

Its axes are there from the moment the model is known (before the first inference):
time in the window in seconds (0 = the window's end, the newest audio) and the
coefficient (MFCC) or mel bin (log-Mel) upwards. The colours span each matrix's own
range, so the colour bar says "low"/"high" rather than numbers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter

from kws_gui._qt.widgets._rgba_image import RgbaImagePlot, colorize, lookup_table

#: Features between the ticks of the vertical axis.
TICK_FEATURES = 5


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
        self.window_s = 1.0
        self.updates = 0
        self.setToolTip(
            "The features the model classified in its last window: one column per frame, "
            "colour from the lowest (dark) to the highest (bright) value of this window "
            "(for MFCCs without c0, the loudness term)."
        )

    @property
    def y_label(self) -> str:
        """What the rows are: MFCC coefficients or mel bins."""
        return "coefficient" if self._kind == "mfcc" else "mel bin"

    def set_kind(self, kind: str, shape: tuple[int, int], window_s: float = 1.0) -> None:
        """Title and axes from the model's frontend, e.g. ``("mfcc", (61, 16), 1.0)``.

        The image (empty until the first inference) takes the model's shape at once, so
        the axes are right before the first window is classified.
        """
        self._kind = kind
        self.window_s = float(window_s)
        name = "MFCC" if kind == "mfcc" else "log-Mel"
        self.set_title(f"Model input: {name} {shape[0]}x{shape[1]}")
        frames, feats = int(shape[0]), int(shape[1])
        self._shown = None
        if (self.columns, self.rows) != (frames, feats):
            self.set_image_size(feats, frames)
        else:
            self.rgba[:] = self.lut[0]
            self.mark_changed()
        self._frame = None
        self.update()

    def set_features(self, features: np.ndarray | None) -> None:
        """Display a new matrix (``None`` shows the empty image of the same shape)."""
        if features is None or np.size(features) == 0:
            if self._shown is not None:
                self._shown = None
                self.rgba[:] = self.lut[0]
                self.mark_changed()
                self.refresh()
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
        _, top, _, _ = super().margins()
        metrics = self.fontMetrics()
        left = metrics.height() + metrics.horizontalAdvance("40") + 12
        return left, top, self.colour_bar_width("high"), 2 * metrics.height() + 6  # tick labels, caption

    def draw_axes(self, painter: QPainter, plot: QRect) -> None:
        metrics = self.fontMetrics()
        painter.drawLine(plot.left() - 1, plot.top(), plot.left() - 1, plot.bottom() + 1)
        painter.drawLine(plot.left() - 1, plot.bottom() + 1, plot.right(), plot.bottom() + 1)
        if self.rows:
            row_height = plot.height() / self.rows
            for feature in range(0, self.rows, TICK_FEATURES):
                y = round(plot.bottom() + 1 - (feature + 0.5) * row_height)
                painter.drawLine(plot.left() - 4, y, plot.left() - 1, y)
                text_rect = QRect(0, y - metrics.height() // 2, plot.left() - 6, metrics.height())
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(text_rect, align, f"{feature}")
        self.draw_vertical_label(painter, self.y_label, plot)
        baseline = plot.bottom() + 4 + metrics.ascent()
        ticks = 4 if plot.width() >= 4 * metrics.horizontalAdvance("-0.75  ") else 2
        for i in range(ticks + 1):
            seconds = -self.window_s + i * self.window_s / ticks
            x = plot.left() + round(i / ticks * plot.width())
            painter.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4)
            text = f"{seconds:.2f}".rstrip("0").rstrip(".") if seconds else "0"
            width = metrics.horizontalAdvance(text)
            painter.drawText(min(max(0, x - width // 2), self.width() - width - 1), baseline, text)
        self.draw_x_caption(painter, "time in the window (s)", plot)
        self.draw_colour_bar(painter, plot, "high", "low")
