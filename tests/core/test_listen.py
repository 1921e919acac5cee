"""kws-listen: JSON and text output, errors, device list, Ctrl-C, and reopening a lost microphone."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from kws_gui import listen
from tests.conftest import REAL_NO, REAL_YES, REPO_ROOT, shared_data
from tests.core.conftest import FakeInputStream, silence

YES, NO = REAL_YES, REAL_NO


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_output_for_a_wav(capsys) -> None:
    code = listen.main(["--wav", str(shared_data(*YES)), "--fast", "--json"])
    assert code == 0
    events = json_lines(capsys.readouterr().out)
    detections = [e for e in events if e["event"] == "detection"]
    assert [d["label"] for d in detections] == ["yes"]
    assert set(detections[0]) >= {"label", "score", "time_s"}
    from kws_gui.core.model_file import KwsModel
    from kws_gui.paths import DEFAULT_MODEL

    threshold = KwsModel.load(DEFAULT_MODEL).recommended_decision.get("threshold", 0.7)
    assert threshold <= detections[0]["score"] <= 1.0 and 0 < detections[0]["time_s"] <= 2.0
    stats = events[-1]
    assert stats["event"] == "stats" and stats["detections"] == 1 and stats["inferences"] > 0
    assert stats["inference_median_us"] > 0 and stats["preprocess_median_us"] > 0


def test_text_output_and_options(capsys) -> None:
    code = listen.main(["--wav", str(shared_data(*NO)), "--fast", "--hop", "0.2", "--smoothing", "0.4"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    time_s, unit, label = out[0].split()[:3]
    assert label == "no" and unit == "s"
    assert float(time_s) / 0.2 == pytest.approx(round(float(time_s) / 0.2))  # on the 0.2 s hop grid
    assert "1 detection(s)" in out[1] and "inference" in "\n".join(out[2:])


def test_threshold_above_every_score_detects_nothing(capsys) -> None:
    assert listen.main(["--wav", str(shared_data(*YES)), "--fast", "--json", "--threshold", "1.0"]) == 0
    events = json_lines(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["stats"]


def test_no_vad_classifies_every_hop(capsys) -> None:
    assert listen.main(["--wav", str(shared_data(*YES)), "--fast", "--json", "--no-vad"]) == 0
    stats = json_lines(capsys.readouterr().out)[-1]
    assert stats["vad_skips"] == 0 and stats["inferences"] == 20  # 1 s clip + 1 s tail at 0.1 s hops


def test_stats_give_the_per_hop_cost_beside_the_whole_window(capsys) -> None:
    assert listen.main(["--wav", str(shared_data(*YES)), "--fast", "--json", "--no-vad"]) == 0
    stats = json_lines(capsys.readouterr().out)[-1]
    # 20 hops: the first and the 11th compute the whole window, the others only new frames
    assert (stats["preprocess_n"], stats["window_preprocess_n"]) == (18, 2)
    assert stats["total_n"] == 18 and stats["window_total_n"] == 2 and stats["inference_n"] == 20
    for name in ("preprocess", "total", "window_preprocess", "window_total", "inference"):
        assert 0 < stats[f"{name}_median_us"] <= stats[f"{name}_p95_us"]
    assert listen.main(["--wav", str(shared_data(*YES)), "--fast", "--no-vad"]) == 0
    text = capsys.readouterr().out
    assert "preprocessing per hop" in text and "whole-window hops: preprocessing median" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wav", "MISSING"], "cannot read audio"),
        (["--model", "MISSING", "--wav", "x.wav"], "cannot use model"),
        (["--threshold", "2", "--wav", "x.wav"], "threshold"),
        (["--hop", "0", "--wav", "x.wav"], "hop_s"),
    ],
)
def test_bad_input_is_a_message_and_exit_code_2(capsys, tmp_path, args, message) -> None:
    args = [str(tmp_path / a) if a in ("MISSING", "x.wav") else a for a in args]
    assert listen.main(args) == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def model_with(tmp_path):
    """``model_with(**metadata)``: the default model file with extra metadata entries."""
    from kws_gui.core.tflite_metadata import read_metadata, write_metadata
    from kws_gui.paths import DEFAULT_MODEL

    def make(**extra) -> str:
        data = DEFAULT_MODEL.read_bytes()
        path = tmp_path / "model.tflite"
        path.write_bytes(write_metadata(data, {**read_metadata(data), **extra}))
        return str(path)

    return make


def test_the_models_recommended_settings_apply_unless_given(capsys, model_with) -> None:
    model = model_with(decision={"threshold": 1.0, "smoothing_s": 0.5})
    assert listen.main(["--model", model, "--wav", str(shared_data(*YES)), "--fast", "--json"]) == 0
    out, err = capsys.readouterr()
    events = json_lines(out)
    assert [e["event"] for e in events] == ["stats"]  # 1.0 is above every score
    assert events[-1]["decision"]["threshold"] == 1.0 and events[-1]["decision"]["smoothing_s"] == 0.5
    assert "threshold 1.00 (model), smoothing 0.50 s (model), suppression 1.00 s (default)" in err
    args = ["--model", model, "--wav", str(shared_data(*YES)), "--fast", "--json", "--threshold", "0.7"]
    assert listen.main(args) == 0
    out, err = capsys.readouterr()
    events = json_lines(out)
    assert [e["label"] for e in events if e["event"] == "detection"] == ["yes"]
    assert events[-1]["decision"]["threshold"] == 0.7 and events[-1]["decision"]["smoothing_s"] == 0.5
    assert "threshold 0.70 (option), smoothing 0.50 s (model)" in err


def test_a_recommended_hop_applies_unless_given(capsys, model_with) -> None:
    model = model_with(decision={"hop_s": 0.2})
    wav = str(shared_data(*YES))
    for extra, inferences, origin in (
        ([], 10, "hop 0.2 s (model)"),
        (["--hop", "0.1"], 20, "hop 0.1 s (option)"),
    ):
        assert listen.main(["--model", model, "--wav", wav, "--fast", "--json", "--no-vad", *extra]) == 0
        out, err = capsys.readouterr()
        stats = json_lines(out)[-1]
        assert stats["inferences"] == inferences and origin in err  # 1 s clip + 1 s tail


def test_defaults_and_options_are_named_as_such(capsys) -> None:
    args = ["--wav", str(shared_data(*NO)), "--fast", "--suppression", "0.5", "--no-vad"]
    assert listen.main(args) == 0
    err = capsys.readouterr().err
    # the default (live) model recommends its threshold and smoothing; the rest are defaults
    from kws_gui.core.model_file import KwsModel
    from kws_gui.paths import DEFAULT_MODEL

    tuned = KwsModel.load(DEFAULT_MODEL).recommended_decision
    assert f"keywords: yes, no; decisions: threshold {tuned['threshold']:.2f} (model)" in err
    assert f"smoothing {tuned['smoothing_s']:.2f} s (model)" in err
    assert "suppression 0.50 s (option)" in err and "energy gate off (option)" in err
    assert "re-arm margin 0.20 (default)" in err


def test_a_model_that_names_its_keywords_reports_only_them(capsys, model_with) -> None:
    model = model_with(keywords=["no"])
    for clip, expected in ((YES, []), (NO, ["no"])):
        assert listen.main(["--model", model, "--wav", str(shared_data(*clip)), "--fast", "--json"]) == 0
        out, err = capsys.readouterr()
        assert [e["label"] for e in json_lines(out) if e["event"] == "detection"] == expected
        assert "keywords: no;" in err


def test_without_portaudio_the_microphone_is_refused_with_the_fix(capsys, no_portaudio) -> None:
    assert listen.main([]) == 1
    err = capsys.readouterr().err
    assert "apt install libportaudio2" in err and "--wav" in err
    assert listen.main(["--list-devices"]) == 1


def test_list_devices(capsys, fake_sounddevice) -> None:
    fake_sounddevice()
    assert listen.main(["--list-devices"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "USB mic" in out[0] and "pulse" in out[1] and "[default]" in out[1]
    assert listen.main(["--list-devices", "--json"]) == 0
    devices = json_lines(capsys.readouterr().out)
    assert [(d["index"], d["is_default"]) for d in devices] == [(1, False), (2, True)]


def test_lost_microphone_is_reported_and_reopened(capsys, fake_sounddevice, monkeypatch) -> None:
    fake_sounddevice()
    monkeypatch.setattr(listen, "REOPEN_INTERVAL_S", 0.05)
    result: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("code", listen.main(["--device", "pulse", "--duration", "3"]))
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not FakeInputStream.instances and time.monotonic() < deadline:
        time.sleep(0.01)
    first = FakeInputStream.instances[0]
    first.feed(silence(0.02))
    first.vanish()
    while len(FakeInputStream.instances) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(FakeInputStream.instances) >= 2, "kws-listen did not reopen the microphone"
    FakeInputStream.instances[-1].feed(np.zeros(320, np.float32))
    thread.join(10)
    assert result.get("code") == 0
    err = capsys.readouterr().err
    assert "device disconnected" in err and "reopened: Microphone: pulse" in err
    assert first.closed


def read_lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def test_ctrl_c_ends_cleanly_with_statistics() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kws_gui.listen", "--wav", str(shared_data(*YES)), "--loop", "--json"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        first = json.loads(lines.get(timeout=60))
        assert first["event"] == "detection" and first["label"] == "yes"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        rest = []
        while (line := lines.get(timeout=10)) is not None:
            rest.append(json.loads(line))
        assert rest[-1]["event"] == "stats" and rest[-1]["detections"] >= 1
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kws_listen_never_imports_tensorflow() -> None:
    wav = shared_data(*YES)
    code = (
        "import sys; from kws_gui import listen; "
        f"assert listen.main(['--wav', {str(wav)!r}, '--fast', '--json']) == 0; "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert '"label": "yes"' in result.stdout
