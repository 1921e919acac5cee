"""Inference benchmark: the 1 s window (vs the reference) and the live per-hop cost, every shipped model.

A thin wrapper over ``kws-train benchmark`` (trainer/benchmark.py) with the shipped
models as defaults, all timed in one run (interleaved). Prints both tables and the
targets, or one JSON object with ``--json`` (save it as benchmarks/results/pipeline.json;
``make_results_table.py --from-json`` renders the README tables from it). Targets
(issue 12, medians, one run): 1 s window DS-CNN at least 95 % faster than the
reference pipeline; per 100 ms hop, preprocessing <= 40 µs and preprocessing +
inference <= 150 µs for the default model; int8 inference no slower than float32.

    python benchmarks/bench_pipeline.py [MODEL ...] [--reference M] [--runs 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kws_gui.paths import DEFAULT_MODEL, shared_data_dir  # noqa: E402
from trainer.benchmark import benchmark  # noqa: E402
from trainer.shipped import REAL  # noqa: E402

MODELS = ROOT / "assets" / "models"
WINDOW_SAVING_TARGET = 0.95
#: The seed's optimised model: its 1 s window is the seed's latency comparison.
SEED_MODEL = "ds_cnn.tflite"
HOP_PREPROCESS_TARGET_US = 40.0
HOP_TOTAL_TARGET_US = 150.0


def targets(result: dict) -> list[dict]:
    """Each target the result can answer: goal, measured, target, met."""
    rows = {row["model"]: row for row in result["models"]}
    checks = []
    default = rows.get(DEFAULT_MODEL.name)
    for name in dict.fromkeys((SEED_MODEL, DEFAULT_MODEL.name)):  # the seed's comparison, then the default
        if name in rows and name != result["reference"]:
            checks.append(
                {
                    "goal": f"1 s window, {name} vs {result['reference']}: latency saving",
                    "measured": f"{rows[name]['latency_savings']:.1%} ({rows[name]['total']['median_us']:.0f} µs)",
                    "target": f">= {WINDOW_SAVING_TARGET:.0%}",
                    "met": rows[name]["latency_savings"] >= WINDOW_SAVING_TARGET,
                }
            )
    if default is not None:
        hop = default["streaming"]
        hop_ms = result["hop_s"] * 1000
        checks += [
            {
                "goal": f"Preprocessing per {hop_ms:g} ms hop, {default['model']}",
                "measured": f"{hop['preprocess']['median_us']:.0f} µs",
                "target": f"<= {HOP_PREPROCESS_TARGET_US:.0f} µs",
                "met": hop["preprocess"]["median_us"] <= HOP_PREPROCESS_TARGET_US,
            },
            {
                "goal": f"Preprocessing + inference per {hop_ms:g} ms hop, {default['model']}",
                "measured": f"{hop['total']['median_us']:.0f} µs",
                "target": f"<= {HOP_TOTAL_TARGET_US:.0f} µs",
                "met": hop["total"]["median_us"] <= HOP_TOTAL_TARGET_US,
            },
        ]
    for name, row in rows.items():
        float_row = rows.get(name.replace("_int8", ""))
        if row["quantization"] == "int8" and float_row is not None and float_row is not row:
            checks.append(
                {
                    "goal": f"Inference {name} vs {float_row['model']}",
                    "measured": f"{row['inference']['median_us']:.0f} vs {float_row['inference']['median_us']:.0f} µs",
                    "target": "int8 no slower",
                    "met": row["inference"]["median_us"] <= float_row["inference"]["median_us"],
                }
            )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        nargs="*",
        type=Path,
        default=sorted(p for p in MODELS.glob("*.tflite") if p.name != "reference.tflite"),
        help="model files (default: every shipped model)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=shared_data_dir() / REAL,
        help="measure accuracy on this folder's test split (default: the real-speech folder); "
        "'none': the test accuracy in each file's metadata",
    )
    parser.add_argument("--reference", type=Path, default=MODELS / "reference.tflite")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--hop", type=float, default=0.1, help="seconds per hop (default 0.1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = None if str(args.data).lower() == "none" else args.data
    result = benchmark(
        args.models, args.reference, runs=args.runs, hop_samples=int(round(args.hop * 16000)), data_dir=data
    )
    result["accuracy_source"] = f"test split of {data.name}" if data is not None else "each file's metadata"
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    result["targets"] = targets(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print("1 s window (the seed's comparison):")
    print(result["table"])
    print(f"\nPer hop of {result['hop_s']:g} s (only the new frames, as the live engine):")
    print(result["streaming_table"])
    print(f"\nload average {result['load_average']} on {result['cpus']} CPUs")
    for t in result["targets"]:
        print(f"{'meets ' if t['met'] else 'MISSES'} {t['goal']}: {t['measured']} (target {t['target']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
