"""Training jobs from the app, without Qt and without TensorFlow.

* :mod:`~kws_gui.jobs.spec`: job kinds, settings, the ``kws-train`` command line;
* :mod:`~kws_gui.jobs.events`: the trainer's JSONL events and the live progress;
* :mod:`~kws_gui.jobs.runner`: one child process, read on threads, cancel = SIGTERM then kill;
* :mod:`~kws_gui.jobs.queue`: one job at a time, polled from the UI timer;
* :mod:`~kws_gui.jobs.history`: the persistent job history (``data_dir()/jobs``);
* :mod:`~kws_gui.jobs.metrics`: result-card figures (report + latency vs the reference);
* :mod:`~kws_gui.jobs.report_tables`: a report as tables (per source, per class, confusion, benchmark);
* :mod:`~kws_gui.jobs.sweep`: a sweep's trials as scatter points, the example space;
* :mod:`~kws_gui.jobs.dataset`: checking data folders, what kind of speech a folder holds;
* :mod:`~kws_gui.jobs.extras`: are the train and sweep extras installed.

Recording clips from the live audio is :mod:`kws_gui.core.recording`.
"""

from kws_gui.jobs.dataset import DataCheck, DataFolderError, inspect_data, source_kind
from kws_gui.jobs.events import JobEvent, JobProgress, format_duration, parse_event, replay
from kws_gui.jobs.extras import INSTALL_HINT, ExtraStatus, sweep_extra_status, train_extra_status
from kws_gui.jobs.history import JobHistory, JobRecord, jobs_root
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobOutcome, JobRunner, JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec, JobSpecError, build_argv, defaults_for
from kws_gui.jobs.sweep import SweepPoint, SweepState

__all__ = [
    "INSTALL_HINT",
    "DataCheck",
    "DataFolderError",
    "ExtraStatus",
    "JobEvent",
    "JobHistory",
    "JobKind",
    "JobOutcome",
    "JobProgress",
    "JobQueue",
    "JobRecord",
    "JobRunner",
    "JobSpec",
    "JobSpecError",
    "JobStatus",
    "SweepPoint",
    "SweepState",
    "build_argv",
    "defaults_for",
    "format_duration",
    "inspect_data",
    "jobs_root",
    "source_kind",
    "parse_event",
    "replay",
    "sweep_extra_status",
    "train_extra_status",
]
