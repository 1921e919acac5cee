"""The recorder tab, fed by a WAV source through a ring buffer as the live engine is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt

from kws_gui._qt.training import RecorderPanel
from kws_gui.core.audio import WavFileSource
from kws_gui.core.ring_buffer import AudioRingBuffer
from tests._qt.conftest import activate

SR = 16000


def _word_wav(
    path: Path, freq: float, gain: float = 0.4, period_s: float = 1.4, burst_s: float = 0.3
) -> Path:
    """A loopable WAV: one tone burst (a stand-in for a word) per period, over faint noise."""
    rng = np.random.default_rng(int(freq))
    x = rng.normal(0, 0.002, int(period_s * SR)).astype(np.float32)
    n = int(burst_s * SR)
    t = np.arange(n) / SR
    x[:n] += (gain * np.hanning(n) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    soundfile.write(str(path), x, SR, subtype="PCM_16")
    return path


class LiveAudio:
    """A source feeding a ring buffer, as StreamingEngine.set_source does."""

    def __init__(self) -> None:
        self.ring = AudioRingBuffer(SR * 10)
        self.source: WavFileSource | None = None

    def play(self, wav: Path) -> None:
        self.stop()
        self.source = WavFileSource(wav, loop=True, realtime=True)
        self.source.start(self.ring.write)

    def stop(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source = None


@pytest.fixture
def live():
    audio = LiveAudio()
    yield audio
    audio.stop()


def _recorder(qtbot, tmp_path: Path, provider) -> RecorderPanel:
    panel = RecorderPanel(ring_provider=provider, root=tmp_path / "rec")
    qtbot.addWidget(panel)
    panel.countdown.setValue(0)
    panel.speaker.setText("Tester")
    panel.show()
    return panel


def _record(qtbot, panel: RecorderPanel, word: str) -> str:
    panel.word.setCurrentText(word)
    qtbot.waitUntil(panel.record_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.busy
    qtbot.waitUntil(lambda: not panel.busy, timeout=20_000)
    return panel.last_result


def test_recorded_clips_form_a_folder_the_trainer_accepts(qtbot, tmp_path: Path, live: LiveAudio) -> None:
    from trainer.data import scan_dataset

    panel = _recorder(qtbot, tmp_path, lambda: live.ring)
    for word, freq in (("yes", 600.0), ("no", 1800.0)):
        live.play(_word_wav(tmp_path / f"{word}.wav", freq))
        for _ in range(3):
            message = _record(qtbot, panel, word)
            assert message.startswith("saved"), message
    assert panel.table.rowCount() == 6
    assert "ready" in panel.summary.text()
    files = sorted(p.relative_to(panel.store.root).as_posix() for p in panel.store.root.rglob("*.wav"))
    assert files == [f"{w}/tester_nohash_{n}.wav" for w in ("no", "yes") for n in range(3)]
    for path in panel.store.root.rglob("*.wav"):
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (SR, 1, "PCM_16", SR)
        audio, _ = soundfile.read(str(path), dtype="float32")
        loud = np.flatnonzero(np.abs(audio) > 0.1)
        assert loud.size and 0.4 * SR < loud.mean() < 0.6 * SR  # trimmed and centred on the word
    index = scan_dataset(panel.store.root, ("yes", "no"))
    assert index.counts() == {s: {"yes": 1, "no": 1} for s in ("train", "validation", "test")}
    out = subprocess.run(
        [sys.executable, "-m", "trainer", "inspect-data", str(panel.store.root), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == {"train": 2, "validation": 2, "test": 2}


def test_a_silent_capture_is_refused_and_nothing_is_saved(qtbot, tmp_path: Path, live: LiveAudio) -> None:
    panel = _recorder(qtbot, tmp_path, lambda: live.ring)
    silent = tmp_path / "silent.wav"
    soundfile.write(str(silent), np.zeros(SR, np.float32), SR)
    live.play(silent)
    message = _record(qtbot, panel, "yes")
    assert "too quiet" in message
    assert panel.table.rowCount() == 0 and not list(tmp_path.joinpath("rec").rglob("*.wav"))


def test_without_live_audio_recording_is_disabled(qtbot, tmp_path: Path) -> None:
    panel = _recorder(qtbot, tmp_path, lambda: None)
    assert not panel.record_button.isEnabled()
    assert "microphone" in panel.status.text()
    panel.start_recording()
    assert not panel.busy and "no live audio" in panel.last_result


def test_bad_speaker_name_and_delete(qtbot, tmp_path: Path, live: LiveAudio) -> None:
    panel = _recorder(qtbot, tmp_path, lambda: live.ring)
    panel.speaker.setText("!!!")
    panel.start_recording()
    assert not panel.busy and "speaker" in panel.last_result
    panel.speaker.setText("tester")
    live.play(_word_wav(tmp_path / "yes.wav", 600.0))
    assert _record(qtbot, panel, "yes").startswith("saved")
    path = Path(panel.table.item(0, 0).data(Qt.ItemDataRole.UserRole))
    assert path.is_file()
    panel.table.selectRow(0)
    panel.delete_selected()
    assert not path.exists() and panel.table.rowCount() == 0


def test_a_capture_without_audio_gives_up(qtbot, tmp_path: Path) -> None:
    ring = AudioRingBuffer(SR)  # a ring nothing writes to: the source stopped
    panel = _recorder(qtbot, tmp_path, lambda: ring)
    message = _record(qtbot, panel, "yes")
    assert "no audio arrived" in message and panel.table.rowCount() == 0


def test_train_with_recordings_opens_a_job(qtbot, tmp_path: Path, live: LiveAudio) -> None:
    from kws_gui._qt.training import TrainingPanel
    from kws_gui.jobs.queue import JobQueue
    from kws_gui.jobs.spec import JobKind

    panel = TrainingPanel(
        queue=JobQueue(root=tmp_path / "jobs"),
        recordings_root=tmp_path / "rec",
        ring_provider=lambda: live.ring,
    )
    qtbot.addWidget(panel)
    rec = panel.recorder
    rec.countdown.setValue(0)
    rec.speaker.setText("me")
    live.play(_word_wav(tmp_path / "yes.wav", 600.0))
    assert _record(qtbot, rec, "yes").startswith("saved")
    assert panel.form.use_recordings.isEnabled() and "yes 1" in panel.form.use_recordings.text()
    panel.form.folders.set_folders([str(tmp_path / "dataset")])
    rec.train_button.click()
    assert panel.form.current_kind is JobKind.TRAIN and panel.form.use_recordings.isChecked()
    assert panel.form.data_folders() == [(str(tmp_path / "dataset"), 1.0), (str(tmp_path / "rec"), 1.0)]
    panel.shutdown()


def _contrast(style: str) -> float:
    """WCAG contrast ratio of a ``background: #..; color: ..`` style."""
    from PySide6.QtGui import QColor

    def luminance(name: str) -> float:
        c = QColor(name)
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    parts = dict(p.split(":", 1) for p in style.replace(" ", "").split(";") if ":" in p)
    a, b = sorted((luminance(parts["background"]), luminance(parts["color"])), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_saved_text_is_readable_and_a_wav_source_is_named(qtbot, tmp_path: Path, live: LiveAudio) -> None:
    from kws_gui.core.audio import MICROPHONE, WAV, SourceSpec

    spec = {"value": SourceSpec(kind=WAV, wav_path=str(tmp_path / "talk.wav"))}
    rec = RecorderPanel(lambda: live.ring, root=tmp_path / "rec", source_provider=lambda: spec["value"])
    qtbot.addWidget(rec)
    rec.show()
    rec.countdown.setValue(0)
    rec.speaker.setText("me")
    live.play(_word_wav(tmp_path / "yes.wav", 600.0))
    qtbot.waitUntil(lambda: rec.source.isVisible(), timeout=5_000)
    assert "talk.wav" in rec.source.text() and "not a microphone" in rec.source.text()
    assert _record(qtbot, rec, "yes").startswith("saved")
    assert _contrast(rec.status.styleSheet()) >= 4.5  # WCAG AA; light green on light grey was ~1.9
    spec["value"] = SourceSpec(kind=MICROPHONE)
    qtbot.waitUntil(
        lambda: "microphone" in rec.source.text() and "not a" not in rec.source.text(), timeout=5_000
    )


def test_space_while_recording_neither_stops_the_audio_nor_presses_another_button(
    qtbot, tmp_path: Path, live: LiveAudio
) -> None:
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    class Window(QWidget):  # stands in for the main window: Space reaching it = Start/Stop
        def __init__(self) -> None:
            super().__init__()
            self.spaces = 0

        def keyPressEvent(self, event) -> None:  # noqa: N802
            self.spaces += event.key() == Qt.Key.Key_Space

    window = Window()
    qtbot.addWidget(window)
    panel = RecorderPanel(ring_provider=lambda: live.ring, root=tmp_path / "rec")
    QVBoxLayout(window).addWidget(panel)
    panel.speaker.setText("Tester")
    panel.countdown.setValue(1)
    window.show()
    activate(window, qtbot)
    live.play(_word_wav(tmp_path / "yes.wav", 600.0))
    qtbot.waitUntil(panel.record_button.isEnabled, timeout=5_000)
    panel.record_button.setFocus()
    qtbot.keyClick(panel.record_button, Qt.Key.Key_Space)  # the focused button gets its Space
    assert panel.busy and not panel.record_button.isEnabled()
    focused = QApplication.focusWidget()
    assert focused is panel  # not the next button in the chain (Play, Delete)
    for _ in range(3):
        qtbot.keyClick(focused, Qt.Key.Key_Space)
    assert window.spaces == 0 and panel.busy
    qtbot.waitUntil(lambda: not panel.busy, timeout=20_000)
    assert panel.last_result.startswith("saved"), panel.last_result
    assert QApplication.focusWidget() is panel.record_button  # Space records the next clip
    qtbot.keyClick(panel, Qt.Key.Key_Space)  # idle: Space goes on to the window again
    assert window.spaces == 1
