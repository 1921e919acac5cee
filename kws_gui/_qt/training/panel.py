"""The training panel: new job, running job, history with result cards, and the recorder.

Everything slow happens elsewhere: jobs run as child processes read on threads
(:class:`~kws_gui.jobs.queue.JobQueue`), the data check runs on a worker thread.
A QTimer polls the queue and redraws only what changed, so the window, and the
live microphone view beside this panel, stay responsive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kws_gui.core.ring_buffer import AudioRingBuffer
from kws_gui.jobs.events import replay
from kws_gui.jobs.extras import ExtraStatus, train_extra_status
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec, JobSpecError

from .history_table import HistoryTable
from .job_form import JobForm
from .live_view import LiveView
from .recorder import RecorderPanel
from .result_card import ResultCard

POLL_MS = 100
#: Job kinds that need TensorFlow in the child (evaluate and benchmark run on the TFLite runtime).
NEEDS_TRAIN_EXTRA = (JobKind.TRAIN, JobKind.PRUNE)


class TrainingPanel(QWidget):
    """Train, prune, evaluate and benchmark from the app; see the module docstring.

    ``use_model(path)`` loads a model into the live classifier (MainWindow.load_model);
    ``ring_provider()`` returns the live engine's ring buffer (or None) for the recorder.
    ``queue`` and ``extra_status`` are for tests (a fake trainer, a missing extra).
    """

    job_finished = Signal(object)  # JobRecord

    def __init__(
        self,
        parent: QWidget | None = None,
        use_model: Callable[[str], None] | None = None,
        ring_provider: Callable[[], AudioRingBuffer | None] | None = None,
        queue: JobQueue | None = None,
        extra_status: ExtraStatus | None = None,
        recordings_root: str | Path | None = None,
        include_recorder: bool = True,
    ) -> None:
        super().__init__(parent)
        self.queue = queue if queue is not None else JobQueue()
        self.extra = extra_status if extra_status is not None else train_extra_status()
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
            self.recorder = RecorderPanel(ring_provider, root=recordings_root)
            self.recorder.clips_changed.connect(self._on_clips_changed)
            self.recorder.train_requested.connect(self._train_on_recordings)
            self.tabs.addTab(self.recorder, "Record clips")

        layout = QVBoxLayout(self)
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
        """The queue line, the running job's curves and log, and its result card when done."""
        self.queue_label = QLabel("")
        self.live = LiveView()
        self.live.cancel_requested.connect(self.cancel)
        self.live_card = ResultCard(use_model)
        self.live_card.hide()
        live_page = QWidget()
        live_layout = QVBoxLayout(live_page)
        live_layout.addWidget(self.queue_label)
        live_layout.addWidget(self.live, 1)
        live_layout.addWidget(self.live_card)
        return live_page

    def _build_history_page(self, use_model: Callable[[str], None] | None) -> QWidget:
        """Past jobs beside the selected job's result card and follow-up buttons."""
        self.history = HistoryTable()
        self.history.job_selected.connect(self._on_history_selected)
        self.card = ResultCard(use_model)
        self.show_run_button = QPushButton("Show curves and log")
        self.show_run_button.clicked.connect(self._show_selected_run)
        self.prune_button = QPushButton("Prune this model...")
        self.prune_button.clicked.connect(self._prune_selected)
        self.evaluate_button = QPushButton("Evaluate this model...")
        self.evaluate_button.clicked.connect(self._evaluate_selected)
        self.cancel_selected_button = QPushButton("Cancel job")
        self.cancel_selected_button.clicked.connect(self._cancel_selected)
        history_buttons = QHBoxLayout()
        for button in (
            self.show_run_button,
            self.prune_button,
            self.evaluate_button,
            self.cancel_selected_button,
        ):
            history_buttons.addWidget(button)
        history_buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.card)
        right_layout.addLayout(history_buttons)
        right_layout.addStretch(1)
        history_page = QSplitter()
        history_page.addWidget(self.history)
        history_page.addWidget(right)
        history_page.setStretchFactor(0, 3)
        history_page.setStretchFactor(1, 2)
        return history_page

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
        self.tabs.setCurrentIndex(1)
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
        pending = self.queue.pending
        running = self.queue.current
        text = f"Running: {running.spec.kind.title}" if running else "No job running."
        if pending:
            text += f"  Queued: {len(pending)}"
        self.queue_label.setText(text)

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

    # ---------------------------------------------------------------- private
    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def _blocked_reason(self, kind: JobKind) -> str | None:
        if kind in NEEDS_TRAIN_EXTRA and not self.extra.available:
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
            self.live_card.show_record(record)
            self.live_card.setVisible(record.status is JobStatus.SUCCEEDED or bool(record.metrics))
            self.job_finished.emit(record)
        if self.card.record is not None and self.card.record.id == record.id:
            self.card.show_record(record)
        self._update_buttons()

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
        self.live_card.show_record(record)
        self.live_card.setVisible(record.status.finished)
        self.tabs.setCurrentIndex(1)

    def _prune_selected(self) -> None:
        record = self._selected()
        if record is None or not record.outputs.get("keras"):
            return
        self.form.set_kind(JobKind.PRUNE)
        self.form.model_edit.setText(record.outputs["keras"])
        if record.spec.data and not self.form.data_edit.text():
            self.form.data_edit.setText(record.spec.data[0])
        self.tabs.setCurrentIndex(0)

    def _evaluate_selected(self) -> None:
        record = self._selected()
        path = record.model_path() if record else None
        if path is None:
            return
        self.form.set_kind(JobKind.EVALUATE)
        self.form.model_edit.setText(path)
        if record and record.spec.data and not self.form.data_edit.text():
            self.form.data_edit.setText(record.spec.data[0])
        self.tabs.setCurrentIndex(0)

    def _cancel_selected(self) -> None:
        record = self._selected()
        if record is not None:
            self.cancel(record.id)

    def _train_on_recordings(self, root: str) -> None:
        """Open a training job (the chosen preset) on the recordings: added to the chosen dataset, or alone."""
        self._on_clips_changed()
        if not self.form.current_kind.produces_model:
            self.form.set_kind(JobKind.TRAIN)
        if self.form.data_edit.text().strip() and self.form.data_edit.text().strip() != root:
            self.form.use_recordings.setChecked(True)
        else:
            self.form.use_recordings.setChecked(False)
            self.form.data_edit.setText(root)
        self.tabs.setCurrentIndex(0)

    def _on_clips_changed(self) -> None:
        if self.recorder is not None:
            self.form.recordings = self.recorder.store
        self.form.refresh_recordings()
