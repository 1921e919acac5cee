"""The running job: progress bar with ETA, loss / accuracy / sparsity curves, and the log."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.widgets._plot_style import FOREGROUND, label_color, style_plot
from kws_gui._qt.widgets.heading import heading
from kws_gui.jobs.events import JobProgress, format_duration
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.runner import JobStatus

TRAIN_PEN = pg.mkPen(label_color(0), width=1.5)
VAL_PEN = pg.mkPen(label_color(1), width=2)
SPARSITY_PEN = pg.mkPen(label_color(2), width=1.5)
MAX_LOG_BLOCKS = 3000


def _plot(title: str) -> pg.PlotWidget:
    """A training curve plot in the app's plot style, with a grid and steps on the x axis."""
    plot = pg.PlotWidget()
    style_plot(plot, title)
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", "step", color=FOREGROUND)
    plot.setMinimumSize(160, 120)
    return plot


def _xy(x: list[float], y: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Arrays without non-finite points (pyqtgraph draws NaN badly in some versions)."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]


class LiveView(QWidget):
    """Shows one job's :class:`JobProgress`; ``cancel_requested(job_id)`` from its button."""

    cancel_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._record: JobRecord | None = None
        self._progress: JobProgress | None = None
        self._revision = -1
        self._log_seen = 0
        self._status: JobStatus | None = None
        self._build_header()
        self._build_plots()
        self._build_log()
        self._build_layout()

    # ----------------------------------------------------------------- layout
    def _build_header(self) -> None:
        """Title, cancel button, progress bar, ETA and the failure message."""
        self.title = heading("No job has run yet.")
        self.title.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.eta = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #e57373;")
        self.message.hide()

    def _build_plots(self) -> None:
        """Loss and accuracy (train per step, validation per epoch) and sparsity."""
        self.loss_plot = _plot("Loss")
        self.acc_plot = _plot("Accuracy")
        self.sparsity_plot = _plot("Sparsity")
        self.acc_plot.setYRange(0.0, 1.0)
        self.sparsity_plot.setYRange(0.0, 1.0)
        for plot in (self.loss_plot, self.acc_plot):
            plot.getPlotItem().addLegend(offset=(-5, 5), labelTextColor=FOREGROUND)
        self.loss_train = self.loss_plot.plot([], [], pen=TRAIN_PEN, name="train (step)")
        self.loss_val = self.loss_plot.plot(
            [], [], pen=VAL_PEN, symbol="o", symbolSize=5, name="validation (epoch)"
        )
        self.acc_train = self.acc_plot.plot([], [], pen=TRAIN_PEN, name="train (step)")
        self.acc_val = self.acc_plot.plot(
            [], [], pen=VAL_PEN, symbol="o", symbolSize=5, name="validation (epoch)"
        )
        self.sparsity_curve = self.sparsity_plot.plot([], [], pen=SPARSITY_PEN)

    def _build_log(self) -> None:
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(MAX_LOG_BLOCKS)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.log.setFont(mono)

    def _build_layout(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.cancel_button)
        plots = QWidget()
        row = QHBoxLayout(plots)
        row.setContentsMargins(0, 0, 0, 0)
        for plot in (self.loss_plot, self.acc_plot, self.sparsity_plot):
            row.addWidget(plot)
        split = QSplitter()
        split.setOrientation(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(self.log)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.eta)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    # ----------------------------------------------------------------- public
    @property
    def record(self) -> JobRecord | None:
        return self._record

    def show_job(self, record: JobRecord | None, progress: JobProgress | None) -> None:
        """Switch to (or refresh) a job; redraws only when something changed."""
        if record is not self._record or progress is not self._progress:
            self._record, self._progress = record, progress
            self._revision, self._log_seen, self._status = -1, 0, None
            self.log.clear()
        if record is None or progress is None:
            return
        if progress.revision == self._revision and record.status is self._status:
            return
        self._revision, self._status = progress.revision, record.status
        self._update_text(record, progress)
        self._update_curves(progress)
        lines = progress.new_log_lines(self._log_seen)
        self._log_seen = progress.log_count
        if lines:
            self.log.appendPlainText("\n".join(lines))

    # ---------------------------------------------------------------- private
    def _cancel(self) -> None:
        if self._record is not None:
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling...")
            self.cancel_requested.emit(self._record.id)

    def _update_text(self, record: JobRecord, progress: JobProgress) -> None:
        status = record.status
        self.title.setText(f"{record.spec.describe()}: {status.value}")
        running = status is JobStatus.RUNNING
        self.cancel_button.setEnabled(running and self.cancel_button.text() == "Cancel job")
        if not running:
            self.cancel_button.setText("Cancel job")
            self.cancel_button.setEnabled(False)
        fraction = progress.fraction
        if status is JobStatus.SUCCEEDED:
            fraction = 1.0
        if fraction is None:
            self.bar.setRange(0, 0 if running else 1000)  # busy indicator while the trainer starts
            self.bar.setFormat(progress.stage)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(round(fraction * 1000)))
            self.bar.setFormat(f"{fraction:.0%}")
        parts = []
        if progress.total_steps:
            parts.append(f"step {progress.step}/{progress.total_steps}")
        if progress.epochs:
            parts.append(f"epoch {max(progress.epoch, 1) if running else progress.epoch}/{progress.epochs}")
        parts.append(f"elapsed {format_duration(progress.elapsed_s)}")
        if running:
            parts.append(f"ETA {format_duration(progress.eta_s)}")
            if progress.stage_message:
                parts.append(progress.stage_message)
        for key in ("loss", "accuracy", "sparsity"):
            value = progress.last_metrics.get(key)
            if value is not None and math.isfinite(value):
                parts.append(f"{key} {value:.3f}")
        self.eta.setText(" | ".join(parts))
        error = record.error if status in (JobStatus.FAILED, JobStatus.CANCELLED) else None
        self.message.setText(error or "")
        self.message.setVisible(bool(error))

    def _update_curves(self, progress: JobProgress) -> None:
        c = progress.curves
        self.loss_train.setData(*_xy(c.step, c.loss))
        self.acc_train.setData(*_xy(c.step, c.accuracy))
        steps_per_epoch = progress.steps_per_epoch or (
            progress.total_steps / progress.epochs if progress.total_steps and progress.epochs else 1
        )
        epoch_steps = [e * steps_per_epoch for e in c.epoch]
        self.loss_val.setData(*_xy(epoch_steps, c.val_loss))
        self.acc_val.setData(*_xy(epoch_steps, c.val_accuracy))
        self.sparsity_curve.setData(*_xy(c.sparsity_step, c.sparsity))
