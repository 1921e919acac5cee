"""Data folders are checked with the trainer's scanner; several are merged for one job."""

from __future__ import annotations

from pathlib import Path

from kws_gui.core.recording import ClipStore
from kws_gui.jobs.dataset import DataFolderError, inspect_data, merge_datasets
from kws_gui.jobs.extras import INSTALL_HINT, TRAIN_MODULES, train_extra_status
from tests.core.test_recording import word_burst


def test_inspect_counts_per_class_and_split(tiny_data: Path) -> None:
    check = inspect_data([tiny_data])
    assert check.ok and check.layout == "speech-commands"
    assert check.table() == [
        ("yes", [8, 2, 2]),
        ("no", [8, 2, 2]),
    ]  # 4 train speakers x 2 clips, 1 + 1 held out


def test_inspect_reports_the_scanners_message(tmp_path: Path) -> None:
    assert not inspect_data([]).ok
    missing = inspect_data([tmp_path / "nope"])
    assert not missing.ok and "does not exist" in missing.message
    (tmp_path / "junk" / "stuff").mkdir(parents=True)
    junk = inspect_data([tmp_path / "junk"])
    assert not junk.ok and "layout" in junk.message


def test_recordings_merge_with_a_dataset(tmp_path: Path, tiny_data: Path) -> None:
    from trainer.data import scan_dataset

    store = ClipStore(tmp_path / "rec")
    for _ in range(3):
        store.save("yes", "me", word_burst())  # only one word recorded: fine when merged
    check = inspect_data([tiny_data, store.root])
    assert check.ok, check.message
    assert check.counts["train"]["yes"] == 9 and check.counts["validation"]["yes"] == 3
    merged = merge_datasets([tiny_data, store.root], tmp_path / "job" / "data")
    index = scan_dataset(merged, ("yes", "no"))
    assert index.counts() == check.counts
    assert {c.speaker for c in index.clips if c.label == "yes" and c.speaker.startswith("s1-")} == {"s1-me"}
    assert len(index.noise_files) == 2
    assert (tiny_data / "yes").is_dir() and len(
        list((tmp_path / "rec" / "yes").glob("*.wav"))
    ) == 3  # sources untouched


def test_merge_failure_leaves_nothing(tmp_path: Path, tiny_data: Path) -> None:
    store = ClipStore(tmp_path / "rec")
    store.save("yes", "me", word_burst())
    try:
        merge_datasets([store.root], tmp_path / "merged")  # no "no" clips at all
    except DataFolderError as exc:
        assert "no" in str(exc)
    else:
        raise AssertionError("expected DataFolderError")
    assert not (tmp_path / "merged").exists()


def test_train_extra_detection(monkeypatch) -> None:
    import importlib.util

    installed = all(
        importlib.util.find_spec(m) for m in ("tensorflow", "tf_keras", "tensorflow_model_optimization")
    )
    assert train_extra_status().available == installed

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a)
    )
    status = train_extra_status()
    others = tuple(
        pkg for module, pkg in TRAIN_MODULES.items() if module != "tensorflow" and real(module) is None
    )
    assert not status.available and status.missing == ("tensorflow", *others)
    assert INSTALL_HINT in status.message
