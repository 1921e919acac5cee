"""Peak memory of ``kws-listen --wav`` on a long file (target: <= 150 MB for 1 h of 48 kHz stereo).

Writes a 1 h, 48 kHz, 16-bit stereo WAV of noise (loud enough that the energy gate
lets every hop through to the model) into /tmp, second by second, then runs
``kws-listen --wav FILE --fast --json`` in a child process and reads the child's
peak resident set size (``ru_maxrss`` of the waited child). Before issue 8 the
whole file was decoded and resampled in memory (2.08 GB for this file); the WAV
source now streams it in blocks, so the peak does not depend on the file's length.
Prints the result, or one JSON object with --json (saved in benchmarks/results/wav_memory.json).

    nice -n 10 python benchmarks/bench_wav_memory.py [--minutes 60] [--json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

TARGET_MB = 150.0
RATE = 48000
CHANNELS = 2


def write_noise_wav(path: Path, minutes: float, seed: int = 0) -> None:
    """``minutes`` of 48 kHz stereo noise at about -26 dBFS RMS, written one second at a time."""
    rng = np.random.default_rng(seed)
    with soundfile.SoundFile(str(path), "w", RATE, CHANNELS, subtype="PCM_16") as handle:
        for _ in range(int(round(minutes * 60))):
            handle.write((0.05 * rng.standard_normal((RATE, CHANNELS))).astype(np.float32))


def run(minutes: float, keep: bool = False) -> dict:
    """Generate the file, run kws-listen on it, return the measurements."""
    folder = Path(tempfile.mkdtemp(prefix="kws-wav-memory-"))
    wav = folder / f"noise_{minutes:g}min_48k_stereo.wav"
    try:
        t0 = time.monotonic()
        write_noise_wav(wav, minutes)
        generate_s = time.monotonic() - t0
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "kws_gui.listen", "--wav", str(wav), "--fast", "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        wall_s = time.monotonic() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
        if proc.returncode != 0:
            raise SystemExit(f"kws-listen failed ({proc.returncode}): {proc.stderr[-2000:]}")
        stats = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()][-1]
        return {
            "benchmark": "wav_memory",
            "command": "kws-listen --wav FILE --fast --json",
            "file": {
                "minutes": minutes,
                "sample_rate": RATE,
                "channels": CHANNELS,
                "subtype": "PCM_16",
                "bytes": wav.stat().st_size,
            },
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "target_mb": TARGET_MB,
            "stream_s": stats["stream_s"],
            "inferences": stats["inferences"],
            "vad_skips": stats["vad_skips"],
            "wall_s": round(wall_s, 1),
            "generate_s": round(generate_s, 1),
            "before_issue_8_mb": 2080.0 if minutes == 60 else None,
            "cpu_count": os.cpu_count(),
        }
    finally:
        if not keep:
            wav.unlink(missing_ok=True)
            folder.rmdir()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=60.0, help="length of the generated file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the generated file in /tmp")
    args = p.parse_args(argv)
    result = run(args.minutes, args.keep)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"kws-listen --wav on {args.minutes:g} min of 48 kHz stereo ({result['file']['bytes'] / 1e6:.0f} MB): "
            f"peak RSS {result['peak_rss_mb']:.1f} MB (target <= {TARGET_MB:.0f} MB); "
            f"{result['inferences']} inferences over {result['stream_s']:.0f} s of audio in {result['wall_s']:.0f} s"
        )
    return 0 if result["peak_rss_mb"] <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
