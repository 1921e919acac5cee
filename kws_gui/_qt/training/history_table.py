"""The job history as a table, newest first; selecting a row selects the job.

Status and accuracy come right after the job's description, which takes the width
that is left (elided, the full text as a tooltip), so an 800-pixel window shows them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from kws_gui.jobs.events import format_duration
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.runner import JobStatus

COLUMNS = ("Job", "Status", "Accuracy", "Zipped", "Time", "Created")
JOB, STATUS = 0, 1
#: Dark enough to read on the light table background.
STATUS_COLORS = {
    JobStatus.SUCCEEDED: "#2e7d32",
    JobStatus.FAILED: "#c62828",
    JobStatus.CANCELLED: "#e65100",
    JobStatus.RUNNING: "#0277bd",
    JobStatus.QUEUED: "#546e7a",
}


def row_values(record: JobRecord) -> list[str]:
    """The table cells of one job."""
    m = record.metrics
    acc = m.get("test_accuracy", m.get("accuracy", m.get("val_accuracy")))
    zipped = m.get("zipped_bytes")
    wall = m.get("wall_seconds")
    return [
        record.spec.describe(),
        record.status.value,
        f"{acc:.1%}" if isinstance(acc, (int, float)) else "",
        f"{zipped / 1024:.1f} KB" if isinstance(zipped, (int, float)) else "",
        format_duration(wall) if isinstance(wall, (int, float)) else "",
        record.created.replace("T", " ").rstrip("Z")[5:16],  # "11-25 10:15"
    ]


class HistoryTable(QTableWidget):
    """One row per job; ``job_selected(job_id)`` when the selection changes."""

    job_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(JOB, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self._ids: list[str] = []
        self.itemSelectionChanged.connect(self._on_selection)

    def set_records(self, records: list[JobRecord]) -> None:
        """Show ``records`` (newest first), keeping the selected job selected."""
        selected = self.selected_id()
        ordered = list(reversed(records))
        self.blockSignals(True)
        self.setRowCount(len(ordered))
        self._ids = [r.id for r in ordered]
        for row, record in enumerate(ordered):
            for col, text in enumerate(row_values(record)):
                item = self.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, col, item)
                item.setText(text)
                item.setToolTip(record.error or record.id if col == STATUS else text)
                if col == STATUS:
                    item.setForeground(QColor(STATUS_COLORS[record.status]))
        if selected in self._ids:
            self.selectRow(self._ids.index(selected))
        self.blockSignals(False)

    def update_record(self, record: JobRecord) -> None:
        """Refresh one job's row (it must be shown already)."""
        if record.id not in self._ids:
            return
        row = self._ids.index(record.id)
        for col, text in enumerate(row_values(record)):
            item = self.item(row, col)
            if item is not None:
                item.setText(text)
                item.setToolTip(record.error or record.id if col == STATUS else text)
                if col == STATUS:
                    item.setForeground(QColor(STATUS_COLORS[record.status]))

    def has(self, job_id: str) -> bool:
        """True if the job has a row."""
        return job_id in self._ids

    def selected_id(self) -> str | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self._ids[rows[0].row()] if rows and rows[0].row() < len(self._ids) else None

    def select_job(self, job_id: str) -> None:
        if job_id in self._ids:
            self.selectRow(self._ids.index(job_id))

    def _on_selection(self) -> None:
        job_id = self.selected_id()
        if job_id is not None:
            self.job_selected.emit(job_id)


__all__ = ["COLUMNS", "HistoryTable", "row_values"]
