"""Report tables (:mod:`kws_gui.jobs.report_tables`) as read-only Qt tables, full height, no inner scrolling."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.widgets.heading import heading
from kws_gui.jobs.report_tables import Table

HIT = QColor("#2e7d32")
MISS = QColor("#b71c1c")


def table_widget(table: Table) -> QTableWidget:
    """One :class:`Table` as a QTableWidget as tall as its rows (the page scrolls, not the table)."""
    widget = QTableWidget(len(table.rows), len(table.columns))
    widget.setHorizontalHeaderLabels(list(table.columns))
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    widget.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    widget.setWordWrap(False)
    if table.row_names:
        widget.setVerticalHeaderLabels(list(table.row_names))
    else:
        widget.verticalHeader().setVisible(False)
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c or table.row_names:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if table.diagonal and text not in ("-", "0"):
                item.setBackground(QBrush(HIT if r == c else MISS))
                item.setForeground(QBrush(QColor("white")))
            widget.setItem(r, c, item)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if not table.row_names:
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    widget.resizeRowsToContents()
    height = header.height() + widget.frameWidth() * 2
    height += sum(widget.rowHeight(r) for r in range(widget.rowCount()))
    if widget.horizontalScrollBar().isVisible() or header.length() > widget.viewport().width():
        height += widget.horizontalScrollBar().sizeHint().height()
    widget.setFixedHeight(height + 2)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return widget


class ReportTablesView(QWidget):
    """A title and a table per :class:`Table`; :meth:`show_tables` replaces them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.tables: list[QTableWidget] = []
        self.titles: list[str] = []

    def show_tables(self, tables: list[Table]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.tables, self.titles = [], []
        for table in tables:
            self._layout.addWidget(heading(table.title))
            widget = table_widget(table)
            self._layout.addWidget(widget)
            self.tables.append(widget)
            self.titles.append(table.title)
        self.setVisible(bool(tables))

    def cell(self, table: int, row: int, column: int) -> str:
        """The text of a cell (for tests and screen readers)."""
        item = self.tables[table].item(row, column)
        return item.text() if item is not None else ""
