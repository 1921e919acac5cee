"""Run by tests/_qt/test_screen_fit.py in a child process on a simulated screen.

``python -m tests._qt.screen_fit_probe SETTINGS_INI`` with ``QT_QPA_PLATFORM=offscreen:configfile=...``
(and perhaps ``QT_SCALE_FACTOR``): builds the window as ``kws-gui`` does (training tab
included, no model loaded), shows it, and prints one JSON object: the screen's free area,
the window's frame, and for each tab the widgets that are not wholly inside the window.
"""

from __future__ import annotations

import json
import sys


def main(settings: str) -> int:
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QApplication

    from kws_gui._qt.controller import AppController
    from kws_gui._qt.main_window import MainWindow
    from kws_gui._qt.settings import AppSettings
    from kws_gui.app import add_training_tab
    from tests._qt.conftest import key_widgets

    app = QApplication([sys.argv[0]])
    controller = AppController(AppSettings(settings))
    window = MainWindow(controller)
    add_training_tab(window, controller)
    window.restore_geometry()
    window.show()
    for _ in range(20):
        app.processEvents()
    inside = QRect(QPoint(0, 0), window.size())

    def outside(widgets) -> list[str]:
        bad = []
        for name, widget in widgets.items():
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            if not widget.isVisible() or not inside.contains(rect) or rect.height() < 12:
                bad.append(f"{name} {rect.getRect()}")
        return bad

    always = {
        "start button": window.start_button,
        "status": window.status_source,
        "tabs": window.tabs.tabBar(),
    }
    pages = {
        0: key_widgets(window),
        1: {"open model": window.open_button, "model info": window.model_info, "recent": window.recent_list},
        2: {"active source": window.source_tab.active, "device": window.source_chooser.device_combo},
    }
    problems = {}
    for index, widgets in pages.items():
        window.tabs.setCurrentIndex(index)
        for _ in range(5):
            app.processEvents()
        problems[window.tabs.tabText(index)] = outside({**always, **widgets})
    screen = window.screen().availableGeometry()
    frame = window.frameGeometry()
    print(
        json.dumps(
            {
                "available": [screen.x(), screen.y(), screen.width(), screen.height()],
                "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
                "dpr": window.devicePixelRatio(),
                "outside": problems,
            }
        )
    )
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
