"""Several data folders as one training set: naming and weighting them, stacking their splits.

``kws-train train --data A --data B:3`` trains on every folder at once. Each folder
is split by its own lists (or hash rule, or msc folders) by
:func:`trainer.data.scan_datasets`; here the decoded splits are stacked into one
:class:`MixedSplit` that remembers which folder (*source*) every clip came from, so

* training can **weight** sources (``B:3``: each clip of B is seen three times per
  epoch, each time differently augmented; a fractional weight is a per-epoch
  chance), and
* accuracy can be **reported per source** (the real-speech folder is the figure
  that matters, whatever else the model was trained on).

No TensorFlow here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.dataset_index import source_names
from kws_gui.core.frontend import FrontendConfig
from trainer.data import DatasetError, DatasetIndex, SplitData, load_split

ProgressFactory = Callable[[str, str], Callable[[int, int], None] | None]


@dataclass(frozen=True)
class DataSpec:
    """One ``--data`` argument: a folder and the weight of its clips in training."""

    path: Path
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.weight, (int, float)) or not math.isfinite(self.weight) or self.weight <= 0:
            raise DatasetError(
                f"--data {self.path}: the weight must be a positive number, got {self.weight!r}"
            )

    @classmethod
    def parse(cls, text: str | Path | DataSpec) -> DataSpec:
        """``DIR`` or ``DIR:WEIGHT`` (``../real:3``); a folder whose name ends in ``:N`` is taken whole."""
        if isinstance(text, DataSpec):
            return text
        raw = str(text)
        path, sep, weight = raw.rpartition(":")
        if sep and path and not Path(raw).exists():
            try:
                value = float(weight)
            except ValueError:
                return cls(Path(raw))
            return cls(Path(path), value)
        return cls(Path(raw))

    def __str__(self) -> str:
        return str(self.path) if self.weight == 1.0 else f"{self.path}:{self.weight:g}"


def parse_specs(values: Sequence[str | Path | DataSpec] | str | Path | None) -> list[DataSpec]:
    """``--data`` values (one or several) as :class:`DataSpec` objects."""
    if values is None:
        return []
    if isinstance(values, (str, Path, DataSpec)):
        values = [values]
    return [DataSpec.parse(v) for v in values]


@dataclass
class MixedSplit:
    """One split of every source, stacked: features, labels, source of each clip.

    ``source[i]`` indexes :attr:`names`; ``audio`` is kept only when asked for
    (training with augmentation). ``parts`` holds each source's own
    :class:`~trainer.data.SplitData` (None where the source has no clips in the split).
    """

    split: str
    features: np.ndarray
    labels: np.ndarray
    audio: np.ndarray | None
    source: np.ndarray
    names: list[str]
    parts: list[SplitData | None]

    def __len__(self) -> int:
        return int(len(self.labels))

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(file, reason) of every clip that could not be used, all sources."""
        return [s for part in self.parts if part is not None for s in part.skipped]

    @property
    def from_cache(self) -> bool:
        """True when no source had to decode or compute anything."""
        return all(part.from_cache for part in self.parts if part is not None)

    def counts(self) -> dict[str, int]:
        """Source name -> clips used."""
        return {name: int(np.sum(self.source == k)) for k, name in enumerate(self.names)}


def load_mixed_split(
    indexes: Sequence[DatasetIndex],
    split: str,
    frontend_config: FrontendConfig,
    cache_dir: str | Path | None = None,
    keep_audio: bool = False,
    progress: ProgressFactory | None = None,
) -> MixedSplit:
    """Decode ``split`` of every source (through the feature cache) and stack them.

    Sources without clips in the split are left out; a split empty in every source
    raises :class:`~trainer.data.DatasetError`. ``progress(split, source_name)``
    may return a ``(done, total)`` callback per source.
    """
    names = source_names(indexes)
    parts: list[SplitData | None] = []
    for index, name in zip(indexes, names, strict=True):
        if not index.split(split):
            parts.append(None)
            continue
        callback = progress(split, name) if progress is not None else None
        parts.append(
            load_split(
                index, split, frontend_config, cache_dir=cache_dir, keep_audio=keep_audio, progress=callback
            )
        )
    present = [(k, p) for k, p in enumerate(parts) if p is not None]
    if not present:
        raise DatasetError(f"the {split} split is empty in every data folder ({', '.join(names)})")
    features = np.concatenate([p.features for _, p in present])
    labels = np.concatenate([p.labels for _, p in present])
    source = np.concatenate([np.full(len(p.labels), k, dtype=np.int64) for k, p in present])
    audio = None
    if keep_audio:
        audio = np.concatenate([p.audio for _, p in present if p.audio is not None])
        if len(audio) != len(labels):  # pragma: no cover - load_split keeps audio for every clip it keeps
            raise DatasetError(f"decoded audio of the {split} split is incomplete")
    return MixedSplit(split, features, labels, audio, source, names, parts)


def epoch_order(source: np.ndarray, weights: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Clip indices of one epoch, each source repeated by its weight, shuffled.

    A clip of a source with weight 2.5 appears twice, and a third time with
    probability 0.5; weight 1 everywhere gives every clip once.
    """
    w = np.asarray(weights, dtype=np.float64)[np.asarray(source, dtype=np.int64)]
    whole = np.floor(w).astype(np.int64)
    extra = rng.random(len(w)) < (w - whole)
    repeats = whole + extra.astype(np.int64)
    order = np.repeat(np.arange(len(w)), repeats)
    rng.shuffle(order)
    return order


def per_source_accuracy(split: MixedSplit, predicted: np.ndarray) -> dict[str, dict[str, Any]]:
    """Source name -> {"accuracy", "n"} of ``predicted`` (labels, same order as ``split``)."""
    out: dict[str, dict[str, Any]] = {}
    hits = np.asarray(predicted) == split.labels
    for k, name in enumerate(split.names):
        mask = split.source == k
        n = int(mask.sum())
        out[name] = {"accuracy": float(hits[mask].mean()) if n else None, "n": n}
    return out
