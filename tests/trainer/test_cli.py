"""The real kws-train console entry point, run as a subprocess with --progress jsonl."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.conftest import make_tiny_dataset

pytestmark = pytest.mark.slow


def _kws_train() -> list[str]:
    exe = shutil.which("kws-train", path=str(Path(sys.executable).parent)) or shutil.which("kws-train")
    return [exe] if exe else [sys.executable, "-m", "trainer"]


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "KWS_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}


def _run(args: list[str], cache: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_kws_train(), *args], capture_output=True, text=True, env=_env(cache), timeout=timeout, check=False
    )


def _events(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line must be one JSON object with an "event"."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) and "event" in e for e in events)
    return events


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("cli")
    data = make_tiny_dataset(base / "data", speakers=5, clips_per_speaker=4)
    out, cache = base / "out", base / "cache"
    proc = _run(
        [
            "train",
            "--preset",
            "ds-cnn",
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--data",
            str(data),
            "--out",
            str(out),
            "--progress",
            "jsonl",
            "--seed",
            "1",
        ],
        cache,
    )
    return {"proc": proc, "data": data, "out": out, "cache": cache, "base": base}


def test_train_emits_only_json_events_and_writes_the_outputs(trained) -> None:
    proc = trained["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = _events(proc.stdout)
    names = [e["event"] for e in events]
    assert names[0] == "start" and names[-1] == "done"
    assert {"stage", "data", "step", "epoch", "artifact", "result"} <= set(names)
    start = events[0]
    assert start["command"] == "train" and start["preset"] == "ds-cnn" and start["epochs"] == 1
    assert start["total_steps"] == start["steps_per_epoch"]
    result = next(e for e in events if e["event"] == "result")["report"]
    assert result["models"]["float32"]["tflite_bytes"] > 0
    artifacts = {e["kind"]: Path(e["path"]) for e in events if e["event"] == "artifact"}
    assert set(artifacts) == {"tflite-float32", "tflite-int8", "keras", "report"}
    assert all(p.is_file() for p in artifacts.values())
    assert events[-1]["ok"] is True


def test_prune_from_a_trained_folder(trained, tmp_path: Path) -> None:
    out = tmp_path / "pruned"
    proc = _run(
        [
            "prune",
            "--from",
            str(trained["out"]),
            "--data",
            str(trained["data"]),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--final-sparsity",
            "0.95",
            "--progress",
            "jsonl",
        ],
        trained["cache"],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = _events(proc.stdout)
    assert events[0]["command"] == "prune"
    report = next(e for e in events if e["event"] == "result")["report"]
    assert report["command"] == "prune" and report["config"]["final_sparsity"] == 0.95
    assert report["sparsity"]["prunable"] == pytest.approx(0.95, abs=0.01)
    assert (out / "ds_cnn.tflite").is_file() and (out / "ds_cnn_int8.tflite").is_file()


def test_evaluate_json(trained) -> None:
    model = trained["out"] / "ds_cnn_int8.tflite"
    proc = _run(
        ["evaluate", str(model), "--data", str(trained["data"]), "--split", "all", "--json"], trained["cache"]
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert {"accuracy", "n", "labels", "confusion"} <= set(result)
    assert result["labels"] == ["yes", "no"]
    assert result["n"] == 5 * 4 * 2 == sum(map(sum, result["confusion"]))
    assert 0.0 <= result["accuracy"] <= 1.0


def test_evaluate_jsonl_ends_with_result(trained) -> None:
    model = trained["out"] / "ds_cnn.tflite"
    proc = _run(
        ["evaluate", str(model), "--data", str(trained["data"]), "--progress", "jsonl"], trained["cache"]
    )
    events = _events(proc.stdout)
    assert [e["event"] for e in events][-2:] == ["result", "done"]
    assert events[-2]["report"]["split"] == "test"
    wrong = _run(
        ["evaluate", str(model), "--data", str(trained["data"]), "--labels", "no,yes"], trained["cache"]
    )
    assert wrong.returncode == 2 and "labels" in wrong.stderr


def test_benchmark_json(trained) -> None:
    ref, other = trained["out"] / "ds_cnn.tflite", trained["out"] / "ds_cnn_int8.tflite"
    proc = _run(["benchmark", str(other), "--reference", str(ref), "--runs", "5", "--json"], trained["cache"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    rows = {row["model"]: row for row in result["models"]}
    assert set(rows) == {"ds_cnn.tflite", "ds_cnn_int8.tflite"} and result["reference"] == "ds_cnn.tflite"
    assert rows["ds_cnn.tflite"]["latency_savings"] == 0.0
    for row in rows.values():
        assert row["total"]["median_us"] > 0 and row["tflite_bytes"] > 0 and row["zipped_bytes"] > 0
        assert row["accuracy"] is not None  # from the metadata
    assert "| ds_cnn_int8.tflite |" in result["table"]
    # the live engine's per-hop cost (new frames only) beside the 1 s window
    assert result["hop_samples"] == 1600 and "| ds_cnn_int8.tflite |" in result["streaming_table"]
    for row in rows.values():
        hop = row["streaming"]
        assert hop["frames_per_hop"] == pytest.approx(6.25, abs=0.2)  # 6, 6, 6, 7 frames of 256 samples
        assert 0 < hop["preprocess"]["median_us"] <= hop["preprocess"]["p95_us"]
        assert hop["saving_vs_window"] is not None


def test_inspect_data_does_not_import_tensorflow(trained) -> None:
    code = (
        "import sys, trainer.cli as c; rc = c.main(['inspect-data', sys.argv[1], '--json']);"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(trained["data"])],
        capture_output=True,
        text=True,
        env=_env(trained["cache"]),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["counts"]["train"] == {"yes": 12, "no": 12}


def test_bad_data_is_an_error_event_and_exit_2(trained, tmp_path: Path) -> None:
    proc = _run(
        ["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--progress", "jsonl"],
        trained["cache"],
    )
    assert proc.returncode == 2
    events = _events(proc.stdout)
    assert events[-1]["event"] == "error" and "nowhere" in events[-1]["message"]
    assert events[-1]["type"] == "DatasetError"
    assert not (tmp_path / "o").exists()


def test_bad_option_names_it(trained, tmp_path: Path) -> None:
    proc = _run(
        ["train", "--data", str(trained["data"]), "--out", str(tmp_path), "--final-sparsity", "1.5"],
        trained["cache"],
    )
    assert proc.returncode == 2 and "--final-sparsity" in proc.stderr


def test_annotate_foreign_labels(trained, tmp_path: Path) -> None:
    src = trained["out"] / "ds_cnn.tflite"
    out = tmp_path / "annotated.tflite"
    proc = _run(
        ["annotate", str(src), "--labels", "si,no", "--preset", "ds-cnn", "--out", str(out)], trained["cache"]
    )
    assert proc.returncode == 0, proc.stderr
    from kws_gui.core.model_file import KwsModel

    assert KwsModel.load(out).labels == ("si", "no")
    bad = _run(
        ["annotate", str(src), "--labels", "a,b,c", "--preset", "ds-cnn", "--out", str(tmp_path / "x")],
        trained["cache"],
    )
    assert bad.returncode == 2 and "output shape" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_sigterm_cancels_without_outputs(trained, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            *_kws_train(),
            "train",
            "--epochs",
            "500",
            "--batch-size",
            "4",
            "--data",
            str(trained["data"]),
            "--out",
            str(out),
            "--progress",
            "jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(trained["cache"]),
    )
    events = []
    deadline = time.monotonic() + 300
    assert proc.stdout is not None
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "epoch" or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    events += _events(rest)
    assert proc.returncode == 130
    assert events[-1]["event"] == "cancelled"
    assert not any(e["event"] == "artifact" for e in events)
    assert not out.exists() or not any(out.iterdir())


def test_module_entry_point_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0 and "train" in proc.stdout and "benchmark" in proc.stdout


@pytest.fixture(scope="module")
def trained_live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A four-label model trained on two folders: a keyword set and a weighted "real" set."""
    from tests.trainer.test_sources import make_recorded_silence

    base = tmp_path_factory.mktemp("cli-live")
    keywords = make_tiny_dataset(base / "keywords", speakers=4, clips_per_speaker=3, extra_words=())
    real = make_tiny_dataset(
        base / "real", speakers=4, clips_per_speaker=2, extra_words=("up", "left"), with_noise=False, seed=5
    )
    silence = make_recorded_silence(real)
    with open(real / "validation_list.txt", "a") as f:  # room noise for the tuning streams
        f.write("\n".join(silence[:2]) + "\n")
    out, cache = base / "out", base / "cache"
    args = ["train", "--preset", "ds-cnn", "--epochs", "1", "--batch-size", "8", "--no-prune"]
    args += ["--labels", "_silence_,_unknown_,yes,no", "--unknown-percent", "inf", "--silence-percent", "20"]
    args += ["--data", str(keywords), "--data", f"{real}:2", "--out", str(out), "--progress", "jsonl"]
    args += ["--noise-snr-db", "0,20", "--gain-db=-10,6", "--speed-perturbation", "0.1"]
    args += ["--reverb-probability", "0.3", "--spec-masks", "2", "--seed", "1", "--tune-decision", str(real)]
    args += ["--label-smoothing", "0.1"]  # one-hot targets through fit, validation included
    args += ["--tf-threads", "1"]  # must reach TensorFlow before its first op
    proc = _run(args, cache)
    return {"proc": proc, "data": (keywords, real), "out": out, "cache": cache}


def test_train_on_two_folders_reports_each_source(trained_live) -> None:
    proc = trained_live["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = _events(proc.stdout)
    data_event = next(e for e in events if e["event"] == "data")
    assert [s["name"] for s in data_event["sources"]] == ["keywords", "real"]
    report = next(e for e in events if e["event"] == "result")["report"]
    sources = report["dataset"]["sources"]
    assert [(s["name"], s["weight"]) for s in sources] == [("keywords", 1.0), ("real", 2.0)]
    assert report["config"]["label_smoothing"] == 0.1
    assert report["config"]["tf_threads"] == report["timing"]["tf_threads"] == 1
    assert all(math.isfinite(e["val_loss"]) for e in report["history"])
    assert sources[1]["counts"]["train"]["_silence_"] == 4  # recorded silence clips not on the lists
    assert sources[1]["counts"]["train"]["_unknown_"] == 2 * 2 * 2  # up, left: 2 train speakers x 2
    assert report["dataset"]["name"] == "keywords+real"
    for flavour in ("float32", "int8"):
        model = report["models"][flavour]
        assert set(model["sources"]) == {"keywords", "real"}
        for figures in model["sources"].values():
            assert {"validation_accuracy", "validation_n", "test_accuracy", "test_n"} <= set(figures)
        assert model["sources"]["real"]["test_n"] > 0
        assert set(model["per_class"]["test"]) == {"_silence_", "_unknown_", "yes", "no"}
        assert set(model["keyword_false_accepts"]["test"]) <= {"_silence_", "_unknown_"}
    augmentation = report["augmentation"]
    assert augmentation["background_noise"]["snr_db"] == [0.0, 20.0]
    assert augmentation["gain_db"] == [-10.0, 6.0] and augmentation["reverb_probability"] == 0.3
    assert augmentation["spec_augment"]["masks"] == 2
    # a weight of 2 doubles the real folder's clips in each epoch's steps
    start = events[0]
    n_keywords = sum(sum(c.values()) for c in (sources[0]["counts"]["train"],))
    n_real = sum(sources[1]["counts"]["train"].values())
    assert start["steps_per_epoch"] == -(-(n_keywords + 2 * n_real) // 8)


def test_evaluate_several_folders_per_source_and_class(trained_live) -> None:
    model = trained_live["out"] / "ds_cnn.tflite"
    keywords, real = trained_live["data"]
    args = ["evaluate", str(model), "--data", str(keywords), "--data", str(real), "--split", "test"]
    proc = _run([*args, "--json"], trained_live["cache"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert set(result["sources"]) == {"keywords", "real"}
    assert sum(s["n"] for s in result["sources"].values()) == result["n"]
    assert result["keywords"] == ["yes", "no"]
    unknown_row = result["confusion"][1]
    assert result["per_class"]["_unknown_"]["n"] == sum(unknown_row) == 2 * 2  # every test clip of up, left
    share = (unknown_row[2] + unknown_row[3]) / sum(unknown_row)
    assert result["keyword_false_accepts"]["_unknown_"] == pytest.approx(share)
    text = _run(args, trained_live["cache"])
    assert text.returncode == 0
    assert "source real" in text.stdout and "_unknown_ clips taken for a keyword" in text.stdout


def test_decision_settings_tuned_on_validation_streams_travel_in_the_files(trained_live) -> None:
    from kws_gui.core.model_file import KwsModel

    assert trained_live["proc"].returncode == 0, trained_live["proc"].stderr[-3000:]
    report = json.loads((trained_live["out"] / "ds_cnn.report.json").read_text())
    for flavour, file in (("float32", "ds_cnn.tflite"), ("int8", "ds_cnn_int8.tflite")):
        tuned = report["decision_tuning"][flavour]
        assert tuned["source"] == "real" and tuned["split"] == "validation"
        assert set(tuned["recommended"]) == {"threshold", "smoothing_s"}
        assert {"hit_rate", "false_per_word", "false_per_hour"} <= set(tuned["validation"])
        model = KwsModel.load(trained_live["out"] / file)
        assert model.keywords == ("yes", "no")
        assert model.recommended_decision == tuned["recommended"]
