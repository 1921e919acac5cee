"""trainer.data: layouts, splits, labels, decoding of awkward files, the feature cache."""

from __future__ import annotations

import json
import math
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN, REFERENCE, Frontend
from tests.conftest import shared_data
from tests.core.conftest import declare_rate
from tests.trainer.conftest import SAMPLE_RATE, make_tiny_dataset, speaker_id, synth_clip, write_wav
from trainer import data
from trainer.data import (
    DatasetError,
    load_background_noise,
    load_split,
    scan_dataset,
    which_set,
    without_unreadable,
)

# --------------------------------------------------------------------------- hash rule
# Entries of the official Speech Commands v0.02 lists, which the hash rule produced.
OFFICIAL_EXAMPLES = [
    ("right/a69b9b3e_nohash_0.wav", "validation"),
    ("one/bfbd0e6b_nohash_2.wav", "validation"),
    ("five/c5e3817f_nohash_0.wav", "validation"),
    ("right/bb05582b_nohash_3.wav", "test"),
    ("zero/ca4d5368_nohash_3.wav", "test"),
    ("four/b97c9f77_nohash_3.wav", "test"),
]


@pytest.mark.parametrize(("name", "expected"), OFFICIAL_EXAMPLES)
def test_which_set_matches_official_list_entries(name: str, expected: str) -> None:
    assert which_set(name, 10.0, 10.0) == expected


def test_which_set_ignores_folder_and_clip_number() -> None:
    for n in range(5):
        assert which_set(f"yes/a69b9b3e_nohash_{n}.wav", 10, 10) == "validation"
        assert which_set(f"/some/where/a69b9b3e_nohash_{n}.wav", 10, 10) == "validation"


def test_which_set_percentages_and_stability() -> None:
    names = [f"{speaker_id(i)}_nohash_0.wav" for i in range(6000)]
    splits = [which_set(n, 10, 10) for n in names]
    assert splits == [which_set(n, 10, 10) for n in names]
    share = {s: splits.count(s) / len(names) for s in ("train", "validation", "test")}
    assert abs(share["validation"] - 0.10) < 0.02
    assert abs(share["test"] - 0.10) < 0.02
    # Growing the validation share only moves clips out of training/test into validation.
    wider = [which_set(n, 30, 0) for n in names]
    assert abs(wider.count("validation") / len(names) - 0.30) < 0.03
    assert "test" not in wider
    assert all(w == "validation" for s, w in zip(splits, wider, strict=True) if s == "validation")


def test_which_set_reproduces_the_official_lists() -> None:
    root = shared_data("speech_commands_v0.02")
    for list_name, expected in (("validation_list.txt", "validation"), ("testing_list.txt", "test")):
        entries = (root / list_name).read_text().split()
        assert len(entries) > 9000
        assert {which_set(e, 10.0, 10.0) for e in entries} == {expected}


# ------------------------------------------------------------------------------ scanning
def test_scan_speech_commands_with_lists(tiny_dataset: Path) -> None:
    index = scan_dataset(tiny_dataset)
    assert index.layout == "speech-commands"
    assert index.split_source == "lists"
    assert index.labels == ("yes", "no")
    assert index.counts() == {
        s: {"yes": n, "no": n} for s, n in (("train", 8), ("validation", 2), ("test", 2))
    }
    assert {c.path.parent.name for c in index.clips} == {"yes", "no"}  # up/ is not a label
    assert sorted(p.name for p in index.noise_files) == ["brown_noise.wav", "white_noise.wav"]
    listed = set((tiny_dataset / "validation_list.txt").read_text().split())
    assert {index.relative(c.path) for c in index.split("validation")} == {
        e for e in listed if not e.startswith("up/")
    }
    assert all(c.speaker == c.path.name.split("_nohash_")[0] for c in index.clips)
    # Speakers never cross splits.
    by_split = {s: {c.speaker for c in index.split(s)} for s in ("train", "validation", "test")}
    assert not (by_split["train"] & by_split["validation"]) and not (by_split["train"] & by_split["test"])
    summary = json.loads(json.dumps(index.summary()))
    assert summary["counts"]["train"]["yes"] == 8 and summary["split_source"] == "lists"
    assert len(index.split("all")) == 24


def test_scan_without_lists_uses_the_hash_rule(tmp_path: Path) -> None:
    root = make_tiny_dataset(
        tmp_path / "d", speakers=40, clips_per_speaker=1, with_lists=False, with_noise=False
    )
    index = scan_dataset(root, validation_percent=20, testing_percent=20)
    assert index.split_source == "hash"
    for clip in index.clips:
        assert clip.split == which_set(clip.path.name, 20, 20)
    splits_of_speaker: dict[str, set[str]] = {}
    for clip in index.clips:
        splits_of_speaker.setdefault(clip.speaker, set()).add(clip.split)
    assert all(len(s) == 1 for s in splits_of_speaker.values())
    assert index.noise_files == []


def test_scan_msc_layout(tmp_path: Path) -> None:
    root = make_tiny_dataset(tmp_path / "msc", layout="msc", speakers=4)
    index = scan_dataset(root)
    assert (index.layout, index.split_source) == ("msc", "folders")
    assert index.counts() == {
        s: {"yes": n, "no": n} for s, n in (("train", 4), ("validation", 2), ("test", 2))
    }
    assert {c.path.parent.name for c in index.split("validation")} == {"msc-val"}
    assert {c.speaker for c in index.split("test")} == {speaker_id(3)}
    assert len(index.noise_files) == 2


def test_labels_filter_and_order(tiny_dataset: Path) -> None:
    index = scan_dataset(tiny_dataset, labels="up,yes")
    assert index.labels == ("up", "yes")
    assert {c.label for c in index.clips} == {"up", "yes"}
    assert all(c.path.parent.name == c.label for c in index.clips)
    only_no = scan_dataset(tiny_dataset, labels=("no",))
    assert only_no.counts()["train"] == {"no": 8}


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (("yes", "yes"), "twice"),
        (("yes", "_background_noise_"), "background noise"),
        ((), "no labels"),
        (("yes", "../no"), "not a path"),
        (("yes", "down"), "no folder 'down'"),
    ],
)
def test_bad_labels_are_refused(tiny_dataset: Path, labels: tuple[str, ...], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        scan_dataset(tiny_dataset, labels=labels)


def test_empty_class_is_an_error(tiny_dataset: Path) -> None:
    (tiny_dataset / "down").mkdir()
    with pytest.raises(DatasetError, match=r"class 'down' is empty"):
        scan_dataset(tiny_dataset, labels=("yes", "down"))


def test_empty_split_is_an_error(tiny_dataset: Path) -> None:
    (tiny_dataset / "validation_list.txt").write_text("")
    with pytest.raises(DatasetError, match=r"validation split .* is empty"):
        scan_dataset(tiny_dataset)
    index = scan_dataset(tiny_dataset, require_splits=("train", "test"))
    assert index.counts()["validation"] == {"yes": 0, "no": 0}
    with pytest.raises(DatasetError, match="validation split"):
        load_split(index, "validation", DS_CNN)


def test_class_missing_from_a_split_is_an_error(tiny_dataset: Path) -> None:
    entries = (tiny_dataset / "testing_list.txt").read_text().split()
    (tiny_dataset / "testing_list.txt").write_text("\n".join(e for e in entries if not e.startswith("no/")))
    with pytest.raises(DatasetError, match=r"class 'no' has no clips in the test split"):
        scan_dataset(tiny_dataset)


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        scan_dataset(tmp_path / "missing")
    (tmp_path / "photos").mkdir()
    with pytest.raises(DatasetError, match="unknown dataset layout"):
        scan_dataset(tmp_path)
    with pytest.raises(DatasetError, match="validation_percent"):
        scan_dataset(tmp_path, validation_percent=60, testing_percent=50)


# ------------------------------------------------------------------------------ decoding
def _add_awkward_files(root: Path) -> dict[str, str]:
    """Training files that are corrupt, empty, stereo, 8 kHz, short and long."""
    rng = np.random.default_rng(7)
    yes = root / "yes"
    (yes / "corrupt_nohash_0.wav").write_bytes(b"RIFF\x00\x01garbage" + bytes(range(256)) * 4)
    (yes / "zerobytes_nohash_0.wav").write_bytes(b"")
    write_wav(root / "no" / "empty_nohash_0.wav", np.zeros(0, dtype=np.float32))
    left, right = synth_clip(0, rng), synth_clip(1, rng)
    write_wav(yes / "stereo_nohash_0.wav", np.stack([left, right], axis=1))
    t = np.arange(8000) / 8000
    write_wav(yes / "rate8k_nohash_0.wav", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8000)
    write_wav(root / "no" / "short_nohash_0.wav", np.full(4800, 0.25, np.float32))
    write_wav(root / "no" / "long_nohash_0.wav", np.linspace(-0.5, 0.5, 27200, dtype=np.float32))
    return {"yes/corrupt_nohash_0.wav", "yes/zerobytes_nohash_0.wav", "no/empty_nohash_0.wav"}


def test_load_split_skips_bad_files_and_fixes_the_rest(tiny_dataset: Path, tmp_path: Path) -> None:
    bad = _add_awkward_files(tiny_dataset)
    index = scan_dataset(tiny_dataset)
    assert len(index.split("train")) == 16 + 7
    calls: list[tuple[int, int]] = []
    result = load_split(
        index,
        "train",
        DS_CNN,
        cache_dir=tmp_path / "cache",
        keep_audio=True,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert {path for path, _ in result.skipped} == bad
    assert all(reason for _, reason in result.skipped)
    assert len(result.clips) == 16 + 4
    assert result.audio is not None and result.audio.shape == (20, 16000) and result.audio.dtype == np.float32
    assert result.features.shape == (20, 61, 16)
    np.testing.assert_allclose(result.features, Frontend(DS_CNN).batch_features(result.audio), atol=1e-5)
    assert [index.labels[i] for i in result.labels] == [c.label for c in result.clips]
    assert calls[-1] == (23, 23)

    row = {c.path.name: result.audio[i] for i, c in enumerate(result.clips)}
    stereo = np.asarray(
        __import__("soundfile").read(str(tiny_dataset / "yes" / "stereo_nohash_0.wav"), dtype="float32")[0]
    )
    np.testing.assert_allclose(row["stereo_nohash_0.wav"], stereo.mean(axis=1), atol=1e-6)
    resampled = row["rate8k_nohash_0.wav"]  # 1 s at 8 kHz -> 16000 samples of a 440 Hz tone
    assert np.abs(resampled[15000:15900]).max() > 0.4
    assert abs(np.argmax(np.abs(np.fft.rfft(resampled))) - 440) <= 1
    short = row["short_nohash_0.wav"]
    np.testing.assert_allclose(short[:4800], 0.25, atol=1e-4)
    assert not short[4800:].any()
    long = row["long_nohash_0.wav"]
    np.testing.assert_allclose(long, np.linspace(-0.5, 0.5, 27200)[:16000], atol=1e-4)


def test_a_class_with_only_unreadable_files_stops(tiny_dataset: Path, tmp_path: Path) -> None:
    index = scan_dataset(tiny_dataset)
    for clip in index.split("validation"):
        if clip.label == "no":
            clip.path.write_bytes(b"not audio at all")
    with pytest.raises(DatasetError, match=r"class 'no' has no readable audio in the validation split"):
        load_split(index, "validation", DS_CNN, cache_dir=tmp_path / "cache")


def _add_hostile_files(root: Path) -> dict[str, str]:
    """Training "yes" clips that are not clips: a header claiming 1 Hz, a 45 s recording, a text file."""
    yes = root / "yes"
    declare_rate(write_wav(yes / "onehz_nohash_0.wav", np.zeros(20000, np.float32)), 1)
    write_wav(yes / "lecture_nohash_0.wav", np.zeros(45 * SAMPLE_RATE, np.float32))
    (yes / "notes_nohash_0.wav").write_text("meeting notes, not audio")
    return {
        "yes/onehz_nohash_0.wav": "1 Hz",
        "yes/lecture_nohash_0.wav": "more than the 30 s a clip may last",
        "yes/notes_nohash_0.wav": "expected WAV, FLAC or OGG",
    }


def test_hostile_clips_are_skipped_and_counted_without_decoding_them(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    # Issue 8, row 1: a 40 KB WAV claiming 1 Hz decoded to 2.5 GB in kws-train evaluate / train.
    expected = _add_hostile_files(tiny_dataset)
    index = scan_dataset(tiny_dataset)
    tracemalloc.start()
    try:
        result = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reasons = dict(result.skipped)
    assert set(reasons) == set(expected)
    for path, words in expected.items():
        assert words in reasons[path], reasons[path]
    assert len(result.clips) == 16 and peak < 20_000_000, peak


def test_without_unreadable_leaves_unusable_files_out_of_the_counts(tiny_dataset: Path) -> None:
    expected = _add_hostile_files(tiny_dataset)
    index = scan_dataset(tiny_dataset)
    assert index.counts()["train"]["yes"] == 8 + 3  # the scan goes by file names only
    clean, unreadable = without_unreadable(index)
    assert clean.counts()["train"]["yes"] == 8
    assert {path for path, _ in unreadable} == set(expected)
    assert all(words in dict(unreadable)[path] for path, words in expected.items())


def test_inspect_data_does_not_count_unusable_files(tiny_dataset: Path, capsys) -> None:
    from trainer import cli

    expected = _add_hostile_files(tiny_dataset)
    assert cli.main(["inspect-data", str(tiny_dataset), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["train"]["yes"] == 8
    assert {u["file"] for u in summary["unreadable"]} == set(expected)
    assert cli.main(["inspect-data", str(tiny_dataset)]) == 0
    out = capsys.readouterr().out
    assert "unusable files, not counted: 3" in out and "notes_nohash_0.wav" in out


def test_second_load_comes_from_the_cache(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_awkward_files(tiny_dataset)
    index = scan_dataset(tiny_dataset)
    first = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache")
    assert not first.from_cache and first.decoded == 23

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(data, "read_audio", no_decoding)
    again = load_split(scan_dataset(tiny_dataset), "train", DS_CNN, cache_dir=tmp_path / "cache")
    assert again.from_cache and again.decoded == 0
    np.testing.assert_array_equal(again.features, first.features)
    np.testing.assert_array_equal(again.labels, first.labels)
    assert again.skipped == first.skipped and again.clips == first.clips
    with_audio = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache", keep_audio=True)
    assert with_audio.from_cache and with_audio.audio is not None and with_audio.audio.shape == (20, 16000)


def test_default_cache_dir_is_under_the_user_cache(tiny_dataset: Path) -> None:
    index = scan_dataset(tiny_dataset)
    load_split(index, "test", DS_CNN)
    assert any(data.default_cache_dir().glob("features-*.npy"))
    assert data.default_cache_dir().parent == Path(os.environ["KWS_CACHE_DIR"])


def test_cache_key_follows_the_frontend_config(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = scan_dataset(tiny_dataset)
    mfcc = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(data, "read_audio", lambda *a, **k: (_ for _ in ()).throw(AssertionError("decoded")))
    logmel = load_split(index, "train", REFERENCE, cache_dir=tmp_path / "cache")
    assert logmel.cache_key != mfcc.cache_key
    assert logmel.features.shape == (16, 49, 40)
    assert not logmel.from_cache and logmel.decoded == 0  # features new, audio from the cache
    assert load_split(index, "train", REFERENCE, cache_dir=tmp_path / "cache").from_cache


def test_changed_files_invalidate_the_cache(tiny_dataset: Path, tmp_path: Path) -> None:
    index = scan_dataset(tiny_dataset)
    before = index.fingerprint("train")
    assert before == scan_dataset(tiny_dataset).fingerprint("train")
    load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache")
    clip = index.split("train")[0]
    write_wav(clip.path, np.zeros(16000, np.float32) + 0.1)
    os.utime(clip.path, ns=(1, 1))
    assert index.fingerprint("train") != before
    assert index.fingerprint("validation") == scan_dataset(tiny_dataset).fingerprint("validation")
    reloaded = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache")
    assert not reloaded.from_cache and reloaded.decoded == 16


def test_corrupt_cache_is_recomputed(tiny_dataset: Path, tmp_path: Path) -> None:
    index = scan_dataset(tiny_dataset)
    first = load_split(index, "test", DS_CNN, cache_dir=tmp_path / "cache", keep_audio=True)
    files = sorted((tmp_path / "cache").iterdir())
    assert {f.name.split("-")[0] for f in files} == {"audio", "features"}
    for f in files:
        f.write_bytes(b"\x93NUMPY broken")
    again = load_split(index, "test", DS_CNN, cache_dir=tmp_path / "cache", keep_audio=True)
    assert not again.from_cache
    np.testing.assert_array_equal(again.features, first.features)
    assert load_split(index, "test", DS_CNN, cache_dir=tmp_path / "cache").from_cache
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_load_background_noise_skips_unreadable(tiny_dataset: Path) -> None:
    (tiny_dataset / "_background_noise_" / "broken.wav").write_bytes(b"nope")
    index = scan_dataset(tiny_dataset)
    assert len(index.noise_files) == 3
    noise = load_background_noise(index)
    assert len(noise) == 2 and all(n.dtype == np.float32 and n.shape == (48000,) for n in noise)
    assert len(load_background_noise(index.noise_files, sample_rate=8000)[0]) == 24000


def test_silence_and_unknown_pseudo_labels(tiny_dataset: Path, tmp_path: Path) -> None:
    labels = ("yes", "no", "_silence_", "_unknown_")
    index = scan_dataset(tiny_dataset, labels=labels)
    counts = index.counts()
    for split, words in (("train", 16), ("validation", 4), ("test", 4)):
        assert counts[split]["_silence_"] == math.ceil(words * 0.1)
        assert counts[split]["_unknown_"] == math.ceil(words * 0.1)
    unknown = [c for c in index.clips if c.label == "_unknown_"]
    assert {c.path.parent.name for c in unknown} == {"up"}
    assert all(c.split == "validation" for c in unknown if c.path.name.startswith(speaker_id(4)))
    assert index.clips == scan_dataset(tiny_dataset, labels=labels).clips  # seeded, reproducible
    result = load_split(index, "train", DS_CNN, cache_dir=tmp_path / "cache", keep_audio=True)
    silence = result.audio[result.labels == labels.index("_silence_")]
    assert silence.shape == (2, 16000) and np.all(np.abs(silence).max(axis=1) > 0)
    assert np.abs(silence).max() <= 1.0
    with pytest.raises(DatasetError, match="_unknown_"):
        scan_dataset(tiny_dataset, labels=("yes", "no", "up", "_unknown_"))


# ------------------------------------------------------------------------------ real data
@pytest.mark.needs_data
def test_real_tts_set_splits_follow_its_lists(tmp_path: Path) -> None:
    root = shared_data("tts-yes-no")
    index = scan_dataset(root)
    counts = index.counts()
    for list_name, split in (("validation_list.txt", "validation"), ("testing_list.txt", "test")):
        entries = (root / list_name).read_text().split()
        for label in ("yes", "no"):
            assert counts[split][label] == sum(e.startswith(f"{label}/") for e in entries)
        assert {index.relative(c.path) for c in index.split(split)} == {
            e for e in entries if e.split("/")[0] in ("yes", "no")
        }
    for label in ("yes", "no"):
        total = len(list((root / label).glob("*.wav")))
        assert sum(counts[s][label] for s in counts) == total
    result = load_split(index, "validation", DS_CNN, cache_dir=tmp_path / "cache")
    assert result.skipped == [] and result.features.shape == (240, 61, 16)
