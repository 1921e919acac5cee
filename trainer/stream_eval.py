"""Streaming evaluation: keyword spotting measured as a live user meets it.

Clip accuracy says how often a model names a centred 1 s word; a live demo hears a
continuous stream in which most of the time nobody says a keyword. This module
builds long streams from the clips of one split of a Speech Commands-layout folder
and counts what a user would see.

Streams (:func:`build_streams`, seeded and repeatable):

* ``keywords``: every keyword clip of the split in a shuffled order, 1-2 s apart,
  over a continuous bed of quiet room noise (-65 to -50 dBFS);
* ``other_words``: every non-keyword word clip of the split, built the same way;
* ``noise``: ``noise_minutes`` of background noise alone, its level changing every
  10 s (-60 to -25 dBFS).

The noise is real: the split's ``_silence_/`` clips (1 s recordings of rooms,
streets, machines; split by the folder's lists like the words), or, only when the
split has none, the long ``_background_noise_/`` files (which training usually
mixes in, so they do not make unseen test noise). Pieces are levelled, joined with
10 ms cross-fades (no clicks) and never amplified by more than 40 dB. Word clips
are added to the bed as recorded.

Two ways to run a model over them:

* :func:`evaluate_model`: the real :class:`~kws_gui.core.engine.StreamingEngine`
  with a non-realtime :class:`~kws_gui.core.audio.ArraySource`, as
  ``kws-listen --fast`` runs a WAV: hop timing, energy gate, smoothing and
  decisions exactly as live;
* the replay path for tuning: :func:`compute_posteriors` runs the model once per
  hop (every hop, on the features the engine computes, with each window's
  loudest-hop level), then :func:`replay`
  re-runs only the :class:`~kws_gui.core.decision.DecisionMaker` for any decision
  settings at that hop size, in well under a second per setting.
  :func:`tune_decision` does that over a grid and picks recommended settings
  (``model_metadata(..., decision=result.recommended)``). Replay and engine give
  the same detections (tests/trainer/test_stream_eval.py checks it).

Scores (:func:`score_detections`): a detection belongs to the latest word whose
speech (energy bounds) started at or before it, if it comes at most one window plus
the smoothing time after the speech ended; otherwise it is a stray. Keyword stream:
hit (a detection with the word's label), wrong label (only detections of another
label), missed (none), extra detections (all beyond one per word, strays included),
double detections (words with two or more). Other-word stream: every detection is
false; false detections per word. Noise stream: false detections per hour.

Typical use from training (validation split; tests never tune on test)::

    streams = build_streams(real_root, "validation", model.keywords)
    posteriors = compute_posteriors(model, streams)
    result = tune_decision(posteriors)
    meta = model_metadata(..., keywords=model.keywords, decision=result.recommended)

No TensorFlow and no Qt here.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.audio import ArraySource
from kws_gui.core.audio_io import SAMPLE_RATE, AudioFileError, read_audio
from kws_gui.core.dataset_index import (
    BACKGROUND_NOISE_DIR,
    MAX_CLIP_FILE_SECONDS,
    SILENCE_LABEL,
    SPLITS,
    DatasetError,
    audio_files,
    split_rule,
)
from kws_gui.core.decision import (
    DecisionSettings,
    Detection,
    decide_sequence,
    peak_hop_dbfs,
    rms_dbfs,
    smoothed_sequence,
    with_recommended,
)
from kws_gui.core.engine import EngineSettings, StreamingEngine
from kws_gui.core.model_file import KwsModel
from kws_gui.core.streaming_features import StreamingFeatures
from trainer.data import load_background_noise

log = logging.getLogger(__name__)
SR = SAMPLE_RATE
KEYWORDS, OTHER_WORDS, NOISE = "keywords", "other_words", "noise"
STREAM_KINDS = (KEYWORDS, OTHER_WORDS, NOISE)
#: Pieces quieter than this (digital silence) cannot be brought to a level and are not used as noise.
MIN_NOISE_DBFS = -90.0
FADE_SAMPLES = 160  # 10 ms cross-fades between noise pieces
MAX_NOISE_PIECE_S = 2.0  # excerpts of long noise files
#: A word clip is read up to this long (Speech Commands clips last 1 s).
MAX_WORD_S = 2.0


# ---------------------------------------------------------------------- streams
@dataclass(frozen=True)
class StreamConfig:
    """How the streams are built (levels are RMS dBFS of the noise, drawn uniformly)."""

    gap_s: tuple[float, float] = (1.0, 2.0)
    room_dbfs: tuple[float, float] = (-65.0, -50.0)
    noise_minutes: float = 10.0
    noise_dbfs: tuple[float, float] = (-60.0, -25.0)
    level_segment_s: float = 10.0
    lead_s: float = 1.0
    tail_s: float = 2.0
    max_gain_db: float = 40.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("gap_s", "room_dbfs", "noise_dbfs"):
            low, high = getattr(self, name)
            if not low <= high:
                raise ValueError(f"{name}: ({low}, {high}) is not a (low, high) range")
        if self.gap_s[0] < 0 or self.noise_minutes < 0 or self.level_segment_s <= 0:
            raise ValueError("gaps and noise minutes must be >= 0 and level_segment_s > 0")
        if self.room_dbfs[1] > 0 or self.noise_dbfs[1] > 0:
            raise ValueError("noise levels are dBFS, at most 0")


@dataclass(frozen=True)
class WordEvent:
    """A word clip placed in a stream; times in seconds of the stream."""

    word: str
    clip: str
    start_s: float
    speech_start_s: float
    speech_end_s: float
    keyword: bool


@dataclass
class EvalStream:
    """One long stream: its samples and the words in it (none for ``noise``)."""

    kind: str
    audio: np.ndarray
    events: tuple[WordEvent, ...]

    @property
    def duration_s(self) -> float:
        return self.audio.size / SR


@dataclass
class StreamSet:
    """The three streams of one split, with how they were made."""

    root: str
    split: str
    keywords: tuple[str, ...]
    config: StreamConfig
    streams: dict[str, EvalStream]
    noise_source: str
    noise_pieces: int
    #: (file relative to root, reason) of every word clip that could not be read and was left out.
    skipped: tuple[tuple[str, str], ...] = ()

    def describe(self) -> dict[str, Any]:
        """JSON-able facts (no samples)."""
        return {
            "root": self.root,
            "split": self.split,
            "keywords": list(self.keywords),
            "config": dataclasses.asdict(self.config),
            "noise_source": self.noise_source,
            "noise_pieces": self.noise_pieces,
            "skipped": [list(item) for item in self.skipped],
            "streams": {
                kind: {"duration_s": round(s.duration_s, 2), "words": len(s.events)}
                for kind, s in self.streams.items()
            },
        }


def split_clips(root: str | Path, split: str) -> dict[str, list[Path]]:
    """Word folder -> its audio files in ``split`` (``_silence_`` included when present).

    Split as :func:`trainer.data.scan_dataset` splits (:func:`kws_gui.core.dataset_index.split_rule`:
    the folder's lists, else the speaker-hash rule at 10 % / 10 %).
    ``_background_noise_/`` and hidden folders are not words.
    """
    root = Path(root)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    split_of, _ = split_rule(root)
    out: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        name = folder.name
        if name.startswith(".") or name == BACKGROUND_NOISE_DIR:
            continue
        if name.startswith("_") and name != SILENCE_LABEL:
            continue
        files = [p for p in audio_files(folder) if split_of(name, p) == split]
        if files:
            out[name] = files
    return out


def speech_bounds(audio: np.ndarray, frame: int = 160, below_peak_db: float = 35.0) -> tuple[int, int]:
    """First and last sample of the part louder than (peak - below_peak_db), in 10 ms frames."""
    x = np.asarray(audio, dtype=np.float32)
    n = x.size // frame
    if n == 0:
        return 0, x.size
    frames = x[: n * frame].reshape(n, frame)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(db > max(db.max() - below_peak_db, -60.0))
    if loud.size == 0:
        return 0, x.size
    return int(loud[0] * frame), int((loud[-1] + 1) * frame)


def _read_word(path: Path, root: Path, skipped: list[tuple[str, str]]) -> np.ndarray | None:
    """A word clip's samples (bounded as the trainer's clip loader bounds them), or None, noted in ``skipped``."""
    try:
        return read_audio(path, SR, max_seconds=MAX_WORD_S, max_file_seconds=MAX_CLIP_FILE_SECONDS)
    except (AudioFileError, OSError, MemoryError) as exc:
        skipped.append((path.relative_to(root).as_posix(), str(exc)))
        return None


def _noise_pool(root: Path, clips: dict[str, list[Path]]) -> tuple[list[np.ndarray], str]:
    """Noise pieces: the split's ``_silence_`` clips, else the ``_background_noise_`` files.

    Read by the trainer's background-noise loader (bounded; unreadable files skipped and logged).
    """
    files = clips.get(SILENCE_LABEL, [])
    source = f"{SILENCE_LABEL}/ clips of the split"
    if not files:
        noise_dir = root / BACKGROUND_NOISE_DIR
        files = audio_files(noise_dir) if noise_dir.is_dir() else []
        source = f"{BACKGROUND_NOISE_DIR}/ files"
    pool = [a for a in load_background_noise(files, SR) if rms_dbfs(a) >= MIN_NOISE_DBFS]
    if not pool:
        raise DatasetError(
            f"no background noise in {root} for the split: the streams need {SILENCE_LABEL}/ clips "
            f"in the split or {BACKGROUND_NOISE_DIR}/ files (digital silence does not count)"
        )
    return pool, source


def _fade(x: np.ndarray) -> np.ndarray:
    n = min(FADE_SAMPLES, x.size // 2)
    if n == 0:
        return x
    ramp = np.sin(np.linspace(0.0, np.pi / 2, n, dtype=np.float32)) ** 2
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def noise_bed(
    samples: int,
    pool: Sequence[np.ndarray],
    levels_dbfs: tuple[float, float],
    rng: np.random.Generator,
    segment_s: float = 10.0,
    max_gain_db: float = 40.0,
) -> np.ndarray:
    """``samples`` of noise: random pool pieces, cross-faded, at a level drawn per ``segment_s``."""
    out = np.zeros(samples + int(MAX_NOISE_PIECE_S * SR) + FADE_SAMPLES, np.float32)
    segment = max(1, int(segment_s * SR))
    pos, segment_end, level = 0, 0, 0.0
    while pos < samples:
        if pos >= segment_end:
            level = float(rng.uniform(*levels_dbfs))
            segment_end = pos + segment
        piece = pool[int(rng.integers(len(pool)))]
        longest = int(MAX_NOISE_PIECE_S * SR)
        if piece.size > longest:
            start = int(rng.integers(0, piece.size - longest + 1))
            piece = piece[start : start + longest]
        gain_db = min(level - rms_dbfs(piece), max_gain_db)
        x = _fade(piece * np.float32(10 ** (gain_db / 20)))
        out[pos : pos + x.size] += x
        pos += max(1, x.size - FADE_SAMPLES)
    return out[:samples]


def _word_stream(
    kind: str,
    items: list[tuple[str, Path]],
    keywords: tuple[str, ...],
    root: Path,
    pool: list[np.ndarray],
    config: StreamConfig,
    rng: np.random.Generator,
    skipped: list[tuple[str, str]],
) -> EvalStream:
    placed: list[tuple[int, np.ndarray]] = []
    events: list[WordEvent] = []
    pos = int(config.lead_s * SR)
    for i in rng.permutation(len(items)):
        word, path = items[int(i)]
        audio = _read_word(path, root, skipped)
        if audio is None:
            continue
        begin, end = speech_bounds(audio)
        placed.append((pos, audio))
        events.append(
            WordEvent(
                word,
                path.relative_to(root).as_posix(),
                round(pos / SR, 4),
                round((pos + begin) / SR, 4),
                round((pos + end) / SR, 4),
                word in keywords,
            )
        )
        pos += audio.size + int(round(rng.uniform(*config.gap_s) * SR))
    total = pos + int(config.tail_s * SR)
    bed = noise_bed(total, pool, config.room_dbfs, rng, config.level_segment_s, config.max_gain_db)
    for start, audio in placed:
        bed[start : start + audio.size] += audio
    np.clip(bed, -1.0, 1.0, out=bed)
    return EvalStream(kind, bed, tuple(events))


def build_streams(
    root: str | Path,
    split: str,
    keywords: Iterable[str],
    config: StreamConfig | None = None,
) -> StreamSet:
    """The ``keywords``, ``other_words`` and ``noise`` streams of one split of ``root``.

    ``keywords`` are word folders (a model's keyword labels); every other word
    folder of the split is a non-keyword word. Same arguments, same samples.
    """
    config = config or StreamConfig()
    root = Path(root).expanduser().resolve()
    keywords = tuple(keywords)
    clips = split_clips(root, split)
    missing = [k for k in keywords if k not in clips]
    if missing:
        raise DatasetError(f"no {split} clips of the keyword(s) {', '.join(missing)} in {root}")
    skipped: list[tuple[str, str]] = []
    pool, noise_source = _noise_pool(root, clips)
    keyword_items = [(w, p) for w in keywords for p in clips[w]]
    other_items = [
        (w, p) for w, files in clips.items() if w not in keywords and w != SILENCE_LABEL for p in files
    ]
    streams = {
        KEYWORDS: _word_stream(
            KEYWORDS,
            keyword_items,
            keywords,
            root,
            pool,
            config,
            np.random.default_rng([config.seed, 0]),
            skipped,
        ),
        OTHER_WORDS: _word_stream(
            OTHER_WORDS,
            other_items,
            keywords,
            root,
            pool,
            config,
            np.random.default_rng([config.seed, 1]),
            skipped,
        ),
        NOISE: EvalStream(
            NOISE,
            np.clip(
                noise_bed(
                    int(config.noise_minutes * 60 * SR),
                    pool,
                    config.noise_dbfs,
                    np.random.default_rng([config.seed, 2]),
                    config.level_segment_s,
                    config.max_gain_db,
                ),
                -1.0,
                1.0,
            ),
            (),
        ),
    }
    for name, reason in skipped:
        log.warning("left out of the %s streams: %s (%s)", split, name, reason)
    return StreamSet(str(root), split, keywords, config, streams, noise_source, len(pool), tuple(skipped))


# ---------------------------------------------------------------------- scoring
def attribute(
    detections: Sequence[Detection], events: Sequence[WordEvent], late_s: float
) -> tuple[list[list[Detection]], list[Detection]]:
    """Detections per word (the latest word whose speech began at or before it) and the strays."""
    starts = [e.speech_start_s for e in events]
    per_word: list[list[Detection]] = [[] for _ in events]
    strays: list[Detection] = []
    for det in detections:
        i = bisect.bisect_right(starts, det.time_s + 1e-9) - 1
        if i >= 0 and det.time_s <= events[i].speech_end_s + late_s:
            per_word[i].append(det)
        else:
            strays.append(det)
    return per_word, strays


def _score_keywords(per_word: list[list[Detection]], strays: list[Detection], events) -> dict[str, Any]:
    hits = wrong = missed = double = 0
    per_keyword: dict[str, dict[str, int]] = {}
    latencies: list[float] = []
    for event, found in zip(events, per_word, strict=True):
        counts = per_keyword.setdefault(event.word, {"words": 0, "hits": 0, "wrong_label": 0, "missed": 0})
        counts["words"] += 1
        right = [d for d in found if d.label == event.word]
        if right:
            hits += 1
            counts["hits"] += 1
            latencies.append(right[0].time_s - event.speech_end_s)
        elif found:
            wrong += 1
            counts["wrong_label"] += 1
        else:
            missed += 1
            counts["missed"] += 1
        double += len(found) >= 2
    n = len(events)
    detections = sum(len(f) for f in per_word) + len(strays)
    return {
        "words": n,
        "hits": hits,
        "hit_rate": hits / n if n else None,
        "wrong_label": wrong,
        "missed": missed,
        "extra_detections": detections - hits - wrong,
        "double_detections": double,
        "stray_detections": len(strays),
        "detections": detections,
        "latency_median_ms": round(float(np.median(latencies)) * 1000, 1) if latencies else None,
        "per_keyword": per_keyword,
    }


def _score_other_words(per_word: list[list[Detection]], strays: list[Detection], events) -> dict[str, Any]:
    by_word = Counter(event.word for event, found in zip(events, per_word, strict=True) for _ in found)
    by_label = Counter(det.label for det in itertools.chain(*per_word, strays))
    n = len(events)
    false = sum(len(f) for f in per_word) + len(strays)
    return {
        "words": n,
        "false_detections": false,
        "false_per_word": false / n if n else None,
        "words_with_false_detection": sum(1 for f in per_word if f),
        "double_detections": sum(1 for f in per_word if len(f) >= 2),
        "stray_detections": len(strays),
        "by_word": dict(sorted(by_word.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_label": dict(by_label),
    }


def _score_noise(detections: Sequence[Detection], duration_s: float) -> dict[str, Any]:
    hours = duration_s / 3600.0
    by_label = Counter(det.label for det in detections)
    return {
        "hours": round(hours, 4),
        "false_detections": len(detections),
        "false_per_hour": len(detections) / hours if hours > 0 else None,
        "by_label": dict(by_label),
    }


def score_detections(
    detections: Mapping[str, Sequence[Detection]],
    streams: Mapping[str, tuple[Sequence[WordEvent], float]],
    late_s: float,
) -> dict[str, Any]:
    """Scores per stream kind and the headline ``summary``.

    ``detections``: kind -> detections; ``streams``: kind -> (words, duration_s);
    ``late_s``: how long after a word's speech ends its detection may come.
    """
    out: dict[str, Any] = {}
    for kind, found in detections.items():
        events, duration_s = streams[kind]
        if kind == NOISE:
            out[kind] = _score_noise(found, duration_s)
            continue
        per_word, strays = attribute(found, events, late_s)
        out[kind] = (_score_keywords if kind == KEYWORDS else _score_other_words)(per_word, strays, events)
    summary: dict[str, Any] = {}
    if KEYWORDS in out:
        k = out[KEYWORDS]
        summary.update(
            hit_rate=k["hit_rate"],
            wrong_label=k["wrong_label"],
            missed=k["missed"],
            extra_detections=k["extra_detections"],
            double_detections=k["double_detections"],
            keyword_words=k["words"],
        )
    if OTHER_WORDS in out:
        summary.update(
            false_per_word=out[OTHER_WORDS]["false_per_word"], other_words=out[OTHER_WORDS]["words"]
        )
    if NOISE in out:
        summary.update(false_per_hour=out[NOISE]["false_per_hour"], noise_hours=out[NOISE]["hours"])
    out["summary"] = summary
    return out


def late_s_for(model: KwsModel, decision: DecisionSettings) -> float:
    """How long after the speech a detection can still be caused by it: one window plus the smoothing."""
    return float(model.frontend_config.clip_duration_s) + decision.smoothing_s


# ---------------------------------------------------------------------- the real engine
def run_engine(model: KwsModel, audio: np.ndarray, settings: EngineSettings) -> tuple[list[Detection], dict]:
    """Detections of the real engine on ``audio`` fed as fast as it takes it, and engine counters."""
    found: list[Detection] = []
    engine = StreamingEngine(model, settings)
    engine.add_detection_listener(found.append)
    t0 = time.perf_counter()
    engine.start()
    try:
        engine.set_source(ArraySource(audio, name="evaluation stream", realtime=False))
        if not engine.wait_for_source_end(timeout=60.0 + audio.size / SR * 2):
            raise RuntimeError("the engine did not finish the evaluation stream in time")
    finally:
        engine.stop()
    snap = engine.snapshot()
    if snap.error:
        raise RuntimeError(f"the engine reported: {snap.error}")
    counters = {
        "stream_s": round(snap.time_s, 3),
        "inferences": snap.inferences,
        "vad_skips": snap.vad_skips,
        "wall_s": round(time.perf_counter() - t0, 2),
    }
    return found, counters


def evaluate_model(
    model: KwsModel, streams: StreamSet, settings: EngineSettings | None = None
) -> dict[str, Any]:
    """Run every stream through the real engine and score it (see the module docstring).

    ``settings`` default: the engine defaults with the model's recommended decision values.
    """
    if settings is None:
        settings = recommended_engine_settings(model)
    detections: dict[str, list[Detection]] = {}
    engine_counts: dict[str, dict] = {}
    for kind, stream in streams.streams.items():
        detections[kind], engine_counts[kind] = run_engine(model, stream.audio, settings)
    result = score_detections(
        detections,
        {k: (s.events, s.duration_s) for k, s in streams.streams.items()},
        late_s_for(model, settings.decision),
    )
    result["engine"] = engine_counts
    result["settings"] = dataclasses.asdict(settings.decision)
    return result


def recommended_engine_settings(model: KwsModel, hop_s: float | None = None) -> EngineSettings:
    """Engine defaults with the model's recommended decision settings applied (``hop_s``, when given, wins)."""
    base = DecisionSettings() if hop_s is None else DecisionSettings(hop_s=hop_s)
    keep = () if hop_s is None else ("hop_s",)
    return EngineSettings(decision=with_recommended(base, model.recommended_decision, keep=keep))


# ---------------------------------------------------------------------- replay
@dataclass
class StreamPosteriors:
    """What the model said at every hop of one stream (the energy gate not applied)."""

    kind: str
    hop_samples: int
    labels: tuple[str, ...]
    keywords: tuple[str, ...]
    window_s: float
    probs: np.ndarray  # (hops, labels)
    peak_dbfs: np.ndarray  # (hops,) level of each window's loudest hop, as the energy gate sees it
    events: tuple[WordEvent, ...]
    duration_s: float
    _smoothed: dict[tuple[int, float], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def hop_s(self) -> float:
        return self.hop_samples / SR

    def times(self) -> np.ndarray:
        """Stream time of each hop (the end of its window), as the engine stamps it."""
        return np.arange(1, len(self.probs) + 1) * self.hop_samples / SR


class _PaddedStream:
    """A whole stream read as :class:`StreamingFeatures` reads the engine's ring buffer."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples

    def window(self, end: int, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """A copy of the ``n`` samples before ``end`` (into ``out`` when given)."""
        if out is None:
            return self.samples[end - n : end].copy()
        out[:] = self.samples[end - n : end]
        return out


def compute_posteriors(
    model: KwsModel, streams: StreamSet, hop_s: float | None = None
) -> dict[str, StreamPosteriors]:
    """Run the model once per hop over every stream (the expensive part of a replay).

    The features come as the engine makes them: :class:`StreamingFeatures` on a frame
    grid anchored at the stream's start, only the new frames computed per hop.
    """
    decision = DecisionSettings() if hop_s is None else DecisionSettings(hop_s=hop_s)
    hop = EngineSettings(decision=decision).hop_samples
    n = model.frontend_config.clip_samples
    out = {}
    for kind, stream in streams.streams.items():
        padded = _PaddedStream(np.concatenate([np.zeros(n, np.float32), stream.audio]))
        features = StreamingFeatures(model.frontend, origin=n)  # the stream starts after n zeros
        hops = stream.audio.size // hop
        probs = np.empty((hops, len(model.labels)), np.float32)
        peaks = np.empty(hops, np.float32)
        for k in range(hops):
            end = n + (k + 1) * hop  # sample (k + 1) * hop of the stream
            peaks[k] = peak_hop_dbfs(padded.window(end, n), hop)
            probs[k] = model.predict_features(features.update(padded, end))
        out[kind] = StreamPosteriors(
            kind,
            hop,
            tuple(model.labels),
            tuple(model.keywords),
            float(model.frontend_config.clip_duration_s),
            probs,
            peaks,
            stream.events,
            stream.duration_s,
        )
    return out


def replay(posteriors: StreamPosteriors, decision: DecisionSettings) -> list[Detection]:
    """The detections the engine would make with ``decision`` at the posteriors' hop, from stored posteriors.

    The hop is the one the posteriors were computed at (``decision.hop_s`` is replaced
    by it). The smoothed scores depend only on the smoothing and the energy gate; they
    are computed once per such combination (cached on ``posteriors``) and shared by
    every threshold, suppression and re-arm margin tried with them.
    """
    decision = dataclasses.replace(decision, hop_s=posteriors.hop_s)
    gate = decision.vad_threshold_dbfs if decision.vad_enabled else -math.inf
    key = (round(decision.smoothing_s / posteriors.hop_s), gate)
    smoothed = posteriors._smoothed.get(key)
    if smoothed is None:
        gate_open = ~(posteriors.peak_dbfs < gate)
        smoothed = smoothed_sequence(posteriors.labels, decision, posteriors.probs, gate_open)
        posteriors._smoothed[key] = smoothed
    return decide_sequence(posteriors.labels, decision, smoothed, posteriors.times(), posteriors.keywords)


def evaluate_replay(posteriors: Mapping[str, StreamPosteriors], decision: DecisionSettings) -> dict[str, Any]:
    """:func:`evaluate_model`'s scores from stored posteriors (no engine, no model)."""
    first = next(iter(posteriors.values()))
    result = score_detections(
        {kind: replay(p, decision) for kind, p in posteriors.items()},
        {kind: (p.events, p.duration_s) for kind, p in posteriors.items()},
        first.window_s + decision.smoothing_s,
    )
    result["settings"] = dataclasses.asdict(dataclasses.replace(decision, hop_s=first.hop_s))
    return result


# ---------------------------------------------------------------------- tuning
#: The settings :func:`tune_decision` tries by default (every combination).
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "threshold": (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95),
    "smoothing_s": (0.1, 0.2, 0.3, 0.4, 0.5),
}


@dataclass(frozen=True)
class TuningTargets:
    """What good is: the false-alarm limits and the exchange rates of the fallback ranking.

    A setting that keeps ``false_per_word``, ``false_per_hour`` and double detections
    within the limits beats every setting that does not; among equals the higher
    ``utility`` wins: hit rate - wrong-label rate - double rate
    - ``word_weight`` x false per word - ``hour_weight`` x false per hour
    (at the defaults one false alarm per 50 other words costs as much as 2 % of
    keyword hits, one per hour of noise 1 %). Ties: fewer false alarms, then
    shorter smoothing (earlier detections).
    """

    max_false_per_word: float = 0.02
    max_false_per_hour: float = 1.0
    max_double_rate: float = 0.0
    word_weight: float = 1.0
    hour_weight: float = 0.01

    def meets(self, summary: Mapping[str, Any]) -> bool:
        return (
            (summary.get("false_per_word") or 0.0) <= self.max_false_per_word
            and (summary.get("false_per_hour") or 0.0) <= self.max_false_per_hour
            and _rate(summary, "double_detections") <= self.max_double_rate
        )

    def utility(self, summary: Mapping[str, Any]) -> float:
        return (
            (summary.get("hit_rate") or 0.0)
            - _rate(summary, "wrong_label")
            - _rate(summary, "double_detections")
            - self.word_weight * (summary.get("false_per_word") or 0.0)
            - self.hour_weight * (summary.get("false_per_hour") or 0.0)
        )


def _rate(summary: Mapping[str, Any], key: str) -> float:
    words = summary.get("keyword_words") or 0
    return (summary.get(key) or 0) / words if words else 0.0


@dataclass
class TuningResult:
    """The chosen settings and every tried setting, best first."""

    best: DecisionSettings
    recommended: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    meets_targets: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "recommended": self.recommended,
            "meets_targets": self.meets_targets,
            "best": dataclasses.asdict(self.best),
            "rows": self.rows,
        }


def tune_decision(
    posteriors: Mapping[str, StreamPosteriors],
    grid: Mapping[str, Sequence[Any]] | None = None,
    targets: TuningTargets | None = None,
    base: DecisionSettings | None = None,
) -> TuningResult:
    """Replay every combination of ``grid`` (DecisionSettings fields -> values) and pick the best.

    Use validation-split posteriors. ``base`` supplies the fields not in the grid; the
    hop is the posteriors' own (:func:`compute_posteriors` ``hop_s``), so it cannot be
    in the grid. ``result.recommended`` holds the grid fields of the best setting: what
    goes into a model's ``decision`` metadata. Ranking: :class:`TuningTargets`.
    """
    grid = dict(DEFAULT_GRID if grid is None else grid)
    if "hop_s" in grid:
        raise ValueError("hop_s cannot be tuned by replay: compute the posteriors at each hop instead")
    if not posteriors:
        raise ValueError("no stream posteriors to tune on")
    targets = targets or TuningTargets()
    hop_s = next(iter(posteriors.values())).hop_s
    base = dataclasses.replace(base or DecisionSettings(), hop_s=hop_s)
    names = list(grid)
    scored = []
    for values in itertools.product(*(grid[name] for name in names)):
        settings = dataclasses.replace(base, **dict(zip(names, values, strict=True)))
        summary = evaluate_replay(posteriors, settings)["summary"]
        meets = targets.meets(summary)
        utility = targets.utility(summary)
        false = (summary.get("false_per_word") or 0.0) / targets.max_false_per_word + (
            summary.get("false_per_hour") or 0.0
        ) / targets.max_false_per_hour
        key = (not meets, -round(utility, 9), round(false, 9), settings.smoothing_s)
        scored.append((key, settings, summary, meets, utility))
    if not scored:
        raise ValueError("the tuning grid is empty")
    scored.sort(key=lambda row: row[0])
    _, best, _, meets, _ = scored[0]
    rows = [
        {
            **{name: getattr(s, name) for name in names},
            "meets_targets": m,
            "utility": round(u, 4),
            **summary,
        }
        for _, s, summary, m, u in scored
    ]
    recommended = {name: getattr(best, name) for name in names}
    return TuningResult(best, recommended, rows, meets)
