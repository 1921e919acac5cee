"""kws-listen: the streaming engine without Qt, for a Pi without a display and for scripts.

    kws-listen [--model M] [--device D | --wav FILE] [--json] [--threshold T] [--hop S]
               [--smoothing S] [--suppression S] [--no-vad] [--loop] [--fast] [--list-devices]

Decision settings: an option given on the command line wins; otherwise the
model's recommended value (its metadata ``decision``), otherwise the built-in
default. Which value came from where is printed to stderr at the start and is in
the final statistics (``"decision"``).

Detections go to stdout, one line each (with ``--json`` one JSON object per line:
``{"event": "detection", "label", "score", "time_s", "wall_time"}``); latency
statistics are printed at the end (``"event": "stats"``). Progress and problems
go to stderr. It ends cleanly on Ctrl-C (or SIGTERM) and at the end of a WAV.
If the microphone disappears, it says so and reopens it when it comes back.
A model that fails while running stops it with the engine's error on stderr.
Exit codes: 0 done, 1 no microphone / device error, 2 bad arguments, model or WAV
(also a model that fails while running).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from kws_gui.core.audio import (
    MICROPHONE,
    AudioFileError,
    AudioSourceError,
    SourceSpec,
    list_input_devices,
    open_source,
    portaudio_status,
    spec_from_options,
)
from kws_gui.core.decision import DecisionSettings, Detection, resolve_decision
from kws_gui.core.engine import EngineSettings, EngineSnapshot, StreamingEngine
from kws_gui.core.model_file import KwsModel, ModelFileError
from kws_gui.paths import DEFAULT_MODEL
from kws_gui.version import add_version_argument

#: Seconds between attempts to reopen a microphone that went away.
REOPEN_INTERVAL_S = 2.0
#: How long to wait for the first samples before saying "listening" anyway.
FIRST_AUDIO_TIMEOUT_S = 5.0
#: Command-line option (argparse dest) -> DecisionSettings field; None = not given.
DECISION_OPTIONS = {
    "threshold": "threshold",
    "smoothing": "smoothing_s",
    "suppression": "suppression_s",
    "vad_dbfs": "vad_threshold_dbfs",
    "hop": "hop_s",
}


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    defaults = DecisionSettings()
    p = argparse.ArgumentParser(
        prog="kws-listen",
        description="Detect keywords from a microphone or a WAV file and print them.",
    )
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model file (.tflite with kws_gui metadata)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--device", help="input device: index or part of its name (default: system default)")
    src.add_argument("--wav", help="audio file to play through the engine instead of a microphone")
    p.add_argument("--list-devices", action="store_true", help="list input devices and exit")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    model_or = "default: the model's recommendation, else"
    p.add_argument(
        "--threshold", type=float, help=f"smoothed score to detect ({model_or} {defaults.threshold})"
    )
    p.add_argument("--hop", type=float, help=f"seconds between inferences ({model_or} {defaults.hop_s})")
    p.add_argument(
        "--smoothing", type=float, help=f"posterior smoothing window, s ({model_or} {defaults.smoothing_s})"
    )
    p.add_argument(
        "--suppression", type=float, help=f"refractory time, s ({model_or} {defaults.suppression_s})"
    )
    p.add_argument("--no-vad", action="store_true", help="run inference on silence too")
    p.add_argument(
        "--vad-dbfs",
        type=float,
        help=f"energy gate threshold, dBFS ({model_or} {defaults.vad_threshold_dbfs})",
    )
    p.add_argument("--loop", action="store_true", help="repeat the WAV until Ctrl-C")
    p.add_argument("--fast", action="store_true", help="do not pace the WAV in real time (scripts)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (> 0)")
    add_version_argument(p)
    return p


class _Printer:
    """Writes detections and statistics as text or JSON lines (thread-safe)."""

    def __init__(self, as_json: bool, out: TextIO, decision: DecisionSettings) -> None:
        self.as_json = as_json
        self.out = out
        self.decision = decision
        self.count = 0
        self._lock = threading.Lock()

    def detection(self, det: Detection) -> None:
        with self._lock:
            self.count += 1
            if self.as_json:
                line = json.dumps({"event": "detection", **det.as_dict()})
            else:
                line = f"{det.time_s:8.2f} s  {det.label:<12} score {det.score:.2f}"
            print(line, file=self.out, flush=True)

    def stats(self, snap: EngineSnapshot) -> None:
        data = {
            "event": "stats",
            "detections": self.count,
            "inferences": snap.inferences,
            "vad_skips": snap.vad_skips,
            "dropped_hops": snap.dropped_hops,
            "overflows": snap.overflows,
            "stream_s": round(snap.time_s, 3),
            "runtime": snap.runtime,
            "decision": dataclasses.asdict(self.decision),
        }
        # per hop: only the frames the hop completed; window_*: hops that computed the whole window
        for name, st in (
            ("preprocess", snap.preprocess),
            ("inference", snap.inference),
            ("total", snap.total),
            ("window_preprocess", snap.window_preprocess),
            ("window_total", snap.window_total),
        ):
            data[f"{name}_median_us"] = round(st.median_us, 1)
            data[f"{name}_p95_us"] = round(st.p95_us, 1)
            data[f"{name}_n"] = st.count
        with self._lock:
            if self.as_json:
                print(json.dumps(data), file=self.out, flush=True)
            else:
                print(
                    f"{self.count} detection(s) in {snap.time_s:.1f} s of audio; "
                    f"{snap.inferences} inferences, {snap.vad_skips} skipped as silence\n"
                    f"  preprocessing per hop   {snap.preprocess.describe()} (new frames only)\n"
                    f"  inference               {snap.inference.describe()} ({snap.runtime})\n"
                    f"  total per hop           {snap.total.describe()}\n"
                    f"  whole-window hops: preprocessing {snap.window_preprocess.describe()}, "
                    f"total {snap.window_total.describe()}",
                    file=self.out,
                    flush=True,
                )


def _err(message: str) -> None:
    print(f"kws-listen: {message}", file=sys.stderr, flush=True)


def _list_devices(as_json: bool) -> int:
    status = portaudio_status()
    devices = list_input_devices()
    if not devices:
        _err(status.message)
        return 1
    for d in devices:
        if as_json:
            print(json.dumps({"event": "device", **d.__dict__}), flush=True)
        else:
            print(f"{d.index:3d}  {d.label()}", flush=True)
    return 0


def _settings(args: argparse.Namespace, recommended: dict) -> tuple[EngineSettings, dict[str, str]]:
    """Engine settings from the options, the model's recommendations and the defaults.

    Returns the settings and, for every decision field, where its value came from
    (``"option"``, ``"model"`` or ``"default"``).
    """
    given = {
        field: getattr(args, option)
        for option, field in DECISION_OPTIONS.items()
        if getattr(args, option) is not None
    }
    if args.no_vad:
        given["vad_enabled"] = False
    decision, origin = resolve_decision(given, recommended)
    return EngineSettings(decision=decision), origin


def describe_decision(settings: DecisionSettings, origin: dict[str, str]) -> str:
    """One line: each decision setting with where it came from."""
    parts = [
        f"threshold {settings.threshold:.2f}",
        f"smoothing {settings.smoothing_s:.2f} s",
        f"suppression {settings.suppression_s:.2f} s",
        f"re-arm margin {settings.rearm_margin:.2f}",
        f"energy gate {settings.vad_threshold_dbfs:.0f} dBFS" if settings.vad_enabled else "energy gate off",
        f"hop {settings.hop_s:g} s",
    ]
    gate = "vad_threshold_dbfs" if settings.vad_enabled else "vad_enabled"
    fields = ["threshold", "smoothing_s", "suppression_s", "rearm_margin", gate, "hop_s"]
    return ", ".join(f"{text} ({origin[name]})" for text, name in zip(parts, fields, strict=True))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kws-listen``; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.list_devices:
        return _list_devices(args.json)
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        _err(f"bad setting: --duration must be a positive number of seconds, got {args.duration:g}")
        return 2
    try:
        model = KwsModel.load(args.model)
    except ModelFileError as exc:
        _err(f"cannot use model {args.model}: {exc}")
        return 2
    try:
        settings, origin = _settings(args, model.recommended_decision)
    except ValueError as exc:
        _err(f"bad setting: {exc}")
        return 2

    try:
        spec = spec_from_options(args.wav, args.device, args.loop) or SourceSpec(kind=MICROPHONE)
        source = open_source(
            spec, realtime=not args.fast, tail_silence_s=model.frontend_config.clip_duration_s
        )
    except (AudioFileError, ValueError) as exc:
        _err(str(exc))
        return 2
    except AudioSourceError as exc:
        _err(f"{exc} (or use --wav FILE)")
        return 1

    printer = _Printer(args.json, sys.stdout, settings.decision)
    engine = StreamingEngine(model, settings)
    engine.add_detection_listener(printer.detection)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGINT, signal.SIGTERM) if in_main_thread else ()
    previous = {s: signal.signal(s, on_signal) for s in signals}
    try:
        engine.start()
        try:
            engine.set_source(source)
        except AudioSourceError as exc:
            _err(str(exc))
            return 1
        # "listening" means audio arrives (a device may take a second or two to start)
        if not engine.ring.wait_until(1, FIRST_AUDIO_TIMEOUT_S):
            _err(f"no audio from {source.name} after {FIRST_AUDIO_TIMEOUT_S:.0f} s; still waiting")
        _err(
            f"listening: {source.name}; model {model.path} ({', '.join(model.labels)}; {model.runtime.name}). "
            + ("Ctrl-C to stop." if not args.wav or args.loop else "")
        )
        keywords = ", ".join(model.keywords)
        _err(f"keywords: {keywords}; decisions: {describe_decision(settings.decision, origin)}")
        _wait(engine, spec, args.duration, stop)
    finally:
        engine.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    snap = engine.snapshot()
    printer.stats(snap)
    if snap.error:
        _err(f"the model {model.path} failed while running: {snap.error}")
        return 2
    return 0


def _wait(engine: StreamingEngine, spec: SourceSpec, duration: float | None, stop: threading.Event) -> None:
    """Until Ctrl-C, the end of the WAV, ``duration`` or a model error; reopens a lost microphone."""
    t_end = None if duration is None else time.monotonic() + duration
    reported: str | None = None
    next_reopen = 0.0
    while not stop.is_set():
        if engine.wait_for_source_end(0.1) or engine.error:
            return
        if t_end is not None and time.monotonic() >= t_end:
            return
        current = engine.source
        error = current.error if current is not None else None
        if error and spec.kind == MICROPHONE and time.monotonic() >= next_reopen:
            if error != reported:
                _err(f"{error}; trying to reopen every {REOPEN_INTERVAL_S:.0f} s")
                reported = error
            next_reopen = time.monotonic() + REOPEN_INTERVAL_S
            try:
                engine.set_source(None)  # close the lost stream, so PortAudio can re-scan
                list_input_devices(refresh=True)
                engine.set_source(open_source(spec))
                _err(f"reopened: {engine.source.name if engine.source else '?'}")
                reported = None
            except AudioSourceError:
                pass
        elif error and spec.kind != MICROPHONE:
            _err(error)
            return


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
