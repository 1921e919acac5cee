"""Engine CPU use at 10 inferences/s, headless (target, issue 12: <= 1 % of one core).

Runs the real streaming engine on a WAV source paced in real time (a clip of
speech looped, the VAD gate off so that every hop is classified) and measures
the process CPU time over the run: audio source thread + engine worker, i.e.
everything except the Qt plots. Prints the CPU share of one core and the
per-hop timings (only the new frames, and the hops that computed the whole window), or
one JSON object with --json. The CPU share depends on how busy the machine is (other
processes evict the caches between hops): the JSON keeps the load average.

    python benchmarks/bench_engine.py [--model M] [--seconds 10] [--hop 0.1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from kws_gui.core.audio import WavFileSource
from kws_gui.core.decision import DecisionSettings
from kws_gui.core.engine import EngineSettings, StreamingEngine
from kws_gui.core.model_file import KwsModel
from kws_gui.paths import DEFAULT_MODEL, shared_data_dir

TARGET_PERCENT = 1.0
CLIP = "speech_commands_v0.02/yes/f2e59fea_nohash_1.wav"


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(model_path: Path, seconds: float, hop_s: float, warmup_s: float = 1.0) -> dict:
    """Stream for ``warmup_s + seconds`` and measure CPU over the last ``seconds``."""
    model = KwsModel.load(model_path)
    settings = EngineSettings(decision=DecisionSettings(hop_s=hop_s, vad_enabled=False))
    engine = StreamingEngine(model, settings)
    engine.start()
    engine.set_source(WavFileSource(shared_data_dir() / CLIP, loop=True, realtime=True, tail_silence_s=0.5))
    time.sleep(warmup_s)
    n0 = engine.snapshot().inferences
    c0, t0 = cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(), time.monotonic()
    snap = engine.snapshot()
    engine.stop()
    wall = t1 - t0
    return {
        "benchmark": "engine_cpu",
        "model": str(model_path),
        "runtime": snap.runtime,
        "hop_s": hop_s,
        "seconds": round(wall, 2),
        "inferences_per_s": round((snap.inferences - n0) / wall, 2),
        "cpu_percent_of_one_core": round(100.0 * (c1 - c0) / wall, 2),
        "target_percent": TARGET_PERCENT,
        "preprocess_median_us": round(snap.preprocess.median_us, 1),
        "inference_median_us": round(snap.inference.median_us, 1),
        "per_hop_median_us": round(snap.total.median_us, 1),
        "per_hop_p95_us": round(snap.total.p95_us, 1),
        "window_preprocess_median_us": round(snap.window_preprocess.median_us, 1),
        "window_total_median_us": round(snap.window_total.median_us, 1),
        "dropped_hops": snap.dropped_hops,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--hop", type=float, default=0.1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.model, args.seconds, args.hop)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"engine at {result['inferences_per_s']:.1f} inferences/s ({result['runtime']}): "
            f"{result['cpu_percent_of_one_core']:.1f} % of one core (target <= {TARGET_PERCENT:g} %); "
            f"per hop median {result['per_hop_median_us']:.0f} us (preprocess {result['preprocess_median_us']:.0f}, "
            f"inference {result['inference_median_us']:.0f}), p95 {result['per_hop_p95_us']:.0f} us; "
            f"whole-window hops {result['window_total_median_us']:.0f} us "
            f"(preprocess {result['window_preprocess_median_us']:.0f}); load average {result['load_average']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
