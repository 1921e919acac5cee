"""Threshold, hop, smoothing and suppression controls."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QWidget

from kws_gui._qt.settings import DecisionValues


def _spin(minimum: float, maximum: float, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # emit when the user is done typing
    return box


class DecisionSettingsWidget(QWidget):
    """Edits a :class:`DecisionValues`; emits ``changed`` with the new values."""

    changed = Signal(object)  # DecisionValues

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.threshold = _spin(0.05, 0.99, 0.05, 2)
        self.threshold.setToolTip("Smoothed probability a word must reach")
        self.hop = _spin(0.02, 1.0, 0.02, 2, " s")
        self.hop.setToolTip("Time between two inferences")
        self.smoothing = _spin(0.0, 2.0, 0.1, 2, " s")
        self.smoothing.setToolTip("Posterior averaging window")
        self.suppression = _spin(0.0, 5.0, 0.1, 2, " s")
        self.suppression.setToolTip("Quiet time after a detection")
        form.addRow("Threshold", self.threshold)
        form.addRow("Hop", self.hop)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Suppression", self.suppression)
        self._updating = False
        for box in (self.threshold, self.hop, self.smoothing, self.suppression):
            box.valueChanged.connect(self._emit)
        self.set_values(DecisionValues())

    def values(self) -> DecisionValues:
        """What the controls show."""
        return DecisionValues(
            threshold=self.threshold.value(),
            hop_s=self.hop.value(),
            smoothing_s=self.smoothing.value(),
            suppression_s=self.suppression.value(),
        )

    def set_values(self, values: DecisionValues) -> None:
        """Show ``values`` without emitting ``changed``."""
        self._updating = True
        try:
            self.threshold.setValue(values.threshold)
            self.hop.setValue(values.hop_s)
            self.smoothing.setValue(values.smoothing_s)
            self.suppression.setValue(values.suppression_s)
        finally:
            self._updating = False

    def _emit(self, _value: float) -> None:
        if not self._updating:
            self.changed.emit(self.values())
