"""The feature matrix (MFCC or log-Mel) the model saw in its last window."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from kws_gui._qt.widgets._plot_style import FOREGROUND, style_plot
from kws_gui._qt.widgets._rgba_image import RgbaImageItem, colorize, lookup_table


class FeatureImageWidget(pg.PlotWidget):
    """Shows a (frames x features) matrix, time left to right, feature index upwards."""

    def __init__(self) -> None:
        super().__init__()
        style_plot(self, "Model input")
        self._lut = lookup_table("viridis")
        self.image_item: RgbaImageItem | None = None
        item = self.getPlotItem()
        item.setLabel("bottom", "frame")
        item.hideAxis("left")
        self._kind = "features"
        self.updates = 0

    def set_kind(self, kind: str, shape: tuple[int, int]) -> None:
        """Title from the model's frontend, e.g. ``("mfcc", (61, 16))``."""
        self._kind = kind
        name = "MFCC" if kind == "mfcc" else "log-Mel"
        self.getPlotItem().setTitle(
            f"Model input: {name} {shape[0]}x{shape[1]}", color=FOREGROUND, size="9pt"
        )

    def set_features(self, features: np.ndarray | None) -> None:
        """Display a new matrix (``None`` clears it)."""
        if features is None or np.size(features) == 0:
            if self.image_item is not None:
                self.removeItem(self.image_item)
                self.image_item = None
            return
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2:
            x = x.reshape(x.shape[0], -1)
        frames, feats = int(x.shape[0]), int(x.shape[1])
        if self.image_item is None or self.shape != (frames, feats):
            if self.image_item is not None:
                self.removeItem(self.image_item)
            self.image_item = RgbaImageItem(np.zeros((feats, frames, 4), np.uint8))
            self.addItem(self.image_item)
            self.getPlotItem().setXRange(0, frames, padding=0)
            self.getPlotItem().setYRange(0, feats, padding=0)
        # Colour range of the values; for MFCCs without c0 (the energy term is far
        # larger than the rest and would flatten them).
        basis = x[:, 1:] if self._kind == "mfcc" and feats > 1 else x
        self.image_item.rgba[:] = colorize(x.T, float(basis.min()), float(basis.max()), self._lut)
        self.image_item.update()
        self.updates += 1

    @property
    def shape(self) -> tuple[int, int] | None:
        """(frames, features) of the matrix on screen."""
        if self.image_item is None:
            return None
        return (self.image_item.columns, self.image_item.rows)
