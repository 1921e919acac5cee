"""The model info panel: one row per fact of ModelInfo.as_rows(), keyword labels marked."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from kws_gui._qt.widgets._plot_style import keyword_colors

if TYPE_CHECKING:
    from kws_gui.core.model_file import ModelInfo

KEYWORD_MARK = "\u25a0"  # a square in the keyword's trace colour


def labels_html(labels: tuple[str, ...], keywords: tuple[str, ...]) -> str:
    """The labels with each keyword bold behind a square of its colour; the others grey."""
    colors = keyword_colors(keywords)
    parts = []
    for label in labels:
        name = html.escape(label)
        if label in colors:
            parts.append(f'<span style="color:{colors[label]}">{KEYWORD_MARK}</span>&nbsp;<b>{name}</b>')
        else:
            parts.append(f'<span style="color:#808080">{name}</span>')
    note = "bold: keywords (they fire detections); grey: never reported"
    return ", ".join(parts) + f'<br><span style="color:#808080">{note}</span>'


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
        self.labels_label: QLabel | None = None

    def show_info(self, info: ModelInfo) -> None:
        """Replace the rows with the facts of ``info``."""
        rows = info.as_rows()
        self.clearContents()
        self.setRowCount(len(rows))
        self.labels_label = None
        for r, (name, value) in enumerate(rows):
            self.setItem(r, 0, QTableWidgetItem(name))
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            self.setItem(r, 1, item)
            if name == "Labels" and info.keywords:
                label = QLabel(labels_html(info.labels, info.keywords))
                label.setWordWrap(True)
                label.setContentsMargins(4, 1, 4, 1)
                item.setText("")  # the label shows it
                self.setCellWidget(r, 1, label)
                self.labels_label = label
        self.resizeRowsToContents()

    def rows(self) -> dict[str, str]:
        """What is shown, as a mapping (the labels row as plain text)."""
        shown = {}
        for r in range(self.rowCount()):
            name = self.item(r, 0).text()
            shown[name] = self.item(r, 1).toolTip() or self.item(r, 1).text()
        return shown
