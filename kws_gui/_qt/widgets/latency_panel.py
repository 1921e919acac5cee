"""Latency readouts: last / median / p95 per hop of preprocessing, inference and total,
beside the median of the hops that computed the whole window; the inference rate, which
says "idle (silence)" while the energy gate skips the model, audio overflows, the runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from kws_gui._qt.widgets.heading import heading

if TYPE_CHECKING:
    from kws_gui.core.engine import EngineSnapshot
    from kws_gui.core.latency import LatencyStats

ROWS = ("preprocess", "inference", "total")
COLUMNS = ("last", "median", "p95", "window")
#: What the columns mean, for their tooltips.
COLUMN_TIPS = {
    "last": "the last hop (only the frames it completed)",
    "median": "median of the recent hops (only the frames each completed): what the device spends per hop",
    "p95": "95th percentile of the recent hops: 95 % of them took at most this long "
    "(the slow ones show here, e.g. when other programs take the CPU)",
    "window": "median of the hops that computed the whole window (every 10th, and after silence): "
    "what classifying one window from scratch costs",
}


def format_us(value: float, count: int) -> str:
    """Microseconds for people; a dash before the first measurement."""
    if count <= 0:
        return "-"
    return f"{value:,.0f}" if value < 100_000 else f"{value / 1000:,.0f} ms"


RATE_TIP = (
    "Inferences per second (one per hop). The model is not run on silence: while the energy "
    "gate finds no hop of the window loud enough this says idle (silence)."
)
OVERFLOW_TIP = (
    "Audio blocks the sound card dropped because they were not taken in time (since the source "
    "started); 0 is good. A growing count means the computer is too busy."
)
RUNTIME_TIP = "The TFLite interpreter that runs the model"
IDLE = "idle (silence)"


class _FixedLabel(QLabel):
    """A label of fixed size (as wide as ``widest``): changing its text then never re-lays
    out the window. The size follows the font (zoom)."""

    def __init__(self, text: str, widest: str) -> None:
        super().__init__(text)
        self._widest = widest
        self._fix_size()

    def _fix_size(self) -> None:
        metrics = self.fontMetrics()
        self.setFixedSize(metrics.horizontalAdvance(self._widest) + 4, metrics.height() + 2)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._fix_size()
        super().changeEvent(event)


def _fixed_label(text: str, widest: str) -> QLabel:
    """A label of fixed size: changing its text then never re-lays out the window."""
    return _FixedLabel(text, widest)


def _tipped(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label


class LatencyPanel(QWidget):
    """A compact grid (microseconds) plus rate, overflows and the runtime in use."""

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(1)
        header = QLabel("µs")
        header.setStyleSheet("color: gray")
        grid.addWidget(header, 0, 0)
        for c, name in enumerate(COLUMNS, start=1):
            title = heading(name)
            title.setToolTip(COLUMN_TIPS[name])
            grid.addWidget(title, 0, c, alignment=Qt.AlignmentFlag.AlignRight)
        self.cells: dict[tuple[str, str], QLabel] = {}
        for r, row in enumerate(ROWS, start=1):
            grid.addWidget(QLabel(row), r, 0)
            for c, col in enumerate(COLUMNS, start=1):
                cell = _fixed_label("-", "9,999 ms")  # format_us: at most 5 digits of µs, then ms
                cell.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setObjectName(f"latency_{row}_{col}")
                cell.setToolTip(COLUMN_TIPS[col])
                self.cells[(row, col)] = cell
                grid.addWidget(cell, r, c)
        self.rate = _fixed_label("-", IDLE)
        self.rate.setToolTip(RATE_TIP)
        self.overflows = _fixed_label("0", "9,999,999")
        self.overflows.setToolTip(OVERFLOW_TIP)
        self.runtime = _fixed_label("-", "tflite-runtime 2.14.0")
        self.runtime.setToolTip(RUNTIME_TIP)
        grid.addWidget(_tipped("inferences/s", RATE_TIP), 4, 0)
        grid.addWidget(self.rate, 4, 1, 1, 2)
        grid.addWidget(_tipped("overflows", OVERFLOW_TIP), 4, 3)
        grid.addWidget(self.overflows, 4, 4)
        grid.addWidget(_tipped("runtime", RUNTIME_TIP), 5, 0)
        grid.addWidget(self.runtime, 5, 1, 1, len(COLUMNS))
        self._counts: tuple[int, int] | None = None  # inferences, energy-gate skips at the last snapshot

    def set_stats(self, name: str, stats: LatencyStats, window: LatencyStats | None = None) -> None:
        """Fill one row (``preprocess``, ``inference`` or ``total``): per hop, and the whole
        window's median from ``window`` (default: ``stats``, for a cost that does not differ)."""
        window = stats if window is None else window
        for col, value, count in (
            ("last", stats.last_us, stats.count),
            ("median", stats.median_us, stats.count),
            ("p95", stats.p95_us, stats.count),
            ("window", window.median_us, window.count),
        ):
            self.cells[(name, col)].setText(format_us(value, count))

    def show_snapshot(self, snapshot: EngineSnapshot, running: bool = True) -> None:
        """Update every readout from an engine snapshot (``running``: the audio flows)."""
        self.set_stats("preprocess", snapshot.preprocess, snapshot.window_preprocess)
        self.set_stats("inference", snapshot.inference)
        self.set_stats("total", snapshot.total, snapshot.window_total)
        counts = (snapshot.inferences, snapshot.vad_skips)
        previous, self._counts = self._counts, counts
        if not running:
            rate = "-"
        elif previous is not None and counts[0] == previous[0] and counts[1] > previous[1]:
            rate = IDLE  # hops went by, all skipped by the energy gate
        else:
            rate = f"{snapshot.inferences_per_s:.1f}"
        self.rate.setText(rate)
        self.overflows.setText(str(snapshot.overflows))
        self.runtime.setText(snapshot.runtime or "-")

    def value(self, row: str, col: str) -> str:
        """The text of one cell (for tests and screenshots)."""
        return self.cells[(row, col)].text()
