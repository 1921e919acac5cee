"""Training-time benchmark: 20 epochs of a preset on tts-yes-no, cold feature cache included.

Runs ``kws-train train`` in a subprocess with a fresh, empty cache folder and reads the
report's timings. Targets (this machine): ds-cnn <= 90 s, reference <= 5 min
(data + features + training). Prints a summary, or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_S = {"ds-cnn": 90.0, "reference": 300.0}


def bench(preset: str, data: Path, epochs: int) -> dict:
    """Train ``preset`` once with a cold cache; the report's timings and wall time."""
    with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
        out, cache = Path(tmp) / "out", Path(tmp) / "cache"
        cmd = [
            sys.executable,
            "-m",
            "trainer",
            "train",
            "--preset",
            preset,
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            str(epochs),
            "--cache-dir",
            str(cache),
            "--progress",
            "none",
        ]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        if proc.returncode != 0:
            raise SystemExit(f"training {preset} failed:\n{proc.stderr[-3000:]}")
        report = json.loads(next(out.glob("*.report.json")).read_text())
    timing = report["timing"]
    return {
        "preset": preset,
        "epochs": epochs,
        "wall_s": round(wall, 1),
        "data_and_features_s": timing["data_and_features_s"],
        "training_s": timing["training_s"],
        "features_and_training_s": timing["data_features_and_training_s"],
        "target_s": TARGETS_S.get(preset),
        "test_accuracy": report["models"]["float32"]["test_accuracy"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", choices=sorted(TARGETS_S))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tts-yes-no")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [bench(p, args.data, args.epochs) for p in (args.preset or ["ds-cnn", "reference"])]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            verdict = (
                ""
                if r["target_s"] is None
                else (
                    " (meets target)" if r["features_and_training_s"] <= r["target_s"] else " (MISSES target)"
                )
            )
            print(
                f"{r['preset']}: {r['epochs']} epochs, features {r['data_and_features_s']:.1f} s + training "
                f"{r['training_s']:.1f} s = {r['features_and_training_s']:.1f} s{verdict} "
                f"[target {r['target_s']:.0f} s]; wall {r['wall_s']:.1f} s; test accuracy {r['test_accuracy']:.4f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
