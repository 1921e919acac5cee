"""A dismissible one-line message at the top of the window, tagged with what it is about."""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton


class NoticeTopic(enum.Enum):
    """What a notice is about; a later success on the same topic clears it."""

    MODEL = "model"  # a model file that cannot be used, or failed while running
    SOURCE = "source"  # an audio source that cannot be used or went away
    SETTINGS = "settings"  # stored settings that were invalid


class NoticeBar(QFrame):
    """Shows one message at a time (never modal); red for errors, blue for information.

    Information never hides an error that is still shown.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("x")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._topic: NoticeTopic | None = None
        self._error = False
        self.hide()

    def show_message(self, text: str, topic: NoticeTopic, error: bool = True) -> None:
        """Show ``text`` about ``topic`` in place of the message shown (unless that is an error and this not)."""
        if not error and self._error and self.isVisible():
            return
        color = "#5c1f1f" if error else "#1f3b5c"
        self.setStyleSheet(f"#notice {{ background: {color}; }} QLabel {{ color: white; }}")
        self.label.setText(text)
        self._topic = topic
        self._error = error
        self.show()

    def clear(self, topic: NoticeTopic) -> None:
        """Hide the message if it is about ``topic``."""
        if self.topic is topic:
            self.hide()

    @property
    def topic(self) -> NoticeTopic | None:
        """What the shown message is about (None when hidden)."""
        return self._topic if self.isVisible() else None

    @property
    def text(self) -> str:
        """The message shown ("" when hidden)."""
        return self.label.text() if self.isVisible() else ""
