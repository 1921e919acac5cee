"""Tiny generated datasets for the trainer's tests.

``make_tiny_dataset(root)`` writes a Speech Commands layout (or the msc layout) of
synthetic 1 s clips whose label is easy to hear and to learn:

* label 0 (``yes``): a tone near 500 Hz,
* label 1 (``no``): a white-noise burst,
* label k >= 2: a tone near 500 * (k + 1) Hz,

each at a random offset and gain, over a faint noise floor. Speakers are 8-hex-digit
ids (``<speaker>_nohash_<n>.wav``). With ``with_lists`` the first speakers are
training data and the last two go to ``validation_list.txt`` and ``testing_list.txt``
(one each; entries for every word folder, as the official lists). ``_background_noise_/``
holds two 3 s noise recordings; ``extra_words`` are word folders that are not labels,
and ``LICENSE`` / ``README.md`` sit at the top as in the published archive.

The fixture ``tiny_dataset`` returns the root of the default set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile

SAMPLE_RATE = 16000


def speaker_id(n: int) -> str:
    """A stable 8-hex-digit speaker id, as in Speech Commands file names."""
    return hashlib.sha1(f"speaker-{n}".encode()).hexdigest()[:8]


def synth_clip(label_index: int, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One second of audio whose class is obvious from its spectrum (float32 in [-1, 1])."""
    n = sample_rate
    out = rng.normal(0.0, 0.003, n)
    length = int(rng.integers(n // 4, n // 2))
    start = int(rng.integers(0, n - length))
    t = np.arange(length) / sample_rate
    envelope = np.hanning(length)
    gain = rng.uniform(0.3, 0.8)
    if label_index == 1:
        burst = rng.normal(0.0, 0.35, length)
    else:
        freq = 500.0 * (label_index + 1 if label_index >= 2 else 1) * rng.uniform(0.95, 1.05)
        burst = np.sin(2 * np.pi * freq * t)
    out[start : start + length] += gain * envelope * burst
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE, subtype: str = "PCM_16") -> Path:
    """Write a WAV (mono (n,) or multi-channel (n, channels)), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), audio, sample_rate, subtype=subtype)
    return path


def make_tiny_dataset(
    root: Path,
    labels: Sequence[str] = ("yes", "no"),
    speakers: int = 6,
    clips_per_speaker: int = 2,
    with_lists: bool = True,
    with_noise: bool = True,
    extra_words: Sequence[str] = ("up",),
    layout: str = "speech-commands",
    seed: int = 0,
) -> Path:
    """Write a tiny dataset under ``root`` and return ``root``.

    ``layout="msc"`` writes ``msc-train/``, ``msc-val/``, ``msc-test/`` with
    ``<label>_<speaker>_nohash_<n>.wav`` files instead (the last two speakers are
    validation and test), plus ``_background_noise_/`` at the top.
    """
    if speakers < 3:
        raise ValueError("need at least 3 speakers: one each for train, validation, test")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = list(labels) + [w for w in extra_words if w not in labels]
    split_of_speaker = {speaker_id(s): "train" for s in range(speakers - 2)}
    split_of_speaker[speaker_id(speakers - 2)] = "validation"
    split_of_speaker[speaker_id(speakers - 1)] = "test"
    val_entries, test_entries = [], []
    for word_index, word in enumerate(words):
        for speaker, split in split_of_speaker.items():
            for n in range(clips_per_speaker):
                audio = synth_clip(word_index, rng)
                if layout == "msc":
                    folder = {"train": "msc-train", "validation": "msc-val", "test": "msc-test"}[split]
                    write_wav(root / folder / f"{word}_{speaker}_nohash_{n}.wav", audio)
                    continue
                name = f"{speaker}_nohash_{n}.wav"
                write_wav(root / word / name, audio)
                if split == "validation":
                    val_entries.append(f"{word}/{name}")
                elif split == "test":
                    test_entries.append(f"{word}/{name}")
    if layout != "msc":
        if with_lists:
            (root / "validation_list.txt").write_text("\n".join(val_entries) + "\n")
            (root / "testing_list.txt").write_text("\n".join(test_entries) + "\n")
        (root / "LICENSE").write_text("synthetic test data\n")
        (root / "README.md").write_text("tiny synthetic dataset\n")
    if with_noise:
        white = rng.normal(0.0, 0.2, 3 * SAMPLE_RATE)
        brown = np.cumsum(rng.normal(0.0, 0.02, 3 * SAMPLE_RATE))
        brown = 0.5 * brown / max(np.abs(brown).max(), 1e-9)
        write_wav(root / "_background_noise_" / "white_noise.wav", np.clip(white, -1, 1).astype(np.float32))
        write_wav(root / "_background_noise_" / "brown_noise.wav", brown.astype(np.float32))
    return root


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A Speech Commands layout: yes/ no/ up/ (6 speakers x 2 clips), lists, background noise."""
    return make_tiny_dataset(tmp_path / "tiny_dataset")
