"""The main window: live view, model panel, source and decision settings.

Thin on purpose: a ~30 fps timer polls the engine (snapshot, detections, new
ring samples) and hands plain values to the widgets; everything slow goes
through :class:`~kws_gui._qt.controller.AppController` on worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.controller import AppController
from kws_gui._qt.widgets.decision_settings import DecisionSettingsWidget
from kws_gui._qt.widgets.detection_display import DetectionDisplay
from kws_gui._qt.widgets.detection_log import DetectionLog
from kws_gui._qt.widgets.feature_image import FeatureImageWidget
from kws_gui._qt.widgets.heading import heading
from kws_gui._qt.widgets.latency_panel import LatencyPanel
from kws_gui._qt.widgets.level_meter import LevelMeter
from kws_gui._qt.widgets.model_info import ModelInfoPanel
from kws_gui._qt.widgets.notice_bar import NoticeBar, NoticeTopic
from kws_gui._qt.widgets.probability_plot import ProbabilityPlot
from kws_gui._qt.widgets.source_chooser import SourceChooser
from kws_gui._qt.widgets.spectrogram import SpectrogramWidget
from kws_gui.core.audio import MICROPHONE, SAMPLE_RATE, WAV, SourceSpec
from kws_gui.core.decision import DecisionSettings, rms_dbfs
from kws_gui.paths import MODELS_DIR

MODEL_FILTER = "TFLite models (*.tflite);;All files (*)"
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aiff", ".aif"}
REFRESH_MS = 33  # ~30 frames/s
HISTORY_S = 5.0
SNAPSHOT_INTERVAL_S = 0.09  # engine state, probabilities, features: ~10 Hz
LATENCY_INTERVAL_S = 0.25  # numbers people read: 4 Hz


class MainWindow(QMainWindow):
    """Live keyword spotting: what the model hears, what it says, how fast."""

    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle("KWS demonstrator")
        self.setAcceptDrops(True)
        self._ring_pos = 0
        self._last_inferences = -1
        self._last_records_time = -1.0
        self._labels: tuple[str, ...] = ()
        self._last_tick = time.monotonic()
        self._last_snapshot = 0.0
        self._last_latency = 0.0
        self._status_text: tuple = ()
        self._engine_error: str | None = None
        self.frames = 0  # refresh-timer ticks done (benchmarks count them)
        self._on_close: list[Callable[[], None]] = []
        self._announced: tuple[str, str] | None = None  # (model path, what to say once it is loaded)

        self.notice = NoticeBar()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._build_live_tab()
        self._build_model_tab()
        self._build_source_tab()
        self._build_actions()
        self._build_status_bar()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1024, 600)

        controller.model_loaded.connect(self._on_model_loaded)
        controller.model_failed.connect(self._on_model_failed)
        controller.source_changed.connect(self._on_source_changed)
        controller.source_failed.connect(self._on_source_failed)
        controller.running_changed.connect(self._on_running_changed)
        self.refresh_devices()
        self._show_source_choice(controller.settings.source)
        self.decision_settings.set_values(controller.decision)
        self.probabilities.set_threshold(controller.decision.threshold)
        self._refresh_recent()
        if controller.settings.problems:
            self.notice.show_message(" ".join(controller.settings.problems), NoticeTopic.SETTINGS)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # ------------------------------------------------------------------ layout
    def _build_live_tab(self) -> None:
        self.detection = DetectionDisplay()
        self.spectrogram = SpectrogramWidget(seconds=HISTORY_S)
        self.probabilities = ProbabilityPlot(seconds=HISTORY_S)
        self.features = FeatureImageWidget()
        self.level = LevelMeter()
        self.latency = LatencyPanel()
        self.log = DetectionLog()

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.spectrogram)
        left.addWidget(self.probabilities)
        left.setChildrenCollapsible(False)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)
        left.setSizes([1000, 1000])  # half and half, whatever the size hints
        left_box = QWidget()
        left_layout = QVBoxLayout(left_box)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addWidget(self.detection)
        left_layout.addWidget(left, 1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.features)
        right.addWidget(self.latency)
        right.addWidget(self.log)
        right.setChildrenCollapsible(False)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 0)
        right.setStretchFactor(2, 2)

        live = QSplitter(Qt.Orientation.Horizontal)
        meter_box = QWidget()
        meter_layout = QVBoxLayout(meter_box)
        meter_layout.setContentsMargins(2, 2, 2, 2)
        meter_layout.addWidget(self.level)
        live.addWidget(left_box)
        live.addWidget(meter_box)
        live.addWidget(right)
        live.setChildrenCollapsible(False)
        live.setStretchFactor(0, 3)
        live.setStretchFactor(1, 0)
        live.setStretchFactor(2, 2)
        self.live_tab = live
        self.tabs.addTab(live, "Live")

    def _build_model_tab(self) -> None:
        self.model_info = ModelInfoPanel()
        self.open_button = QPushButton("Open model...")
        self.open_button.clicked.connect(self.open_model_dialog)
        self.shipped_list = QListWidget()
        self.shipped_list.setToolTip("Double-click to load")
        for path in sorted(MODELS_DIR.glob("*.tflite")):
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.shipped_list.addItem(item)
        self.shipped_list.itemActivated.connect(
            lambda item: self.load_model(item.data(Qt.ItemDataRole.UserRole))
        )
        self.recent_list = QListWidget()
        self.recent_list.setToolTip("Double-click to load")
        self.recent_list.itemActivated.connect(lambda item: self.load_model(item.text()))
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(self.open_button)
        side_layout.addWidget(QLabel("Shipped models:"))
        side_layout.addWidget(self.shipped_list, 1)
        side_layout.addWidget(QLabel("Recent models:"))
        side_layout.addWidget(self.recent_list, 2)
        hint = QLabel("Tip: drop a .tflite file on the window to load it.")
        hint.setWordWrap(True)
        side_layout.addWidget(hint)
        tab = QSplitter(Qt.Orientation.Horizontal)
        tab.addWidget(self.model_info)
        tab.addWidget(side)
        tab.setStretchFactor(0, 3)
        tab.setStretchFactor(1, 1)
        self.tabs.addTab(tab, "Model")

    def _build_source_tab(self) -> None:
        self.source_chooser = SourceChooser()
        self.decision_settings = DecisionSettingsWidget()
        self.source_chooser.microphone_chosen.connect(
            lambda device: self.controller.set_source(SourceSpec(kind=MICROPHONE, device=device))
        )
        self.source_chooser.wav_chosen.connect(
            lambda path, loop: self.controller.set_source(SourceSpec(kind=WAV, wav_path=path, loop=loop))
        )
        self.source_chooser.refresh_requested.connect(lambda: self.refresh_devices(rescan=True))
        self.decision_settings.changed.connect(self._on_decision_changed)
        tab = QWidget()
        layout = QHBoxLayout(tab)
        layout.setContentsMargins(4, 4, 4, 4)
        source_box = QVBoxLayout()
        source_box.addWidget(heading("Audio source"))
        source_box.addWidget(self.source_chooser)
        source_box.addStretch(1)
        decision_box = QVBoxLayout()
        decision_box.addWidget(heading("Detection"))
        decision_box.addWidget(self.decision_settings)
        decision_box.addStretch(1)
        layout.addLayout(source_box, 3)
        layout.addLayout(decision_box, 2)
        self.tabs.addTab(tab, "Source && settings")

    def _build_actions(self) -> None:
        self.start_action = QAction("Start", self)
        self.start_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.start_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.start_action.setToolTip("Start/stop the audio (Space)")
        self.start_action.triggered.connect(self.controller.toggle_audio)
        self.open_action = QAction("Open model...", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_model_dialog)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        for action in (self.start_action, self.open_action, self.quit_action):
            self.addAction(action)  # shortcuts work while the menu bar is hidden

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Recent models")
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        audio_menu = self.menuBar().addMenu("&Audio")
        audio_menu.addAction(self.start_action)

        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 4, 0)
        corner_layout.setSpacing(2)
        self.start_button = QToolButton()
        self.start_button.setDefaultAction(self.start_action)
        open_button = QToolButton()
        open_button.setDefaultAction(self.open_action)
        corner_layout.addWidget(self.start_button)
        corner_layout.addWidget(open_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

    def _build_status_bar(self) -> None:
        self.status_source = QLabel("no source")
        self.status_rate = QLabel("")
        self.status_model = QLabel("loading model...")
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addPermanentWidget(self.status_source)
        bar.addPermanentWidget(self.status_rate)
        bar.addPermanentWidget(self.status_model)

    # -------------------------------------------------------------- public API
    def add_tab(
        self,
        widget: QWidget,
        title: str,
        on_close: Callable[[], None] | None = None,
        scroll: bool = True,
    ) -> int:
        """Add a tab (e.g. the training panel), in a scroll area unless ``scroll`` is False; returns its index.

        ``on_close`` runs when the window closes (e.g. the panel stops its jobs). A widget
        that keeps its own buttons in view and scrolls its own pages passes ``scroll=False``.
        """
        if on_close is not None:
            self._on_close.append(on_close)
        if not scroll:
            return self.tabs.addTab(widget, title)
        # Scrollable, so that a tall panel never makes the window taller than a 480-pixel screen.
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(widget)
        return self.tabs.addTab(area, title)

    def load_model(self, path: str | Path) -> None:
        """Check and load a model file off the GUI thread; the running model stays on failure."""
        self.status_model.setText(f"loading {Path(path).name}...")
        self.controller.load_model(path)

    def announce_model(self, path: str | Path, description: str) -> None:
        """Show the Live tab; once ``path`` is the loaded model, say so (``description``) until dismissed.

        The training panel calls this right after "Use this model" started loading ``path``;
        a failed load shows why instead.
        """
        self._announced = (str(Path(path).resolve()), description)
        self.tabs.setCurrentIndex(self.tabs.indexOf(self.live_tab))

    def open_model_dialog(self) -> None:
        """Ask for a model file (Ctrl+O)."""
        start = str(Path(self.controller.model_info.path).parent) if self.controller.model_info else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", start or str(MODELS_DIR), MODEL_FILTER)
        if path:
            self.load_model(path)

    def refresh_devices(self, rescan: bool = False) -> None:
        """List input devices again (or show why the microphone is unavailable)."""
        status = self.controller.portaudio_status()
        devices = self.controller.input_devices(refresh=rescan) if status.available else []
        self.source_chooser.set_devices(devices, status)

    # ---------------------------------------------------------------- slots
    @Slot(object)
    def _on_model_loaded(self, info) -> None:
        self.model_info.show_info(info)
        self.features.set_kind(info.frontend.kind, info.frontend.feature_shape)
        self.status_model.setText(f"Model: {Path(info.path).name}")
        self.status_model.setToolTip(info.path)
        self.statusBar().showMessage(f"Loaded {Path(info.path).name}", 4000)
        self._refresh_recent()
        if not self.controller.last_load_was_fallback:
            self.notice.clear(NoticeTopic.MODEL)
        if self._announced is not None and str(Path(info.path).resolve()) == self._announced[0]:
            self.notice.show_message(
                f"Now listening with {self._announced[1]}", NoticeTopic.MODEL, error=False
            )
            self._announced = None

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self._announced = None
        info = self.controller.model_info
        self.status_model.setText(f"Model: {Path(info.path).name}" if info else "no model")
        message = message.rstrip(".")
        if info is not None:
            message += f". Still using {Path(info.path).name}."
        elif not self.controller.loading_fallback:
            message += ". Open a model file (Ctrl+O)."
        self.notice.show_message(message, NoticeTopic.MODEL)

    @Slot(str)
    def _on_source_changed(self, name: str) -> None:
        self.notice.clear(NoticeTopic.SOURCE)
        self.spectrogram.clear_audio()
        self.statusBar().showMessage(f"Listening to {name}", 4000)

    @Slot(str)
    def _on_source_failed(self, message: str) -> None:
        self.notice.show_message(message, NoticeTopic.SOURCE)
        self.refresh_devices()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.start_action.setText("Stop" if running else "Start")

    def _on_decision_changed(self, decision: DecisionSettings) -> None:
        self.controller.set_decision(decision)
        self.probabilities.set_threshold(decision.threshold)

    def _show_source_choice(self, spec: SourceSpec) -> None:
        self.source_chooser.set_wav(spec.wav_path, spec.loop)
        self.source_chooser.select_device(spec.device)
        self.source_chooser.set_kind(spec.kind)

    def _refresh_recent(self) -> None:
        recent = self.controller.settings.recent_models
        self.recent_list.clear()
        self.recent_list.addItems(recent)
        self.recent_menu.clear()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.load_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # ----------------------------------------------------------- the refresh
    @Slot()
    def refresh(self) -> None:
        """One display frame: poll the engine and update the widgets.

        Every frame: new audio (spectrogram, level) and detections; about ten
        times a second: the engine snapshot (plots, features, latency, status).
        """
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        self.frames += 1
        engine = self.controller.engine
        self.detection.tick(now)
        if engine is None:
            return
        samples, self._ring_pos = engine.ring.read_since(self._ring_pos)
        if samples.size:
            self.spectrogram.append_samples(samples)
            self.level.set_level(rms_dbfs(samples), dt)
        elif not self.controller.running:
            self.level.set_level(-120.0, dt)
        self.spectrogram.refresh()

        detections = engine.drain_detections()
        if detections:
            costs = {r.time_s: (r.preprocess_ns + r.inference_ns) / 1e3 for r in engine.recent_records(20)}
            for det in detections:
                self.detection.show_detection(det.label, det.score, now, costs.get(det.time_s))
                self.log.add_detection(det.label, det.score, det.time_s, det.wall_time)

        if now - self._last_snapshot < SNAPSHOT_INTERVAL_S:
            return
        # The slower half (~10 Hz, the inference rate): state, plots, readouts.
        self._last_snapshot = now
        snap = engine.snapshot()
        self.controller.check_source(snap.source_error, snap.source_finished)
        if snap.labels != self._labels:
            self._labels = snap.labels
            self.probabilities.set_labels(snap.labels)
        if snap.inferences != self._last_inferences:
            self._last_inferences = snap.inferences
            self.features.set_features(snap.features)
        if now - self._last_latency >= LATENCY_INTERVAL_S:
            self._last_latency = now
            self.latency.show_snapshot(snap)
        if snap.time_s != self._last_records_time:
            self._last_records_time = snap.time_s
            hop = max(snap.settings.hop_s, 0.005)
            records = engine.recent_records(int(HISTORY_S / hop) + 2)
            if records:
                times = np.fromiter((r.time_s for r in records), dtype=np.float64, count=len(records))
                probs = np.stack([r.smoothed for r in records])
                self.probabilities.set_history(times, probs, snap.time_s)
        rolled_back = self.controller.check_engine(
            snap.model_rollbacks, snap.model_path, snap.rollback_reason
        )
        if snap.error != self._engine_error:
            self._engine_error = snap.error
            if snap.error and not rolled_back:
                self.notice.show_message(f"The model failed while running: {snap.error}", NoticeTopic.MODEL)
        self._update_status(snap)

    def _update_status(self, snap) -> None:
        state = (snap.source_name, snap.source_running, self.controller.running)
        if state == self._status_text:
            return
        self._status_text = state
        if snap.source_name and self.controller.running:
            self.status_source.setText(snap.source_name)
            self.status_rate.setText(f"{SAMPLE_RATE} Hz")
        elif snap.source_name:
            self.status_source.setText(f"{snap.source_name} (stopped)")
            self.status_rate.setText("")
        else:
            self.status_source.setText("no source: choose one in the Source tab")
            self.status_rate.setText("")

    # ------------------------------------------------------------ drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = _dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.handle_dropped_file(path)

    def handle_dropped_file(self, path: str) -> None:
        """A dropped audio file becomes the source (looping); anything else is tried as a model."""
        if Path(path).suffix.lower() in AUDIO_SUFFIXES:
            self.source_chooser.set_wav(path, True)
            self.controller.set_source(SourceSpec(kind=WAV, wav_path=path, loop=True))
        else:
            self.load_model(path)

    # ---------------------------------------------------------------- closing
    def restore_geometry(self) -> None:
        """Restore the saved window geometry, if any."""
        geometry = self.controller.settings.window_geometry
        if geometry:
            self.restoreGeometry(QByteArray(geometry))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.timer.stop()
        self.controller.settings.window_geometry = bytes(self.saveGeometry().data())
        for callback in self._on_close:
            callback()
        self._on_close.clear()
        self.controller.shutdown()
        super().closeEvent(event)


def _dropped_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None
