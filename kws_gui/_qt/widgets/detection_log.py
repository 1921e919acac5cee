"""A list of past detections, newest first."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


class DetectionLog(QTableWidget):
    """Clock time, stream time, word and score of each detection (at most ``max_rows``)."""

    def __init__(self, max_rows: int = 200) -> None:
        super().__init__(0, 4)
        self.max_rows = max_rows
        self.setHorizontalHeaderLabels(["Time", "Stream s", "Word", "Score"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setDefaultSectionSize(18)
        self.setMinimumHeight(60)

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
            self.setItem(0, col, QTableWidgetItem(value))
        while self.rowCount() > self.max_rows:
            self.removeRow(self.rowCount() - 1)

    def words(self) -> list[str]:
        """Logged words, newest first."""
        return [self.item(r, 2).text() for r in range(self.rowCount())]
