"""Finding the clips of a dataset folder and their split (no audio decoded, no TensorFlow).

Shared by the trainer (:mod:`trainer.data` decodes what this indexes) and the app
(the job form checks and merges data folders; the recorder writes the same lists).

Two layouts are read as published:

* **Speech Commands** (``layout="speech-commands"``): one folder per word
  (``yes/0a7c2a8d_nohash_0.wav``), ``_background_noise_/`` beside them, and
  optionally ``validation_list.txt`` / ``testing_list.txt`` (relative paths, one per
  line; everything not listed is training data). Without either list the
  dataset's own rule splits by a hash of the speaker (:func:`which_set`), so one
  speaker never ends up in two splits. Folders that are not labels (the other
  words, ``LICENSE``, ``README.md``) are ignored.
* **msc** (``layout="msc"``, mini Speech Commands as used in course material):
  ``msc-train/``, ``msc-val/``, ``msc-test/``, each holding ``<label>_<speaker>_nohash_<n>.wav``
  (or ``<label>/<file>.wav``); the folder is the split.

Labels default to ``("yes", "no")``. Two pseudo-labels follow the Speech Commands
recipe when they are listed: ``_silence_`` (1 s cut from ``_background_noise_/`` at a
random volume up to 1.0, ``silence_percent`` of the words in each split) and
``_unknown_`` (a seeded sample, ``unknown_percent`` of the words in each split, of the
folders that are not labels).

Only file headers are read here (:func:`kws_gui.core.audio_io.audio_info`): background
noise counts up to :data:`MAX_NOISE_SECONDS`, and :func:`without_unreadable` drops clips
whose header is unusable or declares more than :data:`MAX_CLIP_FILE_SECONDS`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.audio_io import SAMPLE_RATE, AudioFileError, audio_info

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
DEFAULT_LABELS = ("yes", "no")
SILENCE_LABEL = "_silence_"
UNKNOWN_LABEL = "_unknown_"
PSEUDO_LABELS = (SILENCE_LABEL, UNKNOWN_LABEL)
BACKGROUND_NOISE_DIR = "_background_noise_"
VALIDATION_LIST = "validation_list.txt"
TESTING_LIST = "testing_list.txt"
MSC_FOLDERS = {"msc-train": "train", "msc-val": "validation", "msc-test": "test"}
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
#: The Speech Commands recipe's constant (input_data.py): ~134M files per class at most.
MAX_NUM_WAVS_PER_CLASS = 2**27 - 1
#: The Speech Commands recipe's seed for sampling unknown words.
RANDOM_SEED = 59185
CACHE_VERSION = 1
#: A "clip" whose header declares a longer recording is skipped (a keyword clip lasts ~1 s).
MAX_CLIP_FILE_SECONDS = 30.0
#: Background-noise recordings are read up to this length (Speech Commands': 60-95 s).
MAX_NOISE_SECONDS = 600.0


class DatasetError(ValueError):
    """A dataset that cannot be used as asked; the message says why, for people."""


# ---------------------------------------------------------------------- split rule
def which_set(filename: str, validation_percentage: float, testing_percentage: float) -> str:
    """The Speech Commands split rule: ``"train"``, ``"validation"`` or ``"test"``.

    As ``input_data.which_set`` of the TensorFlow speech_commands example: the file
    name with ``_nohash_`` and everything after it removed (the speaker id) is hashed
    with SHA-1, reduced modulo ``MAX_NUM_WAVS_PER_CLASS + 1`` and scaled to a
    percentage; below ``validation_percentage`` is validation, below the sum of both
    is test, the rest training. The original returns ``"training"``/``"testing"``;
    this returns this module's split names ``"train"``/``"test"``.
    """
    base_name = os.path.basename(filename)
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    hashed = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage_hash = (int(hashed, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < testing_percentage + validation_percentage:
        return "test"
    return "train"


def speaker_of(filename: str) -> str:
    """Speaker id of a Speech Commands file name: the part before ``_nohash_`` (else the stem)."""
    stem = Path(filename).stem
    return stem.split("_nohash_", 1)[0]


# ---------------------------------------------------------------------- the index
@dataclass(frozen=True)
class Clip:
    """One example: a file, its label, its speaker and its split.

    ``start``/``gain`` are only set for ``_silence_`` clips, which are cut from a
    background-noise file (``path``) at sample ``start`` (at the frontend's sample
    rate) and scaled by ``gain``.
    """

    path: Path
    label: str
    speaker: str
    split: str
    start: int | None = None
    gain: float = 1.0


@dataclass
class DatasetIndex:
    """Every clip of a dataset with its split; nothing decoded yet."""

    root: Path
    layout: str
    labels: tuple[str, ...]
    clips: list[Clip]
    noise_files: list[Path]
    split_source: str

    def split(self, name: str) -> list[Clip]:
        """Clips of ``"train"``, ``"validation"``, ``"test"`` or ``"all"``."""
        if name == "all":
            return list(self.clips)
        if name not in SPLITS:
            raise DatasetError(f"unknown split {name!r}: choose one of {', '.join(SPLITS)} or all")
        return [c for c in self.clips if c.split == name]

    def counts(self) -> dict[str, dict[str, int]]:
        """Split -> label -> number of clips (every split and label present, zeros included)."""
        out = {s: dict.fromkeys(self.labels, 0) for s in SPLITS}
        for c in self.clips:
            out[c.split][c.label] += 1
        return out

    def label_index(self, label: str) -> int:
        """Position of ``label`` in :attr:`labels` (the model's output index)."""
        return self.labels.index(label)

    def relative(self, path: Path) -> str:
        """``path`` relative to the dataset root, POSIX style (absolute if outside)."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def fingerprint(self, split: str) -> str:
        """SHA-256 (hex) of the split's relative paths, labels, sizes and mtimes.

        It changes when a file of the split is added, removed, relabelled or
        rewritten, so it keys caches and identifies the data a model was trained on.
        """
        clips = self.split(split)
        digest = hashlib.sha256()
        digest.update(f"kws-dataset/{CACHE_VERSION}\n".encode())
        for clip in clips:
            try:
                st = clip.path.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = -1, -1
            line = f"{self.relative(clip.path)}\t{clip.label}\t{size}\t{mtime}\t{clip.start}\t{clip.gain!r}\n"
            digest.update(line.encode("utf-8"))
        return digest.hexdigest()

    def summary(self) -> dict[str, Any]:
        """JSON-able description: root, layout, labels, counts, split source, noise files."""
        counts = self.counts()
        return {
            "root": str(self.root),
            "layout": self.layout,
            "labels": list(self.labels),
            "split_source": self.split_source,
            "counts": counts,
            "total": {s: sum(counts[s].values()) for s in SPLITS},
            "noise_files": [self.relative(p) for p in self.noise_files],
        }


def source_names(indexes: Sequence[DatasetIndex]) -> list[str]:
    """A short, unique name per folder: its name, or ``parent/name`` where two names clash.

    The name every report and the app give a data folder (a *source*).
    """
    names = [index.root.name for index in indexes]
    out = []
    for index, name in zip(indexes, names, strict=True):
        out.append(f"{index.root.parent.name}/{name}" if names.count(name) > 1 else name)
    return out


def kind_from_name(name: str) -> str | None:
    """``"synthetic"`` for a folder named ``tts-...``, ``"real speech"`` for ``real-...``, else None.

    The naming rule of the data folders here (app's result cards, model panel); what a
    folder's README says is checked by :func:`kws_gui.jobs.dataset.source_kind`.
    """
    lowered = Path(str(name)).name.lower()
    if lowered.startswith("tts-"):
        return "synthetic"
    if lowered.startswith("real-"):
        return "real speech"
    return None


def _normalise_labels(labels: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(labels, str):
        labels = [part.strip() for part in labels.split(",")]
    out = tuple(labels)
    if not out:
        raise DatasetError("no labels given: name at least one word, e.g. yes,no")
    for label in out:
        if not isinstance(label, str) or not label.strip():
            raise DatasetError(f"invalid label {label!r}: labels are non-empty words")
        if label == BACKGROUND_NOISE_DIR:
            raise DatasetError(f"{BACKGROUND_NOISE_DIR} holds background noise and cannot be a label")
        if "/" in label or "\\" in label or label in (".", ".."):
            raise DatasetError(f"invalid label {label!r}: a label is a folder name, not a path")
    dupes = sorted({label for label in out if out.count(label) > 1})
    if dupes:
        raise DatasetError(f"label {dupes[0]!r} is listed twice")
    if all(label in PSEUDO_LABELS for label in out):
        raise DatasetError("labels must include at least one word besides _silence_ and _unknown_")
    return out


def audio_files(folder: Path) -> list[Path]:
    """Audio files directly inside ``folder``, sorted; hidden files ignored."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise DatasetError(f"cannot list {folder}: {exc.strerror or exc}") from exc
    return sorted(
        p
        for p in entries
        if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def _read_list(path: Path) -> set[str]:
    """Relative POSIX paths listed in a Speech Commands split list."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    out = set()
    for line in text.splitlines():
        entry = line.strip().replace("\\", "/")
        while entry.startswith("./"):
            entry = entry[2:]
        if entry:
            out.add(entry)
    return out


def _check_percentages(validation_percent: float, testing_percent: float) -> None:
    for name, value in (("validation_percent", validation_percent), ("testing_percent", testing_percent)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value < 100:
            raise DatasetError(f"{name} must be a number in [0, 100), got {value!r}")
    if validation_percent + testing_percent >= 100:
        raise DatasetError(
            f"validation_percent + testing_percent = {validation_percent + testing_percent}: "
            "nothing would be left for training"
        )


def split_rule(
    root: Path, validation_percent: float = 10.0, testing_percent: float = 10.0
) -> tuple[Callable[[str, Path], str], str]:
    """``split_of(word, path)`` for a Speech Commands folder, and ``"lists"`` or ``"hash"``.

    The folder's ``validation_list.txt`` / ``testing_list.txt`` decide when either exists
    (a file on both lists counts as test data, kept out of model selection); otherwise
    :func:`which_set` with the two percentages.
    """
    val_path, test_path = root / VALIDATION_LIST, root / TESTING_LIST
    use_lists = val_path.is_file() or test_path.is_file()
    val_list = _read_list(val_path) if val_path.is_file() else set()
    test_list = _read_list(test_path) if test_path.is_file() else set()

    def split_of(word: str, path: Path) -> str:
        if not use_lists:
            return which_set(path.name, validation_percent, testing_percent)
        rel = f"{word}/{path.name}"
        if rel in test_list:
            return "test"
        if rel in val_list:
            return "validation"
        return "train"

    return split_of, "lists" if use_lists else "hash"


def _scan_speech_commands(
    root: Path,
    words: list[str],
    want_unknown: bool,
    validation_percent: float,
    testing_percent: float,
    require_words: bool = True,
    want_silence: bool = False,
) -> tuple[list[tuple[Path, str, str]], list[tuple[Path, str, str]], list[tuple[Path, str, str]], str]:
    """(word clips, other-word clips, recorded silence clips, split source); each clip as (path, word, split).

    With lists, a file on both lists counts as test data (kept out of model selection)
    and a listed file that does not exist is ignored. ``require_words=False`` lets a
    folder lack some label folders (one of several data folders). With
    ``want_silence`` the clips of a ``_silence_/`` folder (recorded background, as the
    Speech Commands test set ships it) are returned as silence examples.
    """
    missing = [w for w in words if not (root / w).is_dir()]
    if missing and require_words:
        found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        raise DatasetError(
            f"no folder {missing[0]!r} in {root} (label folders found: {', '.join(found) or 'none'})"
        )
    split_of, split_source = split_rule(root, validation_percent, testing_percent)

    def clips_of(folder: str) -> list[tuple[Path, str, str]]:
        return [(p, folder, split_of(folder, p)) for p in audio_files(root / folder)]

    wanted = [clip for w in words if w not in missing for clip in clips_of(w)]
    others: list[tuple[Path, str, str]] = []
    if want_unknown:
        for folder in sorted(root.iterdir()):
            if (
                folder.is_dir()
                and folder.name not in words
                and folder.name != BACKGROUND_NOISE_DIR
                and not folder.name.startswith((".", "_"))
            ):
                others.extend(clips_of(folder.name))
    silence = clips_of(SILENCE_LABEL) if want_silence and (root / SILENCE_LABEL).is_dir() else []
    return wanted, others, silence, split_source


def _msc_label(name: str, words: Sequence[str]) -> str | None:
    """Label prefix of an msc file name (``yes_0a7c2a8d_nohash_0.wav`` -> ``yes``)."""
    for word in sorted(words, key=len, reverse=True):
        if name.startswith(word + "_"):
            return word
    return None


def _scan_msc(
    root: Path, words: list[str], want_unknown: bool
) -> tuple[list[tuple[Path, str, str]], list[tuple[Path, str, str]]]:
    wanted: list[tuple[Path, str, str]] = []
    others: list[tuple[Path, str, str]] = []
    for folder_name, split in MSC_FOLDERS.items():
        folder = root / folder_name
        if not folder.is_dir():
            continue
        for path in audio_files(folder):
            word = _msc_label(path.name, words)
            if word is not None:
                wanted.append((path, word, split))
            elif want_unknown:
                others.append((path, path.name.split("_", 1)[0], split))
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if sub.name in words:
                wanted.extend((p, sub.name, split) for p in audio_files(sub))
            elif want_unknown and sub.name != BACKGROUND_NOISE_DIR and not sub.name.startswith((".", "_")):
                others.extend((p, sub.name, split) for p in audio_files(sub))
    return wanted, others


def _msc_speaker(path: Path, word: str) -> str:
    name = path.name
    if name.startswith(word + "_"):
        name = name[len(word) + 1 :]
    return speaker_of(name)


def _noise_lengths(noise_files: Iterable[Path], sample_rate: int) -> list[tuple[Path, int]]:
    """(path, length in samples at ``sample_rate``) of readable noise files, from headers.

    A recording longer than :data:`MAX_NOISE_SECONDS` counts as that long (only that much is decoded).
    """
    out = []
    for path in noise_files:
        try:
            info = audio_info(path)
        except AudioFileError as exc:
            log.warning("skipping background noise: %s", exc)
            continue
        frames = min(info.frames, int(MAX_NOISE_SECONDS * info.sample_rate))
        length = int(frames * sample_rate // info.sample_rate)
        if length > 0:
            out.append((path, length))
    return out


def _silence_clips(
    noise_files: list[Path], per_split: dict[str, int], clip_samples: int, sample_rate: int
) -> list[Clip]:
    """Pseudo ``_silence_`` clips: random 1 s windows of background noise, volume U(0, 1)."""
    usable = [(p, n) for p, n in _noise_lengths(noise_files, sample_rate)]
    if not usable:
        return []
    clips = []
    for split_no, split in enumerate(SPLITS):
        rng = np.random.default_rng([RANDOM_SEED, split_no])
        for _ in range(per_split.get(split, 0)):
            path, length = usable[int(rng.integers(len(usable)))]
            start = int(rng.integers(0, max(length - clip_samples, 0) + 1))
            gain = round(float(rng.uniform(0.0, 1.0)), 6)
            clips.append(Clip(path, SILENCE_LABEL, BACKGROUND_NOISE_DIR, split, start=start, gain=gain))
    return clips


@dataclass
class _FolderScan:
    """What one data folder holds before the pseudo-label classes are sampled."""

    root: Path
    layout: str
    split_source: str
    wanted: list[tuple[Path, str, str]]
    others: list[tuple[Path, str, str]]
    silence: list[tuple[Path, str, str]]
    noise_files: list[Path]

    def speaker(self, path: Path, word: str) -> str:
        return _msc_speaker(path, word) if self.layout == "msc" else speaker_of(path.name)


def _scan_folder(
    root: str | Path,
    labels: tuple[str, ...],
    validation_percent: float,
    testing_percent: float,
    require_words: bool,
) -> _FolderScan:
    root = Path(root).expanduser()
    if not root.exists():
        raise DatasetError(f"dataset folder {root} does not exist")
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    root = root.resolve()
    words = [label for label in labels if label not in PSEUDO_LABELS]
    want_unknown = UNKNOWN_LABEL in labels
    silence: list[tuple[Path, str, str]] = []
    if any((root / name).is_dir() for name in MSC_FOLDERS):
        layout, split_source = "msc", "folders"
        wanted, others = _scan_msc(root, words, want_unknown)
    elif (
        not require_words
        or any((root / w).is_dir() for w in words)
        or any(
            (root / name).exists()
            for name in (VALIDATION_LIST, TESTING_LIST, BACKGROUND_NOISE_DIR, SILENCE_LABEL)
        )
    ):
        layout = "speech-commands"
        wanted, others, silence, split_source = _scan_speech_commands(
            root,
            words,
            want_unknown,
            validation_percent,
            testing_percent,
            require_words=require_words,
            want_silence=SILENCE_LABEL in labels,
        )
    else:
        found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        raise DatasetError(
            f"unknown dataset layout in {root}: expected one folder per label "
            f"({', '.join(words)}) as in Speech Commands, or msc-train/ msc-val/ msc-test/ "
            f"(folders found: {', '.join(found) or 'none'})"
        )
    noise_dir = root / BACKGROUND_NOISE_DIR
    noise_files = audio_files(noise_dir) if noise_dir.is_dir() else []
    if not (wanted or others or silence or noise_files):
        raise DatasetError(
            f"{root} holds nothing for the labels {', '.join(labels)}: no label folders"
            + (", other words" if want_unknown else "")
            + f", {BACKGROUND_NOISE_DIR}/ or {SILENCE_LABEL}/ clips"
        )
    return _FolderScan(root, layout, split_source, wanted, others, silence, noise_files)


def scan_datasets(
    roots: Sequence[str | Path],
    labels: Sequence[str] | str = DEFAULT_LABELS,
    validation_percent: float = 10.0,
    testing_percent: float = 10.0,
    require_splits: Sequence[str] = SPLITS,
    silence_percent: float = 10.0,
    unknown_percent: float = 10.0,
    sample_rate: int = SAMPLE_RATE,
) -> list[DatasetIndex]:
    """Index several dataset folders as one dataset: one :class:`DatasetIndex` per folder.

    Each folder is split by its own lists (or the hash rule, or its msc folders) and
    may lack some label folders (a folder of other words only, say), as long as every
    label has clips in some folder. The pseudo-label classes are sized over all folders
    together: ``unknown_percent`` of the keyword clips of each split are drawn (seeded)
    from the non-label word folders of every folder, ``silence_percent`` of them are
    1 s windows of every folder's ``_background_noise_/``, and every recorded clip in a
    ``_silence_/`` folder is a silence example too. Each clip stays in the index of the
    folder it comes from, so accuracy can be reported per source.
    """
    if isinstance(roots, (str, Path)):
        roots = [roots]
    if not roots:
        raise DatasetError("no dataset folder given")
    labels = _normalise_labels(labels)
    _check_percentages(validation_percent, testing_percent)
    for name, value in (("silence_percent", silence_percent), ("unknown_percent", unknown_percent)):
        if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
            raise DatasetError(f"{name} must be a number >= 0 (inf: every clip), got {value!r}")
    for split in require_splits:
        if split not in SPLITS:
            raise DatasetError(f"unknown split {split!r} in require_splits: choose from {', '.join(SPLITS)}")
    single = len(roots) == 1
    scans = [_scan_folder(r, labels, validation_percent, testing_percent, single) for r in roots]
    seen: dict[Path, int] = {}
    for scan in scans:
        if scan.root in seen:
            raise DatasetError(f"{scan.root} is given twice: name each data folder once")
        seen[scan.root] = 1

    clips: list[list[Clip]] = [
        [Clip(p, w, scan.speaker(p, w), s) for p, w, s in scan.wanted] for scan in scans
    ]
    words_per_split = {s: sum(1 for per in clips for c in per if c.split == s) for s in SPLITS}
    if UNKNOWN_LABEL in labels:
        rng = np.random.default_rng(RANDOM_SEED)
        for split in SPLITS:
            pool = sorted((p, w, k) for k, scan in enumerate(scans) for p, w, s in scan.others if s == split)
            take = len(pool)
            if math.isfinite(unknown_percent):
                take = min(take, math.ceil(words_per_split[split] * unknown_percent / 100.0))
            for i in sorted(rng.permutation(len(pool))[:take]):
                path, word, k = pool[int(i)]
                clips[k].append(Clip(path, UNKNOWN_LABEL, scans[k].speaker(path, word), split))
    if SILENCE_LABEL in labels:
        if not math.isfinite(silence_percent):
            raise DatasetError("silence_percent must be finite: it sizes the background-noise windows")
        per_split = {s: math.ceil(words_per_split[s] * silence_percent / 100.0) for s in SPLITS}
        noise_files = [p for scan in scans for p in scan.noise_files]
        owner = {p: k for k, scan in enumerate(scans) for p in scan.noise_files}
        for clip in _silence_clips(noise_files, per_split, int(round(sample_rate)), sample_rate):
            clips[owner[clip.path]].append(clip)
        for k, scan in enumerate(scans):
            clips[k].extend(Clip(p, SILENCE_LABEL, SILENCE_LABEL, s) for p, _, s in scan.silence)

    indexes = []
    for scan, per in zip(scans, clips, strict=True):
        per.sort(key=lambda c: (SPLITS.index(c.split), labels.index(c.label), str(c.path), c.start or 0))
        indexes.append(DatasetIndex(scan.root, scan.layout, labels, per, scan.noise_files, scan.split_source))
    _check_nonempty(indexes, require_splits)
    return indexes


def scan_dataset(
    root: str | Path,
    labels: Sequence[str] | str = DEFAULT_LABELS,
    validation_percent: float = 10.0,
    testing_percent: float = 10.0,
    require_splits: Sequence[str] = SPLITS,
    silence_percent: float = 10.0,
    unknown_percent: float = 10.0,
    sample_rate: int = SAMPLE_RATE,
) -> DatasetIndex:
    """Index a dataset folder (no audio is decoded).

    ``labels`` are word folders (or msc file prefixes), in model-output order; a
    comma-separated string is accepted. Speech Commands splits come from the list
    files when present, else from :func:`which_set` with the two percentages.
    Every label must have clips, and every split in ``require_splits`` must hold
    clips of every label; otherwise :class:`DatasetError` says which is empty.
    ``silence_percent`` / ``unknown_percent`` size the pseudo-label classes when
    ``_silence_`` / ``_unknown_`` are labels (``sample_rate`` places silence windows);
    see :func:`scan_datasets` for several folders.
    """
    return scan_datasets(
        [root],
        labels,
        validation_percent,
        testing_percent,
        require_splits,
        silence_percent,
        unknown_percent,
        sample_rate,
    )[0]


def _check_nonempty(indexes: list[DatasetIndex], require_splits: Sequence[str]) -> None:
    """Every label has clips somewhere; every required split holds every label (all folders together)."""
    counts = {s: dict.fromkeys(indexes[0].labels, 0) for s in SPLITS}
    for index in indexes:
        for split, per_label in index.counts().items():
            for label, n in per_label.items():
                counts[split][label] += n
    how_by_source = {
        "lists": f"split by {VALIDATION_LIST} / {TESTING_LIST}",
        "hash": "split by the Speech Commands speaker-hash rule",
        "folders": "split by the msc-train / msc-val / msc-test folders",
    }
    where_all = ", ".join(str(index.root) for index in indexes)
    how = "; ".join(sorted({how_by_source[index.split_source] for index in indexes}))
    first = indexes[0]
    for label in first.labels:
        if sum(counts[s][label] for s in SPLITS) == 0:
            if label == SILENCE_LABEL:
                why = (
                    f"no readable background noise in {first.root / BACKGROUND_NOISE_DIR}"
                    if len(indexes) == 1
                    else f"no {BACKGROUND_NOISE_DIR}/ or {SILENCE_LABEL}/ clips in {where_all}"
                )
            elif label == UNKNOWN_LABEL:
                why = "no word folders besides the labels to sample unknown words from"
            elif len(indexes) == 1:
                where = first.root / label if first.layout == "speech-commands" else first.root
                why = f"no audio files found for it in {where}"
            else:
                why = f"no audio files found for it in {where_all}"
            raise DatasetError(f"class {label!r} is empty: {why}")
    for split in require_splits:
        if sum(counts[split].values()) == 0:
            raise DatasetError(f"the {split} split of {where_all} is empty ({how})")
        for label in first.labels:
            if counts[split][label] == 0:
                raise DatasetError(
                    f"class {label!r} has no clips in the {split} split of {where_all} ({how})"
                )


def without_unreadable(index: DatasetIndex) -> tuple[DatasetIndex, list[tuple[str, str]]]:
    """The index without clips whose file header is unusable, and those files with the reason.

    Only headers are read (:func:`kws_gui.core.audio_io.audio_info`), so it is quick;
    ``inspect-data`` uses it so that files that are not audio are not counted as clips.
    A clip longer than :data:`MAX_CLIP_FILE_SECONDS` counts as unusable, as in decoding.
    """
    verdicts: dict[Path, str | None] = {}
    kept: list[Clip] = []
    for clip in index.clips:
        if clip.path not in verdicts:
            try:
                info = audio_info(clip.path)
                too_long = clip.start is None and info.duration_s > MAX_CLIP_FILE_SECONDS
                verdicts[clip.path] = (
                    f"{info.duration_s:.0f} s long, more than the {MAX_CLIP_FILE_SECONDS:g} s a clip may last"
                    if too_long
                    else None
                )
            except AudioFileError as exc:
                reason, prefix = str(exc), f"{clip.path.name}: "
                verdicts[clip.path] = reason[len(prefix) :] if reason.startswith(prefix) else reason
        if verdicts[clip.path] is None:
            kept.append(clip)
    unreadable = [(index.relative(path), why) for path, why in verdicts.items() if why is not None]
    clean = dataclasses.replace(index, clips=kept)
    return clean, unreadable
