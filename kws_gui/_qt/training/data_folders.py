"""The data folders of a job: one row per folder (path, weight, browse, remove) and an "add" button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.file_dialogs import choose_folder

MAX_WEIGHT = 100.0


class _FolderRow(QWidget):
    def __init__(self, owner: DataFolderList, path: str = "", weight: float = 1.0) -> None:
        super().__init__()
        self.edit = QLineEdit(path)
        self.edit.setPlaceholderText("a data folder (Speech Commands or msc layout)")
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0.1, MAX_WEIGHT)
        self.weight.setDecimals(1)
        self.weight.setSingleStep(0.5)
        self.weight.setPrefix("x")
        self.weight.setValue(weight)
        self.weight.setToolTip(
            "weight in training: x3 = each clip of this folder three times per epoch "
            "(a small real-speech folder against a large synthetic one)"
        )
        self.browse = QPushButton("Browse...")
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("leave this folder out of the job")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.weight)
        layout.addWidget(self.browse)
        layout.addWidget(self.remove)
        self.edit.textChanged.connect(owner.changed)
        self.weight.valueChanged.connect(owner.changed)
        self.browse.clicked.connect(lambda: owner._browse(self))
        self.remove.clicked.connect(lambda: owner._remove(self))


class DataFolderList(QWidget):
    """Edit a job's data folders and their weights; ``changed`` after every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_FolderRow] = []
        self._weights_shown = True
        self._rows_box = QVBoxLayout()
        self._rows_box.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Add a data folder...")
        self.add_button.setToolTip(
            "train or evaluate on several folders at once (each split by its own lists)"
        )
        self.add_button.clicked.connect(self._add_by_dialog)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._rows_box)
        layout.addLayout(add_row)
        self._append("", 1.0)

    # ----------------------------------------------------------------- public
    @property
    def rows(self) -> list[_FolderRow]:
        return list(self._rows)

    def folders(self) -> list[tuple[str, float]]:
        """(folder, weight) of every row with a folder, in order."""
        return [(r.edit.text().strip(), r.weight.value()) for r in self._rows if r.edit.text().strip()]

    def set_folders(self, folders: list[tuple[str, float]] | list[str]) -> None:
        """Replace the rows (one empty row when ``folders`` is empty)."""
        for row in list(self._rows):
            self._drop(row)
        for entry in folders:
            path, weight = (entry, 1.0) if isinstance(entry, str) else entry
            self._append(path, weight)
        if not self._rows:
            self._append("", 1.0)
        self.changed.emit()

    def add_folder(self, path: str, weight: float = 1.0) -> None:
        """Add a folder (into the first empty row, if there is one)."""
        empty = next((r for r in self._rows if not r.edit.text().strip()), None)
        if empty is not None:
            empty.weight.setValue(weight)
            empty.edit.setText(path)
        else:
            self._append(path, weight)
            self.changed.emit()

    def first_folder(self) -> str:
        folders = self.folders()
        return folders[0][0] if folders else ""

    def show_weights(self, shown: bool) -> None:
        """Weights matter only to training kinds."""
        self._weights_shown = shown
        for row in self._rows:
            row.weight.setVisible(shown)

    # ---------------------------------------------------------------- private
    def _append(self, path: str, weight: float) -> _FolderRow:
        row = _FolderRow(self, path, weight)
        row.weight.setVisible(self._weights_shown)
        self._rows.append(row)
        self._rows_box.addWidget(row)
        return row

    def _drop(self, row: _FolderRow) -> None:
        self._rows.remove(row)
        self._rows_box.removeWidget(row)
        row.hide()
        row.deleteLater()

    def _remove(self, row: _FolderRow) -> None:
        if len(self._rows) == 1:
            row.edit.clear()
            row.weight.setValue(1.0)
            return
        self._drop(row)
        self.changed.emit()

    def _browse(self, row: _FolderRow) -> None:
        folder = choose_folder(self, "Choose a data folder", row.edit.text())
        if folder:
            row.edit.setText(folder)

    def _add_by_dialog(self) -> None:
        folder = choose_folder(self, "Add a data folder", self.first_folder())
        if folder:
            self.add_folder(folder)
