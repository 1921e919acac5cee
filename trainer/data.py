"""Datasets for kws-train: find the clips, split them, decode them, cache the features.

Dataset layouts and splits: see :mod:`kws_gui.core.dataset_index` (re-exported here).

Decoding uses :func:`kws_gui.core.audio_io.read_audio`: other sample rates are
**resampled** with soxr (not rejected) and stereo is **mixed down** to mono, so any
clip a person could hear is used. Clips are zero-padded or cropped at the end to the
frontend's clip length (1 s); only that much of a file is decoded, and a file whose
header declares more than :data:`MAX_CLIP_FILE_SECONDS` is no clip (both limits are
defined in :mod:`kws_gui.core.dataset_index`). Unreadable, empty or implausible files
are skipped and reported in :attr:`SplitData.skipped`; they never abort a run.
Background noise is read up to :data:`MAX_NOISE_SECONDS`. An empty class or split
raises :class:`DatasetError` with a message for people.

Decoded audio and features are cached as ``.npy`` under ``cache_dir`` (default
``kws_gui.paths.cache_dir() / "features"``), keyed by the split's file list (paths,
sizes, modification times) and the frontend config, so a second run reads them
back instead of decoding again. Files are written atomically; an unreadable cache
entry is recomputed.

No TensorFlow here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.atomic_file import atomic_path, atomic_write
from kws_gui.core.audio_io import SAMPLE_RATE, AudioFileError, read_audio
from kws_gui.core.dataset_index import (  # noqa: F401 (re-exported: trainer.data's API)
    AUDIO_SUFFIXES,
    BACKGROUND_NOISE_DIR,
    CACHE_VERSION,
    DEFAULT_LABELS,
    MAX_CLIP_FILE_SECONDS,
    MAX_NOISE_SECONDS,
    MAX_NUM_WAVS_PER_CLASS,
    MSC_FOLDERS,
    PSEUDO_LABELS,
    RANDOM_SEED,
    SILENCE_LABEL,
    SPLITS,
    TESTING_LIST,
    UNKNOWN_LABEL,
    VALIDATION_LIST,
    Clip,
    DatasetError,
    DatasetIndex,
    scan_dataset,
    scan_datasets,
    speaker_of,
    split_rule,
    which_set,
    without_unreadable,
)
from kws_gui.core.frontend import Frontend, FrontendConfig, fit_to_length

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


# ------------------------------------------------------------------ decoding + cache
@dataclass
class SplitData:
    """Decoded clips of one split: features (and audio) with integer labels.

    ``features`` (n, frames, features) float32; ``labels`` (n,) int64 indices into
    :attr:`DatasetIndex.labels`; ``audio`` (n, clip samples) float32 with
    ``keep_audio=True``; ``clips`` the kept clips in the same order; ``skipped``
    (relative path, reason) of files that could not be used; ``from_cache`` True when
    nothing was decoded or computed; ``decoded`` the number of files decoded;
    ``cache_key`` identifies the features (split files + frontend config).
    """

    features: np.ndarray
    labels: np.ndarray
    audio: np.ndarray | None
    clips: list[Clip]
    skipped: list[tuple[str, str]]
    from_cache: bool
    decoded: int = 0
    cache_key: str = ""

    def __len__(self) -> int:
        return len(self.clips)


def default_cache_dir() -> Path:
    """``kws_gui.paths.cache_dir() / "features"``."""
    from kws_gui.paths import cache_dir

    return cache_dir() / "features"


def _hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def _save_npy(path: Path, array: np.ndarray) -> None:
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
    except OSError as exc:
        log.warning("could not write cache file %s: %s", path, exc)


def _save_json(path: Path, value: Any) -> None:
    try:
        atomic_write(path, json.dumps(value))
    except OSError as exc:
        log.warning("could not write cache file %s: %s", path, exc)


def _load_npy(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """A cached float32 array of exactly ``shape``, or None (missing or corrupt)."""
    if not path.is_file():
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        log.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None
    if array.dtype != np.float32 or array.shape != shape or not np.all(np.isfinite(array)):
        log.warning("ignoring cache file %s: unexpected content", path)
        return None
    return array


def _load_meta(path: Path, n_clips: int) -> dict[str, Any] | None:
    """Which clips were kept/skipped, as written with the audio cache; None if unusable."""
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        kept = [int(i) for i in meta["kept"]]
        skipped = [(str(a), str(b)) for a, b in meta["skipped"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None
    if meta.get("n_clips") != n_clips or any(not 0 <= i < n_clips for i in kept):
        return None
    return {"kept": kept, "skipped": skipped}


def _decode_clips(
    index: DatasetIndex,
    clips: list[Clip],
    sample_rate: int,
    clip_samples: int,
    progress: ProgressCallback | None,
) -> tuple[np.ndarray, list[int], list[tuple[str, str]]]:
    """Decode, pad/crop; returns (audio of kept clips, kept positions, skipped)."""
    audio = np.zeros((len(clips), clip_samples), dtype=np.float32)
    kept: list[int] = []
    skipped: list[tuple[str, str]] = []
    noise_cache: dict[Path, np.ndarray | AudioFileError] = {}
    total = len(clips)
    step = max(1, total // 200)
    for i, clip in enumerate(clips):
        try:
            if clip.start is not None:  # a _silence_ window of background noise
                if clip.path not in noise_cache:
                    try:
                        noise_cache[clip.path] = _read_noise(clip.path, sample_rate)
                    except (AudioFileError, OSError) as exc:
                        noise_cache[clip.path] = AudioFileError(str(exc))
                noise = noise_cache[clip.path]
                if isinstance(noise, AudioFileError):
                    raise noise
                samples = noise[clip.start : clip.start + clip_samples] * np.float32(clip.gain)
            else:
                samples = read_audio(
                    clip.path,
                    sample_rate,
                    max_seconds=clip_samples / sample_rate,
                    max_file_seconds=MAX_CLIP_FILE_SECONDS,
                )
            audio[len(kept)] = fit_to_length(samples, clip_samples)
            kept.append(i)
        except (AudioFileError, OSError, MemoryError) as exc:
            reason = str(exc)
            prefix = f"{clip.path.name}: "
            skipped.append(
                (index.relative(clip.path), reason[len(prefix) :] if reason.startswith(prefix) else reason)
            )
        if progress is not None and ((i + 1) % step == 0 or i + 1 == total):
            progress(i + 1, total)
    return audio[: len(kept)].copy() if len(kept) < len(clips) else audio, kept, skipped


def _check_loaded(index: DatasetIndex, split: str, clips: list[Clip], kept: list[int], skipped) -> None:
    """Every class that had files in the split must keep at least one readable clip."""
    if not kept:
        raise DatasetError(
            f"the {split} split of {index.root} has no readable audio: all {len(clips)} files were skipped"
            + (f" (e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else "")
        )
    present = {clips[i].label for i in kept}
    for label in index.labels:
        if label not in present and any(c.label == label for c in clips):
            raise DatasetError(f"class {label!r} has no readable audio in the {split} split of {index.root}")


def load_split(
    index: DatasetIndex,
    split: str,
    frontend_config: FrontendConfig,
    cache_dir: str | Path | None = None,
    keep_audio: bool = False,
    progress: ProgressCallback | None = None,
) -> SplitData:
    """Decode a split and compute its features, reusing the on-disk cache.

    Audio is decoded at ``frontend_config.sample_rate`` (resampled, mixed to mono) and
    padded/cropped to ``frontend_config.clip_samples``. The decoded audio is cached
    under a key of the split's :meth:`DatasetIndex.fingerprint`, the sample rate and the
    clip length; the features additionally under ``frontend_config.to_dict()``.
    ``from_cache`` is True when neither decoding nor feature computation was needed.
    ``progress(done, total)`` is called while files are decoded. Skipped files are
    listed in ``skipped``; an empty split or class raises :class:`DatasetError`.
    """
    clips = index.split(split)
    if not clips:
        raise DatasetError(f"the {split} split of {index.root} is empty")
    sample_rate = int(frontend_config.sample_rate)
    clip_samples = int(frontend_config.clip_samples)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    audio_key = _hash_json(
        {"v": CACHE_VERSION, "fp": index.fingerprint(split), "sr": sample_rate, "n": clip_samples}
    )
    feature_key = _hash_json({"audio": audio_key, "frontend": frontend_config.to_dict()})
    audio_path = folder / f"audio-{audio_key}.npy"
    meta_path = folder / f"audio-{audio_key}.json"
    feature_path = folder / f"features-{feature_key}.npy"
    feature_shape = tuple(frontend_config.feature_shape)

    meta = _load_meta(meta_path, len(clips))
    audio: np.ndarray | None = None
    features: np.ndarray | None = None
    decoded = 0
    if meta is not None:
        n_kept = len(meta["kept"])
        features = _load_npy(feature_path, (n_kept, *feature_shape))
        if keep_audio or features is None:
            audio = _load_npy(audio_path, (n_kept, clip_samples))
    if audio is None and (features is None or keep_audio):
        audio, kept, skipped = _decode_clips(index, clips, sample_rate, clip_samples, progress)
        decoded = len(clips)
        meta = {"kept": kept, "skipped": skipped}
        features = None
        _save_npy(audio_path, audio)
        _save_json(meta_path, {"n_clips": len(clips), "kept": kept, "skipped": [list(s) for s in skipped]})
    elif progress is not None:
        progress(len(clips), len(clips))
    assert meta is not None
    kept, skipped = meta["kept"], meta["skipped"]
    _check_loaded(index, split, clips, kept, skipped)
    computed = False
    if features is None:
        assert audio is not None
        features = Frontend(frontend_config).batch_features(audio)
        computed = True
        _save_npy(feature_path, features)
    kept_clips = [clips[i] for i in kept]
    labels = np.array([index.label_index(c.label) for c in kept_clips], dtype=np.int64)
    for path, reason in skipped:
        log.info("skipped %s: %s", path, reason)
    return SplitData(
        features=features,
        labels=labels,
        audio=audio if keep_audio else None,
        clips=kept_clips,
        skipped=list(skipped),
        from_cache=decoded == 0 and not computed,
        decoded=decoded,
        cache_key=feature_key,
    )


def load_background_noise(
    index_or_files: DatasetIndex | Iterable[str | Path], sample_rate: int = SAMPLE_RATE
) -> list[np.ndarray]:
    """Decode background-noise recordings (mono float32 at ``sample_rate``); unreadable ones are skipped."""
    files = index_or_files.noise_files if isinstance(index_or_files, DatasetIndex) else index_or_files
    out = []
    for path in files:
        try:
            out.append(_read_noise(path, sample_rate))
        except (AudioFileError, OSError) as exc:
            log.warning("skipping background noise %s: %s", path, exc)
    return out


def _read_noise(path: Path, sample_rate: int) -> np.ndarray:
    """A background-noise recording, at most :data:`MAX_NOISE_SECONDS` of it."""
    return read_audio(path, sample_rate, max_seconds=MAX_NOISE_SECONDS)
