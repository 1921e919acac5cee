"""``kws-gui``: the live keyword-spotting window.

``kws-gui [--model PATH] [--device D | --wav FILE] [--loop]``. Without
arguments it starts on the last used model and source (the shipped default
model, the default microphone when there is one).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kws_gui.paths import DEFAULT_MODEL
from kws_gui.version import add_version_argument

if TYPE_CHECKING:
    from kws_gui.core.audio import SourceSpec


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="kws-gui", description="Live keyword spotting with a TFLite model.")
    parser.add_argument(
        "--model", metavar="PATH", help=f"model file (default: last used, else {DEFAULT_MODEL.name})"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--device", metavar="D", help="input device index or (part of its) name")
    source.add_argument("--wav", metavar="FILE", help="play an audio file instead of using a microphone")
    parser.add_argument("--loop", action="store_true", help="repeat the --wav file")
    parser.add_argument("--settings", metavar="FILE", help="settings INI file (default: the per-user one)")
    parser.add_argument(
        "--quit-after", type=float, metavar="S", help="close the window after S seconds (smoke tests)"
    )
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add kws-gui to the desktop's application menu (an XDG .desktop file and icon) and exit",
    )
    add_version_argument(parser)
    return parser


def initial_model(arg: str | None, remembered: str) -> str:
    """--model, else the remembered model if it still exists, else the shipped default."""
    if arg:
        return arg
    if remembered and Path(remembered).is_file():
        return remembered
    return str(DEFAULT_MODEL)


def initial_source(
    args: argparse.Namespace, remembered: SourceSpec, microphone_ok: bool
) -> SourceSpec | None:
    """The source to start with, or None when there is nothing usable."""
    from kws_gui.core.audio import MICROPHONE, WAV, SourceSpec, spec_from_options

    chosen = spec_from_options(args.wav, args.device, args.loop)
    if chosen is not None:
        return chosen
    if remembered.kind == WAV and remembered.wav_path and Path(remembered.wav_path).is_file():
        return remembered
    if microphone_ok:
        return SourceSpec(
            kind=MICROPHONE, device=remembered.device if remembered.kind == MICROPHONE else None
        )
    return None


def display_problem(environ: dict[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why Qt cannot open a window here (Linux without a display), or None.

    Without this check Qt aborts the process with a platform-plugin error.
    """
    env = os.environ if environ is None else environ
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "kws-gui: no display found (DISPLAY and WAYLAND_DISPLAY are unset). Start it from a desktop "
        "session, or choose a Qt platform: QT_QPA_PLATFORM=eglfs (or linuxfb) on a Raspberry Pi "
        "console, QT_QPA_PLATFORM=offscreen for scripts, or run it under xvfb-run. Without a screen, "
        "kws-listen prints detections in a terminal."
    )


def add_training_tab(window, controller, **panel_options) -> object | None:
    """The training panel as a tab (jobs, recorder); the app runs on without it if it cannot load.

    ``panel_options`` go to the panel (tests give a fake trainer's ``queue`` and ``extra_status``).
    """
    try:
        from kws_gui._qt.training import TrainingPanel
    except ImportError as exc:  # a partial install: the live view still works
        window.statusBar().showMessage(f"Training panel unavailable: {exc}", 10000)
        return None
    panel = TrainingPanel(
        use_model=window.load_model,
        ring_provider=lambda: controller.engine.ring if controller.engine is not None else None,
        source_provider=lambda: controller.source_spec,
        **panel_options,
    )
    panel.model_used.connect(window.announce_model)  # the Live tab confirms the new model
    # Its pages scroll themselves and keep their buttons in view (a small window included).
    window.add_tab(panel, "Training", on_close=panel.shutdown, scroll=False)
    return panel


def create_window(args: argparse.Namespace, training: bool = True):
    """Settings, controller and main window as the command line asks; model and source start loading.

    Needs a QApplication. Returns the (not yet shown) :class:`MainWindow`.
    """
    from kws_gui._qt.controller import AppController
    from kws_gui._qt.main_window import MainWindow
    from kws_gui._qt.settings import AppSettings
    from kws_gui._qt.widgets.notice_bar import NoticeTopic

    settings = AppSettings(args.settings)
    controller = AppController(settings)
    window = MainWindow(controller)
    if training:
        add_training_tab(window, controller)
    window.restore_geometry()
    controller.load_model(initial_model(args.model, settings.model_path))
    status = controller.portaudio_status()
    spec = initial_source(args, settings.source, status.available)
    if spec is None:
        window.notice.show_message(
            f"{status.message} You can still play a WAV file: Source & settings tab, or drop one here.",
            NoticeTopic.SOURCE,
            error=False,
        )
    else:
        controller.set_source(spec)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.install_desktop_entry:
        from kws_gui.desktop import main_install

        return main_install()
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kws_gui.paths import APP_NAME

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)  # Wayland: the window belongs to kws-gui.desktop (kws_gui.desktop)
    window = create_window(args)
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    # Let Ctrl+C in the terminal close the window (Python handles signals between Qt events).
    signal.signal(signal.SIGINT, lambda *_: window.close())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
