"""The app's state: engine, model, audio source and settings, with Qt signals.

Widgets never touch files or devices: they call the controller, which does
slow work (reading and checking a model file, decoding a WAV file, opening a
device) on a worker thread and reports back with signals on the GUI thread.
The running model and source stay in use until a replacement is ready, so a
bad file or a failing device never interrupts what works.

The audio's state (:class:`~kws_gui.core.audio_state.AudioStatus`: running, stopped,
end of file, no device) is kept here and announced with ``status_changed``; every
widget that shows it reads this one status. The stream clock continues over Stop/Start
and source changes (the plots and the log keep one time axis).

Decision settings: each field is the user's value once they changed it (remembered
per field in the settings), else the loaded model's recommended value, else the
default, as ``kws-listen`` does with its options (:func:`~kws_gui.core.decision.resolve_decision`).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from kws_gui._qt.settings import AppSettings
from kws_gui.core.audio import (
    WAV,
    AudioFileError,
    AudioSource,
    AudioSourceError,
    InputDevice,
    PortAudioStatus,
    SourceSpec,
    list_input_devices,
    open_source,
    portaudio_status,
)
from kws_gui.core.audio_state import AudioState, AudioStatus
from kws_gui.core.decision import DecisionSettings, resolve_decision
from kws_gui.core.engine import EngineSettings, StreamingEngine
from kws_gui.core.model_file import KwsModel, ModelFileError, ModelInfo
from kws_gui.core.runtime import RuntimeUnavailable
from kws_gui.paths import DEFAULT_MODEL


class _Relay(QObject):
    """Carries a worker's result back to the GUI thread (queued connection)."""

    done = Signal(int, object, object)  # generation, result, error message (str) or None


class _Task(QRunnable):
    """Runs ``work()`` on a pool thread and reports ``(generation, result, error)``."""

    def __init__(self, generation: int, work: Callable[[], Any], relay: _Relay, errors: tuple) -> None:
        super().__init__()
        self.generation = generation
        self.work = work
        self.relay = relay
        self.errors = errors

    def run(self) -> None:
        try:
            result = self.work()
        except self.errors as exc:
            self.relay.done.emit(self.generation, None, str(exc))
        except Exception as exc:  # never let a worker thread die silently
            self.relay.done.emit(self.generation, None, f"unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.relay.done.emit(self.generation, result, None)


class SourceAction(enum.Enum):
    """What an audio task did (the result the audio thread reports)."""

    SET = "set"  # opened a newly chosen source (remembered in the settings)
    RESTART = "restart"  # restarted the chosen source after a stop
    STOP = "stop"  # stopped capturing


@dataclasses.dataclass(frozen=True)
class SourceResult:
    """An audio task's result: the action and, unless it stopped, the source now running."""

    action: SourceAction
    spec: SourceSpec | None = None
    source: AudioSource | None = None


def _load_model(path: str) -> tuple[KwsModel, ModelInfo]:
    model = KwsModel.load(path)
    return model, model.info()


class AppController(QObject):
    """Owns the :class:`StreamingEngine`, the current model and source, and the settings.

    The engine exists once the first model has loaded (``engine`` is None before).
    """

    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    source_changed = Signal(str)  # source name
    source_failed = Signal(str)
    running_changed = Signal(bool)
    status_changed = Signal(object)  # AudioStatus
    decision_changed = Signal(object)  # DecisionSettings (origins in decision_origin)

    def __init__(self, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.engine: StreamingEngine | None = None
        self.model_info: ModelInfo | None = None
        self.decision: DecisionSettings = settings.decision
        #: The decision fields the user set (the model's recommendation never replaces them).
        self.decision_user_set: frozenset[str] = settings.decision_user_set
        #: Where each decision field's value comes from: "yours", "model" or "default".
        self.decision_origin: dict[str, str] = self._resolve_decision({})[1]
        self.source: AudioSource | None = None  # the source that last ran (also when stopped)
        self.source_spec: SourceSpec | None = None  # ... and what it was opened from
        #: The source last asked for (it may still be opening, or have failed).
        self.chosen_spec: SourceSpec | None = None
        self.status = AudioStatus()
        self._pending_source: SourceSpec | None = None
        self.loading_fallback = False
        #: True when the model in use replaced a first model that failed to load.
        self.last_load_was_fallback = False
        self._reported_source_error: str | None = None
        #: Infos of the models handed to the engine, so a rollback can show the one that runs again.
        self._infos: dict[str, ModelInfo] = {}
        self._seen_rollbacks = 0
        self._model_generation = 0
        self._source_generation = 0
        self._pool = QThreadPool(self)  # model loading
        self._pool.setMaxThreadCount(2)
        self._audio_pool = QThreadPool(self)  # source changes, strictly in order
        self._audio_pool.setMaxThreadCount(1)
        self._model_relay = _Relay(self)
        self._model_relay.done.connect(self._on_model_done)
        self._source_relay = _Relay(self)
        self._source_relay.done.connect(self._on_source_done)

    # ------------------------------------------------------------------ models
    def load_model(self, path: str | Path) -> None:
        """Read and check ``path`` off the GUI thread, then swap it in.

        ``model_loaded(info)`` or ``model_failed(message)`` follows; on failure
        the running model keeps running. The newest request wins.
        """
        self._model_generation += 1
        self.loading_fallback = False
        p = str(Path(path).expanduser().absolute())
        self._pending_model_path = p
        self._pool.start(
            _Task(
                self._model_generation,
                lambda: _load_model(p),
                self._model_relay,
                (ModelFileError, RuntimeUnavailable),
            )
        )

    @Slot(int, object, object)
    def _on_model_done(self, generation: int, result: Any, error: str | None) -> None:
        if generation != self._model_generation:
            return  # a newer request superseded this one
        if error is not None:
            failed = self._pending_model_path
            fallback = str(DEFAULT_MODEL)
            if self.engine is None and Path(failed).resolve() != Path(fallback).resolve():
                # Nothing runs yet: fall back to the shipped model.
                self.load_model(fallback)
                self.loading_fallback = True
                self.model_failed.emit(
                    f"Cannot use {Path(failed).name}: {error}. Loading the shipped default model instead"
                )
            else:
                self.model_failed.emit(f"Cannot use {Path(failed).name}: {error}")
            return
        self.last_load_was_fallback = self.loading_fallback
        self.loading_fallback = False
        model, info = result
        decision, self.decision_origin = self._resolve_decision(info.recommended_decision)
        if self.engine is None:
            self.engine = StreamingEngine(model, EngineSettings(decision=decision))
            self.engine.start()
        else:
            self.engine.swap_model(model)
        self._apply_decision(decision)
        previous = self.model_info
        self._infos = {previous.path: previous} if previous is not None else {}
        self._infos[info.path] = info
        self.model_info = info
        self.settings.model_path = info.path
        self.settings.add_recent_model(info.path)
        self.model_loaded.emit(info)
        self.decision_changed.emit(self.decision)
        if self._pending_source is not None:
            spec, self._pending_source = self._pending_source, None
            self.set_source(spec)

    # ----------------------------------------------------------------- sources
    def portaudio_status(self) -> PortAudioStatus:
        """Whether a microphone can be used (never raises)."""
        return portaudio_status()

    def input_devices(self, refresh: bool = False) -> list[InputDevice]:
        """Input devices (empty without PortAudio)."""
        return list_input_devices(refresh=refresh)

    def _audio_task(self, work: Callable[[], SourceResult]) -> None:
        """Queue audio work; one thread runs it in order, so starts and stops never race."""
        self._source_generation += 1
        self._audio_pool.start(
            _Task(
                self._source_generation,
                work,
                self._source_relay,
                (AudioFileError, AudioSourceError, OSError, ValueError),
            )
        )

    def set_source(self, spec: SourceSpec) -> None:
        """Switch to a microphone or WAV file; the current source runs until the new one works.

        ``source_changed(name)`` or ``source_failed(message)`` follows.
        """
        if spec.kind == WAV and spec.wav_path:
            spec = dataclasses.replace(spec, wav_path=str(Path(spec.wav_path).expanduser().absolute()))
        self.chosen_spec = spec
        self._set_status(self.status.choose(spec.describe()))
        if self.engine is None:
            self._pending_source = spec
            return
        engine = self.engine
        self._audio_task(lambda: SourceResult(SourceAction.SET, spec, self._open_source(engine, spec)))

    @staticmethod
    def _open_source(engine: StreamingEngine, spec: SourceSpec) -> AudioSource:
        """Audio thread: decode the file or open the device, then attach it to the engine.

        ``engine.set_source`` restarts the previous source if the new one cannot start.
        """
        source = open_source(spec, tail_silence_s=engine.model.frontend_config.clip_duration_s)
        engine.set_source(source, continue_time=True)
        return source

    @staticmethod
    def _restart_source(engine: StreamingEngine, source: AudioSource) -> AudioSource:
        """Start ``source`` again: a WAV file continues where it stopped; the clock continues."""
        engine.set_source(source, continue_time=True)
        return source

    @Slot(int, object, object)
    def _on_source_done(self, generation: int, result: SourceResult | None, error: str | None) -> None:
        if error is not None or result is None:
            kept = self.engine.source if self.engine is not None else None
            if kept is not None and kept.is_running and kept is self.source:
                self._set_status(self.status.started(kept.name))  # the previous source runs on
            else:
                self._set_status(self.status.failed(str(error)))
            self.source_failed.emit(f"Cannot use this audio source: {error}")
            return
        if result.action is SourceAction.STOP or result.source is None or result.spec is None:
            return
        if generation != self._source_generation:
            return  # a stop (or another source) was asked for after this one
        source, spec = result.source, result.spec
        self.source = source
        self.source_spec = spec
        if result.action is SourceAction.SET:
            self.settings.source = spec
        self._reported_source_error = None
        self._set_status(self.status.started(source.name))
        self.source_changed.emit(source.name)

    @property
    def running(self) -> bool:
        """Audio flows (``status`` says more: starting, stopped, end of file, no device)."""
        return self.status.running

    def _set_status(self, status: AudioStatus) -> None:
        if status == self.status:
            return
        was_running, self.status = self.status.running, status
        self.status_changed.emit(status)
        if status.running != was_running:
            self.running_changed.emit(status.running)

    def start_audio(self) -> None:
        """Start again after :meth:`stop_audio`, the end of a file or a failure.

        A stopped source continues (a WAV file where it stopped, from its start after its
        end); after a failure the chosen source is opened anew.
        """
        if self.engine is None or self.status.active:
            return
        engine, source, spec = self.engine, self.source, self.source_spec
        if self.status.state is AudioState.NO_DEVICE or source is None or spec is None:
            again = self.chosen_spec or spec
            if again is not None:
                self.set_source(again)
            return
        self._set_status(self.status.choose(source.name))
        self._audio_task(
            lambda: SourceResult(SourceAction.RESTART, spec, self._restart_source(engine, source))
        )

    def stop_audio(self) -> None:
        """Stop capturing; the model and the displays stay."""
        if self.engine is None:
            return
        engine = self.engine
        self._set_status(self.status.stop())

        def stop() -> SourceResult:
            engine.set_source(None, continue_time=True)
            return SourceResult(SourceAction.STOP)

        self._audio_task(stop)

    def toggle_audio(self) -> None:
        """Start/stop (the Space key)."""
        if self.status.active:
            self.stop_audio()
        else:
            self.start_audio()

    def check_source(self, error: str | None, finished: bool) -> None:
        """Called by the GUI timer with the snapshot's source state: reports a failure once.

        A vanished device stops capture; choosing a device again recovers.
        """
        if self.status.state is not AudioState.RUNNING:
            return
        if error and error != self._reported_source_error:
            self._reported_source_error = error
            self.stop_audio()
            self._set_status(self.status.failed(error))
            self.source_failed.emit(f"{error}. Choose a device again (Source tab) or press Start to retry.")
        elif finished:
            self._set_status(self.status.finished())

    def check_engine(self, rollbacks: int, model_path: str, reason: str | None) -> bool:
        """Called by the GUI timer with the snapshot's model state; True when it reported a rollback.

        When the engine went back to the previous model because the new one failed
        while running, that model becomes the current one again (info, remembered
        path) and ``model_failed`` says why.
        """
        if rollbacks == self._seen_rollbacks:
            return False
        self._seen_rollbacks = rollbacks
        failed = self.model_info
        info = self._infos.get(model_path)
        if info is not None and info is not failed:
            self.model_info = info
            self.settings.model_path = info.path
            decision, self.decision_origin = self._resolve_decision(info.recommended_decision)
            self._apply_decision(decision)
            self.model_loaded.emit(info)
            self.decision_changed.emit(decision)
        name = Path(failed.path).name if failed is not None else "the model"
        self.model_failed.emit(f"Cannot use {name}: {reason or 'it failed while running'}")
        return True

    # -------------------------------------------------------------- decisions
    def _resolve_decision(self, recommended: dict[str, Any]) -> tuple[DecisionSettings, dict[str, str]]:
        """The user's fields as set, the others from ``recommended``, else the defaults."""
        given = {name: getattr(self.decision, name) for name in self.decision_user_set}
        return resolve_decision(given, recommended, given_origin="yours")

    def _recommended(self) -> dict[str, Any]:
        return dict(self.model_info.recommended_decision) if self.model_info is not None else {}

    def _apply_decision(self, decision: DecisionSettings) -> None:
        self.decision = decision
        self.settings.decision = decision
        if self.engine is not None and self.engine.settings.decision != decision:
            self.engine.update_settings(dataclasses.replace(self.engine.settings, decision=decision))

    def set_decision(self, decision: DecisionSettings) -> None:
        """The user changed settings: apply ``decision`` (hop included) and persist it.

        The fields that differ from those in use become the user's own: a model's
        recommendation no longer replaces them (:meth:`use_recommended_decision` undoes that).
        """
        changed = {
            f.name
            for f in dataclasses.fields(DecisionSettings)
            if getattr(decision, f.name) != getattr(self.decision, f.name)
        }
        self.decision_user_set = self.decision_user_set | changed
        self.settings.decision_user_set = self.decision_user_set
        self.decision_origin = {**self.decision_origin, **dict.fromkeys(changed, "yours")}
        self._apply_decision(decision)
        self.decision_changed.emit(decision)

    def use_recommended_decision(self) -> None:
        """Forget the user's values: the model's recommended settings (else the defaults) apply."""
        self.decision_user_set = frozenset()
        self.settings.decision_user_set = self.decision_user_set
        decision, self.decision_origin = self._resolve_decision(self._recommended())
        self._apply_decision(decision)
        self.decision_changed.emit(decision)

    # ----------------------------------------------------------------- closing
    def shutdown(self) -> None:
        """Stop audio and the engine's worker; wait for pending loads."""
        self._model_generation += 1
        self._source_generation += 1
        self._pool.waitForDone(5000)
        self._audio_pool.waitForDone(5000)
        if self.engine is not None:
            self.engine.stop()
        self.settings.sync()
