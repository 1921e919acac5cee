"""Inference benchmark: preprocessing + inference of one 1 s window, models vs the reference.

A thin wrapper over ``kws-train benchmark`` (trainer/benchmark.py) with the shipped
models as defaults; prints the table, or one JSON object with ``--json``. Targets:
DS-CNN at least 55 % faster than the reference pipeline (aim 80 %).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.benchmark import benchmark  # noqa: E402

MODELS = ROOT / "assets" / "models"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models", nargs="*", type=Path, default=[MODELS / "ds_cnn.tflite", MODELS / "ds_cnn_int8.tflite"]
    )
    parser.add_argument("--reference", type=Path, default=MODELS / "reference.tflite")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = benchmark(args.models, args.reference, runs=args.runs)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    else:
        print(result["table"])
        for row in result["models"][1:]:
            verdict = "meets" if row["latency_savings"] >= 0.55 else "MISSES"
            print(
                f"{row['model']}: {row['latency_savings']:.0%} faster than the reference ({verdict} the 55 % target)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
