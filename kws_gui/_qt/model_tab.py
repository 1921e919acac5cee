"""The Model tab: what the loaded model is, and the files to choose from.

Shipped and recent models are listed by name and open with one tap; the loaded one
is highlighted in both lists. The "Open model..." button stays at the top, outside
anything that scrolls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.widgets.model_info import ModelInfoPanel

PATH_ROLE = Qt.ItemDataRole.UserRole
ACTIVE_BACKGROUND = "#c8e6c9"
TOUCH_HEIGHT = 36


def recent_text(path: str, others: Sequence[str]) -> str:
    """A recent model by name; its folder too when another recent file has the same name."""
    p = Path(path)
    same_name = [o for o in others if Path(o).name == p.name and o != path]
    return f"{p.name}  ({p.parent.name or p.parent})" if same_name else p.name


def _same_file(a: str, b: str | None) -> bool:
    if not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


class ModelTab(QSplitter):
    """Model facts on the left; Open, the shipped and the recent models on the right.

    ``open_model(path)`` is called for a tap on a list entry.
    """

    def __init__(self, shipped: Sequence[Path], open_model: Callable[[str], None]) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self._open_model = open_model
        self.active_path: str | None = None
        self.info = ModelInfoPanel()
        self.open_button = QPushButton("Open model...")
        self.open_button.setMinimumHeight(TOUCH_HEIGHT)
        self.shipped_list = QListWidget()
        self.shipped_list.setToolTip("Tap to load; the loaded model is highlighted")
        for path in shipped:
            item = QListWidgetItem(path.name)
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(str(path))
            self.shipped_list.addItem(item)
        self.recent_list = QListWidget()
        self.recent_list.setToolTip("Tap to load; the loaded model is highlighted")
        for view in (self.shipped_list, self.recent_list):
            view.setSpacing(2)  # taller rows to tap
            view.itemClicked.connect(self._item_chosen)
            view.itemActivated.connect(self._item_chosen)  # Enter (keyboard)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(self.open_button)
        side_layout.addWidget(QLabel("Shipped models:"))
        side_layout.addWidget(self.shipped_list, 1)
        side_layout.addWidget(QLabel("Recent models:"))
        side_layout.addWidget(self.recent_list, 1)
        hint = QLabel("Tip: drop a .tflite file on the window to load it.")
        hint.setWordWrap(True)
        side_layout.addWidget(hint)
        self.addWidget(self.info)
        self.addWidget(side)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)

    def _item_chosen(self, item: QListWidgetItem) -> None:
        path = str(item.data(PATH_ROLE))
        if not _same_file(path, self.active_path):  # a double tap loads once
            self._open_model(path)

    def set_recent(self, paths: Sequence[str]) -> None:
        """List the recent models (most recent first)."""
        self.recent_list.clear()
        for path in paths:
            item = QListWidgetItem(recent_text(path, paths))
            item.setData(PATH_ROLE, path)
            item.setToolTip(path)
            self.recent_list.addItem(item)
        self._mark_active()

    def set_active(self, path: str | None) -> None:
        """Highlight the model in use (``path``) in both lists."""
        self.active_path = path
        self._mark_active()

    def _mark_active(self) -> None:
        for view in (self.shipped_list, self.recent_list):
            for i in range(view.count()):
                item = view.item(i)
                active = _same_file(str(item.data(PATH_ROLE)), self.active_path)
                font = QFont(item.font())
                font.setBold(active)
                item.setFont(font)
                item.setBackground(QBrush(QColor(ACTIVE_BACKGROUND)) if active else QBrush())
                item.setForeground(QBrush(QColor("#101418")) if active else QBrush())
                path = str(item.data(PATH_ROLE))
                item.setToolTip(f"{path} (in use)" if active else path)

    def active_items(self) -> list[str]:
        """Texts of the highlighted entries (for tests)."""
        return [
            view.item(i).text()
            for view in (self.shipped_list, self.recent_list)
            for i in range(view.count())
            if view.item(i).font().bold()
        ]
