"""Training configurations: :class:`TrainConfig` and the named :data:`PRESETS`.

Plain data, read by both sides: the trainer (``kws-train train --preset NAME``)
and the app's job form (its prefilled hyperparameters). No Qt, no TensorFlow.
Adding a preset is one entry in :data:`PRESETS`; the CLI and the job form list
it from there. A :class:`TrainConfig` holds every hyperparameter of a run; the
CLI overrides single fields. The augmentation settings it builds
(:class:`AugmentConfig`, :class:`SpecAugmentConfig`) are applied by :mod:`trainer.augment`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from kws_gui.core.frontend import DS_CNN, REFERENCE, FrontendConfig

MAX_RT60_S = 1.0


@dataclass
class AugmentConfig:
    """Augmentation settings; the defaults are the Speech Commands recipe's (shift + noise)."""

    time_shift_s: float = 0.1
    background_frequency: float = 0.8
    background_volume: float = 0.1
    noise_snr_db: tuple[float, float] | None = None
    gain_db: tuple[float, float] | None = None
    speed: float = 0.0
    reverb_probability: float = 0.0
    reverb_rt60_s: tuple[float, float] = (0.1, 0.5)
    channel_probability: float = 0.0
    channel_tilt_db: float = 6.0
    channel_highpass_hz: tuple[float, float] = (80.0, 500.0)
    channel_lowpass_hz: tuple[float, float] = (1500.0, 5000.0)

    def __post_init__(self) -> None:
        checks = {
            "time_shift_s": (self.time_shift_s, 0.0, math.inf),
            "background_frequency": (self.background_frequency, 0.0, 1.0),
            "background_volume": (self.background_volume, 0.0, math.inf),
            "speed": (self.speed, 0.0, 0.49),
            "reverb_probability": (self.reverb_probability, 0.0, 1.0),
            "channel_probability": (self.channel_probability, 0.0, 1.0),
            "channel_tilt_db": (self.channel_tilt_db, 0.0, 24.0),
        }
        for name, (value, low, high) in checks.items():
            _check_number(name, value, low, high)
        for name, pair, low, high in (
            ("noise_snr_db", self.noise_snr_db, -30.0, 100.0),
            ("gain_db", self.gain_db, -60.0, 60.0),
            ("reverb_rt60_s", self.reverb_rt60_s, 0.01, MAX_RT60_S),
            ("channel_highpass_hz", self.channel_highpass_hz, 1.0, 20000.0),
            ("channel_lowpass_hz", self.channel_lowpass_hz, 1.0, 20000.0),
        ):
            if pair is None:
                continue
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"{name} must be a (low, high) pair, got {pair!r}")
            for value in pair:
                _check_number(name, value, low, high)
            if pair[0] > pair[1]:
                raise ValueError(f"{name}: low {pair[0]} is above high {pair[1]}")


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        bound = f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


@dataclass(frozen=True)
class SpecAugmentConfig:
    """SpecAugment-style masks: ``masks`` time and ``masks`` frequency bands per clip (0: off)."""

    masks: int = 0
    time_width: int = 6
    freq_width: int = 2

    def __post_init__(self) -> None:
        for name in ("masks", "time_width", "freq_width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                raise ValueError(f"{name} must be an integer in [0, 100], got {value!r}")


ARCHITECTURES = ("cnn", "ds-cnn")
#: AugmentConfig / SpecAugmentConfig field -> the TrainConfig option users set.
_AUGMENT_OPTIONS = {
    "time_shift_s": "time_shift_ms",
    "background_frequency": "noise_probability",
    "background_volume": "noise_volume",
    "speed": "speed_perturbation",
    "channel_probability": "channel_probability",
    "masks": "spec_masks",
    "time_width": "spec_time_width",
    "freq_width": "spec_freq_width",
}


class ConfigError(ValueError):
    """An invalid training configuration; the message names the option."""


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of one training run (the report stores it)."""

    preset: str
    architecture: str
    frontend: FrontendConfig
    labels: tuple[str, ...] = ("yes", "no")
    epochs: int = 20
    batch_size: int = 20
    learning_rate: float = 0.01
    final_learning_rate: float | None = 0.001  # None: constant learning rate
    filters: int = 32
    first_kernel: tuple[int, int] = (10, 4)
    first_stride: tuple[int, int] = (1, 1)  # ds-cnn: stride of the first convolution (time, feature)
    ds_blocks: int = 2  # ds-cnn: depthwise-separable blocks after the first convolution block
    pool_blocks: int | None = None  # ds-cnn: leading blocks that end in 2x2 max-pooling (None: all)
    dropout: float = 0.1
    label_smoothing: float = 0.0  # targets: 1 - s on the true label, plus s / labels on each label
    window_mean_norm: bool = False  # subtract each window's mean feature vector (mic response)
    prune: bool = True
    initial_sparsity: float = 0.10
    final_sparsity: float = 0.90
    pruning_start: float = 0.10  # fraction of the steps before pruning begins
    finetune_epochs: int = 6  # last epochs train at the final sparsity
    pruning_frequency: int | None = None  # None: chosen from the run length
    augment: bool = True
    int8_per_channel: bool = False  # int8 export: per-channel weight scales (bigger file)
    time_shift_ms: float = 100.0
    noise_probability: float = 0.8
    noise_volume: float = 0.1
    speed_perturbation: float = 0.0  # each epoch, play clips at 1 +- this speed (pitch and tempo)
    noise_snr_db: tuple[float, float] | None = None  # noise at an SNR in this range instead of a volume
    gain_db: tuple[float, float] | None = None  # random gain (dB) after the noise; loud clips clip
    reverb_probability: float = 0.0  # share of clips with synthetic room reverb
    channel_probability: float = 0.0  # share of clips heard through a random microphone response
    spec_masks: int = 0  # SpecAugment: time and frequency masks per clip
    spec_time_width: int = 6  # frames, at most, per time mask
    spec_freq_width: int = 2  # feature bins, at most, per frequency mask
    unknown_percent: float = 10.0  # _unknown_ examples per split, % of the keyword clips (inf: all)
    silence_percent: float = 10.0  # background-noise windows as _silence_, % of the keyword clips
    seed: int = 0
    tf_threads: int = 0  # TensorFlow threads per op and between ops (0: its default, one per core)
    name: str = ""

    def __post_init__(self) -> None:
        def fail(option: str, message: str) -> None:
            raise ConfigError(f"--{option.replace('_', '-')}: {message}")

        if self.architecture not in ARCHITECTURES:
            fail("architecture", f"unknown architecture {self.architecture!r} ({', '.join(ARCHITECTURES)})")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels) or not all(self.labels):
            fail("labels", f"need at least two distinct, non-empty labels, got {list(self.labels)}")
        for name in ("epochs", "batch_size", "filters"):
            if int(getattr(self, name)) < 1:
                fail(name, f"must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.ds_blocks <= 8:
            fail("ds_blocks", f"must be in [0, 8], got {self.ds_blocks}")
        if self.pool_blocks is not None and not 0 <= self.pool_blocks <= self.ds_blocks + 1:
            fail(
                "pool_blocks",
                f"must be in [0, {self.ds_blocks + 1}] (blocks in the model), got {self.pool_blocks}",
            )
        if len(self.first_stride) != 2 or not all(1 <= int(v) <= 4 for v in self.first_stride):
            fail("first_stride", f"must be two strides in [1, 4], e.g. 2x2, got {self.first_stride}")
        if not self.learning_rate > 0 or (
            self.final_learning_rate is not None and not self.final_learning_rate > 0
        ):
            fail("learning_rate", "learning rates must be positive")
        if not 0 <= self.dropout < 1:
            fail("dropout", f"must be in [0, 1), got {self.dropout}")
        if not 0 <= self.label_smoothing < 1:
            fail("label_smoothing", f"must be in [0, 1), got {self.label_smoothing}")
        if not 0 <= self.tf_threads <= 256:
            fail("tf_threads", f"must be in [0, 256] (0: one per core), got {self.tf_threads}")
        if not 0 <= self.initial_sparsity <= self.final_sparsity < 1:
            fail("final_sparsity", "need 0 <= initial sparsity <= final sparsity < 1")
        if not 0 <= self.pruning_start < 1:
            fail("pruning_start", f"must be a fraction of the steps in [0, 1), got {self.pruning_start}")
        if self.finetune_epochs < 0:
            fail("finetune_epochs", f"must be >= 0, got {self.finetune_epochs}")
        if self.pruning_frequency is not None and self.pruning_frequency < 1:
            fail("pruning_frequency", f"must be >= 1, got {self.pruning_frequency}")
        if self.time_shift_ms < 0:
            fail("time_shift_ms", f"must be >= 0, got {self.time_shift_ms}")
        if not 0 <= self.noise_probability <= 1:
            fail("noise_probability", f"must be in [0, 1], got {self.noise_probability}")
        if not 0 <= self.speed_perturbation < 0.5:
            fail("speed_perturbation", f"must be in [0, 0.5), got {self.speed_perturbation}")
        if self.noise_volume < 0:
            fail("noise_volume", f"must be >= 0, got {self.noise_volume}")
        for name in ("unknown_percent", "silence_percent"):
            value = getattr(self, name)
            if not value >= 0 or (name == "silence_percent" and value == math.inf):
                fail(name, f"must be a number >= 0, got {value}")
        try:
            self.augment_config()
            self.spec_augment_config()
        except ValueError as exc:
            option, _, message = str(exc).partition(" ")
            option = option.rstrip(":")
            fail(_AUGMENT_OPTIONS.get(option, option), message)

    def augment_config(self) -> AugmentConfig:
        """The audio augmentation of this run (see :mod:`trainer.augment`)."""
        return AugmentConfig(
            time_shift_s=self.time_shift_ms / 1000.0,
            background_frequency=self.noise_probability,
            background_volume=self.noise_volume,
            noise_snr_db=self.noise_snr_db,
            gain_db=self.gain_db,
            speed=self.speed_perturbation,
            reverb_probability=self.reverb_probability,
            channel_probability=self.channel_probability,
        )

    def spec_augment_config(self) -> SpecAugmentConfig:
        """The feature masking of this run."""
        return SpecAugmentConfig(self.spec_masks, self.spec_time_width, self.spec_freq_width)

    def augmentation_summary(self) -> dict[str, Any]:
        """What augmentation does in this run, for the report (off steps named as off)."""
        if not self.augment:
            return {"enabled": False}
        return {
            "enabled": True,
            "time_shift_ms": self.time_shift_ms,
            "background_noise": {
                "probability": self.noise_probability,
                **(
                    {"snr_db": list(self.noise_snr_db)}
                    if self.noise_snr_db is not None
                    else {"max_volume": self.noise_volume}
                ),
            },
            "gain_db": list(self.gain_db) if self.gain_db is not None else "off",
            "speed_perturbation": self.speed_perturbation or "off",
            "reverb_probability": self.reverb_probability or "off",
            "channel_probability": self.channel_probability or "off",
            "spec_augment": (
                {
                    "masks": self.spec_masks,
                    "time_width": self.spec_time_width,
                    "freq_width": self.spec_freq_width,
                }
                if self.spec_masks
                else "off"
            ),
        }

    @property
    def model_name(self) -> str:
        """File stem of the outputs (``--name``, default: the preset with '-' -> '_')."""
        return self.name or self.preset.replace("-", "_")

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (frontend as its dict)."""
        data = dataclasses.asdict(self)
        data["frontend"] = self.frontend.to_dict()
        data["labels"] = list(self.labels)
        data["first_kernel"] = list(self.first_kernel)
        data["first_stride"] = list(self.first_stride)
        for name in ("noise_snr_db", "gain_db"):
            if data[name] is not None:
                data[name] = list(data[name])
        if data["unknown_percent"] == math.inf:
            data["unknown_percent"] = "inf"
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored: reports may be newer)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["frontend"] = FrontendConfig.from_dict(values["frontend"])
            values["labels"] = tuple(values["labels"])
            if values.get("unknown_percent") == "inf":
                values["unknown_percent"] = math.inf
            values["first_kernel"] = tuple(values.get("first_kernel", (10, 4)))
            values["first_stride"] = tuple(values.get("first_stride", (1, 1)))
            for name in ("noise_snr_db", "gain_db"):
                if values.get(name) is not None:
                    values[name] = tuple(values[name])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid training config: {exc}") from exc

    def fingerprint(self) -> str:
        """Short hash of everything that shapes the model (not the output name)."""
        data = self.to_dict()
        data.pop("name", None)
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


#: Augmentation that brings synthetic and real clips closer to what a live microphone
#: hears: noise at 0-30 dB SNR, -20..+10 dB gain (loud clips clip), +-10 % speed,
#: reverb on 30 % of the clips, two SpecAugment masks (docs in trainer/augment.py).
REAL_RECORDINGS = {
    "noise_snr_db": (0.0, 30.0),
    "gain_db": (-20.0, 10.0),
    "speed_perturbation": 0.1,
    "reverb_probability": 0.3,
    "spec_masks": 2,
}

PRESETS: dict[str, TrainConfig] = {
    "reference": TrainConfig(
        preset="reference",
        architecture="cnn",
        frontend=REFERENCE,
        epochs=20,
        batch_size=32,
        learning_rate=0.001,
        final_learning_rate=0.0001,  # linear decay: a constant rate left the last epochs noisy
        filters=128,
        first_kernel=(3, 3),
        dropout=0.0,
        prune=False,
        finetune_epochs=0,
        # The recipe's shift and noise only: with the real-recordings augmentation 20 epochs
        # at these rates left it under-trained (real validation 0.89 against 0.94).
    ),
    # The seed's two-label DS-CNN. Sparsity 0.8, not the seed's 0.9: on real speakers
    # 0.9 lost 2-7 points of accuracy in three seeds, and 0.8 still zips to < 11 KB.
    # seed 2: the best validation accuracy of seeds 0-3 on tts-yes-no (the first shipped model).
    "ds-cnn": TrainConfig(
        preset="ds-cnn", architecture="ds-cnn", frontend=DS_CNN, seed=2, final_sparsity=0.8, **REAL_RECORDINGS
    ),
    # The live default: yes, no, and "neither" (_silence_, _unknown_), so that other words
    # and noise fire nothing. The seed's frontend and DS-CNN family at 64 filters, not
    # pruned (pruning to 0.9 cost ~10 points on four labels; the int8 file is ~20 KB
    # either way); every other word folder of the data as unknown, as many as keywords.
    "live": TrainConfig(
        preset="live",
        architecture="ds-cnn",
        frontend=DS_CNN,
        labels=("_silence_", "_unknown_", "yes", "no"),
        filters=64,
        prune=False,
        finetune_epochs=0,
        unknown_percent=100.0,
        silence_percent=10.0,
        # Each window's mean feature vector is subtracted inside the model (a microphone's
        # response is a constant vector there) and the learning rate is 0.003 -> 0.0003, not
        # the seed's 0.01 -> 0.001. Real validation split, seeds 0-5, best stream hit rate at
        # <= 0.02 / 0.03 false detections per other word: 0.895 / 0.938 against 0.877 / 0.892
        # for the seed's rate without the subtraction (DEVELOPERS.md). seed 0: the best
        # validation streams of seeds 0-3 (hit rate 0.95 / 0.86 / 0.86 / 0.94): small data,
        # large spread between seeds.
        learning_rate=0.003,
        final_learning_rate=0.0003,
        window_mean_norm=True,
        seed=0,
        **REAL_RECORDINGS,
    ),
}


def preset(name: str) -> TrainConfig:
    """The preset called ``name``; :class:`ConfigError` lists the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"--preset: unknown preset {name!r} (known: {', '.join(PRESETS)})") from None
