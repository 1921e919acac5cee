"""What a training job is: its kind, its settings, and the ``kws-train`` argv it becomes.

A :class:`JobSpec` is plain data (it round-trips through JSON for the history);
:func:`build_argv` turns it into the trainer's command line. Nothing here starts
a process or imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kws_gui.core.train_config import PRESETS


class JobKind(str, enum.Enum):
    """The job types of the training panel (a training job names its preset in :attr:`JobSpec.preset`)."""

    TRAIN = "train"
    PRUNE = "prune"
    EVALUATE = "evaluate"
    BENCHMARK = "benchmark"

    @property
    def title(self) -> str:
        """Human name for combo boxes and the history table."""
        return _TITLES[self]

    @property
    def produces_model(self) -> bool:
        """True for the kinds whose output is a new model file."""
        return self in (JobKind.TRAIN, JobKind.PRUNE)


_TITLES = {
    JobKind.TRAIN: "Train a model",
    JobKind.PRUNE: "Prune and fine-tune a model",
    JobKind.EVALUATE: "Evaluate a model",
    JobKind.BENCHMARK: "Benchmark models against the reference",
}

#: Job kinds of old histories (before presets were a field of the spec): kind -> preset.
_LEGACY_TRAIN_KINDS = {"train-reference": "reference", "train-ds-cnn": "ds-cnn"}

DEFAULT_PRESET = "ds-cnn"
SPLITS = ("train", "validation", "test", "all")


@dataclass(frozen=True)
class Hyperparameters:
    """The knobs the form shows; ``None`` leaves the trainer's preset value.

    ``constant_lr`` keeps the learning rate at ``lr_start`` (no decay to ``lr_end``).
    The trainer always exports both a float32 and an int8 model.
    """

    epochs: int | None = None
    batch_size: int | None = None
    lr_start: float | None = None
    lr_end: float | None = None
    constant_lr: bool = False
    final_sparsity: float | None = None
    initial_sparsity: float | None = None
    pruning_start: float | None = None
    prune: bool = True
    seed: int | None = None


def preset_names() -> tuple[str, ...]:
    """The training presets a job can use (:data:`kws_gui.core.train_config.PRESETS`)."""
    return tuple(PRESETS)


def preset_title(name: str) -> str:
    """``"ds-cnn: ds-cnn, mfcc 61x16, pruned"`` for the form's preset chooser."""
    c = PRESETS[name]
    rows, cols = c.frontend.feature_shape
    return f"{name}: {c.architecture}, {c.frontend.kind} {rows}x{cols}" + (", pruned" if c.prune else "")


def preset_defaults(name: str) -> Hyperparameters:
    """The form's values for the training preset ``name``."""
    c = PRESETS[name]
    return Hyperparameters(
        epochs=int(c.epochs),
        batch_size=int(c.batch_size),
        lr_start=float(c.learning_rate),
        lr_end=None if c.final_learning_rate is None else float(c.final_learning_rate),
        constant_lr=c.final_learning_rate is None,
        final_sparsity=float(c.final_sparsity),
        initial_sparsity=float(c.initial_sparsity),
        pruning_start=float(c.pruning_start),
        prune=bool(c.prune),
    )


def defaults_for(kind: JobKind, preset: str = DEFAULT_PRESET) -> Hyperparameters:
    """The prefilled hyperparameters for a job kind (a training job: those of ``preset``).

    Pruning an existing model starts from that model's own recipe (the trainer reads
    it from the report beside the .h5): only a short run and the sparsity are set.
    """
    if kind is JobKind.PRUNE:
        ds = preset_defaults(DEFAULT_PRESET)
        return Hyperparameters(
            epochs=5,
            final_sparsity=ds.final_sparsity,
            initial_sparsity=ds.initial_sparsity,
            pruning_start=0.0,
            prune=True,
        )
    return preset_defaults(preset)


class JobSpecError(ValueError):
    """A job that cannot be launched as given; the message says which field."""


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to launch one job.

    ``data`` may list several folders (e.g. a dataset plus recorded clips); the
    trainer receives one ``--data`` per folder. ``models`` is the model to
    evaluate, the model to prune from (``--from``), or the models to benchmark.
    """

    kind: JobKind
    preset: str = DEFAULT_PRESET
    data: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    reference: str | None = None
    labels: tuple[str, ...] = ()
    name: str | None = None
    split: str = "test"
    hyper: Hyperparameters = field(default_factory=Hyperparameters)

    # ----------------------------------------------------------- validation
    def validate(self) -> None:
        """Raise :class:`JobSpecError` when a required field is missing or out of range."""
        if self.kind is JobKind.TRAIN and self.preset not in PRESETS:
            raise JobSpecError(f"preset: unknown preset {self.preset!r} (known: {', '.join(PRESETS)})")
        if self.kind is not JobKind.BENCHMARK and not self.data:
            raise JobSpecError("data: choose a data folder")
        if self.kind in (JobKind.PRUNE, JobKind.EVALUATE) and len(self.models) != 1:
            raise JobSpecError("model: choose one model")
        if self.kind is JobKind.BENCHMARK:
            if not self.models:
                raise JobSpecError("models: choose at least one model to benchmark")
            if not self.reference:
                raise JobSpecError("reference: choose the reference model")
        if self.split not in SPLITS:
            raise JobSpecError(f"split: must be one of {', '.join(SPLITS)}")
        h = self.hyper
        for name in ("epochs", "batch_size"):
            value = getattr(h, name)
            if value is not None and value < 1:
                raise JobSpecError(f"{name}: must be at least 1, got {value}")
        for name in ("lr_start", "lr_end"):
            value = getattr(h, name)
            if value is not None and not value > 0:
                raise JobSpecError(f"{name}: must be positive, got {value}")
        for name in ("final_sparsity", "initial_sparsity", "pruning_start"):
            value = getattr(h, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise JobSpecError(f"{name}: must be in [0, 1), got {value}")
        if (
            (h.prune or self.kind is JobKind.PRUNE)
            and h.final_sparsity is not None
            and h.initial_sparsity is not None
            and h.initial_sparsity > h.final_sparsity
        ):
            raise JobSpecError("initial_sparsity: must not exceed the final sparsity")
        if self.name is not None and (not self.name or any(c in self.name for c in "/\\:")):
            raise JobSpecError("name: must be a plain file name")

    def describe(self) -> str:
        """One line for the history table."""
        parts = [f"Train {self.preset}" if self.kind is JobKind.TRAIN else self.kind.title]
        if self.data:
            parts.append("on " + " + ".join(Path(d).name or d for d in self.data))
        if self.models:
            parts.append("model " + ", ".join(Path(m).name for m in self.models))
        if self.hyper.epochs and self.kind.produces_model:
            parts.append(f"{self.hyper.epochs} epochs")
        return ", ".join(parts)

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the job history)."""
        d = dataclasses.asdict(self)
        d["kind"] = self.kind.value
        for key in ("data", "models", "labels"):
            d[key] = list(d[key])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JobSpec:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, bad values raise JobSpecError."""
        try:
            hyper_fields = {f.name for f in dataclasses.fields(Hyperparameters)}
            hyper = Hyperparameters(
                **{k: v for k, v in dict(d.get("hyper") or {}).items() if k in hyper_fields}
            )
            kind = str(d["kind"])
            preset = str(d.get("preset") or _LEGACY_TRAIN_KINDS.get(kind, DEFAULT_PRESET))
            return cls(
                kind=JobKind("train" if kind in _LEGACY_TRAIN_KINDS else kind),
                preset=preset,
                data=tuple(str(x) for x in d.get("data") or ()),
                models=tuple(str(x) for x in d.get("models") or ()),
                reference=d.get("reference"),
                labels=tuple(str(x) for x in d.get("labels") or ()),
                name=d.get("name"),
                split=str(d.get("split") or "test"),
                hyper=hyper,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise JobSpecError(f"unreadable job spec: {exc}") from exc


def _num(value: float) -> str:
    return f"{value:g}"


def build_argv(spec: JobSpec, out_dir: str | Path, data: Sequence[str | Path] | None = None) -> list[str]:
    """The ``kws-train`` arguments (without the program) for ``spec``, writing into ``out_dir``.

    ``data`` replaces ``spec.data`` on the command line (a merged folder). Always ends
    with ``--progress jsonl``. Raises :class:`JobSpecError` for an invalid spec.
    """
    spec.validate()
    h = spec.hyper
    argv: list[str]
    if spec.kind is JobKind.TRAIN:
        argv = ["train", "--preset", spec.preset]
    elif spec.kind is JobKind.PRUNE:
        argv = ["prune", "--from", spec.models[0]]
    elif spec.kind is JobKind.EVALUATE:
        argv = ["evaluate", spec.models[0]]
    else:
        argv = ["benchmark", *spec.models, "--reference", str(spec.reference)]

    for folder in spec.data if data is None else data:
        argv += ["--data", str(folder)]
    if spec.kind is JobKind.EVALUATE:
        argv += ["--split", spec.split]
    if spec.labels and spec.kind is not JobKind.BENCHMARK:
        argv += ["--labels", ",".join(spec.labels)]

    if spec.kind.produces_model:
        argv += ["--out", str(out_dir)]
        if spec.name:
            argv += ["--name", spec.name]
        if h.epochs is not None:
            argv += ["--epochs", str(h.epochs)]
        if h.batch_size is not None:
            argv += ["--batch-size", str(h.batch_size)]
        if h.lr_start is not None:
            argv += ["--learning-rate", _num(h.lr_start)]
        if h.constant_lr:
            argv += ["--final-learning-rate", "none"]
        elif h.lr_end is not None:
            argv += ["--final-learning-rate", _num(h.lr_end)]
        pruning = h.prune or spec.kind is JobKind.PRUNE
        if pruning:
            if h.final_sparsity is not None:
                argv += ["--final-sparsity", _num(h.final_sparsity)]
            if h.initial_sparsity is not None:
                argv += ["--initial-sparsity", _num(h.initial_sparsity)]
            if h.pruning_start is not None:
                argv += ["--pruning-start", _num(h.pruning_start)]
        if spec.kind is not JobKind.PRUNE:
            argv.append("--prune" if h.prune else "--no-prune")
        if h.seed is not None:
            argv += ["--seed", str(h.seed)]
    argv += ["--progress", "jsonl"]
    return argv
