"""Threshold, hop, smoothing, suppression and energy-gate controls over :class:`DecisionSettings`.

Changes apply at once (``changed``). Beside each control a note says where its value
comes from: the loaded model's recommendation, the default, or the user ("yours");
"Use the model's values" gives the fields back to the model.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from kws_gui.core.decision import HOP_RANGE_S, DecisionSettings

#: What an origin is called beside a control, and its colour.
ORIGINS = {
    "model": ("from the model", "#4fc3f7"),
    "default": ("default", "#808080"),
    "yours": ("set by you", "#ffb74d"),
}


def _spin(minimum: float, maximum: float, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # emit when the user is done typing
    box.setMinimumHeight(32)  # touch
    return box


class DecisionSettingsWidget(QWidget):
    """Edits the user-facing fields of a :class:`DecisionSettings`; emits ``changed`` with the new one.

    The fields without a control (VAD switch, re-arming) keep the values last given to
    :meth:`set_values`.
    """

    changed = Signal(object)  # DecisionSettings
    use_model_values = Signal()

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.threshold = _spin(0.05, 0.99, 0.05, 2)
        self.threshold.setToolTip("Smoothed probability a keyword must reach to fire (the dashed line)")
        self.hop = _spin(max(0.02, HOP_RANGE_S[0]), min(1.0, HOP_RANGE_S[1]), 0.02, 2, " s")
        self.hop.setToolTip("Time between two inferences")
        self.smoothing = _spin(0.0, 2.0, 0.1, 2, " s")
        self.smoothing.setToolTip("Posterior averaging window")
        self.suppression = _spin(0.0, 5.0, 0.1, 2, " s")
        self.suppression.setToolTip("Quiet time after a detection")
        self.gate = _spin(-90.0, -10.0, 1.0, 0, " dBFS")
        self.gate.setToolTip(
            "Energy gate: the model is not run while no hop of the window is louder than this "
            "(the level meter shows the input level)"
        )
        self.boxes = {
            "threshold": self.threshold,
            "hop_s": self.hop,
            "smoothing_s": self.smoothing,
            "suppression_s": self.suppression,
            "vad_threshold_dbfs": self.gate,
        }
        self.origin_labels: dict[str, QLabel] = {}
        for title, name in (
            ("Threshold", "threshold"),
            ("Hop", "hop_s"),
            ("Smoothing", "smoothing_s"),
            ("Suppression", "suppression_s"),
            ("Energy gate", "vad_threshold_dbfs"),
        ):
            row = QHBoxLayout()
            row.addWidget(self.boxes[name], 1)
            origin = QLabel("")
            origin.setMinimumWidth(origin.fontMetrics().horizontalAdvance("from the model") + 4)
            self.origin_labels[name] = origin
            row.addWidget(origin)
            form.addRow(title, row)
        self.reset_button = QPushButton("Use the model's values")
        self.reset_button.setToolTip(
            "Forget the values you set: the loaded model's recommended settings (else the defaults) apply"
        )
        self.reset_button.setMinimumHeight(36)
        self.reset_button.clicked.connect(self.use_model_values)
        form.addRow(self.reset_button)
        self._updating = False
        self._base = DecisionSettings()
        for box in self.boxes.values():
            box.valueChanged.connect(self._emit)
        self.set_values(self._base)

    def values(self) -> DecisionSettings:
        """What the controls show (other fields as last set).

        A control the user did not touch keeps the exact value it was given (a model may
        recommend more decimals than the control shows).
        """
        changes = {
            name: float(box.value())
            for name, box in self.boxes.items()
            if round(box.value(), box.decimals()) != round(getattr(self._base, name), box.decimals())
        }
        return dataclasses.replace(self._base, **changes)

    def set_values(self, values: DecisionSettings, origins: dict[str, str] | None = None) -> None:
        """Show ``values`` (and where each comes from) without emitting ``changed``."""
        self._base = values
        self._updating = True
        try:
            for name, box in self.boxes.items():
                box.setValue(getattr(values, name))
        finally:
            self._updating = False
        if origins is not None:
            self.set_origins(origins)

    def set_origins(self, origins: dict[str, str]) -> None:
        """Beside each control: "from the model", "default" or "set by you"."""
        for name, label in self.origin_labels.items():
            text, color = ORIGINS.get(origins.get(name, ""), ("", "#808080"))
            label.setText(text)
            label.setStyleSheet(f"color: {color}")
        self.reset_button.setEnabled(any(origin == "yours" for origin in origins.values()))

    def origin(self, name: str) -> str:
        """The note beside a control (for tests)."""
        return self.origin_labels[name].text()

    def _emit(self, _value: float) -> None:
        if not self._updating:
            self.changed.emit(self.values())
