"""Data folders are checked with the trainer's scanner, one folder or several, as a job will read them."""

from __future__ import annotations

from pathlib import Path

from kws_gui.core.recording import ClipStore
from kws_gui.jobs.dataset import inspect_data, source_kind, source_title
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


def test_recordings_checked_together_with_a_dataset(tmp_path: Path, tiny_data: Path) -> None:
    from trainer.data import scan_datasets

    store = ClipStore(tmp_path / "rec")
    for _ in range(3):
        store.save("yes", "me", word_burst())  # only one word recorded: fine beside a dataset
    check = inspect_data([tiny_data, store.root])
    assert check.ok, check.message
    assert check.counts["train"]["yes"] == 9 and check.counts["validation"]["yes"] == 3
    # Per folder (named as the trainer's report names them) and overall: the trainer's own figures.
    indexes = scan_datasets([tiny_data, store.root], ("yes", "no"))
    assert [s.name for s in check.sources] == ["tiny", "rec"]
    for source, index in zip(check.sources, indexes, strict=True):
        assert source.per_split == {k: sum(v.values()) for k, v in index.counts().items()}
    alone = inspect_data([store.root])  # no "no" clips at all: refused, naming the class
    assert not alone.ok and "'no'" in alone.message


def test_a_missing_folder_among_several_is_named(tmp_path: Path, tiny_data: Path) -> None:
    check = inspect_data([tiny_data, tmp_path / "gone"])
    assert not check.ok and "gone" in check.message and "does not exist" in check.message


def test_pseudo_labels_are_sized_as_the_job_will(tmp_path: Path, tiny_data: Path) -> None:
    labels = ("_silence_", "_unknown_", "yes", "no")
    few = inspect_data([tiny_data], labels, unknown_percent=10.0, silence_percent=10.0)
    many = inspect_data([tiny_data], labels, unknown_percent=100.0, silence_percent=50.0)
    assert few.ok and many.ok, (few.message, many.message)
    assert many.counts["train"]["_unknown_"] > few.counts["train"]["_unknown_"]
    assert many.counts["train"]["_silence_"] > few.counts["train"]["_silence_"]


def test_only_what_a_folder_says_names_its_kind(tmp_path: Path) -> None:
    assert (
        source_kind("tts-yes-no") == "synthetic" and source_kind("real-v0.02-test-speakers") == "real speech"
    )
    plain = tmp_path / "clips"
    plain.mkdir()
    assert source_kind("clips", plain) is None and source_title("clips", plain) == "clips"
    (plain / "README.md").write_text("Rendered with a text-to-speech engine.\n")
    assert source_title("clips", plain) == "clips (synthetic)"


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


def test_model_labels_for_the_check_of_an_evaluation_or_a_pruning(tmp_path: Path) -> None:
    from kws_gui.jobs.dataset import model_labels
    from kws_gui.paths import MODELS_DIR

    assert model_labels(MODELS_DIR / "ds_cnn_int8.tflite") == ("yes", "no")  # its metadata
    assert model_labels(MODELS_DIR / "ds_cnn.h5") == ("yes", "no")  # the report beside it
    (tmp_path / "junk.tflite").write_bytes(b"not a model")
    assert model_labels(tmp_path / "junk.tflite") is None and model_labels(tmp_path / "none.h5") is None
