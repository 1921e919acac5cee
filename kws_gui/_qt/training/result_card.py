"""A finished job at a glance: accuracy on which data, sizes, latency, tables, and "Use this model".

The figures scroll; the action row ("Use this model", the model variant, "Open
folder") stays at the card's bottom edge, so it is never below the fold.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kws_gui.core.bounded_json import loads_bounded
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.report_tables import report_tables
from kws_gui.jobs.runner import JobStatus

from .report_view import ReportTablesView

MAX_REPORT_BYTES = 64 << 20
#: The feedback after "Use this model", readable on light and dark themes.
DONE_STYLE = "background: #1b5e20; color: white; padding: 3px 6px;"
ERROR_STYLE = "background: #b71c1c; color: white; padding: 3px 6px;"


def _pct(value: Any) -> str | None:
    return f"{value:.1%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _kb(value: Any) -> str | None:
    return f"{value / 1024:.1f} KB" if isinstance(value, (int, float)) else None


def _ms(value: Any) -> str | None:
    return f"{value / 1000:.2f} ms" if isinstance(value, (int, float)) else None


def _pair(a: str | None, b: str | None) -> str | None:
    """``"a (int8 b)"`` with whichever parts are known."""
    if a and b:
        return f"{a}  (int8: {b})"
    return a or (f"int8: {b}" if b else None)


def _sparsity(m: dict[str, Any]) -> str | None:
    pruned, overall = _pct(m.get("sparsity")), _pct(m.get("sparsity_overall"))
    if pruned and overall and pruned != overall:
        return f"{pruned} of the pruned layers ({overall} of all weights)"
    return pruned or overall


def _clips(n: Any) -> str:
    return f" of {int(n)} clips" if isinstance(n, (int, float)) else ""


def measured_on(m: dict[str, Any]) -> str | None:
    """The data an accuracy was measured on: one source by name and kind, or how many."""
    sources = m.get("sources")
    if not isinstance(sources, list) or not sources:
        return None
    if len(sources) == 1:
        return str(sources[0].get("title") or sources[0].get("name"))
    return f"{len(sources)} data folders together"


def per_source_text(m: dict[str, Any], split: str = "test") -> str | None:
    """``"real-v0.02-test-speakers (real speech): 96.0% of 50 clips; tts-yes-no (synthetic): 99.2% ..."``."""
    sources = m.get("sources")
    if not isinstance(sources, list) or len(sources) < 2:
        return None
    parts = []
    for s in sources:
        if "accuracy" in s:  # an evaluation
            value, n = _pct(s.get("accuracy")), s.get("n")
        else:
            value = _pair(_pct(s.get(f"{split}_accuracy")), _pct(s.get(f"int8_{split}_accuracy")))
            n = s.get(f"{split}_n")
        parts.append(f"{s.get('title') or s.get('name')}: {value or '-'}{_clips(n)}")
    return "; ".join(parts)


def card_rows(record: JobRecord, show_status: bool = True) -> list[tuple[str, str]]:
    """(name, value) rows describing a job's result; only what is known."""
    m = record.metrics
    on = measured_on(m)
    rows: list[tuple[str, str | None]] = [("Status", record.status.value)] if show_status else []
    if record.error:
        rows.append(("Message", record.error))
    test = _pair(_pct(m.get("test_accuracy")), _pct(m.get("int8_test_accuracy")))
    evaluation = "accuracy" in m  # an evaluation: accuracy on its split, overall and per source
    rows += [
        ("Test accuracy", f"{test} on {on}" if test and on else test),
        ("Test accuracy per source", None if evaluation else per_source_text(m)),
        ("Validation accuracy", _pair(_pct(m.get("val_accuracy")), _pct(m.get("int8_val_accuracy")))),
    ]
    if evaluation:
        where = f", {m['split']} split" if isinstance(m.get("split"), str) else ""
        rows.append(
            ("Accuracy", f"{_pct(m['accuracy'])}{_clips(m.get('n'))}{where}" + (f" of {on}" if on else ""))
        )
        rows.append(("Accuracy per source", per_source_text(m)))
    rows += _sweep_rows(m)
    rows.append(("Recommended decision", _decision_text(m.get("decision"))))
    rows += [
        ("TFLite size", _pair(_kb(m.get("tflite_bytes")), _kb(m.get("int8_tflite_bytes")))),
        ("Zipped size", _pair(_kb(m.get("zipped_bytes")), _kb(m.get("int8_zipped_bytes")))),
        ("Sparsity", _sparsity(m)),
    ]
    latency, ref = m.get("latency_us"), m.get("reference_latency_us")
    if isinstance(latency, (int, float)):
        text = f"{_ms(latency)} per window"
        if isinstance(ref, (int, float)) and latency > 0:
            text += (
                f"; reference {_ms(ref)} ({ref / latency:.1f}x {'faster' if ref >= latency else 'slower'})"
            )
        rows.append(("Latency (this app)", text))
    elif m.get("latency_error"):
        rows.append(("Latency", f"not measured: {m['latency_error']}"))
    elif isinstance(m.get("trainer_latency_us"), (int, float)):
        rows.append(("Latency (trainer)", f"{_ms(m['trainer_latency_us'])} per window"))
    if isinstance(m.get("train_seconds"), (int, float)):
        rows.append(("Training time", f"{m['train_seconds']:.1f} s"))
    if isinstance(m.get("wall_seconds"), (int, float)):
        rows.append(("Job time", f"{m['wall_seconds']:.1f} s"))
    for kind in ("float32", "int8", "keras"):
        if record.outputs.get(kind):
            rows.append((f"{kind} file", record.outputs[kind]))
    return [(k, v) for k, v in rows if v]


def _decision_text(decision: Any) -> str | None:
    """``"threshold 0.8, smoothing_s 0.4 (tuned on real-... validation streams: hit rate 0.95, ...)"``."""
    if not isinstance(decision, dict) or not isinstance(decision.get("recommended"), dict):
        return None
    settings = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in decision["recommended"].items()
    )
    figures = []
    if isinstance(decision.get("hit_rate"), (int, float)):
        figures.append(f"hit rate {decision['hit_rate']:.2f}")
    if isinstance(decision.get("false_per_word"), (int, float)):
        figures.append(f"{decision['false_per_word']:.3f} false per other word")
    if isinstance(decision.get("false_per_hour"), (int, float)):
        figures.append(f"{decision['false_per_hour']:.1f} per hour of noise")
    where = f"tuned on {decision.get('source') or 'the'} validation streams"
    missed = "; false-alarm targets not met" if decision.get("meets_targets") is False else ""
    return f"{settings} ({where}: {', '.join(figures) or 'no figures'}{missed})"


def _sweep_rows(m: dict[str, Any]) -> list[tuple[str, str | None]]:
    trials = m.get("trials")
    if not isinstance(trials, dict):
        return []
    counts = ", ".join(f"{n} {status}" for status, n in sorted(trials.items()))
    total = m.get("trials_total")
    rows: list[tuple[str, str | None]] = [("Trials", counts + (f" of {total}" if total else ""))]
    pick = m.get("pick")
    if isinstance(pick, dict):
        rows.append(
            (
                "Pick",
                f"trial {pick.get('trial')} {pick.get('flavour')}: validation accuracy "
                f"{_pct(pick.get('accuracy')) or '-'}, zipped {_kb(pick.get('zipped_bytes')) or '-'}"
                + (f" ({pick['rule']})" if pick.get("rule") else ""),
            )
        )
    return rows


def load_report(record: JobRecord) -> dict[str, Any] | None:
    """The report a card shows tables of: an evaluation's / benchmark's, or the training report file."""
    report = record.metrics.get("report")
    if isinstance(report, dict):
        return report
    path = record.outputs.get("report")
    if not path:
        return None
    try:
        loaded = loads_bounded(Path(path).read_bytes(), MAX_REPORT_BYTES, 64, path)
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def use_description(record: JobRecord, path: str, source: str | None = None) -> str:
    """What the window says about a model taken from a job: its file, the job (or ``source``) and its accuracy."""
    m = record.metrics
    flavour = "int8" if Path(path).stem.endswith("_int8") else "float32"
    accuracy = m.get("int8_test_accuracy" if flavour == "int8" else "test_accuracy")
    on = measured_on(m)
    text = f"{Path(path).name} from \u201c{source or record.spec.describe()}\u201d"
    if isinstance(accuracy, (int, float)):
        text += f": test accuracy {accuracy:.1%}" + (f" on {on}" if on else "")
    sources = per_source_text(m)
    if sources:
        text += f" ({sources})"
    return text


class ResultCard(QGroupBox):
    """Shows one job's result; "Use this model" calls ``use_model(path)``, then emits ``model_used``."""

    model_used = Signal(str, str)  # path, description

    def __init__(
        self,
        use_model: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        show_status: bool = True,
    ) -> None:
        super().__init__("Result", parent)
        self._use_model = use_model
        self._show_status = show_status
        self._record: JobRecord | None = None
        self._source: str | None = None  # what the card shows instead of the job (a sweep's trial)
        content = QWidget()
        self.rows = QFormLayout()
        self.tables = ReportTablesView()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addLayout(self.rows)
        content_layout.addWidget(self.tables)
        content_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        self.scroll.setMinimumHeight(40)
        self._build_actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.actions)
        layout.addWidget(self.feedback)
        self.show_record(None)

    def _build_actions(self) -> None:
        self.variant = QComboBox()
        self.variant.addItem("float32 model", "float32")
        self.variant.addItem("int8 model", "int8")
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self._use)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self._open_folder)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        self.feedback.hide()
        self.actions = QWidget()
        buttons = QHBoxLayout(self.actions)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.variant)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)

    @property
    def record(self) -> JobRecord | None:
        return self._record

    def show_record(self, record: JobRecord | None, title: str | None = None) -> None:
        """Fill the card for ``record`` (None: empty); ``title`` replaces the job's description."""
        self._record = record
        self._source = title
        while self.rows.rowCount():
            self.rows.removeRow(0)
        self.feedback.hide()
        if record is None:
            self.setTitle("Result")
            self.rows.addRow(QLabel("Select a job to see its result."))
            self.tables.show_tables([])
        else:
            self.setTitle(title or f"Result: {record.spec.describe()}")
            for name, value in card_rows(record, self._show_status):
                label = QLabel(value)
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.rows.addRow(name, label)
            self.tables.show_tables(report_tables(load_report(record), record.spec.data))
        has_model = record is not None and record.model_path() is not None
        if has_model and record is not None:
            for i in range(self.variant.count()):
                flavour = self.variant.itemData(i)
                path = record.outputs.get(flavour)
                self.variant.model().item(i).setEnabled(bool(path and Path(path).is_file()))
            if not record.outputs.get(self.variant.currentData()):
                self.variant.setCurrentIndex(1 - self.variant.currentIndex())
        self.variant.setVisible(has_model)
        self.use_button.setVisible(has_model)
        self.use_button.setEnabled(has_model and self._use_model is not None)
        self.use_button.setToolTip(
            "load this model into the live classifier"
            if self._use_model
            else "no live classifier to load into"
        )
        self.folder_button.setEnabled(record is not None and Path(record.job_dir).is_dir())

    def selected_model_path(self) -> str | None:
        if self._record is None or self._record.status is not JobStatus.SUCCEEDED:
            return None
        return self._record.model_path(self.variant.currentData())

    def _say(self, text: str, error: bool = False) -> None:
        self.feedback.setText(text)
        self.feedback.setStyleSheet(ERROR_STYLE if error else DONE_STYLE)
        self.feedback.show()

    def _use(self) -> None:
        path = self.selected_model_path()
        if path is None or self._use_model is None or self._record is None:
            self._say("this job has no model file to use", error=True)
            return
        try:
            self._use_model(path)
        except Exception as exc:  # the callback loads a file: never crash the panel
            self._say(f"could not use the model: {exc}", error=True)
            return
        self._say(f"{Path(path).name} is loading into the live classifier (the Live tab shows it).")
        self.model_used.emit(path, use_description(self._record, path, self._source))

    def _open_folder(self) -> None:
        if self._record is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._record.job_dir))
