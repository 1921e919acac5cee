"""Sweep benchmark: the 16-trial DS-CNN sweep (filters x final sparsity, 20 epochs each) on local Ray.

Runs ``kws-train sweep`` in a subprocess with a fresh feature cache and measures:

* wall time of the whole sweep (target: <= 30 min for 16 trials of 20 epochs on 2 cores);
* each core's utilisation over the whole sweep (``/proc/stat``, machine-wide: run it on an
  otherwise idle machine; the load average before the run is recorded to show that it
  was) and the share of 10 s samples in which both cores were >= 90 % busy. (The CPU
  time of the sweep's own process tree, from ``getrusage`` of reaped children, missed
  most of Ray's worker time: it said 8 % where ``/proc/stat`` had the cores 92 % busy.)
* from ``sweep.json``: trials trained / failed, median trial time, best accuracy, the
  pick and the seed's own choice (32 filters, sparsity 0.9) for comparison.

Prints a summary, or JSON with ``--json``; ``--save FILE`` also writes the JSON
(``benchmarks/results/sweep.json``). A tiny check of the script itself:
``--filters 4 --sparsity 0.5,0.6 --epochs 1 --data <small dataset>``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from trainer.shipped import REAL, REAL_WEIGHT, SYNTHETIC

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 30 * 60.0
SEED_CHOICE = {"filters": 32, "final-sparsity": 0.9}


def _cpu_times() -> dict[str, tuple[int, int]]:
    """``/proc/stat``: per core (busy, total) jiffies."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        parts = line.split()
        if parts and parts[0].startswith("cpu") and parts[0] != "cpu":
            values = [int(v) for v in parts[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            out[parts[0]] = (sum(values) - idle, sum(values))
    return out


def _utilisation(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict[str, float]:
    return {
        core: round((after[core][0] - before[core][0]) / max(1, after[core][1] - before[core][1]), 3)
        for core in sorted(before)
        if core in after
    }


class _Sampler(threading.Thread):
    """Per-core machine utilisation every ``interval_s`` while the sweep runs."""

    def __init__(self, interval_s: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.samples: list[dict[str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last = _cpu_times()
        while not self.stop.wait(self.interval_s):
            now = _cpu_times()
            self.samples.append(_utilisation(last, now))
            last = now


def write_space(path: Path, filters: list[int], sparsity: list[float], epochs: int) -> Path:
    """The benchmark's space file (DS-CNN preset)."""
    space = {"preset": "ds-cnn", "epochs": epochs, "filters": filters, "final-sparsity": sparsity}
    path.write_text(json.dumps(space, indent=2) + "\n")
    return path


def bench(
    data: list[str],
    filters: list[int],
    sparsity: list[float],
    epochs: int,
    out: Path,
    accuracy_source: str | None,
) -> dict[str, Any]:
    """Run the sweep once and measure it."""
    with tempfile.TemporaryDirectory(prefix="kws-bench-sweep-") as tmp:
        space = write_space(Path(tmp) / "space.json", filters, sparsity, epochs)
        cmd = [sys.executable, "-m", "trainer", "sweep", "--space", str(space)]
        for folder in data:
            cmd += ["--data", folder]
        if accuracy_source:
            cmd += ["--accuracy-source", accuracy_source]
        cmd += ["--out", str(out), "--cache-dir", str(Path(tmp) / "cache"), "--progress", "none"]
        load_before = os.getloadavg()
        sampler = _Sampler()
        machine_before = _cpu_times()
        sampler.start()
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        machine = _utilisation(machine_before, _cpu_times())
        sampler.stop.set()
    if proc.returncode != 0:
        raise SystemExit(f"the sweep failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    doc = json.loads((out / "sweep.json").read_text())
    cores = len(os.sched_getaffinity(0))
    ok = [t for t in doc["trials"] if t["status"] == "ok"]
    seed = next((t for t in ok if all(t["options"].get(k) == v for k, v in SEED_CHOICE.items())), None)
    best = max(doc["candidates"], key=lambda c: c["accuracy"] or 0.0, default=None)
    both_busy = [s for s in sampler.samples if s and min(s.values()) >= 0.9]
    return {
        "trials": len(doc["trials"]),
        "trials_ok": len(ok),
        "trials_failed": doc["counts"].get("failed", 0),
        "epochs": epochs,
        "space": doc["space"],
        "wall_s": round(wall, 1),
        "target_s": TARGET_S,
        "meets_target": wall <= TARGET_S,
        "cores": cores,
        "machine_core_utilisation": machine,
        "core_utilisation_mean": round(sum(machine.values()) / max(1, len(machine)), 3),
        "machine_samples_both_cores_busy": round(len(both_busy) / max(1, len(sampler.samples)), 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "trial_median_s": statistics.median([t["elapsed_s"] for t in ok]) if ok else None,
        "best": None if best is None else _point(best),
        "pick": None if doc["pick"] is None else _point(doc["pick"]),
        "seed_choice": None if seed is None else {**SEED_CHOICE, **_trial_figures(seed)},
        "accuracy_source": doc.get("accuracy_source"),
        "trial_rows": trial_rows(doc),
        "sweep_dir": str(out),
    }


def _point(p: dict[str, Any]) -> dict[str, Any]:
    keys = ("trial", "flavour", "accuracy", "test_accuracy", "zipped_bytes", "latency_us", "options")
    return {k: p.get(k) for k in keys}


def trial_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per trained trial and flavour: its options, accuracies, zipped size and latency.

    ``source_accuracy`` is the validation accuracy on the sweep's ranking folder
    (``--accuracy-source``), the figure trials are chosen by; ``test_accuracy`` is for the
    record only.
    """
    source = doc.get("accuracy_source")
    rows = []
    for trial in doc["trials"]:
        if trial["status"] != "ok":
            continue
        for flavour, m in trial["models"].items():
            sources = m.get("sources") or {}
            rows.append(
                {
                    "trial": trial["id"],
                    "options": {k: v for k, v in trial["options"].items() if k not in ("preset", "epochs")},
                    "flavour": flavour,
                    "source_accuracy": sources.get(source) if source else m.get("validation_accuracy"),
                    "validation_accuracy": m.get("validation_accuracy"),
                    "test_accuracy": m.get("test_accuracy"),
                    "zipped_bytes": m.get("zipped_bytes"),
                    "latency_us": m.get("latency_us"),
                }
            )
    return rows


def _trial_figures(trial: dict[str, Any]) -> dict[str, Any]:
    return {
        flavour: {k: m.get(k) for k in ("validation_accuracy", "test_accuracy", "zipped_bytes", "latency_us")}
        for flavour, m in trial["models"].items()
    }


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        action="append",
        help="data folder (DIR[:WEIGHT]; repeat); default: the shipped ds_cnn's (synthetic + real speech)",
    )
    parser.add_argument(
        "--accuracy-source",
        default=None,
        help="rank trials by this folder's validation accuracy (default: the real-speech folder)",
    )
    parser.add_argument("--filters", type=_ints, default=[16, 24, 32, 48])
    parser.add_argument("--sparsity", type=_floats, default=[0.5, 0.7, 0.9, 0.95])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, help="keep the sweep here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--save", type=Path, help="also write the JSON here (benchmarks/results/sweep.json)")
    args = parser.parse_args(argv)
    if not args.data:
        root = Path(os.environ.get("KWS_SHARED_DATA", ROOT.parent / "shared" / "data"))
        args.data = [str(root / SYNTHETIC), f"{root / REAL}:{REAL_WEIGHT}"]
        args.accuracy_source = args.accuracy_source or REAL
    with tempfile.TemporaryDirectory(prefix="kws-sweep-out-") as tmp:
        result = bench(
            args.data,
            args.filters,
            args.sparsity,
            args.epochs,
            args.out or Path(tmp) / "sweep",
            args.accuracy_source,
        )
    text = json.dumps(result, indent=2)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        verdict = "meets" if result["meets_target"] else "MISSES"
        print(
            f"{result['trials']} trials ({result['trials_ok']} trained) x {result['epochs']} epochs: "
            f"wall {result['wall_s'] / 60:.1f} min ({verdict} the {TARGET_S / 60:.0f} min target); "
            f"cores {result['core_utilisation_mean']:.0%} busy (per core {result['machine_core_utilisation']}, "
            f"load before {result['load_average_before']}); "
            f"median trial {result['trial_median_s']} s; pick {result['pick']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
