"""Recording one-second training clips from the live audio, into a Speech Commands folder.

The recorder never opens its own stream: a :class:`CaptureSession` copies what the
live engine's :class:`~kws_gui.core.ring_buffer.AudioRingBuffer` receives (so the
microphone view keeps running). :func:`analyse_capture` checks the level and cuts
a 1 s clip centred on the voiced part; :class:`ClipStore` saves clips as 16-bit
16 kHz mono WAV files at ``<root>/<word>/<speaker>_nohash_<n>.wav``, lists and
deletes them, and keeps ``validation_list.txt`` / ``testing_list.txt`` so that the
folder alone is valid training data (every word with at least three clips has
some in each split). Qt-free; the countdown is the UI's business.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile

from kws_gui.core.atomic_file import atomic_path, atomic_write
from kws_gui.core.audio_io import SAMPLE_RATE, read_audio
from kws_gui.core.dataset_index import TESTING_LIST, VALIDATION_LIST

_WORD_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
_CLIP_RE = re.compile(r"^(?P<speaker>.+)_nohash_(?P<n>\d+)\.wav$")


class RecordingError(ValueError):
    """A clip that cannot be captured or saved; the message says why, for people."""


class SampleRing(Protocol):
    """What the recorder needs from the engine's ring buffer."""

    @property
    def total_written(self) -> int: ...

    def read_since(self, position: int) -> tuple[np.ndarray, int]: ...


def recordings_root() -> Path:
    """Default folder for recorded clips: ``data_dir()/recordings``."""
    from kws_gui.paths import data_dir

    return data_dir() / "recordings"


# --------------------------------------------------------------------- capturing
class CaptureSession:
    """Collects ``seconds`` of audio written to ``ring`` from now on; call :meth:`poll` often."""

    def __init__(self, ring: SampleRing, seconds: float = 1.5, sample_rate: int = SAMPLE_RATE) -> None:
        if seconds <= 0:
            raise RecordingError("the capture length must be positive")
        self.ring = ring
        self.needed = int(round(seconds * sample_rate))
        self.sample_rate = sample_rate
        self._position = ring.total_written
        self._chunks: list[np.ndarray] = []
        self._have = 0

    def poll(self) -> float:
        """Copy the new samples; returns the fraction captured (1.0 when done)."""
        if self._have < self.needed:
            samples, self._position = self.ring.read_since(self._position)
            if samples.size:
                self._chunks.append(np.asarray(samples, dtype=np.float32).copy())
                self._have += samples.size
        return min(1.0, self._have / self.needed)

    @property
    def done(self) -> bool:
        return self._have >= self.needed

    def samples(self) -> np.ndarray:
        """The captured audio (exactly ``needed`` samples once done)."""
        if not self._chunks:
            return np.zeros(0, np.float32)
        return np.concatenate(self._chunks)[: self.needed]

    def level_dbfs(self, last_s: float = 0.1) -> float:
        """Peak level of the most recent ``last_s`` captured (for a live meter)."""
        if not self._chunks:
            return -120.0
        tail = np.concatenate(self._chunks[-10:])[-int(last_s * self.sample_rate) :]
        return dbfs(float(np.max(np.abs(tail))) if tail.size else 0.0)


def dbfs(amplitude: float) -> float:
    """Amplitude (1.0 = full scale) in dBFS, floored at -120."""
    return float(20.0 * np.log10(max(amplitude, 1e-6)))


@dataclass(frozen=True)
class LevelCheck:
    """Thresholds for accepting a capture."""

    min_peak_dbfs: float = -35.0  # quieter than this: too quiet
    clip_amplitude: float = 0.999  # a peak this high: clipped
    max_clipped_fraction: float = 0.001
    voice_margin_db: float = 12.0  # voiced frames: this far above the noise floor ...
    voice_below_peak_db: float = 35.0  # ... and within this of the loudest frame
    frame_s: float = 0.02
    max_gap_s: float = 0.2  # pauses up to this long stay inside one word


@dataclass(frozen=True)
class ClipAnalysis:
    """A capture's verdict: ``ok`` with the 1 s ``clip``, or a message on what to change."""

    ok: bool
    message: str
    clip: np.ndarray
    peak_dbfs: float
    voiced_s: float
    voiced_start_s: float | None = None
    voiced_end_s: float | None = None


def analyse_capture(
    samples: np.ndarray,
    clip_s: float = 1.0,
    sample_rate: int = SAMPLE_RATE,
    check: LevelCheck | None = None,
) -> ClipAnalysis:
    """Level-check a capture and cut ``clip_s`` seconds centred on its voiced part.

    Voiced frames are those well above the capture's noise floor (its 10th-percentile
    frame energy). The word is the most energetic run of voiced frames (short pauses
    bridged, neighbouring runs added while they fit in ``clip_s``); the clip is
    centred on it. Where that reaches past the capture, the clip is filled with
    noise at the capture's floor level, so the word is centred even when it was
    said early or late.
    """
    check = check or LevelCheck()
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    n_clip = int(round(clip_s * sample_rate))
    empty = np.zeros(n_clip, np.float32)
    if x.size == 0 or not np.all(np.isfinite(x)):
        return ClipAnalysis(False, "no audio was captured: is the microphone running?", empty, -120.0, 0.0)
    peak = float(np.max(np.abs(x)))
    peak_db = dbfs(peak)
    if peak_db < check.min_peak_dbfs:
        return ClipAnalysis(
            False,
            f"too quiet (peak {peak_db:.0f} dBFS, needs {check.min_peak_dbfs:.0f}): speak louder or closer",
            empty,
            peak_db,
            0.0,
        )
    if np.mean(np.abs(x) >= check.clip_amplitude) > check.max_clipped_fraction:
        return ClipAnalysis(
            False, "too loud: the recording clips; speak softer or move back", empty, peak_db, 0.0
        )
    hop = max(1, int(round(check.frame_s * sample_rate)))
    n_frames = max(1, x.size // hop)
    frames = x[: n_frames * hop].reshape(n_frames, hop) if x.size >= hop else x.reshape(1, -1)
    energy_db = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    floor = float(np.percentile(energy_db, 10))
    threshold = max(floor + check.voice_margin_db, float(energy_db.max()) - check.voice_below_peak_db)
    voiced = energy_db > threshold
    if not voiced.any():
        return ClipAnalysis(
            False,
            "no word found: the capture is as loud as its background; speak during the recording",
            empty,
            peak_db,
            0.0,
        )
    frames_per_clip = max(1, n_clip // hop)
    first, last = _word_span(
        voiced, 10.0 ** (energy_db / 10.0), frames_per_clip, int(check.max_gap_s / check.frame_s)
    )
    centre = (first + last) * hop // 2
    clip = _cut(x, centre - n_clip // 2, n_clip, float(10.0 ** (floor / 20.0)))
    voiced_s = (last - first) * hop / sample_rate
    return ClipAnalysis(
        True,
        f"ok: peak {peak_db:.0f} dBFS, word {voiced_s:.2f} s",
        clip,
        peak_db,
        voiced_s,
        first * hop / sample_rate,
        last * hop / sample_rate,
    )


def _word_span(voiced: np.ndarray, power: np.ndarray, max_frames: int, max_gap: int) -> tuple[int, int]:
    """Frames [first, last) of the word: the most energetic run of voiced frames (gaps up to
    ``max_gap`` frames bridged), grown by neighbouring runs while it fits ``max_frames``; a run
    longer than that is cut to its loudest ``max_frames``."""
    idx = np.flatnonzero(voiced)
    runs: list[list[int]] = []
    for i in idx:
        if runs and i - runs[-1][1] <= max_gap:
            runs[-1][1] = int(i) + 1
        else:
            runs.append([int(i), int(i) + 1])
    energies = [float(power[a:b].sum()) for a, b in runs]
    best = int(np.argmax(energies))
    first, last = runs[best]
    if last - first > max_frames:
        sums = np.convolve(power[first:last], np.ones(max_frames), mode="valid")
        first += int(np.argmax(sums))
        return first, first + max_frames
    lo, hi = best - 1, best + 1
    while True:  # add the louder neighbour that still fits
        options = [(energies[j], j) for j in (lo, hi) if 0 <= j < len(runs)]
        options = [(e, j) for e, j in options if max(last, runs[j][1]) - min(first, runs[j][0]) <= max_frames]
        if not options:
            return first, last
        _, j = max(options)
        first, last = min(first, runs[j][0]), max(last, runs[j][1])
        lo, hi = (lo - 1, hi) if j == lo else (lo, hi + 1)


def _cut(x: np.ndarray, start: int, n: int, floor_rms: float) -> np.ndarray:
    """``x[start:start + n]``; parts outside the capture are filled with noise at its floor level."""
    rng = np.random.default_rng(0)
    out = (rng.standard_normal(n) * floor_rms).astype(np.float32)
    lo, hi = max(start, 0), min(start + n, x.size)
    if hi > lo:
        out[lo - start : hi - start] = x[lo:hi]
    return out


# ----------------------------------------------------------------------- storing
@dataclass(frozen=True)
class RecordedClip:
    """A saved clip: its file, word, speaker, number and split."""

    path: Path
    word: str
    speaker: str
    number: int
    split: str


def check_word(word: str) -> str:
    """A valid word folder name (lower case letters, digits, ``-``/``_``), else RecordingError."""
    w = word.strip().lower()
    if not _WORD_RE.match(w) or w == "_background_noise_":
        raise RecordingError(
            f"{word!r} is not a usable word: use lower-case letters and digits (e.g. 'yes'), "
            "at most 40 characters, not starting with '_'"
        )
    return w


def check_speaker(speaker: str) -> str:
    """A speaker id for file names: letters and digits only (others dropped), else RecordingError."""
    s = "".join(c for c in speaker.strip().lower() if c.isascii() and c.isalnum())[:32]
    if not s:
        raise RecordingError("enter a speaker name (letters or digits), e.g. your first name")
    return s


class ClipStore:
    """A Speech Commands folder of recorded clips under ``root``."""

    def __init__(self, root: str | Path | None = None, sample_rate: int = SAMPLE_RATE) -> None:
        self.root = Path(root) if root is not None else recordings_root()
        self.sample_rate = sample_rate

    def words(self) -> list[str]:
        """Word folders holding at least one clip, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*_nohash_*.wav"))
        )

    def clips(self, word: str | None = None) -> list[RecordedClip]:
        """Saved clips (of one word, or all), ordered by word, speaker, number."""
        words = [word] if word else self.words()
        lists = self._split_assignment(words)
        out = []
        for w in words:
            folder = self.root / w
            if not folder.is_dir():
                continue
            for path in folder.glob("*_nohash_*.wav"):
                m = _CLIP_RE.match(path.name)
                if m:
                    split = lists.get(f"{w}/{path.name}", "train")
                    out.append(RecordedClip(path, w, m["speaker"], int(m["n"]), split))
        out.sort(key=lambda c: (c.word, c.speaker, c.number))
        return out

    def save(self, word: str, speaker: str, clip: np.ndarray) -> RecordedClip:
        """Write ``clip`` (float32, [-1, 1]) as the speaker's next clip of ``word``."""
        w, s = check_word(word), check_speaker(speaker)
        audio = np.clip(np.asarray(clip, dtype=np.float32).reshape(-1), -1.0, 1.0)
        if audio.size == 0:
            raise RecordingError("nothing to save: the clip is empty")
        folder = self.root / w
        try:
            folder.mkdir(parents=True, exist_ok=True)
            taken = {int(m["n"]) for p in folder.glob(f"{s}_nohash_*.wav") if (m := _CLIP_RE.match(p.name))}
            n = max(taken, default=-1) + 1
            path = folder / f"{s}_nohash_{n}.wav"
            with atomic_path(path) as tmp:
                soundfile.write(str(tmp), audio, self.sample_rate, subtype="PCM_16", format="WAV")
        except (OSError, soundfile.LibsndfileError) as exc:
            raise RecordingError(f"cannot save the clip in {folder}: {exc}") from exc
        self.write_split_lists()
        return next(c for c in self.clips(w) if c.path == path)

    def delete(self, path: str | Path) -> None:
        """Delete one clip of this store (paths outside it are refused)."""
        p = Path(path)
        try:
            p.resolve().relative_to(self.root.resolve())
        except ValueError as exc:
            raise RecordingError(f"{p} is not a recorded clip of {self.root}") from exc
        if not _CLIP_RE.match(p.name):
            raise RecordingError(f"{p.name} is not a recorded clip")
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
        self.write_split_lists()

    def counts(self) -> dict[str, int]:
        """Clips per word."""
        out: dict[str, int] = {}
        for c in self.clips():
            out[c.word] = out.get(c.word, 0) + 1
        return out

    # ------------------------------------------------------------------ splits
    @staticmethod
    def _split_of_rank(rank: int) -> str:
        """Per word, in order: clip 2 of every 5 is validation, clip 3 test, the rest training."""
        return {1: "validation", 2: "test"}.get(rank % 5, "train")

    def _split_assignment(self, words: list[str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}
        for w in words if words is not None else self.words():
            folder = self.root / w
            files = []
            for p in folder.glob("*_nohash_*.wav") if folder.is_dir() else []:
                m = _CLIP_RE.match(p.name)
                if m:
                    files.append((m["speaker"], int(m["n"]), p.name))
            for rank, (_, _, name) in enumerate(sorted(files)):
                out[f"{w}/{name}"] = self._split_of_rank(rank)
        return out

    def write_split_lists(self) -> None:
        """Rewrite ``validation_list.txt`` and ``testing_list.txt`` for the clips now present."""
        if not self.root.is_dir():
            return
        assignment = self._split_assignment()
        for split, name in (("validation", VALIDATION_LIST), ("test", TESTING_LIST)):
            entries = sorted(k for k, v in assignment.items() if v == split)
            atomic_write(self.root / name, "".join(f"{e}\n" for e in entries))


# ---------------------------------------------------------------------- playback
def playback_status() -> tuple[bool, str]:
    """(available, reason): can clips be played through sounddevice here? Never raises."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return False, f"playback unavailable: {exc}"
    try:
        default_out = sd.default.device[1]
        devices = sd.query_devices()
        has_output = any(int(d.get("max_output_channels", 0)) > 0 for d in devices)
    except Exception as exc:  # PortAudio errors vary by platform
        return False, f"playback unavailable: {exc}"
    if not has_output:
        return False, "playback unavailable: PortAudio lists no output device"
    return True, f"output device {default_out}"


#: Playback reads at most this much of a clip (a clip of the recorder lasts 1 s).
MAX_PLAY_SECONDS = 10.0


def play_clip(path: str | Path) -> None:
    """Play a clip without blocking (sounddevice); raises RecordingError when it cannot.

    The file is read like any other (header checked, mono, 16 kHz) and at most
    :data:`MAX_PLAY_SECONDS` of it, so a damaged or foreign file in the folder cannot
    allocate gigabytes.
    """
    try:
        import sounddevice as sd

        audio = read_audio(path, SAMPLE_RATE, max_seconds=MAX_PLAY_SECONDS)
        sd.play(audio, SAMPLE_RATE)
    except Exception as exc:
        raise RecordingError(f"cannot play {Path(path).name}: {exc}") from exc
