"""Retrain every model shipped in assets/models, exactly as shipped (one place for the recipes).

    python scripts/train_shipped_models.py [--data-root ../shared/data] [--out /tmp/kws-shipped]
                                           [--only live ds-cnn reference] [--install]

Each model is one ``kws-train train`` run; the commands are printed before they run,
so what made a shipped file can be read here and in its ``.report.json``:

* ``live`` (the app's default): yes / no / _silence_ / _unknown_ on the synthetic
  yes/no set, the real-speech folder (weight 3: it is small) and the synthetic other
  words; decision settings tuned on the real folder's *validation* streams;
* ``ds_cnn``: the seed's two-label DS-CNN on the synthetic and real yes/no clips;
* ``reference``: the seed's reference CNN on the same data.

``--install`` copies the .tflite files and reports (and ``ds_cnn.h5``, the base of
"prune an existing model") into assets/models. Real data is read from
``--data-root`` only; nothing is copied into the repository but the models.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from trainer.shipped import artifacts, recipes

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "assets" / "models"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("/tmp/kws-shipped"))
    parser.add_argument("--only", nargs="+", choices=("live", "ds_cnn", "reference"))
    parser.add_argument("--cache-dir", type=Path, help="feature cache (default: the user cache)")
    parser.add_argument("--install", action="store_true", help="copy the results into assets/models")
    args = parser.parse_args(argv)
    for name, train_args in recipes(args.data_root.resolve()).items():
        if args.only and name not in args.only:
            continue
        out = args.out / name
        command = [sys.executable, "-m", "trainer", "train", *train_args, "--out", str(out)]
        if args.cache_dir:
            command += ["--cache-dir", str(args.cache_dir)]
        print("$ " + " ".join(command), flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            print(f"train_shipped_models: {name} failed", file=sys.stderr)
            return 1
        if args.install:
            for file in artifacts(name):
                shutil.copy2(out / file, MODELS_DIR / file)
                print(f"installed {MODELS_DIR / file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
