"""Test-wide set-up: headless Qt, and every user folder in a temporary place."""

from __future__ import annotations

import importlib.abc
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Real clips the end-to-end tests play (under ../shared/data). "no" is the first "no" of the
#: real folder's test split: the live default misses the "no" that TensorFlow's micro_speech
#: example carries (speech_commands_v0.02/no/f9643d42_nohash_4.wav, a validation speaker of
#: that folder whose "no" peaks at p = 0.44), and says so in README's honest notes.
REAL_YES = ("speech_commands_v0.02", "yes", "f2e59fea_nohash_1.wav")
REAL_NO = ("real-v0.02-test-speakers", "no", "1acc97de_nohash_0.wav")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches, job data and QSettings never touch the real user's folders.

    XDG_CONFIG_HOME is left alone: the PulseAudio client finds its cookie and
    socket through it, and the microphone tests need the real server.
    """
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("KWS_CACHE_DIR", str(base / "user-cache"))
    monkeypatch.setenv("KWS_DATA_DIR", str(base / "user-data"))
    monkeypatch.setenv("KWS_SETTINGS", str(base / "user-config" / "kws-gui.ini"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips locally when absent, fails in CI."""
    from kws_gui.paths import shared_data_dir

    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing: CI must run the tests that need shared data")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture
def no_portaudio(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import sounddevice`` raises OSError, as it does when libportaudio2 is not installed."""

    class _Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Blocker(), *sys.meta_path])
