"""The running job: progress bar with ETA, its curves (training) or trials (sweep), and the log.

Training jobs show loss / accuracy (train per step, validation per epoch) and, once
pruning reports it, sparsity; the legend sits above the plots, never over a curve.
A sweep shows its trials as a scatter plot instead; evaluations and benchmarks show
no plots (their result is a table on the result card). The title row with "Cancel
job" stays at the top; plots, log and the panel's result card share a splitter.
"""

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
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.widgets._plot_style import FOREGROUND, label_color, style_plot
from kws_gui._qt.widgets.heading import heading
from kws_gui.jobs.events import JobProgress, format_duration
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind
from kws_gui.jobs.sweep import SweepState

from .sweep_plot import SweepScatter

TRAIN_PEN = pg.mkPen(label_color(0), width=1.5)
VAL_PEN = pg.mkPen(label_color(1), width=2)
SPARSITY_PEN = pg.mkPen(label_color(2), width=1.5)
MAX_LOG_BLOCKS = 3000
LEGEND = (
    f'<span style="color:{label_color(0)}">\u2501\u2501</span> training, per step &nbsp;&nbsp; '
    f'<span style="color:{label_color(1)}">\u2501\u25cf\u2501</span> validation, per epoch &nbsp;&nbsp; '
    f'<span style="color:{label_color(2)}">\u2501\u2501</span> sparsity of the pruned layers'
)
#: Pages of the body: what a job of each kind shows above its log.
PLOTS, SWEEP, NOTHING = 0, 1, 2


def _plot(title: str) -> pg.PlotWidget:
    """A training curve plot in the app's plot style, with a grid and steps on the x axis."""
    plot = pg.PlotWidget()
    style_plot(plot, title)
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", "step", color=FOREGROUND)
    plot.setMinimumSize(120, 80)
    return plot


def _xy(x: list[float], y: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Arrays without non-finite points (pyqtgraph draws NaN badly in some versions)."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]


class LiveView(QWidget):
    """Shows one job's :class:`JobProgress`; ``cancel_requested(job_id)`` from its button."""

    cancel_requested = Signal(str)
    sweep_point_clicked = Signal(object)  # SweepPoint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._record: JobRecord | None = None
        self._progress: JobProgress | None = None
        self._revision = -1
        self._log_seen = 0
        self._status: JobStatus | None = None
        self._recorded_sweep: SweepState | None = None
        self._build_header()
        self._build_plots()
        self.scatter = SweepScatter()
        self.scatter.point_clicked.connect(self.sweep_point_clicked)
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
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()

    def _build_plots(self) -> None:
        """Loss and accuracy (train per step, validation per epoch) and sparsity."""
        self.loss_plot = _plot("Loss")
        self.acc_plot = _plot("Accuracy")
        self.sparsity_plot = _plot("Sparsity")
        self.acc_plot.setYRange(0.0, 1.0)
        self.sparsity_plot.setYRange(0.0, 1.0)
        self.legend = QLabel(LEGEND)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.loss_train = self.loss_plot.plot([], [], pen=TRAIN_PEN, name="train (step)")
        self.loss_val = self.loss_plot.plot(
            [], [], pen=VAL_PEN, symbol="o", symbolSize=5, name="validation (epoch)"
        )
        self.acc_train = self.acc_plot.plot([], [], pen=TRAIN_PEN, name="train (step)")
        self.acc_val = self.acc_plot.plot(
            [], [], pen=VAL_PEN, symbol="o", symbolSize=5, name="validation (epoch)"
        )
        self.sparsity_curve = self.sparsity_plot.plot([], [], pen=SPARSITY_PEN)
        self.sparsity_plot.hide()  # shown once pruning reports a sparsity

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
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.setSpacing(2)
        plots_layout.addWidget(self.legend)
        row = QHBoxLayout()
        for plot in (self.loss_plot, self.acc_plot, self.sparsity_plot):
            row.addWidget(plot)
        plots_layout.addLayout(row, 1)
        self.body = QStackedWidget()
        self.body.addWidget(plots)  # PLOTS
        self.body.addWidget(self.scatter)  # SWEEP
        self.body.addWidget(QWidget())  # NOTHING
        self.split = QSplitter()
        self.split.setOrientation(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.body)
        self.split.addWidget(self.log)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.eta)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)

    def add_pane(self, widget: QWidget) -> None:
        """Put ``widget`` (the result card) under the log, in the same splitter."""
        self.split.addWidget(widget)
        self.split.setStretchFactor(self.split.count() - 1, 3)

    # ----------------------------------------------------------------- public
    @property
    def record(self) -> JobRecord | None:
        return self._record

    @property
    def sweep_state(self) -> SweepState | None:
        """The trials of the sweep shown (None for other jobs)."""
        if self._record is None or self._progress is None or self._record.spec.kind is not JobKind.SWEEP:
            return None
        return self._sweep_state(self._record, self._progress)

    def show_job(self, record: JobRecord | None, progress: JobProgress | None) -> None:
        """Switch to (or refresh) a job; redraws only when something changed."""
        if record is not self._record or progress is not self._progress:
            self._record, self._progress = record, progress
            self._revision, self._log_seen, self._status = -1, 0, None
            self._recorded_sweep = None
            self.log.clear()
            self._show_body(record)
        if record is None or progress is None:
            return
        if progress.revision == self._revision and record.status is self._status:
            return
        self._revision, self._status = progress.revision, record.status
        self._update_text(record, progress)
        if record.spec.kind is JobKind.SWEEP:
            self.scatter.show_state(self._sweep_state(record, progress))
        elif record.spec.kind.produces_model:
            self._update_curves(progress)
        lines = progress.new_log_lines(self._log_seen)
        self._log_seen = progress.log_count
        if lines:
            self.log.appendPlainText("\n".join(lines))

    # ---------------------------------------------------------------- private
    def _show_body(self, record: JobRecord | None) -> None:
        kind = record.spec.kind if record is not None else JobKind.TRAIN
        page = SWEEP if kind is JobKind.SWEEP else PLOTS if kind.produces_model else NOTHING
        self.body.setCurrentIndex(page)
        self.body.setVisible(page != NOTHING)

    def _sweep_state(self, record: JobRecord, progress: JobProgress) -> SweepState | None:
        """The trials from the events, or (a sweep shown without its events) from its sweep.json."""
        if progress.sweep is not None:
            return progress.sweep
        if self._recorded_sweep is None and record.status.finished:
            self._recorded_sweep = SweepState.of_job(record.job_dir)
        return self._recorded_sweep

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
            self.bar.setValue(0)
            self.bar.setFormat(progress.stage if running else "")  # the title says how it ended
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(round(fraction * 1000)))
            sweep = progress.sweep
            trials = f" ({sweep.done}/{sweep.total} trials)" if sweep is not None and sweep.total else ""
            self.bar.setFormat(f"{fraction:.0%}{trials}")
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
        self.sparsity_plot.setVisible(bool(c.sparsity))
