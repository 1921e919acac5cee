"""The new-job form: job type, data folder (checked on entry), models, hyperparameters."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kws_gui.core.recording import ClipStore
from kws_gui.jobs.dataset import SPLITS as DATA_SPLITS
from kws_gui.jobs.dataset import DataCheck, inspect_data
from kws_gui.jobs.spec import (
    DEFAULT_PRESET,
    SPLITS,
    Hyperparameters,
    JobKind,
    JobSpec,
    JobSpecError,
    defaults_for,
    preset_names,
    preset_title,
)

_CHECK_DELAY_MS = 400


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


def _double(lo: float, hi: float, decimals: int, step: float, default_text: str = "preset") -> QDoubleSpinBox:
    """A spin box whose minimum shows ``default_text`` and means "leave the preset's value"."""
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setSpecialValueText(default_text)
    return box


class JobForm(QWidget):
    """Builds a :class:`JobSpec`; ``submitted(spec)`` when the user starts a job.

    The data folder is checked on entry (in a worker thread, through the trainer's
    scanner): layout and clips per class and split, or the scanner's message.
    """

    submitted = Signal(object)

    def __init__(self, recordings_root: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recordings = ClipStore(recordings_root)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-check")
        self._check_future: concurrent.futures.Future[DataCheck] | None = None
        self._checked_key: tuple | None = None
        self.last_check: DataCheck | None = None
        self._launch_blocked_reason: str | None = None
        self._build_job_rows()
        self._build_hyperparameters()
        self._build_layout()
        self._build_check_timers()
        self.kind.setCurrentIndex(list(JobKind).index(JobKind.TRAIN))
        self._on_kind_changed()
        self.refresh_recordings()

    # ----------------------------------------------------------------- layout
    def _build_job_rows(self) -> None:
        """Job kind, preset, data folders and labels, models, split and output name."""
        self.kind = QComboBox()
        for kind in JobKind:
            self.kind.addItem(kind.title, kind.value)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.preset = QComboBox()
        for name in preset_names():
            self.preset.addItem(preset_title(name), name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(DEFAULT_PRESET)))
        self.preset.currentIndexChanged.connect(self.reset_hyperparameters)

        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("a Speech Commands (or msc) folder")
        self.data_edit.textChanged.connect(self._schedule_check)
        data_button = QPushButton("Browse...")
        data_button.clicked.connect(self._browse_data)
        self.use_recordings = QCheckBox("Add my recorded clips")
        self.use_recordings.toggled.connect(self._schedule_check)
        self.labels_edit = QLineEdit("yes,no")
        self.labels_edit.setToolTip("comma-separated labels, in the model's output order")
        self.labels_edit.textChanged.connect(self._schedule_check)
        self.data_status = QLabel("")
        self.data_status.setWordWrap(True)
        self.data_status.setTextFormat(Qt.TextFormat.RichText)

        self.model_edit = QLineEdit()
        model_button = QPushButton("Browse...")
        model_button.clicked.connect(self._browse_model)
        self.models_edit = QLineEdit()
        self.models_edit.setPlaceholderText("model files, separated by ';'")
        models_button = QPushButton("Browse...")
        models_button.clicked.connect(self._browse_models)
        self.reference_edit = QLineEdit(_default_reference())
        reference_button = QPushButton("Browse...")
        reference_button.clicked.connect(self._browse_reference)
        self.split = QComboBox()
        self.split.addItems(list(SPLITS))
        self.split.setCurrentText("test")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("default: the preset name")

        self.form = QFormLayout()
        self.form.addRow("Job", self.kind)
        self.form.addRow("Preset", self.preset)
        self.form.addRow("Data folder", _path_row(self.data_edit, data_button))
        self.form.addRow("", self.use_recordings)
        self.form.addRow("Labels", self.labels_edit)
        self.form.addRow("", self.data_status)
        self.form.addRow("Model", _path_row(self.model_edit, model_button))
        self.form.addRow("Models", _path_row(self.models_edit, models_button))
        self.form.addRow("Reference", _path_row(self.reference_edit, reference_button))
        self.form.addRow("Split", self.split)
        self.form.addRow("Output name", self.name_edit)

    def _build_hyperparameters(self) -> None:
        """The hyperparameter group ("preset" shown where the preset's value is kept)."""
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 1000)
        self.epochs.setSpecialValueText("preset")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(0, 4096)
        self.batch_size.setSpecialValueText("preset")
        self.lr_start = _double(0.0, 1.0, 5, 0.001)
        self.lr_end = _double(0.0, 1.0, 6, 0.0001)
        self.constant_lr = QCheckBox("constant learning rate")
        self.constant_lr.toggled.connect(lambda on: self.lr_end.setEnabled(not on))
        self.prune = QCheckBox("magnitude pruning")
        self.prune.toggled.connect(self._on_prune_toggled)
        self.final_sparsity = _double(0.0, 0.99, 2, 0.05)
        self.initial_sparsity = _double(0.0, 0.99, 2, 0.05)
        self.pruning_start = _double(-0.01, 0.99, 2, 0.05)  # 0.00 is a real value here
        self.reset_button = QPushButton("Reset to preset")
        self.reset_button.clicked.connect(self.reset_hyperparameters)
        self.hyper_box = QGroupBox("Hyperparameters")
        hyper = QFormLayout(self.hyper_box)
        hyper.addRow("Epochs", self.epochs)
        hyper.addRow("Batch size", self.batch_size)
        hyper.addRow("Learning rate: start", self.lr_start)
        hyper.addRow("Learning rate: end", self.lr_end)
        hyper.addRow("", self.constant_lr)
        hyper.addRow("", self.prune)
        hyper.addRow("Final sparsity", self.final_sparsity)
        hyper.addRow("Initial sparsity", self.initial_sparsity)
        hyper.addRow("Pruning starts at (share of steps)", self.pruning_start)
        hyper.addRow("", self.reset_button)

    def _build_layout(self) -> None:
        self.start_button = QPushButton("Start job")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._submit)
        self.form_error = QLabel("")
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #e57373;")

        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.hyper_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.form_error, 1)
        buttons.addWidget(self.start_button)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _build_check_timers(self) -> None:
        """Check the data a moment after the last edit; collect the worker's result."""
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(_CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_data_now)
        self._result_timer = QTimer(self)
        self._result_timer.setInterval(50)
        self._result_timer.timeout.connect(self._collect_check)

    # ----------------------------------------------------------------- public
    @property
    def current_kind(self) -> JobKind:
        return JobKind(self.kind.currentData())

    @property
    def current_preset(self) -> str:
        return str(self.preset.currentData())

    def set_kind(self, kind: JobKind, preset: str | None = None) -> None:
        """Choose the job kind (and, for training, the preset)."""
        if preset is not None:
            self.preset.setCurrentIndex(self.preset.findData(preset))
        self.kind.setCurrentIndex(list(JobKind).index(kind))

    def set_launch_blocked(self, reason: str | None) -> None:
        """Disable "Start job" with a reason (e.g. the train extra is missing), or enable it."""
        self._launch_blocked_reason = reason
        self._update_start_button()

    def refresh_recordings(self) -> None:
        """Update the "Add my recorded clips" checkbox with the number of clips."""
        counts = self.recordings.counts()
        total = sum(counts.values())
        shown = ", ".join(f"{w} {n}" for w, n in sorted(counts.items()))
        self.use_recordings.setText(f"Add my recorded clips ({shown or 'none yet'})")
        self.use_recordings.setEnabled(total > 0)
        if total == 0:
            self.use_recordings.setChecked(False)

    def data_folders(self) -> list[str]:
        """The folders a job would read: the chosen one and, if ticked, the recordings."""
        folders = [self.data_edit.text().strip()] if self.data_edit.text().strip() else []
        if self.use_recordings.isChecked():
            folders.append(str(self.recordings.root))
        return folders

    def labels(self) -> tuple[str, ...]:
        return tuple(x.strip() for x in self.labels_edit.text().split(",") if x.strip())

    def hyperparameters(self) -> Hyperparameters:
        """The form's hyperparameters ("preset" fields are None)."""

        def opt(box: QDoubleSpinBox | QSpinBox) -> float | None:
            return None if box.value() == box.minimum() else box.value()

        epochs, batch = opt(self.epochs), opt(self.batch_size)
        return Hyperparameters(
            epochs=int(epochs) if epochs is not None else None,
            batch_size=int(batch) if batch is not None else None,
            lr_start=opt(self.lr_start),
            lr_end=opt(self.lr_end),
            constant_lr=self.constant_lr.isChecked(),
            final_sparsity=opt(self.final_sparsity),
            initial_sparsity=opt(self.initial_sparsity),
            pruning_start=opt(self.pruning_start),
            prune=self.prune.isChecked() or self.current_kind is JobKind.PRUNE,
        )

    def set_hyperparameters(self, h: Hyperparameters) -> None:
        """Fill the hyperparameter fields (None shows "preset")."""

        def put(box: QDoubleSpinBox | QSpinBox, value: float | None) -> None:
            box.setValue(box.minimum() if value is None else value)

        put(self.epochs, h.epochs)
        put(self.batch_size, h.batch_size)
        put(self.lr_start, h.lr_start)
        put(self.lr_end, h.lr_end)
        self.constant_lr.setChecked(h.constant_lr)
        self.prune.setChecked(h.prune)
        put(self.final_sparsity, h.final_sparsity)
        put(self.initial_sparsity, h.initial_sparsity)
        put(self.pruning_start, h.pruning_start)
        self._on_prune_toggled(self.prune.isChecked())

    def reset_hyperparameters(self) -> None:
        self.set_hyperparameters(defaults_for(self.current_kind, self.current_preset))

    def spec(self) -> JobSpec:
        """The job the form describes; raises :class:`JobSpecError` naming a missing field."""
        kind = self.current_kind
        if kind is JobKind.BENCHMARK:
            data: tuple[str, ...] = ()
            models = tuple(p.strip() for p in self.models_edit.text().split(";") if p.strip())
        else:
            data = tuple(self.data_folders())
            model = self.model_edit.text().strip()
            models = (model,) if kind in (JobKind.PRUNE, JobKind.EVALUATE) and model else ()
        spec = JobSpec(
            kind=kind,
            preset=self.current_preset,
            data=data,
            models=models,
            reference=(self.reference_edit.text().strip() or None) if kind is JobKind.BENCHMARK else None,
            labels=self.labels() if kind.produces_model else (),
            name=(self.name_edit.text().strip() or None) if kind.produces_model else None,
            split=self.split.currentText(),
            hyper=self.hyperparameters() if kind.produces_model else Hyperparameters(),
        )
        spec.validate()
        return spec

    def check_data_now(self) -> None:
        """Start checking the data folders (result shown when the worker is done)."""
        folders = self.data_folders()
        key = (tuple(folders), self.labels())
        if not folders:
            self.data_status.setText("")
            self.last_check = None
            return
        if key == self._checked_key and self._check_future is not None:
            return
        self._checked_key = key
        self.data_status.setText("checking the data folder...")
        self._check_future = self._pool.submit(inspect_data, folders, self.labels() or ("yes", "no"))
        self._result_timer.start()

    @property
    def checking(self) -> bool:
        """True while a data check is scheduled or running."""
        return (
            self._check_future is not None and not self._check_future.done() or self._check_timer.isActive()
        )

    def shutdown(self) -> None:
        """Stop the check worker (called when the panel closes)."""
        self._check_timer.stop()
        self._result_timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------- private
    def _schedule_check(self) -> None:
        if self.current_kind is not JobKind.BENCHMARK:
            self._check_timer.start()

    def _collect_check(self) -> None:
        future = self._check_future
        if future is None or not future.done():
            return
        self._result_timer.stop()
        try:
            check = future.result()
        except Exception as exc:  # inspect_data never raises; belt and braces
            check = DataCheck(False, f"cannot check the folder: {exc}")
        self.last_check = check
        self.data_status.setText(_check_html(check))

    def _on_kind_changed(self, *_: object) -> None:
        kind = self.current_kind
        uses_data = kind is not JobKind.BENCHMARK
        visible = {
            "Preset": kind is JobKind.TRAIN,
            "Data folder": uses_data,
            "Labels": kind.produces_model,
            "Model": kind in (JobKind.PRUNE, JobKind.EVALUATE),
            "Models": kind is JobKind.BENCHMARK,
            "Reference": kind is JobKind.BENCHMARK,
            "Split": kind is JobKind.EVALUATE,
            "Output name": kind.produces_model,
        }
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            text = label.widget().text() if label is not None and label.widget() is not None else ""
            if text in visible:
                self.form.setRowVisible(row, visible[text])
        self.use_recordings.setVisible(uses_data)
        self.data_status.setVisible(uses_data)
        self.hyper_box.setVisible(kind.produces_model)
        self.prune.setEnabled(kind is not JobKind.PRUNE)
        self.model_edit.setPlaceholderText(
            "the .h5 a training job wrote (its report beside it)"
            if kind is JobKind.PRUNE
            else "a .tflite model"
        )
        self.reset_hyperparameters()
        self._schedule_check()
        self._update_start_button()

    def _on_prune_toggled(self, on: bool) -> None:
        on = on or self.current_kind is JobKind.PRUNE
        for box in (self.final_sparsity, self.initial_sparsity, self.pruning_start):
            box.setEnabled(on)

    def _update_start_button(self) -> None:
        reason = self._launch_blocked_reason
        self.start_button.setEnabled(reason is None)
        self.start_button.setToolTip(reason or "queue this job (one job runs at a time)")

    def _submit(self) -> None:
        try:
            spec = self.spec()
        except JobSpecError as exc:
            self.form_error.setText(str(exc))
            return
        self.form_error.setText("")
        self.submitted.emit(spec)

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a data folder", self.data_edit.text())
        if folder:
            self.data_edit.setText(folder)
            self.check_data_now()

    def _browse_model(self) -> None:
        pattern = "Keras models (*.h5)" if self.current_kind is JobKind.PRUNE else "TFLite models (*.tflite)"
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model", self.model_edit.text(), pattern)
        if path:
            self.model_edit.setText(path)

    def _browse_models(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Choose models", "", "TFLite models (*.tflite)")
        if paths:
            self.models_edit.setText(";".join(paths))

    def _browse_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the reference model", "", "TFLite models (*.tflite)"
        )
        if path:
            self.reference_edit.setText(path)


def _default_reference() -> str:
    from kws_gui.paths import REFERENCE_MODEL

    return str(REFERENCE_MODEL) if REFERENCE_MODEL.is_file() else ""


def _check_html(check: DataCheck) -> str:
    """The data check as a short message and a labels x splits table."""
    if not check.ok:
        return f'<span style="color:#e57373">&#10007; {_escape(check.message)}</span>'
    rows = "".join(
        f"<tr><td>{_escape(label)}</td>" + "".join(f'<td align="right">{n}</td>' for n in counts) + "</tr>"
        for label, counts in check.table()
    )
    head = "".join(f"<th>{s}</th>" for s in DATA_SPLITS)
    return (
        f'<span style="color:#81c784">&#10003; {_escape(check.message)}</span>'
        f'<table cellspacing="0" cellpadding="2"><tr><th></th>{head}</tr>{rows}</table>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
