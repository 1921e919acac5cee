"""The model info panel: one row per fact of ModelInfo.as_rows()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

if TYPE_CHECKING:
    from kws_gui.core.model_file import ModelInfo


class ModelInfoPanel(QTableWidget):
    """A two-column, read-only table: file, size, zipped size, parameters, labels, ..."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["", "Model"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_info(self, info: ModelInfo) -> None:
        """Replace the rows with the facts of ``info``."""
        rows = info.as_rows()
        self.setRowCount(len(rows))
        for r, (name, value) in enumerate(rows):
            self.setItem(r, 0, QTableWidgetItem(name))
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            self.setItem(r, 1, item)

    def rows(self) -> dict[str, str]:
        """What is shown, as a mapping."""
        return {self.item(r, 0).text(): self.item(r, 1).text() for r in range(self.rowCount())}
