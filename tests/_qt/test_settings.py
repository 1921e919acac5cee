"""Settings persist (QSettings INI) in a file private to each test."""

from __future__ import annotations

import shutil

import pytest

from kws_gui._qt.settings import MAX_RECENT_MODELS, AppSettings
from kws_gui.app import initial_model
from kws_gui.core.audio import SourceSpec
from kws_gui.core.decision import DecisionSettings
from tests._qt.conftest import default_decision


def test_defaults_on_an_empty_file(settings_path) -> None:
    settings = AppSettings(settings_path)
    assert settings.model_path == ""
    assert settings.recent_models == []
    assert settings.decision == DecisionSettings()
    assert settings.source == SourceSpec()
    assert settings.window_geometry == b""


def test_round_trip_through_the_file(settings_path) -> None:
    settings = AppSettings(settings_path)
    settings.model_path = "/models/a.tflite"
    settings.decision = DecisionSettings(threshold=0.55, hop_s=0.05, smoothing_s=0.4, suppression_s=1.5)
    settings.source = SourceSpec(kind="microphone", device=3)
    settings.window_geometry = b"\x01\x02"
    for i in range(MAX_RECENT_MODELS + 3):
        settings.add_recent_model(f"/models/{i}.tflite")
    settings.add_recent_model("/models/2.tflite")  # moves to the front, no duplicate
    settings.sync()
    assert settings_path.is_file()

    again = AppSettings(settings_path)
    assert again.model_path == "/models/a.tflite"
    assert again.decision == DecisionSettings(threshold=0.55, hop_s=0.05, smoothing_s=0.4, suppression_s=1.5)
    assert again.source == SourceSpec(kind="microphone", device=3)
    assert again.window_geometry == b"\x01\x02"
    assert "PyObject" not in settings_path.read_text(errors="replace")  # stored as plain bytes
    recent = again.recent_models
    assert len(recent) == MAX_RECENT_MODELS and recent[0] == "/models/2.tflite"
    assert recent.count("/models/2.tflite") == 1

    again.source = SourceSpec(kind="wav", wav_path="/clips/yes.wav", loop=False)
    again.sync()
    assert AppSettings(settings_path).source == SourceSpec(kind="wav", wav_path="/clips/yes.wav", loop=False)
    named = AppSettings(settings_path)
    named.source = SourceSpec(kind="microphone", device="pulse")
    assert named.source.device == "pulse"


def test_corrupt_values_fall_back_to_defaults(settings_path) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[decision]\nthreshold=abc\nhop_s=\n[source]\nkind=bogus\nloop=maybe\n")
    settings = AppSettings(settings_path)
    assert settings.decision == DecisionSettings()
    assert settings.source == SourceSpec()  # kind "microphone", loop as by default
    problems = " ".join(settings.problems)
    for key in ("decision/threshold", "decision/hop_s", "source/kind", "source/loop"):
        assert key in problems


def _backups(settings_path) -> list:
    return sorted(settings_path.parent.glob(settings_path.name + ".*.bad"))


@pytest.mark.parametrize(
    ("line", "field"),
    [("hop_s=100", "hop_s"), ("threshold=nan", "threshold"), ("smoothing_s=-1", "smoothing_s")],
)
def test_an_invalid_stored_value_is_reported_backed_up_and_cleaned(settings_path, line, field) -> None:
    """Issue 8, row 9: such a value made every start fail inside a Qt slot, with no message."""
    settings_path.parent.mkdir(parents=True)
    original = f"[decision]\n{line}\nsuppression_s=2.5\n[model]\npath=/m.tflite\n"
    settings_path.write_text(original)
    settings = AppSettings(settings_path)
    assert getattr(settings.decision, field) == getattr(DecisionSettings(), field)
    assert settings.decision.suppression_s == 2.5 and settings.model_path == "/m.tflite"  # valid ones kept
    assert len(settings.problems) == 1 and f"decision/{field}" in settings.problems[0]
    backups = _backups(settings_path)
    assert len(backups) == 1 and backups[0].read_text() == original
    assert backups[0].name in settings.problems[0]
    # the invalid key is gone from the file: the next start is clean
    again = AppSettings(settings_path)
    assert again.problems == [] and again.decision.suppression_s == 2.5 and len(_backups(settings_path)) == 1


@pytest.mark.parametrize(
    "content", [b"\x00\xff\xfe garbage \x01\n[[[not ini\n===\n", b"hello world\nthis is no INI file\n"]
)
def test_a_garbage_file_is_kept_as_a_timestamped_backup(settings_path, content) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_bytes(content)
    settings = AppSettings(settings_path)
    assert settings.decision == DecisionSettings() and settings.source == SourceSpec()
    assert len(settings.problems) == 1 and "not a valid INI file" in settings.problems[0]
    [backup] = _backups(settings_path)
    assert backup.read_bytes() == content and backup.name in settings.problems[0]
    settings.model_path = "/m.tflite"
    settings.sync()
    assert AppSettings(settings_path).model_path == "/m.tflite"
    # a second garbage file never overwrites the first backup
    settings_path.write_bytes(content + b"again\n")
    AppSettings(settings_path)
    backups = _backups(settings_path)
    assert len(backups) == 2 and {b.read_bytes() for b in backups} == {content, content + b"again\n"}


def test_a_file_that_cannot_be_backed_up_is_left_unchanged(settings_path, monkeypatch) -> None:
    from kws_gui.core import file_backup

    def refuse(*_args) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(file_backup.shutil, "copy2", refuse)
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[decision]\nhop_s=100\n")
    settings = AppSettings(settings_path)
    assert settings.decision.hop_s == DecisionSettings().hop_s
    assert "could not be backed up" in settings.problems[0] and "hop_s" in settings.problems[0]
    assert settings_path.read_text() == "[decision]\nhop_s=100\n" and _backups(settings_path) == []


def test_valid_files_are_left_alone(settings_path) -> None:
    settings = AppSettings(settings_path)
    settings.decision = DecisionSettings(threshold=0.55, vad_enabled=False, rearm_margin=0.1)
    settings.source = SourceSpec(kind="wav", wav_path="/a b/c.wav", loop=False)
    settings.add_recent_model("/m, with comma.tflite")
    settings.window_geometry = b"\x00\x01"
    settings.sync()
    again = AppSettings(settings_path)
    assert again.problems == [] and _backups(settings_path) == []
    assert again.decision == DecisionSettings(threshold=0.55, vad_enabled=False, rearm_margin=0.1)
    assert again.recent_models == ["/m, with comma.tflite"]


def test_the_default_location_follows_xdg_config_home(tmp_path, monkeypatch) -> None:
    """Without a path or $KWS_SETTINGS the per-user INI under XDG_CONFIG_HOME is used."""
    monkeypatch.delenv("KWS_SETTINGS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    settings = AppSettings()
    assert settings.file_name == str(tmp_path / "config" / "kws-gui" / "kws-gui.ini")


def test_kws_settings_overrides_the_default_location(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KWS_SETTINGS", str(tmp_path / "elsewhere.ini"))
    assert AppSettings().file_name == str(tmp_path / "elsewhere.ini")


def test_window_choices_persist_across_restarts(
    make_window, qtbot, settings_path, tmp_path, default_model, yes_wav
) -> None:
    window = make_window(load=True)
    controller = window.controller
    model = tmp_path / "mine.tflite"
    shutil.copyfile(default_model, model)
    with qtbot.waitSignal(controller.model_loaded, timeout=20000):
        window.load_model(model)
    window.tabs.setCurrentIndex(2)
    window.source_chooser.set_wav(str(yes_wav), False)
    window.source_chooser.set_kind("wav")
    with qtbot.waitSignal(controller.source_changed, timeout=10000):
        window.source_chooser.apply()
    widgets = window.decision_settings
    widgets.threshold.setValue(0.6)
    widgets.hop.setValue(0.2)
    widgets.smoothing.setValue(0.5)
    widgets.suppression.setValue(2.0)
    # Applied to the running engine at once.
    settings = controller.engine.settings
    assert settings.hop_s == pytest.approx(0.2)
    assert settings.decision.threshold == pytest.approx(0.6)
    assert settings.decision.smoothing_s == pytest.approx(0.5)
    assert settings.decision.suppression_s == pytest.approx(2.0)
    assert window.probabilities.threshold == pytest.approx(0.6)
    window.close()

    stored = AppSettings(settings_path)
    assert stored.model_path == str(model)
    assert initial_model(None, stored.model_path) == str(model)
    assert stored.source == SourceSpec(kind="wav", wav_path=str(yes_wav), loop=False)
    assert stored.decision == DecisionSettings(threshold=0.6, hop_s=0.2, smoothing_s=0.5, suppression_s=2.0)

    second = make_window(load=False)
    assert second.decision_settings.values() == stored.decision
    assert second.source_chooser.wav_path.text() == str(yes_wav)
    assert not second.source_chooser.loop_box.isChecked()
    assert second.source_chooser.wav_radio.isChecked()
    assert second.controller.decision == stored.decision


def test_a_failed_source_is_not_remembered(make_window, qtbot, settings_path, tmp_path, yes_wav) -> None:
    window = make_window(load=True)
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF1234WAVEjunk")
    with qtbot.waitSignal(window.controller.source_failed, timeout=10000) as blocker:
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(broken), loop=True))
    assert "broken.wav" in blocker.args[0]
    assert "broken.wav" in window.notice.text
    assert window.controller.engine.source.name.startswith("WAV: " + yes_wav.name)  # previous source kept
    assert window.controller.running
    assert AppSettings(settings_path).source.wav_path == str(yes_wav)


def test_the_app_starts_and_says_so_when_stored_settings_are_invalid(
    make_window, qtbot, settings_path, yes_wav
) -> None:
    """``hop_s=100`` and ``threshold=nan`` in the INI: the engine runs with defaults, the window tells."""
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[decision]\nhop_s=100\nthreshold=nan\n")
    window = make_window(load=True)
    assert window.controller.engine is not None
    assert window.controller.engine.settings.decision == default_decision()  # defaults + the model's
    assert "decision/hop_s" in window.notice.text and "decision/threshold" in window.notice.text
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True))
    qtbot.waitUntil(lambda: window.controller.engine.snapshot().inferences > 0, timeout=10000)
    assert window.decision_settings.values() == default_decision()
