"""Choose the audio source: an input device (name, host API, default marked) or a WAV file.

A choice applies at once, as the decision settings beside it do: picking a device or the
microphone button, browsing to a file, Enter in the path field, the WAV button or the
loop box (while the file plays). The window shows the active source with
:meth:`SourceChooser.show_spec` whenever it changes, also after a failed choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from kws_gui._qt.file_dialogs import choose_file
from kws_gui.core.audio import MICROPHONE, SourceSpec

if TYPE_CHECKING:
    from kws_gui.core.audio import InputDevice, PortAudioStatus

#: Smallest height of a control meant to be tapped (pixels).
TOUCH_HEIGHT = 34

AUDIO_FILTER = "Audio files (*.wav *.flac *.ogg *.aiff *.aif);;All files (*)"


def device_text(device: InputDevice) -> str:
    """``"pulse - ALSA (default)"``."""
    text = f"{device.name} - {device.hostapi}"
    return text + " (default)" if device.is_default else text


class SourceChooser(QWidget):
    """Radio choice between microphone and WAV file; emits each choice as it is made."""

    microphone_chosen = Signal(object)  # device index (int) or None for the default
    wav_chosen = Signal(str, bool)  # path, loop
    refresh_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        self.mic_radio = QRadioButton("Microphone")
        self.wav_radio = QRadioButton("WAV file")
        group = QButtonGroup(self)
        group.addButton(self.mic_radio)
        group.addButton(self.wav_radio)
        self.device_combo = QComboBox()
        self.device_combo.setMinimumContentsLength(18)
        self.device_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List the input devices again")
        self.mic_reason = QLabel("")
        self.mic_reason.setWordWrap(True)
        self.mic_reason.setStyleSheet("color: #e57373")
        self.mic_reason.setVisible(False)
        self.wav_path = QLineEdit()
        self.wav_path.setPlaceholderText("a .wav file (16 kHz mono is best; others are resampled)")
        self.browse_button = QPushButton("Browse...")
        self.loop_box = QCheckBox("loop")
        self.loop_box.setChecked(True)
        self.wav_path.setToolTip("Type a path and press Enter, or Browse")
        grid.addWidget(self.mic_radio, 0, 0)
        grid.addWidget(self.device_combo, 0, 1)
        grid.addWidget(self.refresh_button, 0, 2)
        grid.addWidget(self.mic_reason, 1, 1, 1, 2)
        grid.addWidget(self.wav_radio, 2, 0)
        grid.addWidget(self.wav_path, 2, 1)
        grid.addWidget(self.browse_button, 2, 2)
        grid.addWidget(self.loop_box, 3, 1)
        grid.setColumnStretch(1, 1)
        touch = (self.mic_radio, self.wav_radio, self.loop_box, self.device_combo, self.refresh_button)
        for widget in (*touch, self.wav_path, self.browse_button):
            widget.setMinimumHeight(TOUCH_HEIGHT)  # the whole row height is the tap target
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.browse_button.clicked.connect(self._browse)
        self.device_combo.activated.connect(lambda _i: self._choose_microphone())
        self.mic_radio.clicked.connect(self._choose_microphone)
        self.wav_radio.clicked.connect(self._choose_wav)
        self.wav_path.returnPressed.connect(self._choose_wav)
        self.loop_box.clicked.connect(
            lambda _checked: self._choose_wav() if self.wav_radio.isChecked() else None
        )
        self.wav_radio.setChecked(True)
        self._mic_available = False

    # ----------------------------------------------------------------- inputs
    def set_devices(self, devices: Sequence[InputDevice], status: PortAudioStatus) -> None:
        """List input devices, or disable the microphone choice with the reason and the fix."""
        current = self.device_combo.currentData()
        self.device_combo.clear()
        reason = ""
        if not status.available:
            reason = status.message
        elif not devices:
            reason = (
                "No audio input device found. Plug in a microphone and press Refresh (or use a WAV file)."
            )
        for device in devices:
            self.device_combo.addItem(device_text(device), device.index)
        if current is not None:
            idx = self.device_combo.findData(current)
            if idx >= 0:
                self.device_combo.setCurrentIndex(idx)
        elif devices:
            default = [i for i, d in enumerate(devices) if d.is_default]
            self.device_combo.setCurrentIndex(default[0] if default else 0)
        self._mic_available = not reason
        self.mic_radio.setEnabled(self._mic_available)
        self.device_combo.setEnabled(self._mic_available)
        self.mic_reason.setText(reason)
        self.mic_reason.setVisible(bool(reason))
        if not self._mic_available and self.mic_radio.isChecked():
            self.wav_radio.setChecked(True)

    def select_device(self, device: int | str | None) -> None:
        """Preselect a device by index or name (no signal)."""
        if device is None:
            return
        idx = self.device_combo.findData(device) if isinstance(device, int) else -1
        if idx < 0:
            idx = next(
                (i for i in range(self.device_combo.count()) if str(device) in self.device_combo.itemText(i)),
                -1,
            )
        if idx >= 0:
            self.device_combo.setCurrentIndex(idx)

    def set_wav(self, path: str, loop: bool) -> None:
        """Preset the WAV choice (no signal)."""
        self.wav_path.setText(path)
        self.loop_box.setChecked(loop)

    def set_kind(self, kind: str) -> None:
        """Check the microphone or WAV radio button (no signal)."""
        if kind == MICROPHONE and self._mic_available:
            self.mic_radio.setChecked(True)
        else:
            self.wav_radio.setChecked(True)

    def show_spec(self, spec: SourceSpec) -> None:
        """Show ``spec`` as the choice (no signal): the active source, after any change."""
        if spec.wav_path:
            self.set_wav(spec.wav_path, spec.loop)
        self.select_device(spec.device)
        self.set_kind(spec.kind)

    def chosen_spec(self) -> SourceSpec | None:
        """What the controls show as a source (None when the WAV choice has no path)."""
        if self.mic_radio.isChecked() and self._mic_available:
            return SourceSpec(kind=MICROPHONE, device=self.device_combo.currentData())
        path = self.wav_path.text().strip()
        return SourceSpec(kind="wav", wav_path=path, loop=self.loop_box.isChecked()) if path else None

    @property
    def microphone_available(self) -> bool:
        """False when PortAudio or an input device is missing."""
        return self._mic_available

    @property
    def microphone_reason(self) -> str:
        """Why the microphone cannot be chosen ("" when it can)."""
        return self.mic_reason.text()

    # ---------------------------------------------------------------- actions
    def _browse(self) -> None:
        path = choose_file(self, "Open a WAV file", self.wav_path.text(), AUDIO_FILTER)
        if path:
            self.wav_path.setText(path)
            self.wav_radio.setChecked(True)
            self._choose_wav()

    def _choose_microphone(self) -> None:
        if self._mic_available:
            self.mic_radio.setChecked(True)
            self.microphone_chosen.emit(self.device_combo.currentData())

    def _choose_wav(self) -> None:
        path = self.wav_path.text().strip()
        self.wav_radio.setChecked(True)
        if path:
            self.wav_chosen.emit(path, self.loop_box.isChecked())
        else:
            self.wav_path.setFocus()

    def apply(self) -> None:
        """Emit the current choice (as a tap on it does)."""
        if self.mic_radio.isChecked() and self._mic_available:
            self._choose_microphone()
        else:
            self._choose_wav()
