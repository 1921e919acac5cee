"""The job history: every job's config, status, metrics and output paths, kept across restarts.

Stored as one JSON file (``data_dir()/jobs/history.json``), rewritten atomically
(temporary file + ``os.replace``) after every change. A job that was queued or
running when the app stopped is marked failed ("interrupted") on the next load,
and its log stays where it was. An unreadable history file (bad JSON, larger than
:data:`MAX_HISTORY_BYTES`, nested deeper than :data:`MAX_HISTORY_DEPTH`) is set aside
as ``history.json.<UTC time>.bad`` (:mod:`kws_gui.core.file_backup`) and a
fresh history started, with a message for the user. Entries that cannot be read are
skipped with a message and written back unchanged on every save, so nothing is lost.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kws_gui.core.atomic_file import atomic_write
from kws_gui.core.bounded_json import loads_bounded
from kws_gui.core.file_backup import back_up
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobSpec, JobSpecError

HISTORY_SCHEMA = "kws-gui-jobs/1"
INTERRUPTED = "interrupted: the app stopped while the job was queued or running"
#: A history of thousands of jobs is a few MB; records nest about 6 levels deep.
MAX_HISTORY_BYTES = 64 * 1024 * 1024
MAX_HISTORY_DEPTH = 64


def jobs_root() -> Path:
    """``data_dir()/jobs``: one folder per job, plus ``history.json``."""
    from kws_gui.paths import data_dir

    return data_dir() / "jobs"


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_job_id(kind: str) -> str:
    """A sortable, unique folder-safe id: ``20261125-101500-train-ds-cnn-3f9a``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{kind}-{secrets.token_hex(2)}"


@dataclass
class JobRecord:
    """One job as the history keeps it."""

    id: str
    spec: JobSpec
    status: JobStatus = JobStatus.QUEUED
    created: str = field(default_factory=now_iso)
    started: str | None = None
    finished: str | None = None
    job_dir: str = ""
    exit_code: int | None = None
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return Path(self.job_dir) / "log.txt"

    @property
    def events_path(self) -> Path:
        return Path(self.job_dir) / "events.jsonl"

    def model_path(self, prefer: str = "float32") -> str | None:
        """The output model to load (``prefer`` = "float32" or "int8"), if the job made one."""
        for kind in (prefer, "int8" if prefer == "float32" else "float32"):
            path = self.outputs.get(kind)
            if path and Path(path).is_file():
                return path
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "spec": self.spec.to_dict(),
            "status": self.status.value,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "job_dir": self.job_dir,
            "exit_code": self.exit_code,
            "error": self.error,
            "metrics": self.metrics,
            "outputs": self.outputs,
            "argv": self.argv,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JobRecord:
        """Raises KeyError/ValueError/JobSpecError for a malformed entry."""
        return cls(
            id=str(d["id"]),
            spec=JobSpec.from_dict(d["spec"]),
            status=JobStatus(d.get("status", "failed")),
            created=str(d.get("created") or ""),
            started=d.get("started"),
            finished=d.get("finished"),
            job_dir=str(d.get("job_dir") or ""),
            exit_code=d.get("exit_code"),
            error=d.get("error"),
            metrics=dict(d.get("metrics") or {}),
            outputs={str(k): str(v) for k, v in dict(d.get("outputs") or {}).items()},
            argv=[str(a) for a in d.get("argv") or []],
        )


class JobHistory:
    """The ordered list of job records, persisted to ``path`` on every change."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else jobs_root() / "history.json"
        self.records: list[JobRecord] = []
        self.warning: str | None = None
        self._unreadable: list[Any] = []  # raw entries load skipped, written back by save
        self.load()

    def load(self) -> None:
        """(Re)read the file; interrupted jobs become failed; a broken file is set aside."""
        self.records = []
        self.warning = None
        self._unreadable = []
        if not self.path.exists():
            return
        try:
            size = self.path.stat().st_size
            if size > MAX_HISTORY_BYTES:
                raise ValueError(f"{size} bytes, more than the {MAX_HISTORY_BYTES} a history may have")
            text = self.path.read_text(encoding="utf-8")
            doc = loads_bounded(text, MAX_HISTORY_BYTES, MAX_HISTORY_DEPTH, "the file")
            entries = doc["jobs"] if isinstance(doc, dict) else None
            if not isinstance(entries, list):
                raise ValueError("no 'jobs' list")
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            self._set_aside(exc)
            return
        changed = False
        skipped = 0
        for entry in entries:
            try:
                record = JobRecord.from_dict(entry)
            except (KeyError, ValueError, TypeError, AttributeError, JobSpecError):
                skipped += 1
                self._unreadable.append(entry)
                continue
            if not record.status.finished:
                record.status = JobStatus.FAILED
                record.error = INTERRUPTED
                record.finished = record.finished or now_iso()
                changed = True
            self.records.append(record)
        if skipped:
            self.warning = (
                f"{skipped} unreadable job entries were skipped (they stay in {self.path.name} unchanged)"
            )
        if changed:
            self.save()

    def _set_aside(self, why: BaseException) -> None:
        """Move the unreadable file to a new timestamped ``.bad`` name and say so."""
        try:
            kept = f"it was moved to {back_up(self.path, move=True).name}"
        except OSError as exc:
            kept = f"it could not be moved aside ({exc.strerror or exc}) and is left as it is"
        reason = str(why) if len(str(why)) <= 200 else str(why)[:200] + "..."
        self.warning = f"the job history could not be read ({type(why).__name__}: {reason}); {kept}"

    def save(self) -> None:
        """Write the whole history atomically (entries load could not read are kept as they were)."""
        doc = {"schema": HISTORY_SCHEMA, "jobs": [r.to_dict() for r in self.records] + self._unreadable}
        atomic_write(self.path, json.dumps(doc, indent=1))

    def add(self, record: JobRecord) -> None:
        self.records.append(record)
        self.save()

    def get(self, job_id: str) -> JobRecord | None:
        return next((r for r in self.records if r.id == job_id), None)

    def remove(self, job_id: str) -> bool:
        """Forget a finished job (its folder stays on disk); True if it was there."""
        record = self.get(job_id)
        if record is None or not record.status.finished:
            return False
        self.records.remove(record)
        self.save()
        return True
