"""File and folder pickers sized for the screen, with readable size columns.

Qt's own file dialog (used where the desktop offers no native one: Xvfb, kiosks,
a Raspberry Pi) opens small and cuts its size column to "21....KiB". These open it
at a size that fits the screen, in the detail view, with the name column taking the
free width and the others as wide as their contents.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QHeaderView, QTreeView, QWidget

#: The dialog's size as a share of the available screen, and its upper bound.
SCREEN_SHARE = 0.9
MAX_SIZE = (960, 640)


def make_dialog(parent: QWidget | None, title: str, start: str = "", name_filter: str = "") -> QFileDialog:
    """A file dialog sized to the screen, detail view, columns fitted (not yet shown)."""
    dialog = QFileDialog(parent, title, start, name_filter)
    dialog.setViewMode(QFileDialog.ViewMode.Detail)
    screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        dialog.resize(
            min(MAX_SIZE[0], int(area.width() * SCREEN_SHARE)),
            min(MAX_SIZE[1], int(area.height() * SCREEN_SHARE)),
        )
    view = dialog.findChild(QTreeView)
    if view is not None:  # Qt's own dialog (a native one has no widgets to fit)
        header = view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return dialog


def _run(dialog: QFileDialog) -> list[str]:
    return dialog.selectedFiles() if dialog.exec() == QFileDialog.DialogCode.Accepted else []


def choose_folder(parent: QWidget | None, title: str, start: str = "") -> str | None:
    """Ask for an existing folder; None when cancelled."""
    dialog = make_dialog(parent, title, start)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    chosen = _run(dialog)
    return chosen[0] if chosen else None


def choose_file(parent: QWidget | None, title: str, start: str = "", name_filter: str = "") -> str | None:
    """Ask for one existing file; None when cancelled."""
    dialog = make_dialog(parent, title, start, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    chosen = _run(dialog)
    return chosen[0] if chosen else None


def choose_files(parent: QWidget | None, title: str, start: str = "", name_filter: str = "") -> list[str]:
    """Ask for one or more existing files; [] when cancelled."""
    dialog = make_dialog(parent, title, start, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    return _run(dialog)
