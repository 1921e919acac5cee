"""Scrolling live spectrogram of the last few seconds of audio.

The only DSP in widget code: new ring-buffer samples are cut into frames and
turned into dB magnitude columns with one NumPy FFT per update (cheap). Only
the new columns are coloured (a 256-entry lookup table) into a circular
buffer that a QImage wraps without copying.

It repaints 30 times a second, so it is a plain QWidget rather than a
pyqtgraph plot: the frame (title, axes) is drawn once into a pixmap, and a
frame costs two ``drawImage`` calls (the two halves of the circle) into the
plot area only.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from kws_gui._qt.widgets._plot_style import BACKGROUND, FOREGROUND
from kws_gui._qt.widgets._rgba_image import IMAGE_FORMAT, colorize, lookup_table

FLOOR_DB = -100.0
CEIL_DB = -10.0


class SpectrogramWidget(QWidget):
    """Spectrogram of the last ``seconds`` of audio; feed it with :meth:`append_samples`."""

    def __init__(
        self,
        sample_rate: int = 16000,
        seconds: float = 5.0,
        frame_length: int = 512,
        hop: int = 320,
        max_hz: float = 8000.0,
        bin_pool: int = 2,
    ) -> None:
        super().__init__()
        self.seconds = float(seconds)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.hop = hop
        self.columns = max(1, int(round(seconds * sample_rate / hop)))
        freqs = np.fft.rfftfreq(frame_length, 1.0 / sample_rate)
        self._bins = int(np.searchsorted(freqs, max_hz, side="right"))
        # Neighbouring FFT bins are averaged in groups of ``bin_pool`` (fewer pixels to draw).
        self._pool = max(1, int(bin_pool))
        self._bins -= self._bins % self._pool
        self.rows = self._bins // self._pool
        self._window = np.hanning(frame_length).astype(np.float32)
        # Scale so that a full-scale sine reads about 0 dB (bins are summed in pools).
        self._scale = 2.0 / float(self._window.sum()) / max(1, int(bin_pool))
        # Sample indices of every frame the image can hold (fancy indexing beats strides here).
        self._frame_index = np.arange(self.columns)[:, None] * hop + np.arange(frame_length)[None, :]
        self._pending = np.zeros(0, dtype=np.float32)
        self._image = np.full((self.columns, self.rows), FLOOR_DB, dtype=np.float32)
        self._lut = lookup_table("inferno")
        self._rgba = np.empty((self.rows, self.columns, 4), dtype=np.uint8)
        self._rgba[:] = self._lut[0]
        self._write = 0  # next column to write in the circular image
        self.columns_added = 0
        self._dirty = True

        # Image row 0 is the top of the screen: the highest frequency.
        self._qimage = QImage(self._rgba.data, self.columns, self.rows, self.columns * 4, IMAGE_FORMAT)
        self.top_hz = float(freqs[self._bins - 1])
        self._frame: QPixmap | None = None
        self.paints = 0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 80)
        self.setToolTip("Spectrogram of the last seconds (dBFS)")

    def clear_audio(self) -> None:
        """Forget all audio (e.g. the source changed)."""
        self._pending = np.zeros(0, dtype=np.float32)
        self._image.fill(FLOOR_DB)
        self._rgba[:] = self._lut[0]
        self._write = 0
        self._dirty = True

    def append_samples(self, samples: np.ndarray) -> int:
        """Add new audio; returns the number of spectrogram columns computed."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return 0
        data = np.concatenate((self._pending, x)) if self._pending.size else x
        # Never compute more columns than the image shows.
        max_keep = (self.columns - 1) * self.hop + self.frame_length
        if data.size > max_keep:
            data = data[data.size - max_keep :]
        n = 0 if data.size < self.frame_length else 1 + (data.size - self.frame_length) // self.hop
        if n == 0:
            self._pending = data.copy()
            return 0
        frames = data[self._frame_index[:n]]  # (n, frame_length), n is 1-2 per display frame
        spectrum = np.abs(np.fft.rfft(frames * self._window, axis=1)[:, : self._bins])
        if self._pool > 1:
            spectrum = spectrum.reshape(n, self.rows, self._pool).sum(axis=2)
        columns = np.minimum(20.0 * np.log10(np.maximum(spectrum * self._scale, 1e-5)), CEIL_DB)
        self._pending = data[n * self.hop :].copy()
        idx = (self._write + np.arange(n)) % self.columns
        self._image[idx] = columns
        self._rgba[::-1, idx] = colorize(columns, FLOOR_DB, CEIL_DB, self._lut).transpose(1, 0, 2)
        self._write = (self._write + n) % self.columns
        self.columns_added += n
        self._dirty = True
        return n

    def image(self) -> np.ndarray:
        """The (columns x rows) dB image, oldest column first."""
        return np.roll(self._image, -self._write, axis=0)

    def row_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each image row."""
        freqs = np.fft.rfftfreq(self.frame_length, 1.0 / self.sample_rate)[: self._bins]
        return freqs.reshape(self.rows, self._pool).mean(axis=1)

    def displayed_rgba(self) -> np.ndarray:
        """The colours on screen (rows x columns x 4): lowest frequency first, oldest column first."""
        return np.roll(self._rgba, -self._write, axis=1)[::-1]

    def refresh(self) -> None:
        """Repaint the plot area if new columns arrived."""
        if self._dirty:
            self._dirty = False
            self.update(self.plot_rect())

    # ---------------------------------------------------------------- painting
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(400, 160)

    def plot_rect(self) -> QRect:
        """Where the image goes (inside the title and axes)."""
        metrics = self.fontMetrics()
        left = metrics.horizontalAdvance("8000") + 10
        top = metrics.height() + 4
        bottom = metrics.height() + 6
        return self.rect().adjusted(left, top, -6, -bottom)

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._frame = None
        super().resizeEvent(event)

    def _draw_frame(self) -> QPixmap:
        """Background, title and axes (redrawn only when the size changes)."""
        pixmap = QPixmap(self.size())
        pixmap.fill(QColor(BACKGROUND))
        painter = QPainter(pixmap)
        painter.setPen(QColor(FOREGROUND))
        plot = self.plot_rect()
        metrics = self.fontMetrics()
        painter.drawText(
            QRect(0, 0, self.width(), plot.top()),
            Qt.AlignmentFlag.AlignCenter,
            "Spectrogram (Hz over the last seconds)",
        )
        painter.drawLine(plot.left() - 1, plot.top(), plot.left() - 1, plot.bottom() + 1)  # axes, as in
        painter.drawLine(plot.left() - 1, plot.bottom() + 1, plot.right(), plot.bottom() + 1)  # the plots
        for hz in range(0, int(self.top_hz) + 1, 2000):
            y = plot.bottom() - round((hz / self.top_hz) * plot.height())
            painter.drawLine(plot.left() - 4, y, plot.left() - 1, y)
            text_rect = QRect(0, y - metrics.height() // 2, plot.left() - 6, metrics.height())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{hz}")
        step = 1 if self.seconds <= 6 else 2
        for sec in range(-int(self.seconds), 1, step):
            x = plot.left() + round((sec + self.seconds) / self.seconds * plot.width())
            painter.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4)
            text = f"{sec}"
            width = metrics.horizontalAdvance(text)
            left = min(max(0, x - width // 2), self.width() - width - 1)  # keep the labels inside
            painter.drawText(left, plot.bottom() + 4 + metrics.ascent(), text)
        painter.end()
        return pixmap

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._frame is None or self._frame.size() != self.size():
            self._frame = self._draw_frame()
        painter = QPainter(self)
        painter.drawPixmap(event.rect(), self._frame, event.rect())
        plot = QRectF(self.plot_rect())
        w, n, h = self._write, self.columns, float(self.rows)
        x_split = plot.left() + plot.width() * (n - w) / n
        if w < n:  # oldest columns first, on the left
            target = QRectF(plot.left(), plot.top(), x_split - plot.left(), plot.height())
            painter.drawImage(target, self._qimage, QRectF(w, 0.0, n - w, h))
        if w > 0:
            target = QRectF(x_split, plot.top(), plot.right() + 1 - x_split, plot.height())
            painter.drawImage(target, self._qimage, QRectF(0.0, 0.0, w, h))
        painter.end()
        self.paints += 1
