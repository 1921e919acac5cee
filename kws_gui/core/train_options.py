"""The training options a run can override: one table, read by ``kws-train`` and by the app's job form.

Each :class:`TrainOption` names its command-line flag, the :class:`TrainConfig` (or
:class:`~kws_gui.core.frontend.FrontendConfig`) field it sets, how the flag's text is
read (:attr:`TrainOption.parse`) and written back (:meth:`TrainOption.format`), its help
text, and the group the job form shows it in. ``kws-train train`` / ``prune`` add one
argument per entry (so the sweep's space files know them too); the app's
hyperparameter form is generated from the same entries, and its command lines are
written with :meth:`TrainOption.format`. Adding an option = one entry here (and the
field in :class:`TrainConfig`). No Qt, no TensorFlow.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kws_gui.core.frontend import FrontendConfig
from kws_gui.core.train_config import TrainConfig

#: Form groups in display order: (name, title).
GROUPS = (
    ("training", "Training"),
    ("pruning", "Pruning"),
    ("data", "Training data mix"),
    ("augmentation", "Augmentation"),
    ("model", "Model"),
    ("frontend", "Frontend"),
    ("output", "Output"),
)
#: Groups that change the network or its input: a pruning run keeps its base model's.
ARCHITECTURE_GROUPS = ("model", "frontend")
#: What :meth:`TrainOption.parse` raises for text it cannot read (argparse shows the message).
PARSE_ERRORS = (ValueError, TypeError, argparse.ArgumentTypeError)


def _pair(text: str) -> tuple[float, float] | None:
    """``LOW,HIGH`` -> (low, high); ``none`` -> None."""
    if text.strip().lower() == "none":
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (two numbers), got {text!r}")
    try:
        return float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (two numbers), got {text!r}") from exc


def _none_or(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return None if text.strip().lower() == "none" else kind(text)

    return parse


def _kernel(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.lower().split("x"))


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")


def _number_text(value: float) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return format(value, ".10g")


@dataclass(frozen=True)
class TrainOption:
    """One overridable training setting.

    ``kind`` is ``"int"``, ``"float"``, ``"pair"`` (LOW,HIGH), ``"kernel"`` (HxW),
    ``"text"`` or ``"switch"`` (``--flag`` / ``--no-flag``). ``scale`` converts the
    field's value to the flag's unit (1000: seconds in the config, ms on the
    command line). ``accepts_none``: the text ``none`` sets the field to None.
    """

    flag: str
    dest: str
    kind: str
    help: str
    group: str
    accepts_none: bool = False
    scale: float = 1.0

    @property
    def name(self) -> str:
        """The flag without dashes (``final-sparsity``)."""
        return self.flag.lstrip("-")

    @property
    def frontend(self) -> bool:
        """True for a field of the frontend config."""
        return self.dest in _FRONTEND_FIELDS

    def parse(self, text: str) -> Any:
        """The field value of the flag's text (argparse's ``type``); raises one of :data:`PARSE_ERRORS`."""
        base: Callable[[str], Any] = {
            "int": int,
            "float": float,
            "pair": _pair,
            "kernel": _kernel,
            "text": str,
            "switch": _switch,
        }[self.kind]
        if self.scale != 1.0:
            unscaled, scale = base, self.scale
            base = lambda text: unscaled(text) / scale  # noqa: E731
        return _none_or(base)(text) if self.accepts_none else base(text)

    @property
    def arg_type(self) -> Callable[[str], Any]:
        """:meth:`parse` named after its kind, for argparse's messages ("invalid int value: '8.0'")."""

        def parse(text: str) -> Any:
            return self.parse(text)

        parse.__name__ = self.kind
        return parse

    def format(self, value: Any) -> str:
        """The flag's text of a field value (inverse of :meth:`parse`); ``""`` for an unset value."""
        if value is None:
            return "none" if self.accepts_none else ""
        if self.kind == "switch":
            return "on" if value else "off"
        if self.kind == "pair":
            return ",".join(_number_text(float(v)) for v in value)
        if self.kind == "kernel":
            return "x".join(str(int(v)) for v in value)
        if self.kind in ("int", "float"):
            scaled = value * self.scale if self.scale != 1.0 else value
            return _number_text(round(scaled, 9) if isinstance(scaled, float) else scaled)
        return str(value)

    def argv(self, value: Any) -> list[str]:
        """Command-line words setting this option to ``value`` (``--flag=TEXT``: negative numbers stay values)."""
        if self.kind == "switch":
            return [self.flag if value else f"--no-{self.name}"]
        return [f"{self.flag}={self.format(value)}"]

    def value_of(self, config: TrainConfig) -> Any:
        """This option's value in ``config``."""
        return getattr(config.frontend if self.frontend else config, self.dest)


_FRONTEND_FIELDS = frozenset(f.name for f in dataclasses.fields(FrontendConfig))

_O = TrainOption
#: Every option ``kws-train train`` / ``prune`` accept besides data, labels and output, in form order.
TRAIN_OPTIONS: tuple[TrainOption, ...] = (
    _O("--epochs", "epochs", "int", "training epochs", "training"),
    _O("--batch-size", "batch_size", "int", "examples per step", "training"),
    _O("--learning-rate", "learning_rate", "float", "initial learning rate", "training"),
    _O(
        "--final-learning-rate",
        "final_learning_rate",
        "float",
        "learning rate at the last step (linear decay); 'none' keeps it constant",
        "training",
        accepts_none=True,
    ),
    _O("--seed", "seed", "int", "seed of every random generator (repeatable runs)", "training"),
    _O(
        "--tf-threads",
        "tf_threads",
        "int",
        "TensorFlow threads per op (0: one per core); fewer leave cores to the augmentation thread",
        "training",
    ),
    _O("--prune", "prune", "switch", "magnitude pruning on/off", "pruning"),
    _O("--initial-sparsity", "initial_sparsity", "float", "sparsity when pruning starts", "pruning"),
    _O(
        "--final-sparsity",
        "final_sparsity",
        "float",
        "sparsity reached by pruning (Conv2D and Dense layers)",
        "pruning",
    ),
    _O("--pruning-start", "pruning_start", "float", "fraction of the steps before pruning starts", "pruning"),
    _O("--finetune-epochs", "finetune_epochs", "int", "last epochs trained at the final sparsity", "pruning"),
    _O(
        "--pruning-frequency",
        "pruning_frequency",
        "int",
        "steps between mask updates (default: from the run length)",
        "pruning",
    ),
    _O(
        "--unknown-percent",
        "unknown_percent",
        "float",
        "_unknown_ examples per split, percent of the keyword clips ('inf': every other word)",
        "data",
    ),
    _O(
        "--silence-percent",
        "silence_percent",
        "float",
        "background-noise windows as _silence_ examples, percent of the keyword clips",
        "data",
    ),
    _O("--augment", "augment", "switch", "time shift + background noise", "augmentation"),
    _O("--time-shift-ms", "time_shift_ms", "float", "augmentation: maximum time shift", "augmentation"),
    _O(
        "--noise-probability",
        "noise_probability",
        "float",
        "augmentation: share of clips with background noise",
        "augmentation",
    ),
    _O(
        "--noise-volume",
        "noise_volume",
        "float",
        "augmentation: maximum background noise volume",
        "augmentation",
    ),
    _O(
        "--noise-snr-db",
        "noise_snr_db",
        "pair",
        "augmentation: background noise at an SNR in LOW,HIGH dB instead of a volume ('none': volume)",
        "augmentation",
        accepts_none=True,
    ),
    _O(
        "--gain-db",
        "gain_db",
        "pair",
        "augmentation: random gain in LOW,HIGH dB, loud clips clip (write --gain-db=-20,10; 'none': off)",
        "augmentation",
        accepts_none=True,
    ),
    _O(
        "--speed-perturbation",
        "speed_perturbation",
        "float",
        "augmentation: speed change up to +- this fraction",
        "augmentation",
    ),
    _O(
        "--reverb-probability",
        "reverb_probability",
        "float",
        "augmentation: share of clips with synthetic reverb",
        "augmentation",
    ),
    _O(
        "--channel-probability",
        "channel_probability",
        "float",
        "augmentation: share of clips heard through a random microphone response (tilt, band limits)",
        "augmentation",
    ),
    _O(
        "--spec-masks",
        "spec_masks",
        "int",
        "augmentation: SpecAugment time and frequency masks per clip",
        "augmentation",
    ),
    _O(
        "--spec-time-width",
        "spec_time_width",
        "int",
        "augmentation: frames per time mask, at most",
        "augmentation",
    ),
    _O(
        "--spec-freq-width",
        "spec_freq_width",
        "int",
        "augmentation: feature bins per frequency mask, at most",
        "augmentation",
    ),
    _O("--filters", "filters", "int", "channels of the convolutions", "model"),
    _O("--first-kernel", "first_kernel", "kernel", "kernel of the first convolution, e.g. 10x4", "model"),
    _O(
        "--first-stride",
        "first_stride",
        "kernel",
        "ds-cnn: stride of the first convolution, e.g. 2x2",
        "model",
    ),
    _O(
        "--ds-blocks",
        "ds_blocks",
        "int",
        "ds-cnn: depthwise-separable blocks after the first block",
        "model",
    ),
    _O(
        "--pool-blocks",
        "pool_blocks",
        "int",
        "ds-cnn: leading blocks that end in 2x2 max-pooling",
        "model",
    ),
    _O("--dropout", "dropout", "float", "dropout rate after each block", "model"),
    _O(
        "--label-smoothing",
        "label_smoothing",
        "float",
        "training targets 1 - s for the true label plus s / labels for every label (0: off)",
        "training",
    ),
    _O(
        "--window-mean-norm",
        "window_mean_norm",
        "switch",
        "subtract each window's mean feature vector (cepstral mean normalisation, inside the model)",
        "model",
    ),
    _O(
        "--int8-per-channel",
        "int8_per_channel",
        "switch",
        "int8 export with per-channel weight scales (default: per tensor, smaller)",
        "model",
    ),
    _O(
        "--frame-length-ms",
        "frame_length_s",
        "float",
        "frontend: frame length in ms",
        "frontend",
        scale=1000.0,
    ),
    _O(
        "--frame-step-ms",
        "frame_step_s",
        "float",
        "frontend: frame step (hop) in ms",
        "frontend",
        scale=1000.0,
    ),
    _O("--mel-bins", "num_mel_bins", "int", "frontend: mel filterbank bins", "frontend"),
    _O(
        "--mfccs",
        "num_mfccs",
        "int",
        "frontend: MFCCs kept from the mel bins; 'none' gives log-Mel features",
        "frontend",
        accepts_none=True,
    ),
    _O("--name", "name", "text", "file stem of the outputs (default: the preset, '-' -> '_')", "output"),
)
del _O

OPTIONS_BY_DEST: dict[str, TrainOption] = {o.dest: o for o in TRAIN_OPTIONS}


def apply_options(base: TrainConfig, values: Mapping[str, Any]) -> TrainConfig:
    """``base`` with option values (field name -> value) applied; frontend fields go to the frontend.

    Raises :class:`~kws_gui.core.train_config.ConfigError` (or the frontend's error) naming
    the option when the result is not a valid configuration.
    """
    changes = dict(values)
    frontend_changes = {k: changes.pop(k) for k in list(changes) if k in _FRONTEND_FIELDS}
    if frontend_changes:
        changes["frontend"] = base.frontend.replace(**frontend_changes)
    return base.replace(**changes)


def option_values(config: TrainConfig) -> dict[str, Any]:
    """Field name -> value of every option in ``config`` (what a form prefills)."""
    return {o.dest: o.value_of(config) for o in TRAIN_OPTIONS}


def same_value(a: Any, b: Any) -> bool:
    """Equal option values, floats compared with a relative tolerance (text round trips)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-9)
    return a == b
