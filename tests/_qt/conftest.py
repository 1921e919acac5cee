"""Fixtures for the GUI tests: an isolated window on the real engine, real clips, no PortAudio."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kws_gui.paths import DEFAULT_MODEL
from tests.conftest import IN_CI, shared_data


def keyword_sequence(word: str, out: Path, count: int = 3, gap_s: float = 0.5) -> Path:
    """A WAV of the first ``count`` test-list clips of ``word`` (tts-yes-no), each followed by silence.

    Test-list speakers are never trained on; the gaps let the detector re-arm.
    """
    import numpy as np
    import soundfile

    from kws_gui.core.audio_io import read_audio

    root = shared_data("tts-yes-no")
    names = [n for n in (root / "testing_list.txt").read_text().split() if n.startswith(f"{word}/")][:count]
    assert len(names) == count, f"tts-yes-no/testing_list.txt lists fewer than {count} '{word}' clips"
    parts = []
    for name in names:
        parts += [read_audio(root / name), np.zeros(int(gap_s * 16000), np.float32)]
    soundfile.write(str(out), np.concatenate(parts), 16000, subtype="PCM_16")
    return out


def key_widgets(window) -> dict[str, object]:
    """The Live tab's widgets by name."""
    return {
        "detection": window.detection,
        "spectrogram": window.spectrogram,
        "probabilities": window.probabilities,
        "features": window.features,
        "level": window.level,
        "latency": window.latency,
        "log": window.log,
    }


_MIME_KEPT: list[object] = []


def drop_event(path: Path):
    """A drop of the file ``path`` (as a file manager sends it)."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    _MIME_KEPT.append(mime)  # the event does not own it: Python must keep it alive
    no_modifier, left = Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton
    return QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, left, no_modifier)


def activate(window, qtbot) -> None:
    """Make ``window`` the active one (its shortcuts work only then)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


@pytest.fixture
def default_model() -> Path:
    """The shipped default model (fails in CI when it is missing)."""
    if not DEFAULT_MODEL.is_file():
        if IN_CI:
            pytest.fail(f"{DEFAULT_MODEL} is missing")
        pytest.skip(f"{DEFAULT_MODEL} not built yet")
    return DEFAULT_MODEL


@pytest.fixture
def two_label_model() -> Path:
    """The shipped seed two-label DS-CNN (yes, no; every label a keyword)."""
    from kws_gui.paths import MODELS_DIR

    path = MODELS_DIR / "ds_cnn.tflite"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the shipped models must be in the repository")
    return path


def default_decision() -> object:
    """The decision settings a fresh app uses with the default model: its recommendations."""
    from kws_gui.core.decision import DecisionSettings
    from kws_gui.core.model_file import KwsModel

    return DecisionSettings(**KwsModel.load(DEFAULT_MODEL).recommended_decision)


@pytest.fixture
def yes_wav(tmp_path: Path) -> Path:
    """Three held-out "yes" clips with pauses (a word that comes and goes when looped)."""
    return keyword_sequence("yes", tmp_path / "yes_sequence.wav")


@pytest.fixture
def no_wav(tmp_path: Path) -> Path:
    """Three held-out "no" clips with pauses."""
    return keyword_sequence("no", tmp_path / "no_sequence.wav")


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    """A settings file private to the test."""
    return tmp_path / "settings" / "kws-gui.ini"


@pytest.fixture
def make_window(qtbot, settings_path: Path) -> Iterator[Callable[..., object]]:
    """``make_window(load=True)`` -> a shown MainWindow on its own settings file.

    With ``load`` the default model is loaded (the engine then exists).
    Every window is closed (engine and audio stopped) at the end of the test.
    """
    from kws_gui._qt.controller import AppController
    from kws_gui._qt.main_window import MainWindow
    from kws_gui._qt.settings import AppSettings

    windows = []

    def make(load: bool = True, path: Path | None = None):
        controller = AppController(AppSettings(path or settings_path))
        window = MainWindow(controller)
        qtbot.addWidget(window)
        windows.append(window)
        window.resize(800, 480)
        window.show()
        if load:
            if not DEFAULT_MODEL.is_file():
                pytest.skip(f"{DEFAULT_MODEL} not built yet")
            with qtbot.waitSignal(controller.model_loaded, timeout=20000):
                window.load_model(DEFAULT_MODEL)
        return window

    yield make
    for window in windows:
        window.close()
