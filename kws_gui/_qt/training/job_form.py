"""The new-job form: job type, data folders (weighted, checked on entry), models, training options.

The fields scroll; "Start job" and the form's message stay at the bottom edge. The
data folders are checked in a worker thread with the trainer's own scanner, for the
labels, splits and unknown/silence shares the job will use: on entry, and afresh when
"Start job" is pressed; the job starts only when that check passes, otherwise the form
says why. The training options are generated from the one option table
(:data:`kws_gui.core.train_options.TRAIN_OPTIONS`) and prefilled from the chosen
preset (:data:`kws_gui.core.train_config.PRESETS`), so new options and presets appear
here unchanged.
"""

from __future__ import annotations

import concurrent.futures
import math
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.file_dialogs import choose_file, choose_files, choose_folder
from kws_gui.core.recording import ClipStore
from kws_gui.core.train_config import PRESETS
from kws_gui.core.train_options import OPTIONS_BY_DEST, PARSE_ERRORS
from kws_gui.jobs.dataset import SPLITS as DATA_SPLITS
from kws_gui.jobs.dataset import DataCheck, inspect_data, model_labels, source_kind
from kws_gui.jobs.spec import (
    DEFAULT_PRESET,
    SPLITS,
    JobKind,
    JobSpec,
    JobSpecError,
    changed_options,
    defaults_for,
    form_options,
    preset_names,
    preset_title,
)
from kws_gui.jobs.sweep import EXAMPLE_SPACE, space_labels

from .data_folders import DataFolderList
from .options_form import OptionsForm

_CHECK_DELAY_MS = 400
OK_COLOR = "#2e7d32"
ERROR_COLOR = "#c62828"


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


class _CheckRequest:
    """What a data check needs, computed on the GUI thread; the model's labels are read in the worker."""

    def __init__(self, form: JobForm) -> None:
        kind = form.current_kind
        self.folders = tuple(f for f, _ in form.data_folders())
        self.labels = form.labels()
        self.model = form.model_edit.text().strip() if kind in (JobKind.EVALUATE, JobKind.PRUNE) else ""
        self.space = form.space_edit.text().strip() if kind is JobKind.SWEEP else ""
        self.kind = kind
        self.preset = form.current_preset
        split = form.split.currentText()
        self.require = DATA_SPLITS if kind.trains else (() if split == "all" else (split,))
        texts = form.options.texts() if kind.produces_model else {}
        preset = PRESETS.get(self.preset, PRESETS[DEFAULT_PRESET])
        evaluating = kind is JobKind.EVALUATE  # kws-train evaluate: every other word, 10 % silence
        self.unknown = _number(texts, "unknown_percent", math.inf if evaluating else preset.unknown_percent)
        self.silence = _number(texts, "silence_percent", 10.0 if evaluating else preset.silence_percent)

    def key(self) -> tuple:
        return (
            self.kind,
            self.folders,
            self.labels,
            self.model,
            self.space,
            self.preset,
            self.require,
            self.unknown,
            self.silence,
        )

    def run(self) -> DataCheck:
        labels = self.labels
        if not labels and self.model:  # evaluating or pruning: the model's own labels
            labels = model_labels(self.model) or ()
        elif not labels and self.kind is JobKind.SWEEP:
            labels = space_labels(self.space or None)
        elif not labels:
            labels = PRESETS.get(self.preset, PRESETS[DEFAULT_PRESET]).labels
        return inspect_data(self.folders, labels, self.require, self.unknown, self.silence)


def _number(texts: dict[str, str], dest: str, default: float) -> float:
    """An option's number as the form gives it, else ``default`` (a text that does not parse: the default)."""
    try:
        value = OPTIONS_BY_DEST[dest].parse(texts[dest])
    except (KeyError, *PARSE_ERRORS):
        return float(default)
    return float(value) if isinstance(value, (int, float)) else float(default)


class JobForm(QWidget):
    """Builds a :class:`JobSpec`; ``submitted(spec)`` once the user starts a job and its data passed the check."""

    submitted = Signal(object)

    def __init__(self, recordings_root: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recordings = ClipStore(recordings_root)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-check")
        self._check_future: concurrent.futures.Future[DataCheck] | None = None
        self._checked_key: tuple | None = None
        self._submit_pending = False
        self.last_check: DataCheck | None = None
        self._launch_blocked_reason: str | None = None
        self._build_job_rows()
        self._build_sweep_rows()
        self._build_options()
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
        self.preset.currentIndexChanged.connect(self._on_preset_changed)

        self.folders = DataFolderList()
        self.folders.changed.connect(self._schedule_check)
        self.use_recordings = QCheckBox("Add my recorded clips")
        self.use_recordings.toggled.connect(self._schedule_check)
        self.labels_edit = QLineEdit()
        self.labels_edit.setToolTip(
            "comma-separated labels, in the model's output order (empty: the preset's)"
        )
        self.labels_edit.textChanged.connect(self._schedule_check)
        self.data_status = QLabel("")
        self.data_status.setWordWrap(True)
        self.data_status.setTextFormat(Qt.TextFormat.RichText)

        self.model_edit = QLineEdit()
        self.model_edit.textChanged.connect(self._schedule_check)
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
        self.split.currentIndexChanged.connect(self._schedule_check)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("default: the preset name")
        self.tune_edit = QLineEdit()
        self.tune_edit.setPlaceholderText("empty: no recommended decision settings")
        self.tune_edit.setToolTip(
            "a data folder (normally the real-speech one): threshold and smoothing are tuned on long "
            "streams of its validation split and stored in the model as its recommended settings"
        )
        tune_button = QPushButton("Browse...")
        tune_button.clicked.connect(self._browse_tune)

        self.form = QFormLayout()
        self.form.addRow("Job", self.kind)
        self.form.addRow("Preset", self.preset)
        self.form.addRow("Data folders", self.folders)
        self.form.addRow("", self.use_recordings)
        self.form.addRow("Labels", self.labels_edit)
        self.form.addRow("", self.data_status)
        self.form.addRow("Model", _path_row(self.model_edit, model_button))
        self.form.addRow("Models", _path_row(self.models_edit, models_button))
        self.form.addRow("Reference", _path_row(self.reference_edit, reference_button))
        self.form.addRow("Split", self.split)
        self.form.addRow("Output name", self.name_edit)
        self.form.addRow("Tune decisions on", _path_row(self.tune_edit, tune_button))

    def _build_sweep_rows(self) -> None:
        """A sweep's space file (or the built-in example), sample count and Ray cluster."""
        self.space_edit = QLineEdit()
        example = ", ".join(f"{k} {v}" for k, v in EXAMPLE_SPACE.items())
        self.space_edit.setPlaceholderText("empty: the built-in example")
        self.space_edit.setToolTip(
            "a YAML or JSON file: any kws-train train option as a value, a grid [a, b] or a "
            f"distribution (see kws-train sweep --help). Empty: the example ({example}), "
            "written to the job's folder."
        )
        self.space_edit.textChanged.connect(self._schedule_check)
        space_button = QPushButton("Browse...")
        space_button.clicked.connect(self._browse_space)
        self.trials = QSpinBox()
        self.trials.setRange(1, 1000)
        self.trials.setToolTip("samples of the space's distributions; each runs every grid combination")
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText("empty: a local Ray on this computer")
        self.address_edit.setToolTip("an existing Ray cluster, e.g. 192.168.1.10:6379")
        self.form.addRow("Space file", _path_row(self.space_edit, space_button))
        self.form.addRow("Samples", self.trials)
        self.form.addRow("Ray cluster", self.address_edit)

    def _build_options(self) -> None:
        """The training options (one table, prefilled from the preset) and "Reset to preset"."""
        self.options = OptionsForm()
        self.options.changed.connect(self._schedule_check)
        self.reset_button = QPushButton("Reset to preset")
        self.reset_button.clicked.connect(self.reset_options)
        self.options_box = QGroupBox("Training options")
        box = QVBoxLayout(self.options_box)
        box.addWidget(self.options)
        reset_row = QHBoxLayout()
        reset_row.addStretch(1)
        reset_row.addWidget(self.reset_button)
        box.addLayout(reset_row)

    def _build_layout(self) -> None:
        self.start_button = QPushButton("Start job")
        self.start_button.setDefault(True)
        self.start_button.setMinimumHeight(32)
        self.start_button.clicked.connect(self._submit)
        self.form_error = QLabel("")
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet(f"color: {ERROR_COLOR};")

        fields = QWidget()
        fields_layout = QVBoxLayout(fields)
        fields_layout.addLayout(self.form)
        fields_layout.addWidget(self.options_box)
        fields_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(fields)
        self.scroll.setMinimumHeight(60)

        bottom = QHBoxLayout()
        bottom.addWidget(self.form_error, 1)
        bottom.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bottom)

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

    def data_folders(self) -> list[tuple[str, float]]:
        """(folder, weight) a job would read: the listed ones and, if ticked, the recordings."""
        folders = self.folders.folders()
        if self.use_recordings.isChecked():
            folders.append((str(self.recordings.root), 1.0))
        return folders

    def labels(self) -> tuple[str, ...]:
        return tuple(x.strip() for x in self.labels_edit.text().split(",") if x.strip())

    def reset_options(self) -> None:
        """Refill the training options with the preset's values (a pruning job: its short recipe)."""
        self.options.set_texts(defaults_for(self.current_kind, self.current_preset))

    def spec(self) -> JobSpec:
        """The job the form describes; raises :class:`JobSpecError` naming a missing field."""
        kind = self.current_kind
        data: tuple[str, ...] = ()
        weights: tuple[float, ...] = ()
        if kind is JobKind.BENCHMARK:
            models = tuple(p.strip() for p in self.models_edit.text().split(";") if p.strip())
        else:
            chosen = self.data_folders()
            data = tuple(f for f, _ in chosen)
            if kind.trains and any(w != 1.0 for _, w in chosen):
                weights = tuple(w for _, w in chosen)
            model = self.model_edit.text().strip()
            models = (model,) if kind in (JobKind.PRUNE, JobKind.EVALUATE) and model else ()
        spec = JobSpec(
            kind=kind,
            preset=self.current_preset,
            data=data,
            weights=weights,
            models=models,
            reference=(self.reference_edit.text().strip() or None) if kind is JobKind.BENCHMARK else None,
            labels=self.labels() if kind.produces_model else (),
            name=(self.name_edit.text().strip() or None) if kind.produces_model else None,
            split=self.split.currentText(),
            options=changed_options(kind, self.current_preset, self.options.texts())
            if kind.produces_model
            else {},
            space=(self.space_edit.text().strip() or None) if kind is JobKind.SWEEP else None,
            trials=self.trials.value(),
            address=(self.address_edit.text().strip() or None) if kind is JobKind.SWEEP else None,
            tune_on=(self.tune_edit.text().strip() or None) if kind is JobKind.TRAIN else None,
        )
        spec.validate()
        return spec

    def check_data_now(self) -> None:
        """Start checking the data folders (result shown when the worker is done)."""
        self._check_timer.stop()
        if not self.current_kind.uses_data:
            self.data_status.setText("")
            self.last_check = None
            return
        request = _CheckRequest(self)
        if not request.folders:
            self.data_status.setText("")
            self.last_check = None
            self._checked_key = request.key()
            if self._submit_pending:  # nothing to wait for
                self._submit_pending = False
                self._finish_submit()
            return
        if request.key() == self._checked_key and (self._check_future is not None or self.last_check):
            return
        self._checked_key = request.key()
        self.last_check = None
        self.data_status.setText("checking the data folders...")
        self._check_future = self._pool.submit(request.run)
        self._result_timer.start()

    @property
    def checking(self) -> bool:
        """True while a data check is scheduled or running."""
        return (
            self._check_future is not None and not self._check_future.done() or self._check_timer.isActive()
        )

    def recheck(self) -> None:
        """Check the folders again soon (their contents changed, e.g. a clip was recorded)."""
        self._checked_key = None
        self._schedule_check()

    def shutdown(self) -> None:
        """Stop the check worker (called when the panel closes)."""
        self._check_timer.stop()
        self._result_timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------- private
    def _schedule_check(self, *_: object) -> None:
        if self.current_kind.uses_data:
            self._check_timer.start()

    def _collect_check(self) -> None:
        future = self._check_future
        if future is None or not future.done():
            return
        self._result_timer.stop()
        self._check_future = None
        try:
            check = future.result()
        except Exception as exc:  # inspect_data never raises; belt and braces
            check = DataCheck(False, f"cannot check the folders: {exc}")
        self.last_check = check
        self.data_status.setText(_check_html(check, self._weights()))
        if self._submit_pending:
            self._submit_pending = False
            self._finish_submit()

    def _weights(self) -> dict[str, float]:
        return {str(Path(f).expanduser().resolve()): w for f, w in self.data_folders()}

    def _on_kind_changed(self, *_: object) -> None:
        kind = self.current_kind
        visible = {
            "Preset": kind is JobKind.TRAIN,
            "Data folders": kind.uses_data,
            "Labels": kind.produces_model,
            "Model": kind in (JobKind.PRUNE, JobKind.EVALUATE),
            "Models": kind is JobKind.BENCHMARK,
            "Reference": kind is JobKind.BENCHMARK,
            "Split": kind is JobKind.EVALUATE,
            "Output name": kind.produces_model,
            "Tune decisions on": kind is JobKind.TRAIN,
            "Space file": kind is JobKind.SWEEP,
            "Samples": kind is JobKind.SWEEP,
            "Ray cluster": kind is JobKind.SWEEP,
        }
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            text = label.widget().text() if label is not None and label.widget() is not None else ""
            if text in visible:
                self.form.setRowVisible(row, visible[text])
        self.form.setRowVisible(self.use_recordings, kind.uses_data)
        self.form.setRowVisible(self.data_status, kind.uses_data)
        self.folders.show_weights(kind.trains)
        self.options_box.setVisible(kind.produces_model)
        self.options.show_options(o.dest for o in form_options(kind))
        self.options.set_locked("prune", kind is JobKind.PRUNE)
        self.options.set_empty_text("the model's value" if kind is JobKind.PRUNE else "the preset's value")
        self.model_edit.setPlaceholderText(
            "the .h5 a training job wrote (its report beside it)"
            if kind is JobKind.PRUNE
            else "a .tflite model"
        )
        self._on_preset_changed()

    def _on_preset_changed(self, *_: object) -> None:
        labels = PRESETS.get(self.current_preset, PRESETS[DEFAULT_PRESET]).labels
        self.labels_edit.setPlaceholderText(f"the preset's: {','.join(labels)}")
        self.reset_options()
        self._schedule_check()
        self._update_start_button()

    def _update_start_button(self) -> None:
        reason = self._launch_blocked_reason
        self.start_button.setEnabled(reason is None)
        self.start_button.setToolTip(reason or "queue this job (one job runs at a time)")

    def _submit(self) -> None:
        """Validate, then check the data folders afresh (they change on disk); the job starts if they pass."""
        try:
            spec = self.spec()
        except JobSpecError as exc:
            self.form_error.setText(str(exc))
            return
        if not self.current_kind.uses_data:
            self.form_error.setText("")
            self.submitted.emit(spec)
            return
        self._submit_pending = True
        self.form_error.setText("checking the data folders; the job starts when they pass")
        self._checked_key = None
        self.check_data_now()

    def _finish_submit(self) -> None:
        """After the check that "Start job" asked for: start the job, or say why not."""
        if _CheckRequest(self).key() != self._checked_key:  # edited meanwhile: check again
            self._submit_pending = True
            self.check_data_now()
            return
        try:
            spec = self.spec()
        except JobSpecError as exc:
            self.form_error.setText(str(exc))
            return
        if self.last_check is None or not self.last_check.ok:
            why = self.last_check.message if self.last_check else "no data folder"
            self.form_error.setText(f"Not started: the data check failed: {why}")
            return
        self.form_error.setText("")
        self.submitted.emit(spec)

    def _browse_model(self) -> None:
        pattern = "Keras models (*.h5)" if self.current_kind is JobKind.PRUNE else "TFLite models (*.tflite)"
        path = choose_file(self, "Choose a model", self.model_edit.text(), pattern)
        if path:
            self.model_edit.setText(path)

    def _browse_models(self) -> None:
        paths = choose_files(self, "Choose models", "", "TFLite models (*.tflite)")
        if paths:
            self.models_edit.setText(";".join(paths))

    def _browse_reference(self) -> None:
        path = choose_file(self, "Choose the reference model", "", "TFLite models (*.tflite)")
        if path:
            self.reference_edit.setText(path)

    def _browse_tune(self) -> None:
        folder = choose_folder(self, "Tune decisions on the validation split of", self.tune_edit.text())
        if folder:
            self.tune_edit.setText(folder)

    def _browse_space(self) -> None:
        path = choose_file(
            self, "Choose a sweep space file", self.space_edit.text(), "Space files (*.yaml *.yml *.json)"
        )
        if path:
            self.space_edit.setText(path)


def _default_reference() -> str:
    from kws_gui.paths import REFERENCE_MODEL

    return str(REFERENCE_MODEL) if REFERENCE_MODEL.is_file() else ""


def _check_html(check: DataCheck, weights: dict[str, float] | None = None) -> str:
    """The data check: a message, one line per folder (kind, weight, clips per split), a labels x splits table."""
    if not check.ok:
        return f'<span style="color:{ERROR_COLOR}">&#10007; {_escape(check.message)}</span>'
    weights = weights or {}
    head = "".join(f"<th>{s}</th>" for s in DATA_SPLITS)
    sources = ""
    if len(check.sources) > 1:
        lines = []
        for s in check.sources:
            kind = source_kind(s.name, s.root)
            weight = weights.get(s.root, 1.0)
            name = (
                _escape(s.name) + (f" ({kind})" if kind else "") + (f" x{weight:g}" if weight != 1.0 else "")
            )
            cells = "".join(f'<td align="right">{s.per_split[x]}</td>' for x in DATA_SPLITS)
            lines.append(f"<tr><td>{name}</td>{cells}</tr>")
        sources = (
            f'<table cellspacing="0" cellpadding="2"><tr><th>folder</th>{head}</tr>{"".join(lines)}</table>'
        )
    rows = "".join(
        f"<tr><td>{_escape(label)}</td>" + "".join(f'<td align="right">{n}</td>' for n in counts) + "</tr>"
        for label, counts in check.table()
    )
    return (
        f'<span style="color:{OK_COLOR}">&#10003; {_escape(check.message)}</span>{sources}'
        f'<table cellspacing="0" cellpadding="2"><tr><th>class</th>{head}</tr>{rows}</table>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
