"""Several data folders as one dataset: per-folder splits, pseudo-label sampling, weights, per-source figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN
from tests.trainer.conftest import make_tiny_dataset, synth_clip, write_wav
from trainer.data import DatasetError, scan_dataset, scan_datasets
from trainer.sources import (
    DataSpec,
    epoch_order,
    load_mixed_split,
    parse_specs,
    per_source_accuracy,
    source_names,
)

LIVE_LABELS = ("_silence_", "_unknown_", "yes", "no")


def make_other_words(root: Path, words: tuple[str, ...] = ("press", "dress"), clips: int = 3) -> Path:
    """A folder of non-keyword words only, no lists, no noise (like tts-other-words)."""
    rng = np.random.default_rng(7)
    for k, word in enumerate(words):
        for n in range(clips):
            write_wav(root / word / f"abcd{k:04d}_nohash_{n}.wav", synth_clip(5 + k, rng))
    return root


def make_recorded_silence(root: Path, n: int = 6) -> list[str]:
    """``_silence_/`` clips as the Speech Commands test set ships them; half go to the lists."""
    rng = np.random.default_rng(3)
    names = []
    for i in range(n):
        write_wav(root / "_silence_" / f"{1000 + i}.wav", rng.normal(0, 0.01, 16000).astype(np.float32))
        names.append(f"_silence_/{1000 + i}.wav")
    return names


@pytest.fixture
def three_folders(tmp_path: Path) -> list[Path]:
    synthetic = make_tiny_dataset(tmp_path / "synthetic", extra_words=())
    real = make_tiny_dataset(tmp_path / "real", extra_words=("up", "left"), with_noise=False, seed=1)
    silence = make_recorded_silence(real)
    with open(real / "validation_list.txt", "a") as f:
        f.write(silence[0] + "\n")
    with open(real / "testing_list.txt", "a") as f:
        f.write(silence[1] + "\n")
    others = make_other_words(tmp_path / "others")
    return [synthetic, real, others]


def test_each_folder_keeps_its_own_split(three_folders: list[Path]) -> None:
    synthetic, real = scan_datasets(three_folders[:2], labels=("yes", "no"))
    for index, folder in zip((synthetic, real), three_folders, strict=False):
        alone = scan_dataset(folder)
        assert index.counts() == alone.counts()
        assert {c.path: c.split for c in index.clips} == {c.path: c.split for c in alone.clips}
    with pytest.raises(DatasetError, match="others holds nothing for the labels yes, no"):
        scan_datasets(three_folders, labels=("yes", "no"))  # other words are of no use without _unknown_


def test_a_folder_may_lack_labels_but_not_all_of_them(three_folders: list[Path], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="expected one folder per label"):
        scan_dataset(three_folders[2])  # alone, a folder must hold every label
    with pytest.raises(DatasetError, match="class 'yes' is empty"):
        scan_datasets(
            [three_folders[2], make_other_words(tmp_path / "more", ("north",))],
            labels=("_unknown_", "yes"),
            unknown_percent=math.inf,
        )
    with pytest.raises(DatasetError, match="given twice"):
        scan_datasets([three_folders[0], three_folders[0]])


def test_unknown_is_sampled_from_every_folder_as_a_share_of_all_keywords(three_folders: list[Path]) -> None:
    indexes = scan_datasets(three_folders, labels=LIVE_LABELS, unknown_percent=50)
    keywords = {s: sum(i.counts()[s]["yes"] + i.counts()[s]["no"] for i in indexes) for s in ("train",)}
    unknown = sum(i.counts()["train"]["_unknown_"] for i in indexes)
    assert unknown == math.ceil(keywords["train"] * 0.5)
    everything = scan_datasets(three_folders, labels=LIVE_LABELS, unknown_percent=math.inf)
    pool = 4 * 2 * 2 + 2 * 3  # real: up, left x 4 train speakers x 2 clips; others: 2 words x 3 clips
    assert sum(i.counts()["train"]["_unknown_"] for i in everything) == pool
    # the other-words folder contributes, and each clip stays in its own folder's index
    assert everything[2].counts()["train"]["_unknown_"] == 6
    assert all(c.path.is_relative_to(i.root) for i in everything for c in i.clips if c.start is None)
    again = scan_datasets(three_folders, labels=LIVE_LABELS, unknown_percent=50)
    assert [c.path for i in again for c in i.clips] == [c.path for i in indexes for c in i.clips]


def test_silence_from_noise_windows_and_recorded_clips(three_folders: list[Path]) -> None:
    synthetic, real, _ = scan_datasets(three_folders, labels=LIVE_LABELS, silence_percent=25)
    recorded = [c for c in real.clips if c.label == "_silence_"]
    assert len(recorded) == 6 and all(c.start is None for c in recorded)
    assert {c.split for c in recorded} == {"train", "validation", "test"}
    assert real.counts()["validation"]["_silence_"] == 1 and real.counts()["test"]["_silence_"] == 1
    windows = [c for c in synthetic.clips if c.label == "_silence_"]
    keywords_train = sum(i.counts()["train"]["yes"] + i.counts()["train"]["no"] for i in (synthetic, real))
    assert sum(c.split == "train" for c in windows) == math.ceil(keywords_train * 0.25)
    assert all(c.start is not None for c in windows)


def test_percent_options_are_checked(three_folders: list[Path]) -> None:
    for bad in (-1.0, float("nan")):
        with pytest.raises(DatasetError, match="unknown_percent"):
            scan_datasets(three_folders, labels=LIVE_LABELS, unknown_percent=bad)
    with pytest.raises(DatasetError, match="silence_percent"):
        scan_datasets(three_folders, labels=LIVE_LABELS, silence_percent=math.inf)


def test_data_spec_parsing(tmp_path: Path) -> None:
    assert DataSpec.parse("some/dir") == DataSpec(Path("some/dir"), 1.0)
    assert DataSpec.parse("some/dir:3") == DataSpec(Path("some/dir"), 3.0)
    assert DataSpec.parse("some/dir:0.5").weight == 0.5
    odd = tmp_path / "take:2"
    odd.mkdir()
    assert DataSpec.parse(str(odd)) == DataSpec(odd, 1.0)  # an existing folder is taken whole
    assert DataSpec.parse("a:b") == DataSpec(Path("a:b"))
    for bad in ("dir:0", "dir:-1", "dir:inf", "dir:nan"):
        with pytest.raises(DatasetError, match="weight"):
            DataSpec.parse(bad)
    assert [str(s) for s in parse_specs(["x", "y:2"])] == ["x", "y:2"]


def test_epoch_order_repeats_each_source_by_its_weight() -> None:
    source = np.array([0] * 100 + [1] * 10)
    order = epoch_order(source, [1.0, 3.0], np.random.default_rng(0))
    counts = np.bincount(order, minlength=110)
    assert np.all(counts[:100] == 1) and np.all(counts[100:] == 3)
    assert not np.array_equal(order, np.sort(order))  # shuffled
    half = epoch_order(source, [0.5, 1.0], np.random.default_rng(1))
    first = np.bincount(half, minlength=110)[:100]
    assert set(first.tolist()) <= {0, 1} and 30 < first.sum() < 70


def test_mixed_split_stacks_sources_and_scores_each(three_folders: list[Path], tmp_path: Path) -> None:
    indexes = scan_datasets(three_folders, labels=LIVE_LABELS, unknown_percent=math.inf)
    train = load_mixed_split(indexes, "train", DS_CNN, cache_dir=tmp_path / "cache", keep_audio=True)
    assert source_names(indexes) == ["synthetic", "real", "others"] == train.names
    assert len(train) == sum(len(i.split("train")) for i in indexes) == len(train.audio)
    assert train.counts() == {n: len(i.split("train")) for n, i in zip(train.names, indexes, strict=True)}
    validation = load_mixed_split(indexes, "validation", DS_CNN, cache_dir=tmp_path / "cache")
    assert validation.parts[2] is None and validation.counts()["others"] == 0  # no validation clips there
    predicted = validation.labels.copy()
    predicted[validation.source == 1] = (predicted[validation.source == 1] + 1) % 4  # all of "real" wrong
    figures = per_source_accuracy(validation, predicted)
    assert figures["synthetic"]["accuracy"] == 1.0 and figures["real"]["accuracy"] == 0.0
    assert figures["others"] == {"accuracy": None, "n": 0}
    with pytest.raises(DatasetError, match="empty in every data folder"):
        load_mixed_split([indexes[2]], "validation", DS_CNN, cache_dir=tmp_path / "cache")


def test_same_folder_names_get_their_parent(tmp_path: Path) -> None:
    a = make_tiny_dataset(tmp_path / "a" / "data")
    b = make_tiny_dataset(tmp_path / "b" / "data", seed=2)
    assert source_names(scan_datasets([a, b])) == ["a/data", "b/data"]
