"""Checking data folders for the job form, and merging several into one for a job.

:func:`inspect_data` runs the trainer's own scanner
(:func:`kws_gui.core.dataset_index.scan_dataset`) on one or more folders and returns
what the form shows: layout, clips per class and split, or the scanner's message.

:func:`merge_datasets` builds, inside a job's folder, one Speech Commands folder
whose files are links to the clips of several datasets (e.g. a downloaded set and
the clips recorded in the app), with ``validation_list.txt`` / ``testing_list.txt``
keeping every clip in the split its own dataset gave it. The trainer then reads a
single ``--data`` folder; the sources are never modified.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kws_gui.core.dataset_index import (
    DEFAULT_LABELS,
    SPLITS,
    TESTING_LIST,
    VALIDATION_LIST,
    DatasetError,
    DatasetIndex,
    scan_dataset,
)


class DataFolderError(ValueError):
    """A data folder that cannot be used; the message is the trainer's or says why."""


@dataclass(frozen=True)
class DataCheck:
    """The result of checking data folders: ``ok`` with counts, or a message."""

    ok: bool
    message: str
    layout: str | None = None
    labels: tuple[str, ...] = ()
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    folders: tuple[str, ...] = ()

    def table(self) -> list[tuple[str, list[int]]]:
        """Rows ``(label, [train, validation, test])`` for a small table."""
        return [(label, [self.counts.get(s, {}).get(label, 0) for s in SPLITS]) for label in self.labels]


def _scan(root: str | Path, labels: Sequence[str], require_splits: Sequence[str] = SPLITS) -> DatasetIndex:
    try:
        return scan_dataset(root, labels, require_splits=require_splits)
    except DatasetError as exc:
        raise DataFolderError(str(exc)) from exc
    except OSError as exc:
        raise DataFolderError(f"{root}: {exc.strerror or exc}") from exc


def inspect_data(folders: Sequence[str | Path], labels: Sequence[str] = DEFAULT_LABELS) -> DataCheck:
    """Check one or more data folders as a job would use them (never raises).

    One folder must hold every label in every split (as the trainer requires). With
    several folders each needs only some of the labels; the merged counts must
    cover every label in every split.
    """
    labels = tuple(labels) or DEFAULT_LABELS
    folders = tuple(str(f) for f in folders if str(f).strip())
    if not folders:
        return DataCheck(False, "choose a data folder")
    try:
        if len(folders) == 1:
            index = _scan(folders[0], labels)
            counts, layout = index.counts(), index.layout
        else:
            counts = {s: dict.fromkeys(labels, 0) for s in SPLITS}
            layouts = []
            for folder in folders:
                index = _scan(folder, _present_labels(folder, labels), require_splits=())
                layouts.append(index.layout)
                for split, per_label in index.counts().items():
                    for label, n in per_label.items():
                        counts[split][label] += n
            layout = " + ".join(layouts)
            for split in SPLITS:
                for label in labels:
                    if counts[split][label] == 0:
                        raise DataFolderError(
                            f"class {label!r} has no clips in the {split} split of the merged folders"
                        )
    except DataFolderError as exc:
        return DataCheck(False, str(exc), folders=folders, labels=labels)
    total = sum(sum(v.values()) for v in counts.values())
    per_split = ", ".join(f"{s} {sum(counts[s].values())}" for s in SPLITS)
    return DataCheck(
        True,
        f"{layout} layout, {total} clips ({per_split})",
        layout=layout,
        labels=labels,
        counts=counts,
        folders=folders,
    )


def _present_labels(folder: str | Path, labels: Sequence[str]) -> tuple[str, ...]:
    """The labels with clips in ``folder`` (word folders, or msc file prefixes)."""
    root = Path(folder)
    if not root.is_dir():
        raise DataFolderError(f"dataset folder {root} does not exist")
    present = []
    for label in labels:
        if label.startswith("_"):
            continue
        if (root / label).is_dir() or any(
            (root / split).is_dir() and next((root / split).glob(f"{label}_*"), None) is not None
            for split in ("msc-train", "msc-val", "msc-test")
        ):
            present.append(label)
    if not present:
        raise DataFolderError(f"{root} holds none of the labels {', '.join(labels)}")
    return tuple(present)


def _link(src: Path, dst: Path) -> None:
    """Symlink, else hard link, else copy (Windows without symlink rights, other drives)."""
    try:
        os.symlink(src, dst)
        return
    except (OSError, NotImplementedError):
        pass
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def merge_datasets(
    folders: Sequence[str | Path], dest: str | Path, labels: Sequence[str] = DEFAULT_LABELS
) -> Path:
    """Write a Speech Commands folder at ``dest`` linking the clips of ``folders``.

    Files become ``<label>/s<i>-<speaker>_nohash_<n>.wav`` (``i`` = the source's
    position, so speakers of different sources never merge); background noise of
    every source is linked into ``_background_noise_/``. Raises
    :class:`DataFolderError` when a source cannot be read or the result lacks a
    label in some split.
    """
    dest = Path(dest)
    if dest.exists():
        raise DataFolderError(f"{dest} already exists")
    labels = tuple(label for label in labels if not label.startswith("_")) or DEFAULT_LABELS
    dest.mkdir(parents=True)
    lists: dict[str, list[str]] = {"validation": [], "test": []}
    try:
        for i, folder in enumerate(folders):
            index = _scan(folder, _present_labels(folder, labels), require_splits=())
            counters: dict[tuple[str, str], int] = {}
            for clip in index.clips:
                if clip.label.startswith("_"):
                    continue
                speaker = "".join(c for c in clip.speaker if c.isalnum() or c in "-.") or "anon"
                n = counters.get((clip.label, speaker), 0)
                counters[(clip.label, speaker)] = n + 1
                name = f"s{i}-{speaker}_nohash_{n}{clip.path.suffix.lower()}"
                (dest / clip.label).mkdir(exist_ok=True)
                _link(clip.path, dest / clip.label / name)
                if clip.split in lists:
                    lists[clip.split].append(f"{clip.label}/{name}")
            if index.noise_files:
                noise = dest / "_background_noise_"
                noise.mkdir(exist_ok=True)
                for path in index.noise_files:
                    _link(path, noise / f"s{i}-{path.name}")
        (dest / VALIDATION_LIST).write_text("".join(f"{e}\n" for e in lists["validation"]), encoding="utf-8")
        (dest / TESTING_LIST).write_text("".join(f"{e}\n" for e in lists["test"]), encoding="utf-8")
        _scan(dest, labels)  # the merged folder must satisfy the trainer
    except (DataFolderError, OSError) as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(dest)
        raise DataFolderError(str(exc)) from exc
    return dest
