"""A real microphone end to end: a clip played into a PulseAudio null sink is heard through PortAudio.

``.ci/run`` starts the sink (``python -m tests.pulse``); these tests start it
themselves when needed, skip locally without PulseAudio and fail in CI.
The capturing side records ``kws_test_sink.monitor`` through sounddevice's
``pulse`` ALSA device (``PULSE_SOURCE`` chooses the monitor).
"""

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

from kws_gui.core.audio import MicrophoneSource, list_input_devices, portaudio_status
from tests.conftest import IN_CI, REAL_NO, REAL_YES, REPO_ROOT, shared_data
from tests.pulse import MONITOR, capture_env, play_wav, require_pulse_sink

pytestmark = [pytest.mark.audio, pytest.mark.slow]

YES, NO = REAL_YES, REAL_NO
#: A real non-keyword word from the test split of the real-speech folder: must not be detected
#: (the two-label default model hears it as "no", score 0.99).
OTHER_WORD = ("real-v0.02-test-speakers", "left", "1acc97de_nohash_0.wav")


@pytest.fixture
def pulse(monkeypatch: pytest.MonkeyPatch) -> str:
    """The sink is up, PortAudio sees the ``pulse`` device, and this process records the monitor."""
    sink = require_pulse_sink()
    monkeypatch.setenv("PULSE_SOURCE", MONITOR)
    status = portaudio_status()
    names = [d.name for d in list_input_devices(refresh=True)]
    if "pulse" not in names:
        message = f"sounddevice lists no 'pulse' input device ({names}; {status.message}): install libasound2-plugins"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return sink


def _lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line.rstrip("\n"))
    out.put(None)


def _wait_for(lines: queue.Queue, predicate, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if predicate(line):
            return line
    raise AssertionError(f"not seen within {timeout} s; got: {seen}")


def _detections_within(lines: queue.Queue, seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    found = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        event = json.loads(line)
        if event["event"] == "detection":
            found.append(event)
    return found


def _padded(write_wav, parts: tuple[str, ...]):
    """The clip with 1 s of silence before and 0.5 s after (a record stream starts ~0.7 s late)."""
    from kws_gui.core.audio_io import read_audio

    word = read_audio(shared_data(*parts))
    return write_wav(
        np.concatenate([np.zeros(16000, np.float32), word, np.zeros(8000, np.float32)]), parts[-1]
    )


def test_kws_listen_detects_words_played_into_the_sink(pulse, write_wav) -> None:
    """yes and no are heard through a virtual microphone; a real non-keyword word is not."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kws_gui.listen", "--device", "pulse", "--json"],
        cwd=REPO_ROOT,
        env=capture_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue = queue.Queue()
    err: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, out), daemon=True).start()
    threading.Thread(target=_lines, args=(proc.stderr, err), daemon=True).start()
    try:
        _wait_for(err, lambda line: "listening: Microphone: pulse" in line, 60)
        time.sleep(0.5)
        play_wav(_padded(write_wav, YES))
        after_yes = _detections_within(out, 2.5)
        play_wav(_padded(write_wav, NO))
        after_no = _detections_within(out, 2.5)
        play_wav(_padded(write_wav, OTHER_WORD))
        after_other = _detections_within(out, 2.5)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        stats = json.loads(_wait_for(out, lambda line: '"stats"' in line, 10))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the default (live) model: "yes" and "no" heard once each, "left" not at all
    assert [d["label"] for d in after_yes] == ["yes"], (after_yes, after_no, stats)
    assert [d["label"] for d in after_no] == ["no"], after_no
    assert after_no[-1]["time_s"] > after_yes[0]["time_s"] > 0
    assert after_other == [], after_other
    assert stats["detections"] == len(after_yes) + len(after_no) + len(after_other)
    assert stats["inferences"] > 0


def test_microphone_source_captures_the_sink_in_process(pulse) -> None:
    """The MicrophoneSource itself (not a subprocess) hears a clip: level and samples arrive."""
    from kws_gui.core.decision import rms_dbfs
    from kws_gui.core.ring_buffer import AudioRingBuffer

    ring = AudioRingBuffer(16000 * 10)
    mic = MicrophoneSource("pulse")
    mic.start(ring.write)
    try:
        assert mic.is_running and mic.name.startswith("Microphone: pulse") and mic.device_rate
        deadline = time.monotonic() + 10
        while ring.total_written < 16000 * 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = ring.total_written
        play_wav(shared_data(*YES))
        time.sleep(0.5)
        recorded, _ = ring.read_since(before)
    finally:
        mic.stop()
    assert mic.error is None and not mic.is_running
    assert recorded.size > 16000 * 0.8  # the clip's second arrived (at 16 kHz)
    hop_levels = [rms_dbfs(h) for h in np.array_split(recorded, max(1, recorded.size // 1600))]
    assert max(hop_levels) > -40.0  # the word, not the silence of the idle sink
    assert min(hop_levels) < -80.0
