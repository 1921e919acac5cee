"""Scrolling live spectrogram of the last few seconds of audio.

The only DSP in widget code: new ring-buffer samples are cut into frames and
turned into magnitude columns with one FFT per update (1-2 frames at 30 frames/s).
Only the new columns are coloured, straight from magnitudes: the 256 colours of the
fixed dB range are 256 magnitude thresholds (one ``searchsorted``, no logarithm), into
a circular buffer that a QImage wraps without copying; a repaint is two ``drawImage``
calls (:class:`~kws_gui._qt.widgets._rgba_image.RgbaImagePlot`). Where the audio stopped
or changed source, a grey column marks the gap (:meth:`SpectrogramWidget.mark_gap`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter

from kws_gui._qt.widgets._plot_style import OTHER_COLOR
from kws_gui._qt.widgets._rgba_image import RgbaImagePlot, colour_bytes, lookup_table
from kws_gui.core.audio_io import SAMPLE_RATE
from kws_gui.core.frontend import frame_view, rfft

FLOOR_DB = -100.0
CEIL_DB = -10.0


class SpectrogramWidget(RgbaImagePlot):
    """Spectrogram of the last ``seconds`` of audio; feed it with :meth:`append_samples`."""

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        seconds: float = 5.0,
        frame_length: int = 512,
        hop: int = 320,
        max_hz: float = 8000.0,
        bin_pool: int = 2,
    ) -> None:
        self.seconds = float(seconds)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.hop = hop
        columns = max(1, int(round(seconds * sample_rate / hop)))
        freqs = np.fft.rfftfreq(frame_length, 1.0 / sample_rate)
        bins = int(np.searchsorted(freqs, max_hz, side="right"))
        # Neighbouring FFT bins are summed in groups of ``bin_pool`` (fewer pixels to draw).
        self._pool = max(1, int(bin_pool))
        self._bins = bins - bins % self._pool
        self.top_hz = float(freqs[self._bins - 1])
        super().__init__(
            "Spectrogram (dBFS)",
            self._bins // self._pool,
            columns,
            lookup_table("inferno"),
        )
        self._gap_colour = colour_bytes(OTHER_COLOR)
        self._window = np.hanning(frame_length).astype(np.float32)
        # Scale so that a full-scale sine reads about 0 dB (bins are summed in pools).
        self._scale = 2.0 / float(self._window.sum()) / self._pool
        # Colour k for magnitudes from the k-th threshold on: dB steps of (CEIL - FLOOR) / 255.
        steps_db = FLOOR_DB + np.arange(1, 256) * (CEIL_DB - FLOOR_DB) / 255.0
        self._thresholds = (10.0 ** (steps_db / 20.0) / self._scale).astype(np.float32)
        # Samples not yet in a column, with room for a display frame's new ones (no allocation).
        self._buffer = np.zeros(frame_length + 4 * sample_rate // 10, dtype=np.float32)
        self._kept = 0
        self._max_keep = (self.columns - 1) * hop + frame_length
        most = 1 + (self._buffer.size - frame_length) // hop  # columns of a full buffer
        self._windowed = np.zeros((most, frame_length), dtype=np.float32)
        self._spectrum = np.zeros((most, frame_length // 2 + 1), dtype=np.complex64)
        self._lut32 = self.lut.view(np.uint32).reshape(-1)  # one colour: one uint32 (4 bytes)
        self._rgba32 = self.rgba.view(np.uint32).reshape(self.rows, self.columns)
        self._magnitude = np.zeros((self.columns, self.rows), dtype=np.float32)  # for image()
        self.columns_added = 0
        self._gap_after = 0  # columns_added at the last gap mark
        self.setToolTip(
            "What the microphone (or file) delivers: frequency over the last seconds, "
            f"colour = level from {FLOOR_DB:.0f} dBFS (dark) to {CEIL_DB:.0f} dBFS (bright). "
            "A grey column marks where the audio stopped or the source changed."
        )

    def clear_audio(self) -> None:
        """Forget all audio (e.g. the source changed)."""
        self._kept = 0
        self._magnitude.fill(0.0)
        self.rgba[:] = self.lut[0]
        self.write = 0
        self.mark_changed()

    def mark_gap(self) -> None:
        """A grey column where the audio stopped or changed (no frame joins the two sides);
        nothing when no column came since the last mark."""
        self._kept = 0
        if self.columns_added == self._gap_after:
            return
        self._gap_after = self.columns_added
        self._magnitude[self.write] = 0.0
        self.rgba[:, self.write] = self._gap_colour
        self.write = (self.write + 1) % self.columns
        self.mark_changed()

    def append_samples(self, samples: np.ndarray) -> int:
        """Add new audio; returns the number of spectrogram columns computed.

        A display frame brings 1-2 columns: the samples go into a preallocated buffer
        behind the ones left over, the windowed frames and their FFT into preallocated
        arrays, the colours straight into the image (one ``uint32`` per pixel); only a
        long stretch at once (after a stall) takes the general path with new arrays.
        """
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return 0
        kept = self._kept
        total = kept + x.size
        if total < self.frame_length:  # no whole frame yet
            self._buffer[kept:total] = x
            self._kept = total
            return 0
        if total <= self._buffer.size:
            self._buffer[kept:total] = x
            data = self._buffer[:total]
        else:  # a long stretch
            data = np.concatenate((self._buffer[:kept], x))
        if data.size > self._max_keep:  # never compute more columns than the image shows
            data = data[data.size - self._max_keep :]
        n = 1 + (data.size - self.frame_length) // self.hop
        frames = frame_view(data[: (n - 1) * self.hop + self.frame_length], self.frame_length, self.hop)
        if n <= self._windowed.shape[0]:
            windowed = np.multiply(frames, self._window, out=self._windowed[:n])
            spectrum = rfft(windowed, self.frame_length, self._spectrum[:n])
        else:
            spectrum = rfft(frames * self._window, self.frame_length)
        magnitude = np.abs(spectrum[:, : self._bins])
        if self._pool > 1:
            magnitude = magnitude.reshape(n, self.rows, self._pool).sum(axis=2)
        # Row 0 of the image is the top of the screen: the highest frequency.
        colours = self._lut32[np.searchsorted(self._thresholds, magnitude[:, ::-1], side="right").T]
        rest = data[n * self.hop :]
        self._buffer[: rest.size] = rest  # the samples of the next column (a copy if they overlap)
        self._kept = rest.size
        w = self.write
        first = min(n, self.columns - w)
        self._magnitude[w : w + first] = magnitude[:first]
        self._rgba32[:, w : w + first] = colours[:, :first]
        if first < n:  # the buffer wraps around
            self._magnitude[: n - first] = magnitude[first:]
            self._rgba32[:, : n - first] = colours[:, first:]
        self.write = (w + n) % self.columns
        self.columns_added += n
        self.mark_changed()
        return n

    def image(self) -> np.ndarray:
        """The (columns x rows) dB image, oldest column first, lowest frequency first."""
        magnitude = np.roll(self._magnitude, -self.write, axis=0)
        db = 20.0 * np.log10(np.maximum(magnitude * self._scale, 1e-5))
        return np.clip(db, FLOOR_DB, CEIL_DB)

    def row_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each row of :meth:`image`."""
        freqs = np.fft.rfftfreq(self.frame_length, 1.0 / self.sample_rate)[: self._bins]
        return freqs.reshape(self.rows, self._pool).mean(axis=1)

    # ---------------------------------------------------------------- painting
    def margins(self) -> tuple[int, int, int, int]:
        _, top, _, _ = super().margins()
        metrics = self.fontMetrics()
        left = metrics.height() + metrics.horizontalAdvance("8") + 12
        return left, top, self.colour_bar_width("-100"), 2 * metrics.height() + 6

    def draw_axes(self, painter: QPainter, plot: QRect) -> None:
        metrics = self.fontMetrics()
        painter.drawLine(plot.left() - 1, plot.top(), plot.left() - 1, plot.bottom() + 1)  # axes, as in
        painter.drawLine(plot.left() - 1, plot.bottom() + 1, plot.right(), plot.bottom() + 1)  # the plots
        for hz in range(0, int(self.top_hz) + 1, 2000):
            y = plot.bottom() - round((hz / self.top_hz) * plot.height())
            painter.drawLine(plot.left() - 4, y, plot.left() - 1, y)
            text_rect = QRect(0, y - metrics.height() // 2, plot.left() - 6, metrics.height())
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{hz // 1000}"
            )
        self.draw_vertical_label(painter, "frequency (kHz)", plot)
        step = 1 if self.seconds <= 6 else 2
        for sec in range(-int(self.seconds), 1, step):
            x = plot.left() + round((sec + self.seconds) / self.seconds * plot.width())
            painter.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4)
            text = f"{sec}"
            width = metrics.horizontalAdvance(text)
            left = min(max(0, x - width // 2), self.width() - width - 1)  # keep the labels inside
            painter.drawText(left, plot.bottom() + 4 + metrics.ascent(), text)
        self.draw_x_caption(painter, "time (s)", plot)
        self.draw_colour_bar(painter, plot, f"{CEIL_DB:.0f}", f"{FLOOR_DB:.0f}")
