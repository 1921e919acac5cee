"""A list of past detections, newest first, each word on its keyword's colour."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = (
    ("Time", "Clock time of the detection"),
    (
        "Stream s",
        "Stream time: seconds of audio since listening started; it continues over Stop/Start "
        "and source changes, so the log and the plots share one time axis",
    ),
    ("Word", "The detected keyword"),
    ("Score", "Its smoothed probability when it fired (at least the threshold)"),
)


class DetectionLog(QTableWidget):
    """Clock time, stream time, word and score of each detection (at most ``max_rows``)."""

    def __init__(self, max_rows: int = 200) -> None:
        super().__init__(0, len(COLUMNS))
        self.max_rows = max_rows
        self.colors: dict[str, str] = {}
        for col, (title, tip) in enumerate(COLUMNS):
            header = QTableWidgetItem(title)
            header.setToolTip(tip)
            self.setHorizontalHeaderItem(col, header)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self._fit_rows()
        self.setMinimumHeight(60)

    def _fit_rows(self) -> None:
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._fit_rows()
        super().changeEvent(event)

    def set_colors(self, colors: dict[str, str]) -> None:
        """Keyword -> colour of its word (as in the probability plot) for new rows."""
        self.colors = dict(colors)

    def add_detection(self, label: str, score: float, time_s: float, wall_time: float) -> None:
        """Insert a row at the top."""
        self.insertRow(0)
        values = (
            time.strftime("%H:%M:%S", time.localtime(wall_time)),
            f"{time_s:.2f}",
            label,
            f"{score:.2f}",
        )
        for col, value in enumerate(values):
            item = QTableWidgetItem(value)
            if col == 2 and label in self.colors:  # light colours: dark text on them
                item.setBackground(QColor(self.colors[label]))
                item.setForeground(QColor("#101418"))
            self.setItem(0, col, item)
        while self.rowCount() > self.max_rows:
            self.removeRow(self.rowCount() - 1)

    def words(self) -> list[str]:
        """Logged words, newest first."""
        return [self.item(r, 2).text() for r in range(self.rowCount())]
