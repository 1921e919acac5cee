"""The Source & settings tab: the active source, the source choice, decision and display settings.

Everything here applies at once (no Apply button): a source is opened when it is
chosen, a decision value takes effect from the next hop, a display value at once. The
top line always names the source in use and its state; the chooser shows it too. The
columns stack on a narrow window and the whole tab scrolls when it is too small.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.settings import HOLD_RANGE_S, ZOOM_RANGE, DisplaySettings
from kws_gui._qt.widgets.decision_settings import DecisionSettingsWidget
from kws_gui._qt.widgets.heading import heading
from kws_gui._qt.widgets.source_chooser import SourceChooser

#: Below this width the columns stack.
STACK_BELOW_PX = 760


class DisplaySettingsWidget(QWidget):
    """Word hold time, zoom (font size) and the presentation-mode switch."""

    hold_changed = Signal(float)
    zoom_changed = Signal(float)
    presentation_toggled = Signal()

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.hold = QDoubleSpinBox()
        self.hold.setRange(*HOLD_RANGE_S)
        self.hold.setSingleStep(0.5)
        self.hold.setDecimals(1)
        self.hold.setSuffix(" s")
        self.hold.setKeyboardTracking(False)
        self.hold.setToolTip("How long a detected word stays at full strength before it fades")
        self.zoom = QSpinBox()
        self.zoom.setRange(round(ZOOM_RANGE[0] * 100), round(ZOOM_RANGE[1] * 100))
        self.zoom.setSingleStep(10)
        self.zoom.setSuffix(" %")
        self.zoom.setKeyboardTracking(False)
        self.zoom.setToolTip("Size of all text (Ctrl + / Ctrl - / Ctrl 0)")
        self.presentation = QPushButton("Presentation mode (F11)")
        self.presentation.setToolTip("Full screen with a large detected word; F11 or Esc leaves it")
        for widget in (self.hold, self.zoom, self.presentation):
            widget.setMinimumHeight(34)  # touch
        form.addRow("Word stays", self.hold)
        form.addRow("Text size", self.zoom)
        form.addRow(self.presentation)
        self._updating = False
        self.hold.valueChanged.connect(lambda v: self._updating or self.hold_changed.emit(float(v)))
        self.zoom.valueChanged.connect(lambda v: self._updating or self.zoom_changed.emit(v / 100.0))
        self.presentation.clicked.connect(self.presentation_toggled)

    def set_values(self, display: DisplaySettings) -> None:
        """Show ``display`` without emitting."""
        self._updating = True
        try:
            self.hold.setValue(display.hold_s)
            self.zoom.setValue(round(display.zoom * 100))
        finally:
            self._updating = False


class SourceTab(QScrollArea):
    """The tab's widgets; the window connects their signals to the controller."""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.chooser = SourceChooser()
        self.decision = DecisionSettingsWidget()
        self.display = DisplaySettingsWidget()
        self.active = QLabel("no source")
        self.active.setWordWrap(True)
        self.active.setToolTip("The source the app listens to now, and its state")
        self.decision_note = QLabel("")
        self.decision_note.setWordWrap(True)

        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(6, 6, 6, 6)
        top = QLabel("Changes apply at once.")
        top.setStyleSheet("color: #808080")
        outer.addWidget(heading("Listening to"))
        outer.addWidget(self.active)
        outer.addWidget(top)
        self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        left = QVBoxLayout()
        left.addWidget(heading("Audio source"))
        left.addWidget(self.chooser)
        left.addWidget(heading("Display"))
        left.addWidget(self.display)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(heading("Detection"))
        right.addWidget(self.decision_note)
        right.addWidget(self.decision)
        right.addStretch(1)
        self.columns.addLayout(left, 3)
        self.columns.addLayout(right, 2)
        outer.addLayout(self.columns, 1)
        self.setWidget(content)

    def set_active(self, text: str) -> None:
        """The active source and its state, e.g. ``"running: WAV: yes.wav (loop)"``."""
        self.active.setText(text)

    def set_model_name(self, name: str | None, recommends: bool) -> None:
        """Say whose recommendations the detection values follow."""
        if name is None:
            self.decision_note.setText("")
        elif recommends:
            self.decision_note.setText(
                f"{name} recommends settings; they apply to the values you have not changed."
            )
        else:
            self.decision_note.setText(f"{name} recommends no settings: the defaults apply.")

    def resizeEvent(self, event) -> None:  # noqa: N802
        direction = (
            QBoxLayout.Direction.TopToBottom
            if event.size().width() < STACK_BELOW_PX
            else QBoxLayout.Direction.LeftToRight
        )
        if self.columns.direction() != direction:
            self.columns.setDirection(direction)
        super().resizeEvent(event)
