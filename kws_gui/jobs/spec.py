"""What a training job is: its kind, its settings, and the ``kws-train`` argv it becomes.

A :class:`JobSpec` is plain data (it round-trips through JSON for the history);
:func:`build_argv` turns it into the trainer's command line. Training options are
those of :data:`kws_gui.core.train_options.TRAIN_OPTIONS` (the table ``kws-train``
builds its own options from), kept as the text the command line receives. Nothing
here starts a process or imports TensorFlow.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kws_gui.core.frontend import FrontendConfigError
from kws_gui.core.train_config import PRESETS, ConfigError
from kws_gui.core.train_options import (
    ARCHITECTURE_GROUPS,
    OPTIONS_BY_DEST,
    PARSE_ERRORS,
    TRAIN_OPTIONS,
    apply_options,
    option_values,
    same_value,
)
from kws_gui.jobs.dataset import data_argument


class JobKind(str, enum.Enum):
    """The job types of the training panel (a training job names its preset in :attr:`JobSpec.preset`)."""

    TRAIN = "train"
    PRUNE = "prune"
    EVALUATE = "evaluate"
    BENCHMARK = "benchmark"
    SWEEP = "sweep"

    @property
    def title(self) -> str:
        """Human name for combo boxes and the history table."""
        return _TITLES[self]

    @property
    def produces_model(self) -> bool:
        """True for the kinds whose output is one new model file."""
        return self in (JobKind.TRAIN, JobKind.PRUNE)

    @property
    def trains(self) -> bool:
        """True for the kinds that train (TensorFlow; every split needed; data folders weighted)."""
        return self in (JobKind.TRAIN, JobKind.PRUNE, JobKind.SWEEP)

    @property
    def uses_data(self) -> bool:
        """True for the kinds that read data folders."""
        return self is not JobKind.BENCHMARK


_TITLES = {
    JobKind.TRAIN: "Train a model",
    JobKind.PRUNE: "Prune and fine-tune a model",
    JobKind.EVALUATE: "Evaluate a model",
    JobKind.BENCHMARK: "Benchmark models against the reference",
    JobKind.SWEEP: "Sweep training settings (Ray Tune)",
}

#: Job kinds of old histories (before presets were a field of the spec): kind -> preset.
_LEGACY_TRAIN_KINDS = {"train-reference": "reference", "train-ds-cnn": "ds-cnn"}
#: Fields of the form's old ``hyper`` block -> training option.
_LEGACY_HYPER = {
    "epochs": "epochs",
    "batch_size": "batch_size",
    "lr_start": "learning_rate",
    "lr_end": "final_learning_rate",
    "final_sparsity": "final_sparsity",
    "initial_sparsity": "initial_sparsity",
    "pruning_start": "pruning_start",
    "seed": "seed",
}

DEFAULT_PRESET = "ds-cnn"
SPLITS = ("train", "validation", "test", "all")
#: The options a pruning run starts from (its base model's recipe fills in the rest).
PRUNE_DEFAULTS = {"epochs": 5, "prune": True, "pruning_start": 0.0}
#: Options the form never shows among the training options (the job has its own field).
_OWN_FIELDS = ("name",)


def form_options(kind: JobKind) -> tuple[Any, ...]:
    """The training options a job of ``kind`` may set (none for evaluate, benchmark, sweep)."""
    if not kind.produces_model:
        return ()
    return tuple(
        o
        for o in TRAIN_OPTIONS
        if o.dest not in _OWN_FIELDS and not (kind is JobKind.PRUNE and o.group in ARCHITECTURE_GROUPS)
    )


def preset_names() -> tuple[str, ...]:
    """The training presets a job can use (:data:`kws_gui.core.train_config.PRESETS`)."""
    return tuple(PRESETS)


def preset_title(name: str) -> str:
    """``"ds-cnn: ds-cnn, mfcc 61x16, pruned, labels yes, no"`` for the form's preset chooser."""
    c = PRESETS[name]
    rows, cols = c.frontend.feature_shape
    pruned = ", pruned" if c.prune else ""
    return f"{name}: {c.architecture}, {c.frontend.kind} {rows}x{cols}{pruned}, labels {', '.join(c.labels)}"


def baseline_values(kind: JobKind, preset: str = DEFAULT_PRESET) -> dict[str, Any]:
    """The option values a job gets without overriding anything (what ``options`` are compared with).

    A training job: its preset's values. A pruning job: none known here (the trainer
    reads the base model's recipe), so every option the form holds is sent.
    """
    if kind is JobKind.TRAIN and preset in PRESETS:
        return {o.dest: o.value_of(PRESETS[preset]) for o in form_options(kind)}
    return {}


def defaults_for(kind: JobKind, preset: str = DEFAULT_PRESET) -> dict[str, str]:
    """The form's prefilled option texts for a job kind (a training job: those of ``preset``).

    Pruning an existing model starts from that model's own recipe: only a short run
    and the sparsity (of :data:`DEFAULT_PRESET`) are prefilled.
    """
    if kind is JobKind.PRUNE:
        ds = option_values(PRESETS[DEFAULT_PRESET])
        values = {
            **PRUNE_DEFAULTS,
            "final_sparsity": ds["final_sparsity"],
            "initial_sparsity": ds["initial_sparsity"],
        }
        return {dest: OPTIONS_BY_DEST[dest].format(v) for dest, v in values.items()}
    if kind is not JobKind.TRAIN:
        return {}
    values = baseline_values(kind, preset if preset in PRESETS else DEFAULT_PRESET)
    texts = {dest: OPTIONS_BY_DEST[dest].format(v) for dest, v in values.items()}
    return {dest: text for dest, text in texts.items() if text}  # "": unset, e.g. "from the run length"


def changed_options(kind: JobKind, preset: str, texts: Mapping[str, str]) -> dict[str, str]:
    """The option texts that differ from the job's baseline (empty texts keep the baseline).

    Texts that do not parse are kept, so that :meth:`JobSpec.validate` names them.
    """
    baseline = baseline_values(kind, preset)
    out: dict[str, str] = {}
    for dest, text in texts.items():
        text = text.strip()
        option = OPTIONS_BY_DEST.get(dest)
        if not text or option is None:
            continue
        try:
            value = option.parse(text)
        except PARSE_ERRORS:
            out[dest] = text
            continue
        if dest not in baseline or not same_value(value, baseline[dest]):
            out[dest] = option.format(value)
    return out


class JobSpecError(ValueError):
    """A job that cannot be launched as given; the message says which field."""


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to launch one job.

    ``data`` may list several folders (e.g. a dataset, real recordings and the clips
    recorded in the app); the trainer receives one ``--data`` per folder, weighted by
    ``weights`` (one per folder, or none: all 1) for training kinds. ``models`` is the
    model to evaluate, the model to prune from (``--from``), or the models to benchmark.
    ``options`` maps training options (field names of
    :data:`~kws_gui.core.train_options.TRAIN_OPTIONS`) to their command-line text.
    A sweep runs the ``space`` file (None: the built-in example, written to the job's
    folder) ``trials`` times, locally or on the Ray cluster at ``address``. A training job
    with ``tune_on`` (a folder, normally the real-speech one) tunes the model's recommended
    decision settings on streams of that folder's validation split (``--tune-decision``).
    """

    kind: JobKind
    preset: str = DEFAULT_PRESET
    data: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    models: tuple[str, ...] = ()
    reference: str | None = None
    labels: tuple[str, ...] = ()
    name: str | None = None
    split: str = "test"
    options: dict[str, str] = field(default_factory=dict)
    space: str | None = None
    trials: int = 1
    address: str | None = None
    tune_on: str | None = None

    # ----------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise :class:`JobSpecError` when a required field is missing or out of range."""
        if self.kind is JobKind.TRAIN and self.preset not in PRESETS:
            raise JobSpecError(f"preset: unknown preset {self.preset!r} (known: {', '.join(PRESETS)})")
        if self.kind.uses_data and not self.data:
            raise JobSpecError("data: choose a data folder")
        if self.weights:
            if len(self.weights) != len(self.data):
                raise JobSpecError("weights: give one weight per data folder")
            for folder, weight in zip(self.data, self.weights, strict=True):
                if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight > 0):
                    raise JobSpecError(f"weight of {folder}: must be a positive number, got {weight!r}")
        if self.kind in (JobKind.PRUNE, JobKind.EVALUATE) and len(self.models) != 1:
            raise JobSpecError("model: choose one model")
        if self.kind is JobKind.BENCHMARK:
            if not self.models:
                raise JobSpecError("models: choose at least one model to benchmark")
            if not self.reference:
                raise JobSpecError("reference: choose the reference model")
        if self.split not in SPLITS:
            raise JobSpecError(f"split: must be one of {', '.join(SPLITS)}")
        if self.kind is JobKind.SWEEP:
            if not isinstance(self.trials, int) or self.trials < 1:
                raise JobSpecError(f"trials: must be at least 1, got {self.trials!r}")
            if self.space is not None and not Path(self.space).is_file():
                raise JobSpecError(f"space: {self.space} is not a file")
        if self.tune_on is not None and self.kind is not JobKind.TRAIN:
            raise JobSpecError("tune decisions on: only a training job tunes decision settings")
        self._validate_options()
        if self.name is not None and (not self.name or any(c in self.name for c in "/\\:")):
            raise JobSpecError("name: must be a plain file name")

    def _validate_options(self) -> None:
        allowed = {o.dest for o in form_options(self.kind)}
        values = {}
        for dest, text in self.options.items():
            option = OPTIONS_BY_DEST.get(dest)
            if option is None or dest not in allowed:
                flag = option.flag if option else dest
                raise JobSpecError(f"{flag}: not an option of a {self.kind.value} job")
            try:
                values[dest] = option.parse(str(text))
            except PARSE_ERRORS as exc:
                raise JobSpecError(f"{option.flag}: cannot use {text!r} ({exc})") from exc
        if self.kind.produces_model:
            # A pruning run's base recipe is the model's own; the default preset stands in for the check.
            base = PRESETS[self.preset if self.kind is JobKind.TRAIN else DEFAULT_PRESET]
            try:
                apply_options(base, values)
            except (ConfigError, FrontendConfigError, ValueError, TypeError) as exc:
                raise JobSpecError(str(exc)) from exc

    def option_value(self, dest: str) -> Any:
        """The value option ``dest`` will have: the job's own, else the preset's (training), else None."""
        option = OPTIONS_BY_DEST[dest]
        if dest in self.options:
            try:
                return option.parse(self.options[dest])
            except PARSE_ERRORS:
                return None
        if self.kind is JobKind.TRAIN and self.preset in PRESETS:
            return option.value_of(PRESETS[self.preset])
        return None

    def data_arguments(self) -> list[str]:
        """The ``--data`` values: ``DIR`` or ``DIR:WEIGHT`` (weights only for training kinds)."""
        weights = self.weights if self.weights and self.kind.trains else (1.0,) * len(self.data)
        return [data_argument(folder, weight) for folder, weight in zip(self.data, weights, strict=True)]

    def describe(self) -> str:
        """One line for the history table."""
        parts = [f"Train {self.preset}" if self.kind is JobKind.TRAIN else self.kind.title]
        if self.data:
            named = [Path(d).name or d for d in self.data]
            if self.weights and self.kind.trains:
                named = [n if w == 1.0 else f"{n} x{w:g}" for n, w in zip(named, self.weights, strict=True)]
            parts.append("on " + " + ".join(named))
        if self.models:
            parts.append("model " + ", ".join(Path(m).name for m in self.models))
        if self.kind.produces_model:
            epochs = self.option_value("epochs")
            if epochs:
                parts.append(f"{epochs} epochs")
        if self.kind is JobKind.SWEEP:
            space = Path(self.space).name if self.space else "the example space"
            parts.append(f"{space}, {self.trials} sample{'s' if self.trials != 1 else ''}")
        return ", ".join(parts)

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the job history)."""
        return {
            "kind": self.kind.value,
            "preset": self.preset,
            "data": list(self.data),
            "weights": list(self.weights),
            "models": list(self.models),
            "reference": self.reference,
            "labels": list(self.labels),
            "name": self.name,
            "split": self.split,
            "options": dict(self.options),
            "space": self.space,
            "trials": self.trials,
            "address": self.address,
            "tune_on": self.tune_on,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JobSpec:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, bad values raise JobSpecError.

        Histories from before the option table (a ``hyper`` block) load as the same options.
        """
        try:
            kind = str(d["kind"])
            preset = str(d.get("preset") or _LEGACY_TRAIN_KINDS.get(kind, DEFAULT_PRESET))
            options = {str(k): str(v) for k, v in dict(d.get("options") or {}).items()}
            options = {**_legacy_options(dict(d.get("hyper") or {})), **options}
            return cls(
                kind=JobKind("train" if kind in _LEGACY_TRAIN_KINDS else kind),
                preset=preset,
                data=tuple(str(x) for x in d.get("data") or ()),
                weights=tuple(float(x) for x in d.get("weights") or ()),
                models=tuple(str(x) for x in d.get("models") or ()),
                reference=d.get("reference"),
                labels=tuple(str(x) for x in d.get("labels") or ()),
                name=d.get("name"),
                split=str(d.get("split") or "test"),
                options=options,
                space=d.get("space"),
                trials=int(d.get("trials") or 1),
                address=d.get("address"),
                tune_on=d.get("tune_on"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise JobSpecError(f"unreadable job spec: {exc}") from exc


def _legacy_options(hyper: dict[str, Any]) -> dict[str, str]:
    """The options of an old ``hyper`` block (epochs, lr_start, constant_lr, prune, ...)."""
    out = {}
    for old, dest in _LEGACY_HYPER.items():
        if hyper.get(old) is not None:
            out[dest] = OPTIONS_BY_DEST[dest].format(hyper[old])
    if hyper.get("constant_lr"):
        out["final_learning_rate"] = "none"
    if isinstance(hyper.get("prune"), bool):
        out["prune"] = OPTIONS_BY_DEST["prune"].format(hyper["prune"])
    return out


def build_argv(spec: JobSpec, out_dir: str | Path, space: str | Path | None = None) -> list[str]:
    """The ``kws-train`` arguments (without the program) for ``spec``, writing into ``out_dir``.

    ``space`` is the space file of a sweep whose spec names none (the built-in example,
    written by the queue). Always ends with ``--progress jsonl``. Raises
    :class:`JobSpecError` for an invalid spec.
    """
    spec.validate()
    argv: list[str]
    if spec.kind is JobKind.TRAIN:
        argv = ["train", "--preset", spec.preset]
    elif spec.kind is JobKind.PRUNE:
        argv = ["prune", "--from", spec.models[0]]
    elif spec.kind is JobKind.EVALUATE:
        argv = ["evaluate", spec.models[0]]
    elif spec.kind is JobKind.SWEEP:
        chosen = spec.space or space
        if chosen is None:
            raise JobSpecError("space: choose a space file, or use the example")
        argv = ["sweep", "--space", str(chosen), "--trials", str(spec.trials)]
        if spec.address:
            argv += ["--address", spec.address]
    else:
        argv = ["benchmark", *spec.models, "--reference", str(spec.reference)]

    for value in spec.data_arguments():
        argv += ["--data", value]
    if spec.kind is JobKind.EVALUATE:
        argv += ["--split", spec.split]
    if spec.labels and spec.kind in (JobKind.TRAIN, JobKind.PRUNE, JobKind.EVALUATE):
        argv += ["--labels", ",".join(spec.labels)]
    if spec.kind.produces_model or spec.kind is JobKind.SWEEP:
        argv += ["--out", str(out_dir)]
    if spec.tune_on:
        argv += ["--tune-decision", spec.tune_on]
    if spec.kind.produces_model:
        if spec.name:
            argv += ["--name", spec.name]
        for option in TRAIN_OPTIONS:
            if option.dest in spec.options:
                argv += option.argv(option.parse(spec.options[option.dest]))
    argv += ["--progress", "jsonl"]
    return argv
