"""A finished job at a glance: accuracy, sizes, latency against the reference, "Use this model"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.runner import JobStatus


def _pct(value: Any) -> str | None:
    return f"{value:.1%}" if isinstance(value, (int, float)) else None


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


def card_rows(record: JobRecord) -> list[tuple[str, str]]:
    """(name, value) rows describing a job's result; only what is known."""
    m = record.metrics
    rows: list[tuple[str, str | None]] = [("Status", record.status.value)]
    if record.error:
        rows.append(("Message", record.error))
    rows += [
        ("Test accuracy", _pair(_pct(m.get("test_accuracy")), _pct(m.get("int8_test_accuracy")))),
        ("Validation accuracy", _pair(_pct(m.get("val_accuracy")), _pct(m.get("int8_val_accuracy")))),
        ("Accuracy", f"{_pct(m['accuracy'])} of {m.get('n', '?')} clips" if "accuracy" in m else None),
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
    if isinstance(m.get("train_seconds"), (int, float)):
        rows.append(("Training time", f"{m['train_seconds']:.1f} s"))
    if isinstance(m.get("wall_seconds"), (int, float)):
        rows.append(("Job time", f"{m['wall_seconds']:.1f} s"))
    for kind in ("float32", "int8", "keras"):
        if record.outputs.get(kind):
            rows.append((f"{kind} file", record.outputs[kind]))
    return [(k, v) for k, v in rows if v]


class ResultCard(QGroupBox):
    """Shows one job's result; "Use this model" calls ``use_model(path)``."""

    model_used = Signal(str)

    def __init__(self, use_model: Callable[[str], None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Result", parent)
        self._use_model = use_model
        self._record: JobRecord | None = None
        self.rows = QFormLayout()
        self.report_text = QPlainTextEdit()
        self.report_text.setReadOnly(True)
        self.report_text.setMaximumHeight(160)
        self.report_text.hide()
        self.variant = QComboBox()
        self.variant.addItem("float32 model", "float32")
        self.variant.addItem("int8 model", "int8")
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self._use)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self._open_folder)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.variant)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.rows)
        layout.addWidget(self.report_text)
        layout.addLayout(buttons)
        layout.addWidget(self.feedback)
        self.show_record(None)

    @property
    def record(self) -> JobRecord | None:
        return self._record

    def show_record(self, record: JobRecord | None) -> None:
        """Fill the card for ``record`` (None: empty)."""
        self._record = record
        while self.rows.rowCount():
            self.rows.removeRow(0)
        self.feedback.setText("")
        if record is None:
            self.setTitle("Result")
            self.rows.addRow(QLabel("Select a job to see its result."))
        else:
            self.setTitle(f"Result: {record.spec.describe()}")
            for name, value in card_rows(record):
                label = QLabel(value)
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.rows.addRow(name, label)
        report = record.metrics.get("report") if record is not None else None
        if isinstance(report, dict):
            text = (
                report.get("table") if isinstance(report.get("table"), str) else json.dumps(report, indent=1)
            )
            self.report_text.setPlainText(text[:20000])
        self.report_text.setVisible(isinstance(report, dict))
        has_model = record is not None and record.model_path() is not None
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

    def _use(self) -> None:
        path = self.selected_model_path()
        if path is None or self._use_model is None:
            self.feedback.setText("this job has no model file to use")
            return
        try:
            self._use_model(path)
        except Exception as exc:  # the callback loads a file: never crash the panel
            self.feedback.setText(f"could not use the model: {exc}")
            return
        self.feedback.setText(f"loading {Path(path).name} into the live classifier")
        self.model_used.emit(path)

    def _open_folder(self) -> None:
        if self._record is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._record.job_dir))
