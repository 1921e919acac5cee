"""The recorder tab: capture 1 s clips of a word from the live audio, list, play and delete them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.file_dialogs import choose_folder
from kws_gui.core.audio import MICROPHONE, SourceSpec
from kws_gui.core.recording import (
    CaptureSession,
    ClipStore,
    RecordingError,
    analyse_capture,
    check_speaker,
    check_word,
    play_clip,
    playback_status,
)
from kws_gui.core.ring_buffer import AudioRingBuffer

CAPTURE_S = 1.5  # recorded around the 1 s clip, so a word said a little late still fits
CAPTURE_GRACE_S = 2.0  # no audio this long after the capture should have ended: give up
TICK_MS = 30
MIN_CLIPS_PER_WORD = 3  # one each for training, validation and test
#: Status colours as white text on a dark chip: readable on light and dark themes alike.
SAVED_STYLE = "background: #1b5e20; color: white; padding: 3px 6px;"
ERROR_STYLE = "background: #b71c1c; color: white; padding: 3px 6px;"
WAV_STYLE = "background: #e65100; color: white; padding: 3px 6px;"


def source_note(spec: SourceSpec | None) -> tuple[str, str]:
    """(text, style) saying where the clips come from; a WAV file is named as not a microphone."""
    if spec is None:
        return "", ""
    if spec.kind == MICROPHONE:
        return f"Recording from the {spec.describe()}.", ""
    return (
        f"Recording from the {spec.describe()}, not a microphone: clips are cut from that file. "
        "Choose a microphone in the Source tab to record your voice.",
        WAV_STYLE,
    )


class RecorderPanel(QWidget):
    """Records clips from ``ring_provider()`` (the live engine's ring buffer).

    States: idle -> countdown (1 s ticks) -> capturing (polls the ring) -> idle,
    with the verdict (saved, or what to change) in the status line.
    ``clips_changed`` fires after a clip is saved or deleted.
    """

    clips_changed = Signal()
    train_requested = Signal(str)  # the recordings folder

    def __init__(
        self,
        ring_provider: Callable[[], AudioRingBuffer | None] | None = None,
        parent: QWidget | None = None,
        root: str | Path | None = None,
        source_provider: Callable[[], SourceSpec | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # takes the focus while recording
        self.ring_provider = ring_provider or (lambda: None)
        self.source_provider = source_provider or (lambda: None)
        self.store = ClipStore(root)
        self._session: CaptureSession | None = None
        self._capture_started = 0.0
        self._countdown_left = 0
        self.last_result: str = ""
        self._playback_ok, self._playback_reason = playback_status()
        self._build_inputs()
        self._build_clip_list()
        self._build_layout()
        self._build_timers()
        self._update_ready()
        self.refresh_clips()

    # ----------------------------------------------------------------- layout
    def _build_inputs(self) -> None:
        """Word, speaker, countdown, folder; the record button, the countdown and the level."""
        self.word = QComboBox()
        self.word.setEditable(True)
        self.word.addItems(["yes", "no"])
        self.speaker = QLineEdit()
        self.speaker.setPlaceholderText("your name (letters and digits)")
        self.countdown = QSpinBox()
        self.countdown.setRange(0, 5)
        self.countdown.setValue(2)
        self.countdown.setSuffix(" s countdown")
        self.folder = QLabel(str(self.store.root))
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton("Change...")
        self.folder_button.clicked.connect(self._choose_folder)

        self.record_button = QPushButton("Record a clip")
        self.record_button.setMinimumHeight(32)
        self.record_button.clicked.connect(self.start_recording)
        self.big = QLabel("")
        font = QFont()
        font.setPointSize(22)
        font.setBold(True)
        self.big.setFont(font)
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level = QProgressBar()
        self.level.setRange(-60, 0)
        self.level.setFormat("%v dBFS")
        self.level.setValue(-60)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.source = QLabel("")
        self.source.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)

    def _build_clip_list(self) -> None:
        """The recorded clips with play / delete / train buttons."""
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Word", "Speaker", "File", "Split"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.play_selected)
        self.play_button.setEnabled(self._playback_ok)
        self.play_button.setToolTip("play the selected clip" if self._playback_ok else self._playback_reason)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.train_button = QPushButton("Train with these clips...")
        self.train_button.setToolTip("open a training job on this folder (alone, or added to a dataset)")
        self.train_button.clicked.connect(lambda: self.train_requested.emit(str(self.store.root)))

    def _build_layout(self) -> None:
        """Settings and the clip list scroll; recording and the clip buttons stay at the bottom."""
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.folder_button)
        form = QFormLayout()
        form.addRow("Word", self.word)
        form.addRow("Speaker", self.speaker)
        form.addRow("Countdown", self.countdown)
        form.addRow("Folder", folder_row)
        fields = QWidget()
        fields_layout = QVBoxLayout(fields)
        fields_layout.addLayout(form)
        fields_layout.addWidget(self.source)
        fields_layout.addWidget(self.summary)
        fields_layout.addWidget(self.table, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(fields)
        scroll.setMinimumHeight(60)
        record_row = QHBoxLayout()
        record_row.addWidget(self.record_button)
        record_row.addWidget(self.big, 1)
        clip_buttons = QHBoxLayout()
        clip_buttons.addWidget(self.play_button)
        clip_buttons.addWidget(self.delete_button)
        clip_buttons.addStretch(1)
        clip_buttons.addWidget(self.train_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(record_row)
        layout.addWidget(self.level)
        layout.addWidget(self.status)
        layout.addLayout(clip_buttons)

    def _build_timers(self) -> None:
        self._countdown_timer = QTimer(self)
        self._countdown_timer.setInterval(1000)
        self._countdown_timer.timeout.connect(self._count_down)
        self._capture_timer = QTimer(self)
        self._capture_timer.setInterval(TICK_MS)
        self._capture_timer.timeout.connect(self._poll_capture)
        self._ready_timer = QTimer(self)
        self._ready_timer.setInterval(500)
        self._ready_timer.timeout.connect(self._update_ready)
        self._ready_timer.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Space while recording is swallowed: it must not stop the audio being captured."""
        if self.busy and event.key() == Qt.Key.Key_Space:
            event.accept()
            return
        super().keyPressEvent(event)

    # ----------------------------------------------------------------- public
    @property
    def busy(self) -> bool:
        """True during the countdown and the capture."""
        return self._countdown_timer.isActive() or self._session is not None

    def set_root(self, root: str | Path) -> None:
        """Record into another folder."""
        self.store = ClipStore(root)
        self.folder.setText(str(self.store.root))
        self.refresh_clips()

    def start_recording(self) -> None:
        """Check the word and speaker, then count down and capture."""
        if self.busy:
            return
        try:
            check_word(self.word.currentText())
            check_speaker(self.speaker.text())
        except RecordingError as exc:
            self._say(str(exc), error=True)
            return
        if self.ring_provider() is None:
            self._say("no live audio: start the microphone (or a WAV source) in the live view", error=True)
            return
        # The panel holds the focus while it records: the disabled button's focus would
        # otherwise pass to the next button (Delete) or to the window (Space = Stop audio).
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.record_button.setEnabled(False)
        self._countdown_left = self.countdown.value()
        if self._countdown_left > 0:
            self.big.setText(str(self._countdown_left))
            self._countdown_timer.start()
        else:
            self._begin_capture()

    def refresh_clips(self) -> None:
        """Reload the clip list and the per-word summary."""
        clips = self.store.clips()
        self.table.setRowCount(len(clips))
        for row, clip in enumerate(clips):
            for col, text in enumerate((clip.word, clip.speaker, clip.path.name, clip.split)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, str(clip.path))
                self.table.setItem(row, col, item)
        counts = self.store.counts()
        if not counts:
            self.summary.setText("No clips yet. Record at least 3 clips per word (more is better).")
            self.train_button.setEnabled(False)
        else:
            parts = [f"{w}: {n}" for w, n in sorted(counts.items())]
            short = [w for w, n in counts.items() if n < MIN_CLIPS_PER_WORD]
            hint = (
                f"record {MIN_CLIPS_PER_WORD}+ clips of {', '.join(sorted(short))} to train on this folder alone"
                if short
                else "ready: use it as a data folder, or tick 'Add my recorded clips' in a job"
            )
            self.summary.setText(f"{', '.join(parts)}; {hint}.")
            self.train_button.setEnabled(True)
        word = self.word.currentText()
        existing = {self.word.itemText(i) for i in range(self.word.count())}
        for w in self.store.words():
            if w not in existing:
                self.word.addItem(w)
        self.word.setCurrentText(word)

    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        out = []
        for row in rows:
            item = self.table.item(row, 0)
            if item is not None:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def play_selected(self) -> None:
        paths = self.selected_paths()
        if not paths:
            self._say("select a clip to play", error=True)
            return
        try:
            play_clip(paths[0])
        except RecordingError as exc:
            self._say(str(exc), error=True)

    def delete_selected(self) -> None:
        paths = self.selected_paths()
        for path in paths:
            try:
                self.store.delete(path)
            except RecordingError as exc:
                self._say(str(exc), error=True)
        if paths:
            self._say(f"deleted {len(paths)} clip(s)")
            self.refresh_clips()
            self.clips_changed.emit()

    # ---------------------------------------------------------------- private
    def _say(self, text: str, error: bool = False) -> None:
        self.last_result = text
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else SAVED_STYLE)

    def _update_ready(self) -> None:
        ready = self.ring_provider() is not None
        text, style = source_note(self.source_provider()) if ready else ("", "")
        if text != self.source.text():
            self.source.setText(text)
            self.source.setStyleSheet(style)
        self.source.setVisible(bool(text))
        if self.busy:
            return
        self.record_button.setEnabled(ready)
        if not ready and not self.last_result:
            self.status.setText("Start the microphone (or a WAV source) in the live view to record.")
            self.status.setStyleSheet("")
        elif ready and not self.last_result:
            self.status.setText("")
        self.record_button.setToolTip(
            "count down, then record 1.5 s and keep the 1 s around the word"
            if ready
            else "start the microphone in the live view first"
        )

    def _count_down(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.big.setText(str(self._countdown_left))
            return
        self._countdown_timer.stop()
        self._begin_capture()

    def _begin_capture(self) -> None:
        ring = self.ring_provider()
        if ring is None:
            self._finish_capture()
            self._say("the live audio stopped before the recording", error=True)
            return
        self._session = CaptureSession(ring, CAPTURE_S)
        self._capture_started = time.monotonic()
        self.big.setText(f"Say \u201c{check_word(self.word.currentText())}\u201d now")
        self._capture_timer.start()

    def _poll_capture(self) -> None:
        session = self._session
        if session is None:
            return
        session.poll()
        self.level.setValue(int(max(-60.0, min(0.0, session.level_dbfs()))))
        if not session.done:
            if time.monotonic() - self._capture_started > CAPTURE_S + CAPTURE_GRACE_S:
                self._finish_capture()
                self._say("no audio arrived: is the microphone (or WAV source) running?", error=True)
            return
        result = analyse_capture(session.samples())
        self._finish_capture()
        if not result.ok:
            self._say(result.message, error=True)
            return
        try:
            clip = self.store.save(self.word.currentText(), self.speaker.text(), result.clip)
        except RecordingError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"saved {clip.word}/{clip.path.name} ({result.message})")
        self.refresh_clips()
        self.clips_changed.emit()

    def _finish_capture(self) -> None:
        self._capture_timer.stop()
        self._session = None
        self.big.setText("")
        self.level.setValue(-60)
        self._update_ready()
        if self.hasFocus() and self.record_button.isEnabled():
            self.record_button.setFocus(Qt.FocusReason.OtherFocusReason)  # Space records the next clip

    def _choose_folder(self) -> None:
        folder = choose_folder(self, "Record into", str(self.store.root))
        if folder:
            self.set_root(folder)
