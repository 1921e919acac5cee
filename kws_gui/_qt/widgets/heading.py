"""Bold text labels for section headings."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def heading(text: str = "") -> QLabel:
    """A label in the bold variant of its font."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
