"""Sweep jobs in the app: the built-in example space, and the trials as points for a scatter plot.

``kws-train sweep --progress jsonl`` reports ``trial_started`` (trial, options, dir),
``trial_progress`` (trial, epoch, epochs, loss, accuracy, val_accuracy),
``trial_finished`` (trial, done, total, record) and finally ``result`` (the whole
``sweep.json`` document). :class:`SweepState` folds them, or a saved ``sweep.json``,
into trial records; :meth:`SweepState.points` gives one point per model file of every
finished trial (its validation accuracy, zipped size and latency), which the panel
plots. Trial folders live under the job's ``output/`` (or ``work/`` while it runs, or
after a cancel). No Qt, no Ray.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kws_gui.core.atomic_file import atomic_write
from kws_gui.core.bounded_json import loads_bounded
from kws_gui.core.train_config import PRESETS

#: A small space that finishes in minutes on two cores: 4 trials of the DS-CNN preset.
EXAMPLE_SPACE: dict[str, Any] = {
    "preset": "ds-cnn",
    "epochs": 5,
    "filters": [16, 32],
    "final-sparsity": [0.5, 0.9],
}
EXAMPLE_FILE = "space.json"
SWEEP_FILE = "sweep.json"
MAX_SWEEP_BYTES = 256 << 20
MAX_SPACE_BYTES = 1 << 20
#: What the points' accuracy is (the sweep ranks by it; test splits stay untouched by the choice).
ACCURACY_NAME = "validation accuracy"


def write_example_space(path: str | Path) -> Path:
    """Write :data:`EXAMPLE_SPACE` as JSON to ``path`` (a space file ``kws-train sweep`` reads)."""
    return atomic_write(Path(path), json.dumps(EXAMPLE_SPACE, indent=2) + "\n")


def space_labels(path: str | Path | None) -> tuple[str, ...]:
    """The labels a space file trains for: its fixed ``labels`` or ``preset``, else the default preset's.

    Best effort, for the data check: a file this cannot read is the trainer's to refuse.
    """
    data: Any = EXAMPLE_SPACE
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")[:MAX_SPACE_BYTES]
            if text.lstrip().startswith("{"):
                data = loads_bounded(text, MAX_SPACE_BYTES, 8, "the space")
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception:  # unreadable, bad JSON/YAML, no PyYAML: the default preset's labels
            data = {}
    data = data if isinstance(data, dict) else {}
    labels = data.get("labels")
    if isinstance(labels, str) and labels.strip():
        return tuple(x.strip() for x in labels.split(",") if x.strip())
    preset = data.get("preset")
    config = PRESETS.get(preset) if isinstance(preset, str) else None
    return tuple((config or PRESETS["ds-cnn"]).labels)


@dataclass(frozen=True)
class SweepPoint:
    """One model file of a finished trial, as the scatter plot shows it."""

    trial: str
    flavour: str
    accuracy: float
    zipped_bytes: int
    latency_us: float | None
    test_accuracy: float | None
    tflite_bytes: int | None
    file: str | None  # relative to the sweep's folder
    options: dict[str, Any] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class SweepState:
    """The trials of one sweep, from its events or its ``sweep.json``."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.total: int | None = None
        self.done = 0
        self.pick: dict[str, Any] | None = None
        self.status = "running"
        self.revision = 0

    # ------------------------------------------------------------- feeding
    def feed(self, kind: str, data: dict[str, Any]) -> bool:
        """Apply one event (``start``, ``trial_*``, ``result``); True if it was a sweep event."""
        trial = data.get("trial")
        if kind == "start" and data.get("command") == "sweep":
            self.total = _int(data.get("trials")) or self.total
        elif kind == "trial_started" and isinstance(trial, str):
            self.records[trial] = {
                "id": trial,
                "options": dict(data.get("options") or {}),
                "dir": data.get("dir"),
                "status": "running",
            }
        elif kind == "trial_progress" and isinstance(trial, str):
            record = self.records.setdefault(trial, {"id": trial, "status": "running"})
            record["progress"] = {k: data.get(k) for k in ("epoch", "epochs", "val_accuracy")}
        elif kind == "trial_finished" and isinstance(data.get("record"), dict):
            record = data["record"]
            if isinstance(record.get("id"), str):
                self.records[record["id"]] = record
            self.done = _int(data.get("done")) or self.done
            self.total = _int(data.get("total")) or self.total
        elif kind == "result" and isinstance(data.get("report"), dict):
            self.load_document(data["report"])
        else:
            return False
        self.revision += 1
        return True

    def load_document(self, document: dict[str, Any]) -> None:
        """Take every trial, the pick and the status from a ``sweep.json`` document."""
        for record in document.get("trials") or []:
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                self.records[record["id"]] = record
        self.total = _int(document.get("trials_total")) or self.total
        self.done = sum(r.get("status") in ("ok", "failed") for r in self.records.values())
        self.pick = document.get("pick") if isinstance(document.get("pick"), dict) else None
        self.status = str(document.get("status") or self.status)
        self.revision += 1

    @classmethod
    def of_job(cls, job_dir: str | Path) -> SweepState | None:
        """The state recorded in a sweep job's ``sweep.json``, or None when there is none."""
        document = read_document(job_dir)
        if document is None:
            return None
        state = cls()
        state.load_document(document)
        return state

    # ------------------------------------------------------------- reading
    @property
    def fraction(self) -> float | None:
        """Share of the trials done (0..1), or None when the total is unknown."""
        return min(1.0, self.done / self.total) if self.total else None

    def counts(self) -> dict[str, int]:
        """Status -> trials (ok, failed, running, unfinished)."""
        out: dict[str, int] = {}
        for record in self.records.values():
            status = str(record.get("status", "unknown"))
            out[status] = out.get(status, 0) + 1
        return out

    def points(self) -> list[SweepPoint]:
        """One point per model file of every ``ok`` trial with an accuracy and a zipped size."""
        out = []
        for record in self.records.values():
            if record.get("status") != "ok":
                continue
            for flavour, m in (record.get("models") or {}).items():
                if not isinstance(m, dict):
                    continue
                accuracy, zipped = _number(m.get("validation_accuracy")), _number(m.get("zipped_bytes"))
                if accuracy is None or zipped is None:
                    continue
                tflite = _number(m.get("tflite_bytes"))
                out.append(
                    SweepPoint(
                        trial=str(record["id"]),
                        flavour=str(flavour),
                        accuracy=accuracy,
                        zipped_bytes=int(zipped),
                        latency_us=_number(m.get("latency_us")),
                        test_accuracy=_number(m.get("test_accuracy")),
                        tflite_bytes=int(tflite) if tflite is not None else None,
                        file=f"{record.get('dir')}/{m['file']}"
                        if m.get("file") and record.get("dir")
                        else None,
                        options=dict(record.get("options") or {}),
                    )
                )
        return out

    def is_pick(self, point: SweepPoint) -> bool:
        """True for the sweep's named pick (the smallest model within X points of the best)."""
        return bool(self.pick) and (self.pick.get("trial"), self.pick.get("flavour")) == (
            point.trial,
            point.flavour,
        )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def sweep_folder(job_dir: str | Path) -> Path:
    """Where a sweep job's trials are: ``output/`` once it succeeded, else ``work/``."""
    job = Path(job_dir)
    return job / "output" if (job / "output").is_dir() else job / "work"


def read_document(job_dir: str | Path) -> dict[str, Any] | None:
    """The ``sweep.json`` of a sweep job's folder (a cancelled one's too), or None."""
    path = sweep_folder(job_dir) / SWEEP_FILE
    try:
        document = loads_bounded(path.read_bytes(), MAX_SWEEP_BYTES, 32, str(path))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def trial_outputs(job_dir: str | Path, state: SweepState, trial: str) -> dict[str, str]:
    """Flavour -> model file of one trial (only files that exist)."""
    record = state.records.get(trial) or {}
    folder = sweep_folder(job_dir)
    out = {}
    for flavour, m in (record.get("models") or {}).items():
        if isinstance(m, dict) and m.get("file") and record.get("dir"):
            path = folder / str(record["dir"]) / str(m["file"])
            if path.is_file():
                out[str(flavour)] = str(path)
    return out


def trial_report(job_dir: str | Path, state: SweepState, trial: str) -> dict[str, Any] | None:
    """The training report of one trial (its ``*.report.json``), or None."""
    record = state.records.get(trial) or {}
    if not record.get("dir"):
        return None
    folder = sweep_folder(job_dir) / str(record["dir"])
    for path in sorted(folder.glob("*.report.json")):
        try:
            report = loads_bounded(path.read_bytes(), 64 << 20, 64, str(path))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict):
            return report
    return None


def summarize_sweep(document: Any, job_dir: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """History metrics of a finished sweep (trial counts, the pick) and its outputs (the pick's file).

    The pick's file becomes the job's output of its flavour, so "Use this model" on the
    sweep's card loads the model the sweep recommends.
    """
    if not isinstance(document, dict):
        return {}, {}
    state = SweepState()
    state.load_document(document)
    metrics: dict[str, Any] = {"trials": state.counts(), "trials_total": state.total}
    outputs: dict[str, str] = {}
    pick = state.pick
    if pick:
        metrics["pick"] = {
            k: pick.get(k)
            for k in (
                "trial",
                "flavour",
                "accuracy",
                "test_accuracy",
                "zipped_bytes",
                "tflite_bytes",
                "latency_us",
                "rule",
            )
        }
        for key in ("accuracy", "test_accuracy", "zipped_bytes", "tflite_bytes"):
            if pick.get(key) is not None:
                metrics[{"accuracy": "val_accuracy"}.get(key, key)] = pick[key]
        if pick.get("file"):
            path = sweep_folder(job_dir) / str(pick["file"])
            if path.is_file():
                outputs[str(pick.get("flavour") or "float32")] = str(path)
    return metrics, outputs
