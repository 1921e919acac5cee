"""Checking data folders for the job form, and naming the kind of data a source holds.

:func:`inspect_data` runs the trainer's own scanner
(:func:`kws_gui.core.dataset_index.scan_datasets`, the one ``kws-train`` uses for
``--data A --data B``) on one or more folders and returns what the form shows:
per folder its layout and clips per split, overall the clips per class and split,
or the scanner's message. A job whose check fails is not started.

:func:`source_kind` says whether a folder holds synthetic or real speech, when its
name or README says so, for result cards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kws_gui.core.dataset_index import (
    DEFAULT_LABELS,
    SPLITS,
    DatasetError,
    kind_from_name,
    scan_datasets,
    source_names,
)

#: The model files whose labels a check may read (a .tflite of a keyword model is ~10-500 KB).
MAX_MODEL_BYTES = 64 * 1024 * 1024
_README_NAMES = ("README.md", "README.txt", "README")
_README_BYTES = 64 * 1024


class DataFolderError(ValueError):
    """A data folder that cannot be used; the message is the trainer's or says why."""


@dataclass(frozen=True)
class SourceCheck:
    """One checked folder: its report name, layout, how it is split, and clips per split."""

    name: str
    root: str
    layout: str
    split_source: str
    per_split: dict[str, int]


@dataclass(frozen=True)
class DataCheck:
    """The result of checking data folders: ``ok`` with counts, or a message."""

    ok: bool
    message: str
    layout: str | None = None
    labels: tuple[str, ...] = ()
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    folders: tuple[str, ...] = ()
    sources: tuple[SourceCheck, ...] = ()

    def table(self) -> list[tuple[str, list[int]]]:
        """Rows ``(label, [train, validation, test])`` over every folder."""
        return [(label, [self.counts.get(s, {}).get(label, 0) for s in SPLITS]) for label in self.labels]


def inspect_data(
    folders: Sequence[str | Path],
    labels: Sequence[str] = DEFAULT_LABELS,
    require_splits: Sequence[str] = SPLITS,
    unknown_percent: float = 10.0,
    silence_percent: float = 10.0,
) -> DataCheck:
    """Check data folders as the trainer will read them (never raises).

    Each folder is split by its own lists (or hash rule, or msc folders); together
    they must hold every label in every split of ``require_splits``, exactly as
    ``kws-train`` requires. ``unknown_percent`` / ``silence_percent`` size the
    ``_unknown_`` / ``_silence_`` classes as the job will.
    """
    labels = tuple(labels) or DEFAULT_LABELS
    folders = tuple(str(f) for f in folders if str(f).strip())
    if not folders:
        return DataCheck(False, "choose a data folder")
    try:
        indexes = scan_datasets(
            folders,
            labels,
            require_splits=tuple(require_splits),
            unknown_percent=unknown_percent,
            silence_percent=silence_percent,
        )
    except DatasetError as exc:
        return DataCheck(False, str(exc), folders=folders, labels=labels)
    except OSError as exc:
        return DataCheck(False, f"cannot read the data folders: {exc.strerror or exc}", folders=folders)
    except Exception as exc:  # a scanner bug must not take the form down
        return DataCheck(False, f"cannot check the data folders: {exc}", folders=folders, labels=labels)
    counts = {s: dict.fromkeys(labels, 0) for s in SPLITS}
    sources = []
    for name, index in zip(source_names(indexes), indexes, strict=True):
        per_label = index.counts()
        for split in SPLITS:
            for label, n in per_label[split].items():
                counts[split][label] += n
        sources.append(
            SourceCheck(
                name,
                str(index.root),
                index.layout,
                index.split_source,
                {s: sum(per_label[s].values()) for s in SPLITS},
            )
        )
    total = sum(sum(v.values()) for v in counts.values())
    per_split = ", ".join(f"{s} {sum(counts[s].values())}" for s in SPLITS)
    layout = " + ".join(sorted({index.layout for index in indexes}))
    where = f"{len(folders)} folders, " if len(folders) > 1 else ""
    return DataCheck(
        True,
        f"{where}{layout} layout, {total} clips ({per_split})",
        layout=layout,
        labels=labels,
        counts=counts,
        folders=folders,
        sources=tuple(sources),
    )


def model_labels(path: str | Path) -> tuple[str, ...] | None:
    """The labels a model was trained for, or None when they cannot be read.

    A ``.tflite``: its metadata; a Keras ``.h5`` (a pruning job's base): the training
    report ``kws-train`` wrote beside it (``<stem>.report.json``).
    """
    from kws_gui.core.bounded_json import loads_bounded
    from kws_gui.core.tflite_metadata import MetadataError, read_metadata

    p = Path(path)
    try:
        if p.suffix.lower() == ".h5":
            report = p.with_name(p.stem + ".report.json")
            metadata = loads_bounded(report.read_bytes(), MAX_MODEL_BYTES, 64, str(report))
        elif p.is_file() and p.stat().st_size <= MAX_MODEL_BYTES:
            metadata = read_metadata(p.read_bytes())
        else:
            return None
    except (OSError, ValueError, MetadataError):
        return None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if isinstance(labels, list) and labels and all(isinstance(x, str) and x for x in labels):
        return tuple(labels)
    return None


def source_kind(name: str, root: str | Path | None = None) -> str | None:
    """``"synthetic"`` or ``"real speech"`` when the folder says which, else None.

    Only what the folder itself states counts: a name starting with ``tts-`` or a
    README mentioning synthetic / text-to-speech clips is synthetic; a name starting
    with ``real-`` is real speech. Anything else is just its name.
    """
    base = Path(str(root)).name if root else name.rsplit("/", 1)[-1]
    by_name = kind_from_name(base)
    if by_name == "synthetic":
        return by_name
    if root:  # a README saying synthetic wins over a name: never call synthetic clips real
        for readme in _README_NAMES:
            try:
                with open(Path(root) / readme, "rb") as f:
                    text = f.read(_README_BYTES).decode("utf-8", "replace").lower()
            except OSError:
                continue
            if "synthetic" in text or "text-to-speech" in text:
                return "synthetic"
    return by_name


def source_title(name: str, root: str | Path | None = None) -> str:
    """``"tts-yes-no (synthetic)"``; the bare name when its kind is unknown."""
    kind = source_kind(name, root)
    return f"{name} ({kind})" if kind else name


def data_argument(folder: str, weight: float = 1.0) -> str:
    """A ``--data`` value: ``DIR``, or ``DIR:WEIGHT`` for a weight other than 1."""
    if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight > 0):
        raise DataFolderError(f"{folder}: the weight must be a positive number, got {weight!r}")
    return folder if weight == 1.0 else f"{folder}:{weight:g}"
