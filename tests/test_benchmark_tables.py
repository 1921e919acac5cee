"""The README goals table is generated from the benchmarks' saved JSON, and the soak benchmark runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from kws_gui.paths import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parent.parent


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_goals_table_rows_come_from_the_saved_results(tmp_path: Path) -> None:
    tables = _load_script("make_results_table")
    training = [
        {"model": "live", "preset": "live", "epochs": 20, "wall_s": 200.0, "features_and_training_s": 170.0,
         "target_s": 180.0},
        {"model": "reference", "preset": "reference", "epochs": 20, "wall_s": 700.0,
         "features_and_training_s": 650.0, "target_s": 300.0},
    ]  # fmt: skip
    soak = {"minutes": 10, "inferences": 1_500_000, "rss_warm_mb": 76.0, "rss_end_mb": 77.2, "growth_mb": 1.2,
            "growth_target_mb": 5.0}  # fmt: skip
    sweep = {"trials": 16, "trials_ok": 16, "epochs": 20, "wall_s": 1500.0, "sweep_cpu_utilisation": 0.93,
             "load_average_before": [0.2, 0.1, 0.1], "target_s": 1800.0, "meets_target": True}  # fmt: skip
    (tmp_path / "training.json").write_text(json.dumps(training))
    (tmp_path / "soak.json").write_text(json.dumps(soak))
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    rows = [line.split(" | ") for line in tables.render_goals(tmp_path).splitlines() if line.startswith("| ")]
    by_goal = {row[0].lstrip("| "): row for row in rows[1:]}
    live = by_goal["Training, live recipe, 20 epochs (cold feature cache)"]
    assert live[1].startswith("170 s") and live[3] == "yes |"
    assert by_goal["Training, reference recipe, 20 epochs (cold feature cache)"][3] == "no |"
    soak_row = next(row for goal, row in by_goal.items() if goal.startswith("Memory over a 10 min"))
    assert "+1.2 MB" in soak_row[1] and soak_row[3] == "yes |"
    sweep_row = next(row for goal, row in by_goal.items() if goal.startswith("Sweep, 16 DS-CNN trials"))
    assert sweep_row[1].startswith("25.0 min, cores 93% busy") and sweep_row[3] == "yes |"


def test_soak_benchmark_samples_the_memory_of_a_short_run(tmp_path: Path) -> None:
    soak = _load_script("bench_soak")
    clip = tmp_path / "tone.wav"
    import numpy as np
    import soundfile

    t = np.arange(16000) / 16000
    soundfile.write(clip, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    result = soak.run(0.05, DEFAULT_MODEL, clip)
    assert result["inferences"] > 0 and result["rss_end_mb"] > 10
    assert result["rss_max_mb"] >= max(result["rss_warm_mb"], result["rss_end_mb"])
