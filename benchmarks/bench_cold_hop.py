"""Why the running engine spends more per hop than a warm loop: the same work, warm and cold.

The live engine does one hop of work every 100 ms and waits in between. This runs the
default model's per-hop work (the frames one hop completes through the frontend, then
one invoke) three ways, median of ``--runs`` each:

* ``warm``: back to back, as ``bench_pipeline.py`` times it;
* ``after_sleep``: once after each ``--idle-s`` sleep, as the engine runs it;
* ``after_spin``: once after ``--idle-s`` of the thread busy in other NumPy work (the CPU
  never idles, the caches are used by other code).

It also times one small NumPy multiply (7x512 float32) as the first and as the second
operation after the idle time. If the first is much slower than the second, the cost is
that of cold caches (the machine's, not this code's), not of sleeping threads.
Prints a summary, or one JSON object with ``--json`` (``benchmarks/results/cold_hop.json``).

    python benchmarks/bench_cold_hop.py [--model FILE] [--runs 40] [--idle-s 0.1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kws_gui.core.frontend import limit_blas_threads
from kws_gui.core.model_file import KwsModel
from kws_gui.paths import DEFAULT_MODEL

HOP_S = 0.1


def _spin(seconds: float) -> None:
    """Keep the thread busy with unrelated NumPy work for ``seconds``."""
    other = np.ones(4096, np.float32)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        other.sum()


def _median_us(values: list[int]) -> float:
    return round(statistics.median(values) / 1e3, 1)


def _timed(work: Callable[[], object], runs: int, idle: Callable[[], None] | None) -> dict[str, float]:
    """Median µs of ``work`` over ``runs`` calls, each after ``idle()`` (or back to back)."""
    work()
    times = []
    for _ in range(runs):
        if idle is not None:
            idle()
        t0 = time.perf_counter_ns()
        work()
        times.append(time.perf_counter_ns() - t0)
    return {"median_us": _median_us(times)}


def run(model_path: Path, runs: int, idle_s: float) -> dict:
    """The three timings of the per-hop work and the first / second multiply after idling."""
    limit_blas_threads()
    model = KwsModel.load(model_path)
    frontend = model.frontend
    config = model.frontend_config
    rng = np.random.default_rng(0)
    frames_per_hop = int(np.ceil(HOP_S * config.sample_rate / config.frame_step))
    frames = rng.standard_normal((frames_per_hop, config.frame_length)).astype(np.float32)
    features = frontend.window_features(rng.standard_normal(config.clip_samples).astype(np.float32))

    def hop() -> None:
        frontend.frame_features(frames)
        model.predict_features(features)

    def sleep() -> None:
        time.sleep(idle_s)

    def spin() -> None:
        _spin(idle_s)

    result = {
        "benchmark": "cold_hop",
        "model": model_path.name,
        "frames_per_hop": frames_per_hop,
        "idle_s": idle_s,
        "runs": runs,
        "hop_warm": _timed(hop, runs * 5, None),
        "hop_after_sleep": _timed(hop, runs, sleep),
        "hop_after_spin": _timed(hop, runs, spin),
    }
    a = rng.standard_normal((7, 512)).astype(np.float32)
    w = np.hanning(512).astype(np.float32)
    out = np.empty_like(a)
    first, second = [], []
    for _ in range(runs):
        sleep()
        for sink in (first, second):
            t0 = time.perf_counter_ns()
            np.multiply(a, w, out=out)
            sink.append(time.perf_counter_ns() - t0)
    result["multiply_first_after_sleep_us"] = _median_us(first)
    result["multiply_second_after_sleep_us"] = _median_us(second)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--runs", type=int, default=40)
    p.add_argument("--idle-s", type=float, default=HOP_S)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    r = run(args.model, args.runs, args.idle_s)
    if args.json:
        print(json.dumps(r))
    else:
        print(
            f"{r['model']}, {r['frames_per_hop']} frames + one invoke: warm {r['hop_warm']['median_us']} µs, "
            f"after {r['idle_s']:g} s asleep {r['hop_after_sleep']['median_us']} µs, after {r['idle_s']:g} s "
            f"busy elsewhere {r['hop_after_spin']['median_us']} µs; a 7x512 multiply after sleeping: first "
            f"{r['multiply_first_after_sleep_us']} µs, second {r['multiply_second_after_sleep_us']} µs "
            f"(load {r['load_average'][0]})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
