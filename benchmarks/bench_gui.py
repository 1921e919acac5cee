"""GUI cost and responsiveness: CPU of the whole app, event-loop stalls, model swaps.

Runs the real main window offscreen on a looping WAV source (default model,
10 inferences/s, plots at ~30 frames/s) in two phases. The source is a "yes"
clip plus a second of quiet noise, looped: a detection every ~2 s (fading
display, log), and the energy gate never skips a hop.

1. **CPU** - process CPU time (all threads: GUI, engine, audio) over wall time,
   as a percentage of one core; no extra timers run.
2. **Stalls** - a 5 ms QTimer records the gaps between its ticks; the largest
   gap minus 5 ms is the worst event-loop stall. ``--swaps`` model swaps
   (alternating between the shipped models, or copies of the default) happen
   during this phase and the worst stall within 1 s after each swap is
   reported separately.

Targets: CPU <= 5 % of one core (issue 12; issue 3 asked 15 %); no stall above 50 ms.
The CPU share depends on how busy the machine is (other processes evict the caches
between frames): the JSON keeps the load average.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--seconds 10] [--swaps 6] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
#: A held-out (test-list) speaker of the tts-yes-no set.
YES_CLIP = Path("tts-yes-no") / "yes" / "00bc6789_nohash_0.wav"
CPU_TARGET_PERCENT = 5.0
STALL_TARGET_MS = 50.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--swaps", type=int, default=6, help="model swaps during the stall phase")
    parser.add_argument("--model", default=None, help="model file (default: the shipped default)")
    parser.add_argument("--wav", default=None, help="audio file (default: a held-out tts-yes-no 'yes')")
    parser.add_argument("--hop", type=float, default=0.1, help="seconds between inferences (default 0.1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def padded_with_noise(clip: Path, out: Path, pause_s: float = 1.0, noise_dbfs: float = -40.0) -> Path:
    """The clip followed by a pause of quiet noise: the word comes and goes (detections,
    fading display) while the energy gate (-45 dBFS) never skips an inference."""
    import soundfile

    from kws_gui.core.audio_io import read_audio

    audio = read_audio(clip)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(int(pause_s * 16000)).astype(np.float32) * 10 ** (noise_dbfs / 20)
    floor = rng.standard_normal(audio.size).astype(np.float32) * 10 ** (noise_dbfs / 20)
    soundfile.write(str(out), np.concatenate([audio + floor, noise]), 16000)
    return out


def wait(app, seconds: float) -> None:
    """Run the event loop for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def wait_for(app, condition, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit(f"bench_gui: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def run(args: argparse.Namespace) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from kws_gui._qt.controller import AppController
    from kws_gui._qt.main_window import MainWindow
    from kws_gui._qt.settings import AppSettings
    from kws_gui.core.audio import SourceSpec
    from kws_gui.core.decision import DecisionSettings
    from kws_gui.paths import DEFAULT_MODEL, MODELS_DIR, shared_data_dir

    clip = Path(args.wav) if args.wav else shared_data_dir() / YES_CLIP
    if not clip.is_file():
        raise SystemExit(f"bench_gui: {clip} not found (pass --wav)")
    model = Path(args.model) if args.model else DEFAULT_MODEL
    tmp = Path(tempfile.mkdtemp(prefix="bench_gui_"))
    try:
        wav = padded_with_noise(clip, tmp / f"padded_{clip.stem}.wav")
        # Swap targets: the shipped models, else copies of the default.
        targets = [p for p in sorted(MODELS_DIR.glob("*.tflite")) if p != model] or []
        if not targets:
            copy = tmp / "copy.tflite"
            shutil.copyfile(model, copy)
            targets = [copy]
        targets = [*targets, model]

        app = QApplication.instance() or QApplication([sys.argv[0]])
        settings = AppSettings(tmp / "settings.ini")
        settings.decision = DecisionSettings(hop_s=args.hop)
        controller = AppController(settings)
        window = MainWindow(controller)
        window.resize(800, 480)
        window.show()
        loaded: list[str] = []
        failed: list[str] = []
        controller.model_loaded.connect(lambda info: loaded.append(info.path))
        controller.model_failed.connect(failed.append)
        controller.load_model(model)
        wait_for(app, lambda: controller.engine is not None or failed, 30, "the model")
        if failed:
            raise SystemExit(f"bench_gui: {failed[0]}")
        controller.set_source(SourceSpec(kind="wav", wav_path=str(wav), loop=True))
        wait_for(app, lambda: controller.running, 10, "the WAV source")
        wait(app, 2.0)  # warm-up: plots filled, caches built

        # ---- phase 1: CPU
        engine = controller.engine
        frames0, inf0 = window.frames, engine.snapshot().inferences
        detections0 = window.log.rowCount()
        cpu0, gui0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        loop = QEventLoop()
        QTimer.singleShot(int(args.seconds * 1000), loop.quit)
        loop.exec()
        cpu = time.process_time() - cpu0
        gui_cpu = time.thread_time() - gui0
        wall = time.perf_counter() - wall0
        frames = window.frames - frames0
        inferences = engine.snapshot().inferences - inf0
        detections = window.log.rowCount() - detections0

        # ---- phase 2: stalls, with model swaps
        ticks: list[float] = []
        cpu_ticks: list[float] = []
        probe = QTimer()
        probe.setInterval(5)

        def on_tick() -> None:
            ticks.append(time.perf_counter())
            cpu_ticks.append(time.thread_time())

        probe.timeout.connect(on_tick)
        gc_pauses: list[float] = []
        gc_start = [0.0]

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                gc_start[0] = time.perf_counter()
            else:
                gc_pauses.append((time.perf_counter() - gc_start[0]) * 1000.0)

        gc.callbacks.append(on_gc)
        swap_times: list[float] = []
        swap_index = [0]

        def swap() -> None:
            target = targets[swap_index[0] % len(targets)]
            swap_index[0] += 1
            swap_times.append(time.perf_counter())
            window.load_model(target)

        swap_timers = []
        for i in range(args.swaps):
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(swap)
            timer.start(int((i + 0.5) * args.seconds * 1000 / max(args.swaps, 1)))
            swap_timers.append(timer)
        loaded.clear()
        probe.start()
        loop = QEventLoop()
        QTimer.singleShot(int(args.seconds * 1000), loop.quit)
        loop.exec()
        probe.stop()
        gc.callbacks.remove(on_gc)
        wait_for(app, lambda: len(loaded) + len(failed) >= args.swaps, 30, "the swaps")

        t = np.asarray(ticks)
        gaps_ms = np.diff(t) * 1000.0 if t.size > 1 else np.zeros(1)
        stalls_ms = np.maximum(gaps_ms - 5.0, 0.0)
        # CPU time the GUI thread itself spent in the worst gap: small means the thread was
        # waiting (other processes on the machine, the GIL), not busy with its own work.
        worst = int(np.argmax(gaps_ms)) if t.size > 1 else 0
        busy_ms = (cpu_ticks[worst + 1] - cpu_ticks[worst]) * 1000.0 if t.size > 1 else 0.0
        swap_stall = 0.0
        for s in swap_times:
            near = (t[1:] >= s) & (t[1:] <= s + 1.0)
            if near.any():
                swap_stall = max(swap_stall, float(stalls_ms[near].max()))
        result = {
            "benchmark": "gui",
            "model": model.name,
            "wav": clip.name,
            "hop_s": args.hop,
            "phase_s": args.seconds,
            "cpu_percent_of_one_core": round(100.0 * cpu / wall, 2),
            "gui_thread_cpu_percent": round(100.0 * gui_cpu / wall, 2),
            "frames_per_s": round(frames / wall, 1),
            "inferences_per_s": round(inferences / wall, 2),
            "detections": detections,
            "max_stall_ms": round(float(stalls_ms.max()), 1),
            "p99_gap_ms": round(float(np.percentile(gaps_ms, 99)), 1),
            "gui_cpu_in_max_stall_ms": round(busy_ms, 1),
            "max_gc_pause_ms": round(max(gc_pauses, default=0.0), 1),
            "swaps": len(swap_times),
            "swaps_loaded": len(loaded),
            "swaps_failed": len(failed),
            "max_stall_after_swap_ms": round(swap_stall, 1),
            "targets": {"cpu_percent": CPU_TARGET_PERCENT, "stall_ms": STALL_TARGET_MS},
            "load_average": [round(v, 2) for v in os.getloadavg()],
            "cpus": os.cpu_count(),
        }
        result["meets_targets"] = bool(
            result["cpu_percent_of_one_core"] <= CPU_TARGET_PERCENT
            and result["max_stall_ms"] <= STALL_TARGET_MS
        )
        window.close()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"GUI benchmark: {result['model']} on {result['wav']} (looping), hop {result['hop_s']} s, 800x480 offscreen"
    )
    print(
        f"  CPU            {result['cpu_percent_of_one_core']:.1f} % of one core "
        f"(target <= {CPU_TARGET_PERCENT:g} %) over {result['phase_s']:g} s"
    )
    print(
        f"  of which GUI   {result['gui_thread_cpu_percent']:.1f} % (the rest: engine, audio and Qt threads)"
    )
    print(
        f"  display        {result['frames_per_s']:.1f} frames/s, {result['inferences_per_s']:.1f} inferences/s, "
        f"{result['detections']} detections"
    )
    print(
        f"  event loop     max stall {result['max_stall_ms']:.1f} ms (target <= {STALL_TARGET_MS:g} ms), "
        f"p99 gap {result['p99_gap_ms']:.1f} ms"
    )
    print(
        f"  worst stall    GUI thread busy {result['gui_cpu_in_max_stall_ms']:.1f} ms of it; "
        f"longest garbage collection {result['max_gc_pause_ms']:.1f} ms"
    )
    print(
        f"  model swaps    {result['swaps_loaded']}/{result['swaps']} loaded, "
        f"max stall within 1 s after a swap {result['max_stall_after_swap_ms']:.1f} ms"
    )
    print(f"  meets targets  {result['meets_targets']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
