"""Threshold, hop, smoothing and suppression controls over :class:`DecisionSettings`."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QWidget

from kws_gui.core.decision import HOP_RANGE_S, DecisionSettings


def _spin(minimum: float, maximum: float, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # emit when the user is done typing
    return box


class DecisionSettingsWidget(QWidget):
    """Edits the user-facing fields of a :class:`DecisionSettings`; emits ``changed`` with the new one.

    The fields without a control (VAD, re-arming) keep the values last given to :meth:`set_values`.
    """

    changed = Signal(object)  # DecisionSettings

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.threshold = _spin(0.05, 0.99, 0.05, 2)
        self.threshold.setToolTip("Smoothed probability a word must reach")
        self.hop = _spin(max(0.02, HOP_RANGE_S[0]), min(1.0, HOP_RANGE_S[1]), 0.02, 2, " s")
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
        self._base = DecisionSettings()
        for box in (self.threshold, self.hop, self.smoothing, self.suppression):
            box.valueChanged.connect(self._emit)
        self.set_values(self._base)

    def values(self) -> DecisionSettings:
        """What the controls show (other fields as last set)."""
        return dataclasses.replace(
            self._base,
            threshold=self.threshold.value(),
            hop_s=self.hop.value(),
            smoothing_s=self.smoothing.value(),
            suppression_s=self.suppression.value(),
        )

    def set_values(self, values: DecisionSettings) -> None:
        """Show ``values`` without emitting ``changed``."""
        self._base = values
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
