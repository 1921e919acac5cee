"""Issue 7 in the window: keyword labels, the grey "other" trace, a model's recommended decision
settings applied unless the user set them (remembered per field), and what the Model tab says
about files that are not models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kws_gui._qt.settings import AppSettings
from kws_gui.core.audio import SourceSpec
from kws_gui.core.decision import DecisionSettings
from kws_gui.core.tflite_metadata import read_metadata, write_metadata
from tests._qt.conftest import default_decision


def variant(default_model: Path, path: Path, **changes) -> Path:
    """The default model with metadata entries replaced (``None`` removes one)."""
    data = default_model.read_bytes()
    meta = read_metadata(data)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    path.write_bytes(write_metadata(data, meta))
    return path


def load(window, qtbot, path: Path):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000) as blocker:
        window.load_model(path)
    return blocker.args[0]


def test_other_trace_and_keyword_marks(make_window, qtbot, tmp_path, two_label_model, yes_wav) -> None:
    window = make_window(load=True)  # the live default: yes, no and one grey "other" trace
    assert list(window.probabilities.curves) == ["yes", "no", "other"]
    assert window.probabilities.other_labels == ("_silence_", "_unknown_")
    load(window, qtbot, two_label_model)
    assert list(window.probabilities.curves) == ["yes", "no"]  # every label a keyword: no "other"
    only_yes = variant(two_label_model, tmp_path / "only_yes.tflite", keywords=["yes"])
    info = load(window, qtbot, only_yes)
    assert info.keywords == ("yes",)
    plot = window.probabilities
    assert list(plot.curves) == ["yes", "other"] and plot.other_labels == ("no",)
    assert "other = sum of no" in plot.getPlotItem().titleLabel.text
    # the model panel marks the keyword and greys the other label
    html = window.model_info.labels_label.text()
    assert "<b>yes</b>" in html and 'color:#808080">no' in html
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    qtbot.waitUntil(lambda: plot.curves["other"].getData()[0].size > 5, timeout=10000)
    engine = window.controller.engine
    qtbot.waitUntil(lambda: engine.snapshot().inferences > 3, timeout=10000)
    _, other = plot.curves["other"].getData()
    _, yes = plot.curves["yes"].getData()
    assert other.size == yes.size and np.all((other >= 0) & (other <= 1.0 + 1e-6))
    assert np.all(yes + other <= 1.0 + 1e-5)  # smoothed softmax scores of the two labels


def test_recommended_settings_apply_unless_the_user_set_them(
    make_window, qtbot, tmp_path, default_model, settings_path
) -> None:
    window = make_window(load=True)
    controller = window.controller
    assert controller.decision == default_decision()  # the live default's recommendations
    assert window.decision_settings.origin("threshold") == "from the model"
    assert window.decision_settings.origin("suppression_s") == "default"
    tuned = variant(
        default_model,
        tmp_path / "tuned.tflite",
        decision={"threshold": 0.85, "smoothing_s": 0.5, "hop_s": 0.05},
    )
    load(window, qtbot, tuned)
    assert controller.decision == DecisionSettings(threshold=0.85, smoothing_s=0.5, hop_s=0.05)
    assert controller.engine.settings.decision == controller.decision
    panel = window.decision_settings
    assert panel.threshold.value() == pytest.approx(0.85) and window.probabilities.threshold == pytest.approx(
        0.85
    )
    assert panel.origin("threshold") == panel.origin("smoothing_s") == "from the model"
    assert panel.origin("suppression_s") == "default"
    assert "tuned.tflite recommends" in window.source_tab.decision_note.text()
    assert not panel.reset_button.isEnabled()

    panel.threshold.setValue(0.6)  # the user's own value
    assert controller.decision.threshold == pytest.approx(0.6) and panel.origin("threshold") == "set by you"
    assert controller.decision.smoothing_s == pytest.approx(0.5)  # the others stay the model's
    assert AppSettings(settings_path).decision_user_set == {"threshold"}

    other = variant(default_model, tmp_path / "other.tflite", decision={"threshold": 0.9, "smoothing_s": 0.2})
    load(window, qtbot, other)
    assert controller.decision.threshold == pytest.approx(0.6)  # kept: the user set it
    assert controller.decision.smoothing_s == pytest.approx(0.2)  # the new model's
    assert controller.decision.hop_s == pytest.approx(0.1)  # not recommended any more: the default
    assert controller.engine.settings.decision == controller.decision

    # remembered per field: a new start applies the next model's values around the user's
    window.close()
    again = make_window(load=False, path=settings_path)
    load(again, qtbot, tuned)
    assert again.controller.decision.threshold == pytest.approx(0.6)
    assert again.controller.decision.smoothing_s == pytest.approx(0.5)
    assert again.decision_settings.origin("threshold") == "set by you"
    # "Use the model's values" gives every field back to the model
    assert again.decision_settings.reset_button.isEnabled()
    again.decision_settings.reset_button.click()
    assert again.controller.decision == DecisionSettings(threshold=0.85, smoothing_s=0.5, hop_s=0.05)
    assert again.decision_settings.origin("threshold") == "from the model"
    assert AppSettings(settings_path).decision_user_set == frozenset()


def test_settings_of_older_versions_count_changed_values_as_the_users(settings_path) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[decision]\nthreshold=0.55\nhop_s=0.1\n")  # no user_set key yet
    assert AppSettings(settings_path).decision_user_set == {"threshold"}
    settings_path.write_text("[decision]\nuser_set=threshold, bogus\n")
    settings = AppSettings(settings_path)
    assert settings.decision_user_set == frozenset() and "decision/user_set" in " ".join(settings.problems)
    ok = AppSettings(settings_path)
    ok.decision_user_set = {"threshold", "hop_s"}
    ok.sync()
    assert AppSettings(settings_path).decision_user_set == {"threshold", "hop_s"}


def bad_model_files(tmp_path: Path, default_model: Path, wav: Path) -> dict[str, tuple[Path, str]]:
    """Kind -> (file, what the message must say)."""
    text = tmp_path / "notes.tflite"
    text.write_text("These are my notes about the model.\n")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    audio = tmp_path / "speech.tflite"
    shutil.copyfile(wav, audio)
    keras = tmp_path / "ds_cnn.h5"
    keras.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    report = tmp_path / "ds_cnn.report.json"
    report.write_text(json.dumps({"schema": "report", "models": {}}))
    return {
        "text": (text, "is a text file"),
        "empty": (empty, "is empty"),
        "wav": (audio, "is a WAV audio file"),
        "keras": (keras, "kws-train"),
        "json": (report, "JSON"),
    }


def test_the_model_tab_says_what_a_file_is_and_what_to_do(
    make_window, qtbot, tmp_path, default_model, yes_wav
) -> None:
    window = make_window(load=True)
    for kind, (path, expected) in bad_model_files(tmp_path, default_model, yes_wav).items():
        with qtbot.waitSignal(window.controller.model_failed, timeout=10000) as blocker:
            window.load_model(path)
        message = blocker.args[0]
        assert expected in message and path.name in message, (kind, message)
        assert "TFL3" not in message, (kind, message)
        assert expected in window.notice.text and f"Still using {default_model.name}" in window.notice.text
