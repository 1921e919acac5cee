"""The real kws-train console entry point, run as a subprocess with --progress jsonl."""

from __future__ import annotations

import json
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
