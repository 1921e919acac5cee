"""kws-train sweep for real: Ray Tune locally (cancel, resume, a failing trial) and on a loopback Ray cluster.

Tiny generated data, 1 epoch, 4-filter models: the time goes into starting Ray and
TensorFlow. Each test's Ray lives in its own short temporary folder (RAY_TMPDIR /
--temp-dir) with its own authentication token (RAY_AUTH_TOKEN), so nothing touches
the user's ~/.ray or another Ray on the machine, and the test checks that no Ray
process of its own is left behind.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.conftest import make_tiny_dataset
from tests.trainer.test_cli import _events, _kws_train

pytestmark = pytest.mark.slow

TRIAL_OPTIONS = "epochs: 1\nbatch-size: 8\naugment: false\nfinetune-epochs: 0\nfilters: 4\n"
# One trial at a time (each takes every core), so that the cancel lands between trials.
ALL_CORES = str(len(os.sched_getaffinity(0)))


def _ray_processes(marker: str) -> list[str]:
    """Command lines of running processes that mention ``marker`` (a test's Ray folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(cmdline)
    return found


@pytest.fixture(scope="module")
def ray_env() -> Iterator[dict[str, str]]:
    """Environment for kws-train sweep and ray start: own temp folder and token, no usage stats."""
    ray_tmp = tempfile.mkdtemp(prefix="kws-ray-", dir="/tmp")  # short: Ray's socket paths must fit
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RAY_TMPDIR": ray_tmp,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    yield env
    _remove_ray_folder(ray_tmp)


def _remove_ray_folder(folder: str) -> None:
    """Remove a test's Ray folder once its processes are gone; fail if any is left behind."""
    for _ in range(30):  # Ray's processes exit shortly after the driver / the head
        if not _ray_processes(folder):
            break
        time.sleep(1)
    leftovers = _ray_processes(folder)
    shutil.rmtree(folder, ignore_errors=True)
    assert not leftovers, f"Ray processes left behind: {leftovers}"


def _sweep(
    args: list[str], env: dict[str, str], cache: Path, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_kws_train(), "sweep", *args, "--progress", "jsonl", "--cache-dir", str(cache)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def _finished(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["trial"]: e["record"] for e in events if e["event"] == "trial_finished"}


# --------------------------------------------------------------- local Ray
@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory, ray_env: dict[str, str]) -> dict[str, Any]:
    """A 3-trial local sweep (the first trial fails), stopped by SIGTERM once a trial has trained."""
    base = tmp_path_factory.mktemp("sweep")
    data = make_tiny_dataset(base / "data", speakers=3, clips_per_speaker=2)
    space = base / "space.yaml"
    space.write_text(TRIAL_OPTIONS + 'labels: ["yes,absent", "yes,no", "no,yes"]\n')
    out, cache = base / "out", base / "cache"
    cmd = [*_kws_train(), "sweep", "--space", str(space), "--data", str(data), "--out", str(out)]
    cmd += ["--cpus-per-trial", ALL_CORES, "--progress", "jsonl", "--cache-dir", str(cache)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ray_env)
    lines: queue.Queue[str | None] = queue.Queue()
    stderr: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    threading.Thread(target=lambda: stderr.extend(proc.stderr or []), daemon=True).start()
    stdout: list[str] = []
    deadline = time.monotonic() + 600
    signalled = None
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            continue
        if line is None:
            break
        stdout.append(line)
        event = json.loads(line)
        if signalled is None and event["event"] == "trial_finished" and event["record"]["status"] == "ok":
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
    code = proc.wait(timeout=120)
    return {
        "code": code,
        "events": _events("".join(stdout)),
        "stderr": "".join(stderr),
        "stop_s": None if signalled is None else time.monotonic() - signalled,
        "out": out,
        "data": data,
        "space": space,
        "cache": cache,
    }


@pytest.fixture(scope="module")
def resumed(interrupted: dict[str, Any], ray_env: dict[str, str]) -> dict[str, Any]:
    """The same sweep continued with --resume (space and data come from sweep.json)."""
    done = _finished(interrupted["events"])
    mtimes = {p: p.stat().st_mtime_ns for p in interrupted["out"].glob("trials/*/*")}
    proc = _sweep(
        ["--resume", "--out", str(interrupted["out"]), "--cpus-per-trial", ALL_CORES],
        ray_env,
        interrupted["cache"],
    )
    return {**interrupted, "proc": proc, "events": _events(proc.stdout), "before": done, "mtimes": mtimes}


def test_cancel_stops_the_sweep_and_keeps_the_finished_trials(interrupted: dict[str, Any]) -> None:
    assert interrupted["code"] == 130, interrupted["stderr"][-3000:]
    events = interrupted["events"]
    assert events[0]["event"] == "start" and events[0]["trials"] == 3
    assert events[-1]["event"] == "cancelled" and "--resume" in events[-1]["message"]
    doc = json.loads((interrupted["out"] / "sweep.json").read_text())
    assert doc["status"] == "cancelled"
    statuses = {t["id"]: t["status"] for t in doc["trials"]}
    assert "ok" in statuses.values() and "unfinished" in statuses.values()
    # the trained trial's models and report are on disk
    ok = next(t for t in doc["trials"] if t["status"] == "ok")
    assert (interrupted["out"] / ok["dir"] / "ds_cnn.report.json").is_file()
    # the failing trial came first and did not stop the sweep
    failed = [t for t in doc["trials"] if t["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["options"]["labels"] == "yes,absent"
    assert "absent" in failed[0]["error"]
    assert "Traceback" in (interrupted["out"] / failed[0]["dir"] / "error.txt").read_text()


def test_resume_runs_only_what_was_left(resumed: dict[str, Any]) -> None:
    proc = resumed["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    started = [e["trial"] for e in resumed["events"] if e["event"] == "trial_started"]
    assert started and not set(started) & set(resumed["before"])  # finished trials are not run again
    for path, mtime in resumed["mtimes"].items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten by the resumed sweep"
    doc = json.loads((resumed["out"] / "sweep.json").read_text())
    assert doc["status"] == "complete" and doc["counts"] == {"failed": 1, "ok": 2}


def test_sweep_json_pareto_png_and_events(resumed: dict[str, Any]) -> None:
    import matplotlib.image

    out = resumed["out"]
    doc = json.loads((out / "sweep.json").read_text())
    assert (
        doc["data"] == [str(resumed["data"].resolve())] and doc["space"]["labels"]["grid"][0] == "yes,absent"
    )
    for trial in (t for t in doc["trials"] if t["status"] == "ok"):
        assert trial["config"]["filters"] == 4 and trial["config"]["labels"] == trial["options"][
            "labels"
        ].split(",")
        for flavour in ("float32", "int8"):
            m = trial["models"][flavour]
            assert 0 <= m["validation_accuracy"] <= 1 and m["tflite_bytes"] > m["zipped_bytes"] > 0
            assert m["latency_us"] > 0 and (out / trial["dir"] / m["file"]).is_file()
            # per data folder: its validation accuracy, as the trainer's report gives it
            assert set(m["sources"]) == {resumed["data"].name} and 0 <= m["sources"]["data"] <= 1
    assert len(doc["candidates"]) == 4 and doc["pareto"]["size"] and doc["pareto"]["latency"]
    assert (out / doc["pick"]["file"]).is_file()
    assert matplotlib.image.imread(out / "sweep_pareto.png").shape[1] >= 800
    # the resumed run's events: progress per epoch, each result, and the whole record at the end
    kinds = [e["event"] for e in resumed["events"]]
    assert {"trial_started", "trial_progress", "trial_finished", "result"} <= set(kinds) and kinds[
        -1
    ] == "done"
    assert next(e for e in resumed["events"] if e["event"] == "result")["report"]["pick"] == doc["pick"]
    assert "pick (smallest zipped model within 1 accuracy points" in resumed["proc"].stderr


def test_a_sweep_folder_is_neither_overwritten_nor_resumed_twice(
    resumed: dict[str, Any], ray_env: dict[str, str]
) -> None:
    again = _sweep(
        ["--space", str(resumed["space"]), "--data", str(resumed["data"]), "--out", str(resumed["out"])],
        ray_env,
        resumed["cache"],
    )
    assert again.returncode == 2 and "already holds a sweep: continue it with --resume" in again.stderr
    complete = _sweep(["--resume", "--out", str(resumed["out"])], ray_env, resumed["cache"])
    assert complete.returncode == 2 and "already complete" in complete.stderr


# ------------------------------------------------------------- Ray cluster
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_same_command_runs_on_a_ray_cluster(tmp_path: Path, ray_env: dict[str, str]) -> None:
    """``ray start --head`` on this machine (own port, folder, token), then the sweep with --address."""
    data = make_tiny_dataset(tmp_path / "data", speakers=3, clips_per_speaker=2)
    space = tmp_path / "space.yaml"
    space.write_text(TRIAL_OPTIONS)
    temp = tempfile.mkdtemp(prefix="kws-rc-", dir="/tmp")
    port = _free_port()
    ray = str(Path(sys.executable).parent / "ray")
    log = tmp_path / "head.log"
    head_cmd = [ray, "start", "--head", "--block", "--port", str(port), "--num-cpus", "2"]
    head_cmd += ["--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp]
    head_cmd += [
        "--dashboard-agent-listen-port",
        str(_free_port()),
        "--ray-client-server-port",
        str(_free_port()),
    ]
    with open(log, "w") as log_file:
        head = subprocess.Popen(head_cmd, stdout=log_file, stderr=subprocess.STDOUT, env=ray_env)
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        proc = _sweep(
            [
                "--space",
                str(space),
                "--data",
                str(data),
                "--out",
                str(tmp_path / "out"),
                "--address",
                f"127.0.0.1:{port}",
            ],
            ray_env,
            tmp_path / "cache",
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        doc = json.loads((tmp_path / "out" / "sweep.json").read_text())
        assert doc["address"] == f"127.0.0.1:{port}" and doc["counts"] == {"ok": 1}
        assert (tmp_path / "out" / "sweep_pareto.png").is_file()
        assert "Connected to Ray cluster" in proc.stderr
    finally:
        head.send_signal(signal.SIGTERM)  # ray start --block stops its own processes
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        _remove_ray_folder(temp)
