"""The training panel: new job, running job, history with result cards, and the recorder.

Everything slow happens elsewhere: jobs run as child processes read on threads
(:class:`~kws_gui.jobs.queue.JobQueue`), the data check runs on a worker thread.
A QTimer polls the queue and redraws only what changed, so the window, and the
live microphone view beside this panel, stay responsive.

Every page keeps its primary buttons on screen at 800x480: "Start job" under the
scrolling form, "Cancel job" in the running job's title row, "Use this model" at
the bottom edge of each result card, the history's buttons under its splitter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kws_gui.core.audio import SourceSpec
from kws_gui.core.ring_buffer import AudioRingBuffer
from kws_gui.jobs.events import replay
from kws_gui.jobs.extras import ExtraStatus, sweep_extra_status, train_extra_status
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.metrics import summarize_report
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec, JobSpecError
from kws_gui.jobs.sweep import SweepPoint, sweep_folder, trial_outputs, trial_report

from .history_table import HistoryTable
from .job_form import JobForm
from .live_view import LiveView
from .recorder import RecorderPanel
from .result_card import ResultCard

POLL_MS = 100
RUNNING_TAB = 1


class TrainingPanel(QWidget):
    """Train, prune, evaluate, benchmark and sweep from the app; see the module docstring.

    ``use_model(path)`` loads a model into the live classifier (MainWindow.load_model);
    ``model_used(path, description)`` follows, for the window to confirm it.
    ``ring_provider()`` returns the live engine's ring buffer (or None) for the recorder,
    ``source_provider()`` the live source's spec (the recorder says what it records from).
    ``queue``, ``extra_status`` and ``sweep_status`` are for tests (a fake trainer, missing extras).
    """

    job_finished = Signal(object)  # JobRecord
    model_used = Signal(str, str)  # path, description

    def __init__(
        self,
        parent: QWidget | None = None,
        use_model: Callable[[str], None] | None = None,
        ring_provider: Callable[[], AudioRingBuffer | None] | None = None,
        queue: JobQueue | None = None,
        extra_status: ExtraStatus | None = None,
        recordings_root: str | Path | None = None,
        include_recorder: bool = True,
        sweep_status: ExtraStatus | None = None,
        source_provider: Callable[[], SourceSpec | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = queue if queue is not None else JobQueue()
        self.extra = extra_status if extra_status is not None else train_extra_status()
        self.sweep_extra = sweep_status if sweep_status is not None else sweep_extra_status()
        self._use_model = use_model
        self._shown_running: str | None = None
        self._closed = False

        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #4e342e; color: #ffe0b2; padding: 6px;")
        self.banner.hide()

        self.form = JobForm(recordings_root)
        self.form.submitted.connect(self.submit)
        self.form.kind.currentIndexChanged.connect(self._update_launch_state)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.form, "New job")
        self.tabs.addTab(self._build_running_page(use_model), "Running")
        self.tabs.addTab(self._build_history_page(use_model), "History")
        self.recorder: RecorderPanel | None = None
        if include_recorder:
            self.recorder = RecorderPanel(
                ring_provider, root=recordings_root, source_provider=source_provider
            )
            self.recorder.clips_changed.connect(self._on_clips_changed)
            self.recorder.train_requested.connect(self._train_on_recordings)
            self.tabs.addTab(self.recorder, "Record clips")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)

        self.queue.add_listener(self._on_record_changed)
        self.history.set_records(self.queue.history.records)
        if self.queue.history.warning:
            self._show_banner(self.queue.history.warning)
        self._update_launch_state()
        self._update_buttons()
        self._start_polling()

    # ----------------------------------------------------------------- layout
    def _build_running_page(self, use_model: Callable[[str], None] | None) -> QWidget:
        """The running job's title and cancel button, its curves or trials, the log, and its result card."""
        self.live = LiveView()
        self.live.cancel_requested.connect(self.cancel)
        self.live.sweep_point_clicked.connect(self.show_trial)
        self.live_card = ResultCard(use_model, show_status=False)
        self.live_card.model_used.connect(self.model_used)
        self.live_card.hide()
        self.live.add_pane(self.live_card)
        return self.live

    def _build_history_page(self, use_model: Callable[[str], None] | None) -> QWidget:
        """Past jobs above the selected job's result card; the follow-up buttons at the bottom."""
        self.history = HistoryTable()
        self.history.job_selected.connect(self._on_history_selected)
        self.card = ResultCard(use_model)
        self.card.model_used.connect(self.model_used)
        self.show_run_button = QPushButton("Curves and log")
        self.show_run_button.setToolTip("show this job's progress, curves (or trials) and log")
        self.show_run_button.clicked.connect(self._show_selected_run)
        self.prune_button = QPushButton("Prune...")
        self.prune_button.setToolTip("prune and fine-tune this job's model")
        self.prune_button.clicked.connect(self._prune_selected)
        self.evaluate_button = QPushButton("Evaluate...")
        self.evaluate_button.setToolTip("evaluate this job's model on a data split")
        self.evaluate_button.clicked.connect(self._evaluate_selected)
        self.cancel_selected_button = QPushButton("Cancel job")
        self.cancel_selected_button.clicked.connect(self._cancel_selected)
        history_buttons = QHBoxLayout()
        history_buttons.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.show_run_button,
            self.prune_button,
            self.evaluate_button,
            self.cancel_selected_button,
        ):
            history_buttons.addWidget(button)
        history_buttons.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.history)
        split.addWidget(self.card)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addLayout(history_buttons)
        return page

    def _start_polling(self) -> None:
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        app = QCoreApplication.instance()
        if app is not None:  # a job must not outlive the app (graceful stop, then kill)
            app.aboutToQuit.connect(self.shutdown)

    # ----------------------------------------------------------------- public
    def submit(self, spec: JobSpec) -> JobRecord | None:
        """Queue a job; shows the running view. Returns the record (None if refused)."""
        reason = self._blocked_reason(spec.kind)
        if reason:
            self.form.form_error.setText(reason)
            return None
        try:
            record = self.queue.submit(spec)
        except (JobSpecError, OSError) as exc:
            self.form.form_error.setText(str(exc))
            return None
        self.tabs.setCurrentIndex(RUNNING_TAB)
        self.poll()
        return record

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job, or stop the running one (SIGTERM, then kill after the timeout)."""
        self.queue.cancel(job_id)
        self.poll()

    def poll(self) -> None:
        """Drain the queue and refresh the views (the timer calls this)."""
        self.queue.poll()
        record, progress = self.queue.progress_record, self.queue.progress
        if record is not None and (self._shown_running is None or self._shown_running == record.id):
            self.live.show_job(record, progress)
        queued = len(self.queue.pending)
        self.tabs.setTabText(RUNNING_TAB, f"Running ({queued} queued)" if queued else "Running")

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop polling and stop any job (graceful first). Call when the window closes."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.form.shutdown()
        self.queue.shutdown(timeout)

    def select_job(self, job_id: str) -> None:
        self.history.select_job(job_id)
        self._on_history_selected(job_id)

    def show_trial(self, point: SweepPoint) -> None:
        """The result card of one sweep trial (a scatter point), with "Use this model"."""
        job = self.live.record
        state = self.live.sweep_state
        if job is None or state is None:
            return
        outputs = trial_outputs(job.job_dir, state, point.trial)
        report = trial_report(job.job_dir, state, point.trial)
        metrics = summarize_report(report, outputs, job.spec.data) if report else {}
        for key, value in (
            ("val_accuracy", point.accuracy),
            ("test_accuracy", point.test_accuracy),
            ("zipped_bytes", point.zipped_bytes),
            ("tflite_bytes", point.tflite_bytes),
            ("trainer_latency_us", point.latency_us),
        ):
            if value is not None and point.flavour == "float32":
                metrics.setdefault(key, value)
            elif value is not None:
                metrics.setdefault(f"int8_{key}", value)
        record = JobRecord(
            id=f"{job.id}/{point.trial}",
            spec=job.spec,
            status=JobStatus.SUCCEEDED,
            job_dir=str(sweep_folder(job.job_dir) / f"trials/{point.trial}"),
            metrics=metrics,
            outputs=outputs,
        )
        options = " ".join(f"{k}={v}" for k, v in point.options.items()) or "the space's fixed options"
        pick = " (the sweep's pick)" if state.is_pick(point) else ""
        self.live_card.show_record(record, title=f"Trial {point.trial}{pick}: {options}")
        index = self.live_card.variant.findData(point.flavour)
        if index >= 0:
            self.live_card.variant.setCurrentIndex(index)
        self.live_card.show()

    # ---------------------------------------------------------------- private
    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def _blocked_reason(self, kind: JobKind) -> str | None:
        if kind is JobKind.SWEEP and not self.sweep_extra.available:
            return self.sweep_extra.message
        if kind.trains and not self.extra.available:
            return self.extra.message
        return None

    def _update_launch_state(self, *_: object) -> None:
        if not self.extra.available:
            self._show_banner(self.extra.message + "  (Evaluating and benchmarking models still work.)")
        self.form.set_launch_blocked(self._blocked_reason(self.form.current_kind))

    def _on_record_changed(self, record: JobRecord) -> None:
        if self.history.has(record.id):
            self.history.update_record(record)
        else:
            self.history.set_records(self.queue.history.records)
        if record.status is JobStatus.RUNNING:
            self._shown_running = None  # follow the new running job
            self.live_card.hide()
        if record.status.finished and self.queue.progress_record is record:
            self.live.show_job(record, self.queue.progress)
            self._show_live_card(record)
            self.job_finished.emit(record)
        if self.card.record is not None and self.card.record.id == record.id:
            self.card.show_record(record)
        self._update_buttons()

    def _show_live_card(self, record: JobRecord) -> None:
        """The finished job's card under its log, when it has anything to show."""
        self.live_card.show_record(record)
        figures = set(record.metrics) - {"wall_seconds"}
        self.live_card.setVisible(record.status is JobStatus.SUCCEEDED or bool(figures))
        if self.live_card.isVisible():
            sizes = self.live.split.sizes()
            total = sum(sizes)
            if len(sizes) == 3 and total > 0 and sizes[2] < total // 3:
                body = sizes[0] if self.live.body.isVisible() else 0
                self.live.split.setSizes([body * 2 // 3, total // 5, total - body * 2 // 3 - total // 5])

    def _on_history_selected(self, job_id: str) -> None:
        record = self.queue.history.get(job_id)
        self.card.show_record(record)
        self._update_buttons()

    def _selected(self) -> JobRecord | None:
        return self.card.record

    def _update_buttons(self) -> None:
        record = self._selected()
        done = record is not None and record.status is JobStatus.SUCCEEDED
        self.show_run_button.setEnabled(record is not None and record.status is not JobStatus.QUEUED)
        self.prune_button.setEnabled(done and bool(record and record.outputs.get("keras")))
        self.evaluate_button.setEnabled(done and bool(record and record.model_path()))
        self.cancel_selected_button.setEnabled(record is not None and not record.status.finished)

    def _show_selected_run(self) -> None:
        record = self._selected()
        if record is None:
            return
        if self.queue.progress_record is not None and record.id == self.queue.progress_record.id:
            self._shown_running = None
            self.live.show_job(record, self.queue.progress)
        else:
            self._shown_running = record.id
            self.live.show_job(record, replay(record.events_path, record.log_path))
        if record.status.finished:
            self._show_live_card(record)
        else:
            self.live_card.hide()
        self.tabs.setCurrentIndex(RUNNING_TAB)

    def _follow_up(self, kind: JobKind, model: str, record: JobRecord) -> None:
        """Open the form for a job on ``model`` (the job's data folders, if the form has none)."""
        self.form.set_kind(kind)
        self.form.model_edit.setText(model)
        if record.spec.data and not self.form.folders.folders():
            weights = record.spec.weights or (1.0,) * len(record.spec.data)
            self.form.folders.set_folders(list(zip(record.spec.data, weights, strict=True)))
        self.tabs.setCurrentIndex(0)

    def _prune_selected(self) -> None:
        record = self._selected()
        if record is not None and record.outputs.get("keras"):
            self._follow_up(JobKind.PRUNE, record.outputs["keras"], record)

    def _evaluate_selected(self) -> None:
        record = self._selected()
        path = record.model_path() if record else None
        if record is not None and path is not None:
            self._follow_up(JobKind.EVALUATE, path, record)

    def _cancel_selected(self) -> None:
        record = self._selected()
        if record is not None:
            self.cancel(record.id)

    def _train_on_recordings(self, root: str) -> None:
        """Open a training job (the chosen preset) on the recordings: added to the chosen data, or alone."""
        self._on_clips_changed()
        if not self.form.current_kind.produces_model:
            self.form.set_kind(JobKind.TRAIN)
        others = [f for f, _ in self.form.folders.folders() if f != root]
        if others:
            self.form.use_recordings.setChecked(True)
        else:
            self.form.use_recordings.setChecked(False)
            self.form.folders.set_folders([root])
        self.tabs.setCurrentIndex(0)

    def _on_clips_changed(self) -> None:
        if self.recorder is not None:
            self.form.recordings = self.recorder.store
        self.form.refresh_recordings()
        self.form.recheck()
