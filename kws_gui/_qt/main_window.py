"""The main window: live view, model panel, source and decision settings.

Thin on purpose: a ~30 fps timer polls the engine (snapshot, detections, new
ring samples) and hands plain values to the widgets; everything slow goes
through :class:`~kws_gui._qt.controller.AppController` on worker threads.

The audio's state (running, stopped, end of file, no device) comes from the
controller's one :class:`~kws_gui.core.audio_state.AudioStatus`; the status bar, the
detection area, the plots and the Start/Stop button all show it. Space starts/stops
only when no button or field takes it (a focused button gets its Space); F5 and the
media play key always do. F11 toggles presentation mode (full screen, a large word),
Ctrl +/-/0 zoom all text; both are remembered.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSize, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QTabBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kws_gui._qt.controller import AppController
from kws_gui._qt.file_dialogs import choose_file
from kws_gui._qt.hop_history import HopHistory
from kws_gui._qt.live_tab import LiveTab
from kws_gui._qt.model_tab import ModelTab
from kws_gui._qt.settings import ZOOM_RANGE, ZOOM_STEP, DisplaySettings
from kws_gui._qt.source_tab import SourceTab
from kws_gui._qt.widgets._plot_style import keyword_colors
from kws_gui._qt.widgets.notice_bar import NoticeBar, NoticeTopic
from kws_gui._qt.window_geometry import fills_screen, fit_rect, initial_size
from kws_gui.core.audio import MICROPHONE, SAMPLE_RATE, WAV, SourceSpec
from kws_gui.core.audio_state import AudioState, AudioStatus
from kws_gui.core.decision import DecisionSettings, rms_dbfs
from kws_gui.paths import MODELS_DIR

MODEL_FILTER = "TFLite models (*.tflite);;All files (*)"
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aiff", ".aif"}
REFRESH_MS = 33  # ~30 frames/s
HISTORY_S = 5.0
SNAPSHOT_INTERVAL_S = 0.09  # engine state, probabilities, features: ~10 Hz
LATENCY_INTERVAL_S = 0.25  # numbers people read: 4 Hz
#: In presentation mode text grows with the screen: this many pixels of height per zoom step 1.
PRESENTATION_TEXT_HEIGHT = 720
#: The least height of a tab: a fingertip's worth on a 7" 800x480 touch screen.
TAB_MIN_HEIGHT = 32
#: The Start/Stop button's colour: red while it says Stop, green while it says Start.
START_COLOR = {True: "#c62828", False: "#2e7d32"}


class TouchTabBar(QTabBar):
    """Tabs tall and wide enough to tap (a style sheet would stop the zoom reaching the tabs)."""

    def tabSizeHint(self, index: int) -> QSize:  # noqa: N802
        hint = super().tabSizeHint(index)
        return QSize(hint.width() + 16, max(hint.height(), self.fontMetrics().height() + 14, TAB_MIN_HEIGHT))


class TouchTabWidget(QTabWidget):
    """A tab widget with :class:`TouchTabBar` tabs."""

    def __init__(self) -> None:
        super().__init__()
        self.setTabBar(TouchTabBar())


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a tall page scrolls instead of growing the window."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


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
        self.history = HopHistory()  # the probability traces' hops, converted as they come
        self._labels: tuple[str, ...] = ()
        self._keywords: tuple[str, ...] = ()
        self._last_tick = time.monotonic()
        self._last_snapshot = 0.0
        self._last_latency = 0.0
        self._engine_error: str | None = None
        self.frames = 0  # refresh-timer ticks done (benchmarks count them)
        self._on_close: list[Callable[[], None]] = []
        self._announced: tuple[str, str] | None = None  # (model path, what to say once it is loaded)
        self.display = controller.settings.display
        self.presentation = False
        self._base_font = QFont(QApplication.font())

        self.notice = NoticeBar()
        self.tabs = TouchTabWidget()
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
        self._size_to_screen()

        controller.model_loaded.connect(self._on_model_loaded)
        controller.model_failed.connect(self._on_model_failed)
        controller.source_changed.connect(self._on_source_changed)
        controller.source_failed.connect(self._on_source_failed)
        controller.status_changed.connect(self._on_status_changed)
        controller.decision_changed.connect(self._on_decision_shown)
        self.refresh_devices()
        self._show_source_choice(controller.settings.source)
        self._on_decision_shown(controller.decision)
        self._refresh_recent()
        self._apply_display(self.display)
        if self.display.presentation:
            self.set_presentation(True)
        self._on_status_changed(controller.status)
        if controller.settings.problems:
            self.notice.show_message(" ".join(controller.settings.problems), NoticeTopic.SETTINGS)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # ------------------------------------------------------------------ layout
    def _build_live_tab(self) -> None:
        self.live = LiveTab(HISTORY_S)
        self.detection = self.live.detection
        self.spectrogram = self.live.spectrogram
        self.probabilities = self.live.probabilities
        self.features = self.live.features
        self.level = self.live.level
        self.latency = self.live.latency
        self.log = self.live.log
        self.live_tab = _scrolling(self.live)  # the Live tab's page
        self.tabs.addTab(self.live_tab, "Live")

    def _build_model_tab(self) -> None:
        self.model_tab = ModelTab(sorted(MODELS_DIR.glob("*.tflite")), self.load_model)
        self.model_info = self.model_tab.info
        self.open_button = self.model_tab.open_button
        self.shipped_list = self.model_tab.shipped_list
        self.recent_list = self.model_tab.recent_list
        self.open_button.clicked.connect(self.open_model_dialog)
        self.tabs.addTab(self.model_tab, "Model")

    def _build_source_tab(self) -> None:
        self.source_tab = SourceTab()
        self.source_chooser = self.source_tab.chooser
        self.decision_settings = self.source_tab.decision
        self.source_chooser.microphone_chosen.connect(
            lambda device: self.controller.set_source(SourceSpec(kind=MICROPHONE, device=device))
        )
        self.source_chooser.wav_chosen.connect(
            lambda path, loop: self.controller.set_source(SourceSpec(kind=WAV, wav_path=path, loop=loop))
        )
        self.source_chooser.refresh_requested.connect(lambda: self.refresh_devices(rescan=True))
        self.decision_settings.changed.connect(self.controller.set_decision)
        self.decision_settings.use_model_values.connect(self.controller.use_recommended_decision)
        display = self.source_tab.display
        display.hold_changed.connect(lambda hold: self.set_display(hold_s=hold))
        display.zoom_changed.connect(lambda zoom: self.set_display(zoom=zoom))
        display.presentation_toggled.connect(lambda: self.set_presentation(not self.presentation))
        self.tabs.addTab(self.source_tab, "Source && settings")

    def _build_actions(self) -> None:
        self.start_action = QAction("Start", self)
        self.start_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_F5), QKeySequence(Qt.Key.Key_MediaTogglePlayPause)]
        )
        self.start_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.start_action.setToolTip("Start/stop the audio (Space when no button or field has focus; F5)")
        self.start_action.triggered.connect(self.controller.toggle_audio)
        self.open_action = QAction("Open model...", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_model_dialog)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        self.presentation_action = QAction("Presentation mode", self)
        self.presentation_action.setCheckable(True)
        self.presentation_action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        self.presentation_action.setToolTip("Full screen with a large detected word (F11; Esc leaves)")
        self.presentation_action.triggered.connect(self.set_presentation)
        self.leave_action = QAction("Leave presentation mode", self)
        self.leave_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.leave_action.setEnabled(False)
        self.leave_action.triggered.connect(lambda: self.set_presentation(False))
        self.zoom_in_action = QAction("Larger text", self)
        self.zoom_in_action.setShortcuts([QKeySequence.StandardKey.ZoomIn, QKeySequence("Ctrl+=")])
        self.zoom_in_action.triggered.connect(lambda: self.zoom_by(ZOOM_STEP))
        self.zoom_out_action = QAction("Smaller text", self)
        self.zoom_out_action.setShortcut(QKeySequence.StandardKey.ZoomOut)
        self.zoom_out_action.triggered.connect(lambda: self.zoom_by(1 / ZOOM_STEP))
        self.zoom_reset_action = QAction("Normal text size", self)
        self.zoom_reset_action.setShortcut(QKeySequence("Ctrl+0"))
        self.zoom_reset_action.triggered.connect(lambda: self.set_display(zoom=1.0))
        actions = (
            self.start_action,
            self.open_action,
            self.quit_action,
            self.presentation_action,
            self.leave_action,
            self.zoom_in_action,
            self.zoom_out_action,
            self.zoom_reset_action,
        )
        for action in actions:
            self.addAction(action)  # shortcuts work while the menu bar is hidden

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Recent models")
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        audio_menu = self.menuBar().addMenu("&Audio")
        audio_menu.addAction(self.start_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.presentation_action)
        view_menu.addSeparator()
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action):
            view_menu.addAction(action)

        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 4, 0)
        corner_layout.setSpacing(2)
        self.start_button = QToolButton()
        self.start_button.setDefaultAction(self.start_action)
        self.start_button.setMinimumHeight(30)
        open_button = QToolButton()
        open_button.setDefaultAction(self.open_action)
        open_button.setMinimumHeight(30)
        corner_layout.addWidget(self.start_button)
        corner_layout.addWidget(open_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

    def _build_status_bar(self) -> None:
        self.status_source = QLabel("no source")
        self.status_source.setToolTip("The audio's state and source")
        self.status_model = QLabel("loading model...")
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addPermanentWidget(self.status_source, 1)
        bar.addPermanentWidget(self.status_model)

    def _size_to_screen(self) -> None:
        """The first size: the available screen (a share of a large one), never beyond it."""
        screen = self.screen()
        if screen is None:
            self.resize(1024, 600)
            return
        available = (screen.availableGeometry().width(), screen.availableGeometry().height())
        hint = self.minimumSizeHint()
        self.resize(*initial_size(available, (hint.width(), hint.height())))

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
        return self.tabs.addTab(_scrolling(widget), title)

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
        path = choose_file(self, "Open a model", start or str(MODELS_DIR), MODEL_FILTER)
        if path:
            self.load_model(path)

    def refresh_devices(self, rescan: bool = False) -> None:
        """List input devices again (or show why the microphone is unavailable)."""
        status = self.controller.portaudio_status()
        devices = self.controller.input_devices(refresh=rescan) if status.available else []
        self.source_chooser.set_devices(devices, status)
        self._show_source_choice(self._active_spec())

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: full screen, menu bar hidden, the Live tab with a large word."""
        on = bool(on)
        self.presentation = on
        self.presentation_action.setChecked(on)
        self.leave_action.setEnabled(on)
        state = self.windowState()
        if on:
            self.setWindowState(state | Qt.WindowState.WindowFullScreen)
            self.tabs.setCurrentIndex(0)
        else:
            self.setWindowState(state & ~Qt.WindowState.WindowFullScreen)
        self.menuBar().setVisible(not on)
        self.live.set_presentation(on)
        self.source_tab.display.presentation.setText(
            "Leave presentation mode (F11)" if on else "Presentation mode (F11)"
        )
        self.set_display(presentation=on)  # remembered (and the text scale follows)

    def zoom_by(self, factor: float) -> None:
        """Make all text ``factor`` times larger (within the allowed range)."""
        zoom = min(max(self.display.zoom * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self.set_display(zoom=round(zoom, 2))

    def set_display(self, **changes) -> None:
        """Change and remember display settings (``zoom``, ``hold_s``, ``presentation``)."""
        try:
            display = dataclasses.replace(self.display, **changes)
        except ValueError:
            return  # a value outside the range (the controls do not allow one)
        self.display = display
        self.controller.settings.display = display
        self._apply_display(display)

    def text_scale(self) -> float:
        """The zoom, times the screen's height over 720 px in presentation mode (1-2x): a
        projector's full screen gets larger axis numbers and readouts."""
        scale = self.display.zoom
        if self.presentation:
            scale *= min(2.0, max(1.0, self.height() / PRESENTATION_TEXT_HEIGHT))
        return round(scale, 2)

    def _apply_display(self, display: DisplaySettings) -> None:
        """Text size and hold time as ``display`` (and presentation mode) say."""
        font = QFont(self._base_font)
        scale = self.text_scale()
        if font.pointSizeF() > 0:
            font.setPointSizeF(self._base_font.pointSizeF() * scale)
        else:
            font.setPixelSize(max(6, round(self._base_font.pixelSize() * scale)))
        if font != self.font():
            self.setFont(font)
        self.detection.hold_s = display.hold_s
        self.source_tab.display.set_values(display)
        self._style_start_button()

    def _style_start_button(self) -> None:
        # A style sheet's font does not follow the window's: the zoomed size is written into it.
        color = START_COLOR[self.controller.status.active]
        font = self.font()
        size = f"{font.pointSizeF():.1f}pt" if font.pointSizeF() > 0 else f"{font.pixelSize()}px"
        self.start_button.setStyleSheet(
            f"QToolButton {{ background: {color}; color: white; font-weight: bold; padding: 2px 14px;"
            f" font-size: {size}; }}"
        )

    # ---------------------------------------------------------------- slots
    @Slot(object)
    def _on_model_loaded(self, info) -> None:
        self.model_info.show_info(info)
        self.model_tab.set_active(info.path)
        self.features.set_kind(info.frontend.kind, info.frontend.feature_shape, info.frontend.clip_duration_s)
        self.status_model.setText(f"Model: {Path(info.path).name}")
        self.status_model.setToolTip(info.path)
        self.statusBar().showMessage(f"Loaded {Path(info.path).name}", 4000)
        self.source_tab.set_model_name(Path(info.path).name, bool(info.recommended_decision))
        self._set_keywords(info.labels, info.keywords)
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
        self._show_source_choice(self._active_spec())
        self.statusBar().showMessage(f"Listening to {name}", 4000)

    @Slot(str)
    def _on_source_failed(self, message: str) -> None:
        self.notice.show_message(message, NoticeTopic.SOURCE)
        self.refresh_devices()  # also shows the source in use again

    @Slot(object)
    def _on_status_changed(self, status: AudioStatus) -> None:
        running = status.running
        if not running:
            self.spectrogram.mark_gap()  # the audio stops or changes here
        if not status.active:
            self.detection.clear()  # the state shows at once
        self.start_action.setText(status.action)
        self._style_start_button()
        text = status.status_text()
        if running and "Hz" not in status.source:
            text += f", {SAMPLE_RATE} Hz"
        self.status_source.setText(text)
        self.source_tab.set_active(text)
        self._show_source_choice(self._active_spec())
        self.detection.set_idle_text(status.headline())
        note = status.plot_note()
        for plot in (self.spectrogram, self.probabilities, self.features):
            plot.set_note(note)
        if status.state is AudioState.STARTING:
            self.level.set_level(-120.0)

    def _on_decision_shown(self, decision: DecisionSettings) -> None:
        self.decision_settings.set_values(decision, self.controller.decision_origin)
        self.probabilities.set_threshold(decision.threshold)

    def _set_keywords(self, labels: tuple[str, ...], keywords: tuple[str, ...]) -> None:
        if (labels, keywords) == (self._labels, self._keywords):
            return
        self._labels, self._keywords = labels, keywords
        self.probabilities.set_labels(labels, keywords)
        colors = keyword_colors(keywords)
        self.detection.set_colors(colors)
        self.log.set_colors(colors)

    def _active_spec(self) -> SourceSpec:
        """The source in use; else the one being opened; else the remembered one."""
        c = self.controller
        return c.source_spec or c.chosen_spec or c.settings.source

    def _show_source_choice(self, spec: SourceSpec) -> None:
        self.source_chooser.show_spec(spec)

    def _refresh_recent(self) -> None:
        recent = self.controller.settings.recent_models
        self.model_tab.set_recent(recent)
        self.recent_menu.clear()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.load_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # ------------------------------------------------------------ keys, size
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Space reaches the window only when the focused widget (a button, a field) did not take it."""
        if (
            event.key() == Qt.Key.Key_Space
            and not event.isAutoRepeat()
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.controller.toggle_audio()
            event.accept()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.live.fit_height(event.size().height())
        if self.presentation:
            self._apply_display(self.display)  # the text follows the screen's size
        super().resizeEvent(event)

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
        info = self.controller.model_info
        if info is not None and snap.model_path == info.path:  # a swap is applied at the next hop
            self._set_keywords(snap.labels, snap.keywords)
        if snap.inferences != self._last_inferences:
            self._last_inferences = snap.inferences
            self.features.set_features(snap.features)
        if now - self._last_latency >= LATENCY_INTERVAL_S:
            self._last_latency = now
            self.latency.show_snapshot(snap, running=self.controller.running)
        if snap.time_s != self._last_records_time:
            self._last_records_time = snap.time_s
            self._plot_history(engine, snap)
        rolled_back = self.controller.check_engine(
            snap.model_rollbacks, snap.model_path, snap.rollback_reason
        )
        if snap.error != self._engine_error:
            self._engine_error = snap.error
            if snap.error and not rolled_back:
                self.notice.show_message(f"The model failed while running: {snap.error}", NoticeTopic.MODEL)

    def _plot_history(self, engine, snap) -> None:
        """The probability traces of the last seconds (hops of the labels now in use)."""
        hop = max(snap.settings.hop_s, 0.005)
        capacity = int(HISTORY_S / hop) + 2
        history = self.history
        history.update(engine.recent_records(capacity), len(snap.labels), capacity)
        if history.size:
            self.probabilities.set_history(history.times, history.probs, snap.time_s, history.segments)

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
            self.controller.set_source(SourceSpec(kind=WAV, wav_path=path, loop=True))
            self._show_source_choice(self._active_spec())
        else:
            self.load_model(path)

    # ---------------------------------------------------------------- closing
    def restore_geometry(self) -> None:
        """Restore the saved window geometry, kept on the screen it is shown on; the first
        start on a small screen (a 7" display) maximizes the window."""
        geometry = self.controller.settings.window_geometry
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        screen = self.screen()
        if screen is not None and not geometry:
            available = screen.availableGeometry()
            if fills_screen((available.width(), available.height())):
                self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        elif screen is not None:
            a, g = screen.availableGeometry(), self.geometry()
            fitted = fit_rect((g.x(), g.y(), g.width(), g.height()), (a.x(), a.y(), a.width(), a.height()))
            if fitted != (g.x(), g.y(), g.width(), g.height()):
                self.setGeometry(QRect(*fitted))
        if self.display.presentation:
            self.set_presentation(True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.timer.stop()
        if not self.presentation:  # the normal geometry, not the full screen
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
