"""The ``kws-gui`` entry point: arguments, start-up choices, a real start on a WAV file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kws_gui._qt.settings import AppSettings
from kws_gui.app import build_parser, display_problem, initial_model, initial_source
from kws_gui.core.audio import SourceSpec
from kws_gui.paths import DEFAULT_MODEL
from tests.conftest import REPO_ROOT


def test_arguments() -> None:
    parser = build_parser()
    args = parser.parse_args(["--model", "m.tflite", "--wav", "a.wav", "--loop"])
    assert (args.model, args.wav, args.loop, args.device) == ("m.tflite", "a.wav", True, None)
    with pytest.raises(SystemExit):
        parser.parse_args(["--device", "1", "--wav", "a.wav"])  # one source at a time


def test_initial_model(tmp_path) -> None:
    assert initial_model("x.tflite", "") == "x.tflite"
    assert initial_model(None, "") == str(DEFAULT_MODEL)
    assert initial_model(None, str(tmp_path / "gone.tflite")) == str(DEFAULT_MODEL)
    kept = tmp_path / "kept.tflite"
    kept.write_bytes(b"x")
    assert initial_model(None, str(kept)) == str(kept)


def test_initial_source(tmp_path) -> None:
    parser = build_parser()
    none = parser.parse_args([])
    assert initial_source(parser.parse_args(["--device", "2"]), SourceSpec(), True) == SourceSpec(device=2)
    assert initial_source(parser.parse_args(["--device", "pulse"]), SourceSpec(), True).device == "pulse"
    assert initial_source(none, SourceSpec(device=5), True) == SourceSpec(device=5)
    assert initial_source(none, SourceSpec(), False) is None
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"x")
    remembered = SourceSpec(kind="wav", wav_path=str(wav), loop=False)
    assert initial_source(none, remembered, False) == remembered
    gone = SourceSpec(kind="wav", wav_path=str(tmp_path / "gone.wav"))
    assert initial_source(none, gone, True) == SourceSpec()


@pytest.mark.slow
def test_kws_gui_starts_on_a_wav_without_tensorflow(tmp_path, default_model, yes_wav) -> None:
    """``kws-gui --wav FILE`` runs on the default model, offscreen, and never imports TensorFlow."""
    settings = tmp_path / "settings.ini"
    code = (
        "import sys\n"
        "from kws_gui.app import main\n"
        f"rc = main(['--wav', {os.path.relpath(yes_wav, tmp_path)!r}, '--loop', '--settings', {str(settings)!r}, '--quit-after', '3'])\n"
        "assert 'tensorflow' not in sys.modules, 'the app imported TensorFlow'\n"
        "sys.exit(rc)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    stored = AppSettings(settings)
    assert Path(stored.model_path) == default_model
    # A relative --wav path is remembered as an absolute one.
    assert stored.source == SourceSpec(kind="wav", wav_path=str(yes_wav), loop=True)
    assert stored.window_geometry  # saved on close


def test_no_display_gives_a_message_instead_of_a_qt_abort() -> None:
    assert "QT_QPA_PLATFORM" in display_problem({}, "linux")
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "eglfs"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_kws_gui_without_a_display_exits_with_the_reason(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "kws_gui", "--settings", str(tmp_path / "s.ini")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no display found" in result.stderr and "kws-listen" in result.stderr


def test_create_window_wires_model_source_and_training_tab(qtbot, tmp_path, default_model, yes_wav) -> None:
    """What main() builds, in-process: default model, the --wav source, the training tab."""
    from kws_gui.app import create_window

    args = build_parser().parse_args(["--wav", str(yes_wav), "--loop", "--settings", str(tmp_path / "s.ini")])
    window = create_window(args)
    qtbot.addWidget(window)
    window.show()
    try:
        titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert titles[:3] == ["Live", "Model", "Source && settings"] and "Training" in titles
        # However tall the training panel, the window still fits an 800x480 screen.
        hint = window.minimumSizeHint()
        assert hint.width() <= 800 and hint.height() <= 480, hint
        qtbot.waitUntil(lambda: window.controller.running, timeout=20000)
        assert window.controller.model_info.path == str(default_model)
        assert window.controller.engine.snapshot().source_name.startswith("WAV")
        qtbot.waitUntil(lambda: window.detection.text == "YES", timeout=15000)
    finally:
        window.close()
    assert not window.controller.engine.snapshot().source_running


def test_add_tab_runs_on_close_callbacks(make_window) -> None:
    from PySide6.QtWidgets import QLabel

    window = make_window(load=False)
    closed = []
    window.add_tab(QLabel("x"), "X", on_close=lambda: closed.append(True))
    window.close()
    assert closed == [True]
