"""Model files in the UI: good and bad files, drag and drop, recent list, Ctrl+O, hot swap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from kws_gui._qt import main_window as main_window_module
from kws_gui.core.audio import SourceSpec
from kws_gui.paths import DEFAULT_MODEL, MODELS_DIR
from tests._qt.conftest import drop_event

SHIPPED = sorted(MODELS_DIR.glob("*.tflite"))


def start_wav(window, qtbot, wav: Path) -> None:
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        window.controller.set_source(SourceSpec(kind="wav", wav_path=str(wav), loop=True))


def audio_keeps_flowing(window, qtbot) -> None:
    """The ring buffer grows and the engine keeps classifying."""
    engine = window.controller.engine
    written, hops = engine.ring.total_written, len(engine.recent_records(1000))
    snap_time = engine.snapshot().time_s
    qtbot.waitUntil(lambda: engine.ring.total_written > written + 1600, timeout=5000)
    qtbot.waitUntil(lambda: engine.snapshot().time_s > snap_time, timeout=5000)
    assert engine.snapshot().source_running
    assert hops >= 0


def bad_files(tmp_path: Path, model: Path, wav: Path) -> dict[str, Path]:
    files = {}
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(bytes(range(256)) * 40)
    files["garbage"] = garbage
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    files["truncated"] = truncated
    renamed = tmp_path / "speech.tflite"
    shutil.copyfile(wav, renamed)
    files["renamed WAV"] = renamed
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    files["empty"] = empty
    files["missing"] = tmp_path / "does-not-exist.tflite"
    return files


def test_bad_model_files_show_why_and_keep_the_running_model(
    make_window, qtbot, tmp_path, default_model, yes_wav
) -> None:
    window = make_window(load=True)
    start_wav(window, qtbot, yes_wav)
    engine = window.controller.engine
    source = engine.source
    rows_before = window.model_info.rows()
    for kind, path in bad_files(tmp_path, default_model, yes_wav).items():
        with qtbot.waitSignal(window.controller.model_failed, timeout=10000) as blocker:
            window.load_model(path)
        message = blocker.args[0]
        assert path.name in message, kind
        assert len(message) > len(f"Cannot use {path.name}: ") + 5, kind  # says why
        assert path.name in window.notice.text and f"Still using {DEFAULT_MODEL.name}" in window.notice.text
        assert engine.model.path == str(default_model), kind
        assert window.model_info.rows() == rows_before, kind
        assert engine.source is source and window.controller.running
        assert DEFAULT_MODEL.name in window.status_model.text()
        audio_keeps_flowing(window, qtbot)
    # The engine still detects with the kept model.
    engine.drain_detections()
    qtbot.waitUntil(lambda: window.detection.text == "YES", timeout=15000)


def test_reason_for_a_garbage_file_names_tflite(make_window, qtbot, tmp_path) -> None:
    window = make_window(load=True)
    bad = tmp_path / "notes.tflite"
    bad.write_text("hello")
    with qtbot.waitSignal(window.controller.model_failed, timeout=10000) as blocker:
        window.load_model(bad)
    assert "TFLite" in blocker.args[0]


@pytest.mark.parametrize("model", SHIPPED, ids=[p.name for p in SHIPPED])
def test_swap_to_a_good_model_keeps_audio_running(make_window, qtbot, tmp_path, yes_wav, model) -> None:
    window = make_window(load=True)
    start_wav(window, qtbot, yes_wav)
    engine = window.controller.engine
    source = engine.source
    copy = tmp_path / f"copy_{model.name}"
    shutil.copyfile(model, copy)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000) as blocker:
        window.load_model(copy)
    info = blocker.args[0]
    assert info.path == str(copy)
    qtbot.waitUntil(lambda: engine.model.path == str(copy), timeout=5000)
    assert engine.source is source  # the swap did not touch the audio source
    rows = window.model_info.rows()
    assert rows["File"] == str(copy)
    assert rows["Labels"] == ", ".join(info.labels)
    assert rows["Weights"] in ("float32", "int8")
    assert copy.name in window.status_model.text()
    audio_keeps_flowing(window, qtbot)
    inferences = engine.snapshot().inferences
    qtbot.waitUntil(lambda: engine.snapshot().inferences > inferences, timeout=5000)
    qtbot.waitUntil(lambda: window.features.shape == info.frontend.feature_shape, timeout=5000)


def test_drag_and_drop_a_model_and_a_wav(make_window, qtbot, tmp_path, default_model, yes_wav) -> None:
    window = make_window(load=True)
    copy = tmp_path / "dropped.tflite"
    shutil.copyfile(default_model, copy)

    def drop(path: Path) -> QDropEvent:
        event = drop_event(path)
        window.dropEvent(event)
        return event

    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        drop(copy)
    assert window.controller.model_info.path == str(copy)
    with qtbot.waitSignal(window.controller.source_changed, timeout=10000):
        drop(yes_wav)
    assert window.controller.source_spec.wav_path == str(yes_wav)
    empty = QMimeData()
    empty.setText("not a file")
    event = QDropEvent(
        QPointF(1, 1),
        Qt.DropAction.CopyAction,
        empty,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)  # ignored, no crash
    assert not event.isAccepted()


def test_recent_list_and_ctrl_o(make_window, qtbot, tmp_path, default_model, monkeypatch) -> None:
    window = make_window(load=True)
    first = tmp_path / "first.tflite"
    second = tmp_path / "second.tflite"
    shutil.copyfile(default_model, first)
    shutil.copyfile(default_model, second)
    monkeypatch.setattr(main_window_module, "choose_file", lambda *a, **k: str(first))
    window.activateWindow()
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.model_info.path == str(first)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        window.load_model(second)
    recent = [
        window.recent_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(window.recent_list.count())
    ]
    assert recent[:3] == [str(second), str(first), str(default_model)]
    # by name, the one in use highlighted; the same name twice gets its folder
    assert [window.recent_list.item(i).text() for i in range(2)] == ["second.tflite", "first.tflite"]
    assert window.model_tab.active_items() == ["second.tflite"]
    actions = window.recent_menu.actions()
    assert [a.text() for a in actions[:2]] == ["second.tflite", "first.tflite"]
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        actions[1].trigger()
    assert window.controller.model_info.path == str(first)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000):
        window.recent_list.itemClicked.emit(window.recent_list.item(1))  # one tap
    assert window.controller.model_info.path == str(second)
    assert window.model_tab.active_items() == ["second.tflite"]


def test_shipped_models_are_listed_and_load(make_window, qtbot) -> None:
    window = make_window(load=True)
    names = [window.shipped_list.item(i).text() for i in range(window.shipped_list.count())]
    assert names == [p.name for p in SHIPPED]
    assert window.model_tab.active_items()[0] == DEFAULT_MODEL.name  # the loaded one is highlighted
    last = window.shipped_list.item(window.shipped_list.count() - 1)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20000) as blocker:
        window.shipped_list.itemClicked.emit(last)  # a single tap loads
    assert Path(blocker.args[0].path).name == last.text()
    assert window.model_tab.active_items()[0] == last.text() and last.font().bold()


def test_hostile_metadata_and_run_time_failures_keep_the_good_model(
    make_window, qtbot, tmp_path, default_model, yes_wav, monkeypatch
) -> None:
    # Issue 8, row 3: a model whose metadata passed the checks but failed at every hop
    # replaced the good one (and was remembered as the model to start with).
    from kws_gui._qt import controller as controller_module
    from tests.core.test_hostile_models import with_frontend

    window = make_window(load=True)
    start_wav(window, qtbot, yes_wav)
    engine = window.controller.engine
    huge_fft = with_frontend(tmp_path, "huge_fft.tflite", fft_length=2**28)
    with qtbot.waitSignal(window.controller.model_failed, timeout=10000) as blocker:
        window.load_model(huge_fft)
    assert "fft_length" in blocker.args[0] and engine.model.path == str(default_model)

    # A model that loads but fails while running: the engine goes back to the good one.
    real_load = controller_module._load_model

    def load_failing(path: str):
        model, info = real_load(path)
        if path.endswith("fails_later.tflite"):

            def predict_features(features):
                raise MemoryError("Unable to allocate 61.0 GiB")

            model.predict_features = predict_features
        return model, info

    monkeypatch.setattr(controller_module, "_load_model", load_failing)
    fails_later = tmp_path / "fails_later.tflite"
    shutil.copyfile(default_model, fails_later)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=10000):
        window.load_model(fails_later)
    with qtbot.waitSignal(window.controller.model_failed, timeout=15000) as blocker:
        pass
    assert "fails_later.tflite failed while running" in blocker.args[0]
    assert "61.0 GiB" in blocker.args[0]
    assert engine.model.path == str(default_model)
    assert window.controller.model_info.path == str(default_model)
    assert window.controller.settings.model_path == str(default_model)
    assert window.model_info.rows()["File"] == str(default_model)
    assert f"Still using {DEFAULT_MODEL.name}" in window.notice.text
    audio_keeps_flowing(window, qtbot)
    inferences = engine.snapshot().inferences
    qtbot.waitUntil(lambda: engine.snapshot().inferences > inferences, timeout=5000)
