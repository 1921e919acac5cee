"""Soak: memory of a long ``kws-listen`` run must stay flat (issue 8: keep 61 MB over 10 min).

Runs ``kws-listen --wav CLIP --loop --fast --no-vad --duration S --json`` on the shipped
default model in a child process (a 1 s real "yes" looped, every hop through the model,
as fast as the engine takes it) and samples the child's resident set size (VmRSS from
``/proc``) once a second. Reports RSS after the first minute (warm), at the end and
the largest, the growth from warm to end, and the inferences the run made. Linux only
(``/proc``). Prints a summary, or one JSON object with ``--json`` (saved in
``benchmarks/results/soak.json``).

    python benchmarks/bench_soak.py [--minutes 10] [--model FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kws_gui.paths import DEFAULT_MODEL, shared_data_dir

GROWTH_TARGET_MB = 5.0
CLIP = Path("speech_commands_v0.02") / "yes" / "f2e59fea_nohash_1.wav"  # the micro_speech "yes"


def rss_mb(pid: int) -> float | None:
    """The resident set size of ``pid`` in MB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run(minutes: float, model: Path, clip: Path) -> dict:
    """Run kws-listen for ``minutes`` of wall time, sampling its memory; the measurements."""
    cmd = [sys.executable, "-m", "kws_gui.listen", "--model", str(model), "--wav", str(clip)]
    cmd += ["--loop", "--fast", "--no-vad", "--duration", f"{minutes * 60:g}", "--json"]
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        t0 = time.monotonic()  # output to files: a full pipe would stall the child
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file, text=True)
        while proc.poll() is None:
            value = rss_mb(proc.pid)
            if value is not None:
                samples.append((time.monotonic() - t0, value))
            time.sleep(1.0)
        wall_s = time.monotonic() - t0
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode != 0 or not samples:
        raise SystemExit(f"kws-listen failed ({proc.returncode}): {err[-2000:]}")
    stats = [json.loads(line) for line in out.splitlines() if line.strip()][-1]
    warm_at = min(60.0, wall_s / 2)
    warm = next(v for t, v in samples if t >= warm_at) if samples[-1][0] >= warm_at else samples[0][1]
    end = samples[-1][1]
    return {
        "benchmark": "soak",
        "command": " ".join(["kws-listen", *cmd[3:]]),
        "model": model.name,
        "minutes": minutes,
        "wall_s": round(wall_s, 1),
        "inferences": stats["inferences"],
        "stream_s": stats["stream_s"],
        "rss_warm_mb": round(warm, 1),
        "rss_end_mb": round(end, 1),
        "rss_max_mb": round(max(v for _, v in samples), 1),
        "growth_mb": round(end - warm, 1),
        "growth_target_mb": GROWTH_TARGET_MB,
        "before": "61 MB over 10 min, 1.09 M inferences (issue 8)",
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="wall time of the run (default 10)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--clip", type=Path, help="audio to loop (default: a real 'yes' from the shared data)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    clip = args.clip or shared_data_dir() / CLIP
    result = run(args.minutes, args.model, clip)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"kws-listen soak, {result['minutes']:g} min: {result['inferences']} inferences; RSS "
            f"{result['rss_warm_mb']:.1f} MB after the first minute, {result['rss_end_mb']:.1f} MB at the end "
            f"(max {result['rss_max_mb']:.1f}), growth {result['growth_mb']:+.1f} MB "
            f"(target <= {GROWTH_TARGET_MB:g} MB)"
        )
    return 0 if result["growth_mb"] <= GROWTH_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
