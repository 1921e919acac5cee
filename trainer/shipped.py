"""The recipes of the models shipped in assets/models: one place, read by
``scripts/train_shipped_models.py`` (which makes them) and ``benchmarks/bench_training.py``
(which times them).

* ``live`` (the app's default): yes / no / _silence_ / _unknown_ on the synthetic
  yes/no set, the real-speech folder (weight 3: it is small) and the synthetic other
  words; decision settings tuned on the real folder's *validation* streams;
* ``ds_cnn``: the seed's two-label DS-CNN on the synthetic and real yes/no clips;
* ``reference``: the seed's reference CNN on the same data.
"""

from __future__ import annotations

from pathlib import Path

SYNTHETIC, REAL, OTHER_WORDS = "tts-yes-no", "real-v0.02-test-speakers", "tts-other-words"
#: Each clip of the small real folder is seen this many times per epoch.
REAL_WEIGHT = 3


def recipes(data_root: Path) -> dict[str, list[str]]:
    """Model name -> the ``kws-train train`` arguments that make it (without --out)."""
    synthetic, real, others = (str(data_root / name) for name in (SYNTHETIC, REAL, OTHER_WORDS))
    two_labels = ["--data", synthetic, "--data", f"{real}:{REAL_WEIGHT}"]
    return {
        "live": [
            "--preset", "live",
            "--data", synthetic, "--data", f"{real}:{REAL_WEIGHT}", "--data", others,
            "--tune-decision", real,
        ],
        "ds_cnn": ["--preset", "ds-cnn", *two_labels],
        "reference": ["--preset", "reference", *two_labels],
    }  # fmt: skip


def artifacts(name: str) -> list[str]:
    """Files of a run that are shipped."""
    files = [f"{name}.tflite", f"{name}_int8.tflite", f"{name}.report.json"]
    return [*files, f"{name}.h5"] if name == "ds_cnn" else files
