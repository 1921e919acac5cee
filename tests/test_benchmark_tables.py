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
        {"model": "live_tf1", "recipe": "live", "options": "--tf-threads 1", "preset": "live", "epochs": 20,
         "wall_s": 140.0, "features_and_training_s": 125.0, "target_s": 180.0},
    ]  # fmt: skip
    soak = {"minutes": 10, "inferences": 1_500_000, "rss_warm_mb": 76.0, "rss_end_mb": 77.2, "growth_mb": 1.2,
            "growth_target_mb": 5.0}  # fmt: skip
    sweep = {"trials": 16, "trials_ok": 16, "epochs": 20, "wall_s": 1500.0, "core_utilisation_mean": 0.93,
             "load_average_before": [0.2, 0.1, 0.1], "target_s": 1800.0, "meets_target": True}  # fmt: skip
    (tmp_path / "training.json").write_text(json.dumps(training))
    (tmp_path / "soak.json").write_text(json.dumps(soak))
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    rows = [line.split(" | ") for line in tables.render_goals(tmp_path).splitlines() if line.startswith("| ")]
    by_goal = {row[0].lstrip("| "): row for row in rows[1:]}
    live = by_goal["Training, live recipe, 20 epochs (cold feature cache)"]
    assert live[1].startswith("170.0 s") and live[3] == "yes |"
    assert by_goal["Training, reference recipe, 20 epochs (cold feature cache)"][3] == "no |"
    variant = by_goal["Training, live recipe with --tf-threads 1, 20 epochs (cold feature cache)"]
    assert variant[1].startswith("125.0 s") and variant[3] == "yes |"
    soak_row = next(row for goal, row in by_goal.items() if goal.startswith("Memory over a 10 min"))
    assert "+1.2 MB" in soak_row[1] and soak_row[3] == "yes |"
    sweep_row = next(row for goal, row in by_goal.items() if goal.startswith("Sweep, 16 DS-CNN trials"))
    assert sweep_row[1].startswith("25.0 min, cores 93% busy") and sweep_row[3] == "yes |"


def test_sweep_table_lists_every_trial_and_marks_the_pick(tmp_path: Path) -> None:
    tables = _load_script("make_results_table")
    sweep = _load_script("bench_sweep")

    def trial(tid: str, filters: int, sparsity: float, real: float) -> dict:
        model = {"validation_accuracy": 0.99, "test_accuracy": real - 0.01, "zipped_bytes": 2048 * filters,
                 "latency_us": 100.0, "sources": {"real": real, "tts": 1.0}}  # fmt: skip
        options = {"preset": "ds-cnn", "epochs": 20, "filters": filters, "final-sparsity": sparsity}
        return {"id": tid, "status": "ok", "options": options, "models": {"float32": model, "int8": model}}

    doc = {
        "accuracy_source": "real",
        "trials": [trial("b", 32, 0.9, 0.95), trial("a", 16, 0.5, 0.97), {"id": "c", "status": "failed"}],
    }
    result = {"trials": 3, "trials_ok": 2, "epochs": 20, "wall_s": 600.0, "core_utilisation_mean": 0.9,
              "accuracy_source": "real", "pick": {"trial": "a", "flavour": "int8"},
              "trial_rows": sweep.trial_rows(doc)}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(result))
    lines = tables.render_sweep(tmp_path).splitlines()
    assert lines[0] == (
        "| filters | final-sparsity | validation, real (float / int8) | test, real (float / int8) "
        "| zipped (float / int8) |"
    )
    assert lines[2] == "| **16** (pick: int8) | 0.5 | 97.0% / 97.0% | 96.0% / 96.0% | 32.0 KB / 32.0 KB |"
    assert lines[3].startswith("| 32 | 0.9 | 95.0% / 95.0% |")
    assert "2 of 3 trials of 20 epochs trained in 10.0 min" in lines[5]
    assert tables.render_sweep(tmp_path / "nothing") == ""


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


def test_cold_hop_benchmark_times_the_same_work_warm_and_after_idling() -> None:
    cold = _load_script("bench_cold_hop")
    result = cold.run(DEFAULT_MODEL, runs=3, idle_s=0.001)
    assert result["frames_per_hop"] == 7  # 100 ms of 16 kHz over a 16 ms frame step, rounded up
    for key in ("hop_warm", "hop_after_sleep", "hop_after_spin"):
        assert result[key]["median_us"] > 0
    assert result["multiply_first_after_sleep_us"] > 0 and result["multiply_second_after_sleep_us"] > 0
