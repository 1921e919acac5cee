"""Presentation mode (F11, Esc), zoom (Ctrl +/-/0), the word's hold time and colours; all remembered.
And the first window on small and high-DPI screens (child processes on simulated screens)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from kws_gui._qt.settings import AppSettings, DisplaySettings
from kws_gui._qt.widgets._plot_style import keyword_colors
from kws_gui._qt.window_geometry import fills_screen, fit_rect, initial_size
from tests._qt.conftest import activate
from tests.conftest import REPO_ROOT


def test_f11_toggles_presentation_mode_and_it_is_remembered(make_window, qtbot, settings_path) -> None:
    window = make_window(load=False)
    activate(window, qtbot)
    window.tabs.setCurrentIndex(2)
    normal_word = window.detection.height()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert window.presentation and window.isFullScreen()
    assert window.tabs.currentIndex() == 0 and not window.menuBar().isVisible()
    qtbot.waitUntil(lambda: window.detection.height() > 1.8 * normal_word)
    assert AppSettings(settings_path).display.presentation
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presentation and not window.isFullScreen() and window.menuBar().isVisible()
    qtbot.waitUntil(lambda: window.detection.height() < 1.2 * normal_word)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert window.isFullScreen()
    window.close()

    again = make_window(load=False, path=settings_path)
    again.restore_geometry()
    assert again.presentation and again.isFullScreen()
    again.presentation_action.trigger()
    assert not again.isFullScreen() and not AppSettings(settings_path).display.presentation


def test_the_word_grows_with_the_window(make_window, qtbot) -> None:
    window = make_window(load=False)
    window.resize(800, 480)
    qtbot.waitUntil(lambda: window.detection.height() == int(480 * 0.15))
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.detection.height() == int(1000 * 0.15))


def test_zoom_keys_scale_all_text_and_are_remembered(make_window, qtbot, settings_path) -> None:
    window = make_window(load=False)
    activate(window, qtbot)
    base = window.font().pointSizeF()
    cell = window.latency.cells[("total", "median")]
    cell_height = cell.height()
    qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.font().pointSizeF() == pytest.approx(base * 1.32, rel=0.02)
    assert window.log.font().pointSizeF() == window.font().pointSizeF()  # children follow
    qtbot.waitUntil(lambda: cell.height() > cell_height)  # fixed-size readouts grow with it
    assert window.source_tab.display.zoom.value() == 132
    assert AppSettings(settings_path).display.zoom == pytest.approx(1.32)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert AppSettings(settings_path).display.zoom == pytest.approx(1.15)
    window.close()
    again = make_window(load=False, path=settings_path)
    activate(again, qtbot)
    assert again.font().pointSizeF() == pytest.approx(base * 1.15, rel=0.02)
    qtbot.keyClick(again, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert again.font().pointSizeF() == pytest.approx(base)
    for _ in range(30):  # the range ends; no error
        qtbot.keyClick(again, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert AppSettings(settings_path).display.zoom == pytest.approx(0.6, abs=0.01)


def test_hold_time_and_keyword_colours(make_window, qtbot, settings_path) -> None:
    window = make_window(load=True)
    window.source_tab.display.hold.setValue(4.0)
    assert window.detection.hold_s == 4.0
    assert AppSettings(settings_path).display.hold_s == 4.0
    window.detection.show_detection("no", 0.9, now=100.0)
    window.detection.tick(now=103.9)
    assert window.detection.opacity == 1.0  # held
    window.detection.tick(now=104.5)
    assert 0.0 < window.detection.opacity < 1.0  # fading
    colors = keyword_colors(window.controller.model_info.keywords)
    assert colors["yes"] != colors["no"]
    assert window.detection.color_of("no") == colors["no"]
    curve = window.probabilities.curves["no"]
    assert curve._pen.color().name() == colors["no"]  # the word and its trace share a colour


def test_display_settings_are_checked_with_a_fallback(settings_path) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text("[display]\nzoom=40\nhold_s=abc\npresentation=maybe\n")
    settings = AppSettings(settings_path)
    assert settings.display == DisplaySettings()
    problems = " ".join(settings.problems)
    assert "display/zoom" in problems and "display/hold_s" in problems and "display/presentation" in problems
    with pytest.raises(ValueError, match="zoom"):
        DisplaySettings(zoom=float("nan"))


# ---------------------------------------------------------------- screens
def test_first_size_follows_the_screen() -> None:
    assert initial_size((1920, 1040), (300, 330)) == (1280, 800)  # a large screen: the preferred size
    assert initial_size((1280, 760), (300, 330)) == (1152, 684)  # a laptop: 90 %
    assert initial_size((800, 480), (300, 330)) == (800, 480)  # a 7" display: all of it
    assert fills_screen((800, 480)) and fills_screen((640, 400)) and not fills_screen((1280, 760))
    assert initial_size((640, 400), (700, 330)) == (640, 400)  # never beyond the screen
    assert fit_rect((900, 500, 1024, 600), (0, 0, 800, 480)) == (0, 0, 800, 480)
    assert fit_rect((10, 10, 300, 200), (0, 0, 800, 480)) == (10, 10, 300, 200)


def fit_on_screen(tmp_path, width: int, height: int, scale: float | None = None) -> dict:
    config = tmp_path / "screen.json"
    screen = {"name": "test", "x": 0, "y": 0, "width": width, "height": height, "logicalDpiX": 96}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpiY": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", PYTHONPATH=str(REPO_ROOT))
    env.pop("QT_SCALE_FACTOR", None)
    if scale is not None:
        env["QT_SCALE_FACTOR"] = str(scale)
    result = subprocess.run(
        [sys.executable, "-m", "tests._qt.screen_fit_probe", str(tmp_path / "s.ini")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("width", "height", "scale", "logical"),
    [(800, 480, None, (800, 480)), (1280, 800, 2.0, (640, 400))],
    ids=["800x480", "1280x800 at scale 2"],
)
def test_the_first_window_fits_small_and_high_dpi_screens(tmp_path, width, height, scale, logical) -> None:
    """``kws-gui`` on a 7" 800x480 display, and on 1280x800 with QT_SCALE_FACTOR=2 (640x400 logical)."""
    fit = fit_on_screen(tmp_path, width, height, scale)
    ax, ay, aw, ah = fit["available"]
    assert (aw, ah) == logical
    x, y, w, h = fit["frame"]
    assert ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah, fit
    assert fit["minimum"][0] <= aw and fit["minimum"][1] <= ah
    assert fit["outside"] == {"Live": [], "Model": [], "Source && settings": []}, fit["outside"]
