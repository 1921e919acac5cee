"""Where the main window goes: the first start sized to the screen, a restored size kept on it.

Sizes are in Qt's device-independent pixels: with ``QT_SCALE_FACTOR=2`` a 1280x800
panel is a 640x400 screen here, so the same rule fits a high-DPI screen.
"""

from __future__ import annotations

#: The size the window would like on a large screen.
PREFERRED = (1280, 800)
#: Share of the available screen a first start takes on smaller screens.
SHARE = 0.9
#: At or below this available size the window fills the screen (a 800x480 touch display).
SMALL_SCREEN = (1024, 600)


def fills_screen(available: tuple[int, int]) -> bool:
    """True for a small screen (a 7" touch display): the window starts maximized."""
    return available[0] <= SMALL_SCREEN[0] or available[1] <= SMALL_SCREEN[1]


def initial_size(available: tuple[int, int], minimum: tuple[int, int]) -> tuple[int, int]:
    """The first window size on a screen whose free area is ``available`` (width, height).

    At most :data:`PREFERRED`; 90 % of a larger screen; the whole of a small one
    (:func:`fills_screen`: the window is then maximized, so the frame fits too). Never
    below ``minimum`` unless the screen itself is smaller (never larger than the screen).
    """
    aw, ah = max(1, available[0]), max(1, available[1])
    if fills_screen((aw, ah)):
        width, height = aw, ah
    else:
        width, height = min(PREFERRED[0], int(aw * SHARE)), min(PREFERRED[1], int(ah * SHARE))
    return min(aw, max(width, minimum[0])), min(ah, max(height, minimum[1]))


def fit_rect(
    rect: tuple[int, int, int, int], available: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """``rect`` (x, y, width, height) shrunk and moved to lie inside ``available`` (same form)."""
    x, y, w, h = rect
    ax, ay, aw, ah = available
    w, h = min(w, aw), min(h, ah)
    x = min(max(x, ax), ax + aw - w)
    y = min(max(y, ay), ay + ah - h)
    return x, y, w, h
