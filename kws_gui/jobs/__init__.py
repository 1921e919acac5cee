"""Training jobs from the app, without Qt and without TensorFlow.

* :mod:`~kws_gui.jobs.spec`: job kinds, settings, the ``kws-train`` command line;
* :mod:`~kws_gui.jobs.events`: the trainer's JSONL events and the live progress;
* :mod:`~kws_gui.jobs.runner`: one child process, read on threads, cancel = SIGTERM then kill;
* :mod:`~kws_gui.jobs.queue`: one job at a time, polled from the UI timer;
* :mod:`~kws_gui.jobs.history`: the persistent job history (``data_dir()/jobs``);
* :mod:`~kws_gui.jobs.metrics`: result-card figures (report + latency vs the reference);
* :mod:`~kws_gui.jobs.dataset`: checking and merging data folders;
* :mod:`~kws_gui.jobs.extras`: is the train extra installed.

Recording clips from the live audio is :mod:`kws_gui.core.recording`.
"""

from kws_gui.jobs.dataset import DataCheck, DataFolderError, inspect_data, merge_datasets
from kws_gui.jobs.events import JobEvent, JobProgress, format_duration, parse_event, replay
from kws_gui.jobs.extras import INSTALL_HINT, ExtraStatus, train_extra_status
from kws_gui.jobs.history import JobHistory, JobRecord, jobs_root
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobOutcome, JobRunner, JobStatus
from kws_gui.jobs.spec import Hyperparameters, JobKind, JobSpec, JobSpecError, build_argv, defaults_for

__all__ = [
    "INSTALL_HINT",
    "DataCheck",
    "DataFolderError",
    "ExtraStatus",
    "Hyperparameters",
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
    "build_argv",
    "defaults_for",
    "format_duration",
    "inspect_data",
    "jobs_root",
    "merge_datasets",
    "parse_event",
    "replay",
    "train_extra_status",
]
