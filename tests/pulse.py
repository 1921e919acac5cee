"""A headless PulseAudio null sink for microphone tests, shared by the core and Qt tests.

``ensure_pulse_sink()`` finds a running PulseAudio server (or starts one) with a
null sink named :data:`SINK`. A test plays a WAV into it with :func:`play_wav`
(``paplay``), and the process under test records the sink's monitor
(:data:`MONITOR`) through sounddevice's ``pulse`` ALSA device (libasound2-plugins),
with ``PULSE_SOURCE`` set in its environment (:func:`capture_env`).

``.ci/run`` calls ``python -m tests.pulse`` before pytest. In tests, use
:func:`require_pulse_sink`: it skips when PulseAudio is missing locally and fails
in CI (``CI=true``), where the microphone tests must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SINK = "kws_test_sink"
MONITOR = f"{SINK}.monitor"
#: The exact command that starts the server (works as root too: PulseAudio
#: only warns that it "is not intended to be run as root").
START_COMMAND = [
    "pulseaudio",
    "-n",  # no default.pa: only the modules below
    "--daemonize",
    "--exit-idle-time=-1",
    f"--load=module-null-sink sink_name={SINK}",
    "--load=module-native-protocol-unix",
]


class PulseUnavailable(RuntimeError):
    """PulseAudio (or pactl/paplay) is missing or did not start; the message says which."""


def _run(cmd: list[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _server_running() -> bool:
    return _run(["pactl", "info"]).returncode == 0


def _sink_exists() -> bool:
    result = _run(["pactl", "list", "short", "sinks"])
    return result.returncode == 0 and any(
        line.split("\t")[1:2] == [SINK] for line in result.stdout.splitlines()
    )


def ensure_pulse_sink(timeout: float = 10.0) -> str:
    """Make sure a PulseAudio server with the null sink :data:`SINK` runs; returns the sink name.

    Starts the server with :data:`START_COMMAND` when none answers, or loads
    ``module-null-sink`` into a running server that lacks the sink.
    Raises :class:`PulseUnavailable` with the reason.
    """
    missing = [tool for tool in ("pulseaudio", "pactl", "paplay") if shutil.which(tool) is None]
    if missing:
        raise PulseUnavailable(
            f"{', '.join(missing)} not found (Debian: apt install pulseaudio pulseaudio-utils libasound2-plugins)"
        )
    if not _server_running():
        started = _run(START_COMMAND)
        deadline = time.monotonic() + timeout
        while not _server_running():
            if time.monotonic() > deadline:
                raise PulseUnavailable(
                    f"PulseAudio did not start: {' '.join(START_COMMAND)} -> "
                    f"exit {started.returncode}: {started.stderr.strip()}"
                )
            time.sleep(0.1)
    if not _sink_exists():
        loaded = _run(["pactl", "load-module", "module-null-sink", f"sink_name={SINK}"])
        if loaded.returncode != 0 and not _sink_exists():
            raise PulseUnavailable(f"cannot load module-null-sink: {loaded.stderr.strip()}")
    return SINK


def capture_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a process that records the sink's monitor through the ``pulse`` device."""
    env = dict(os.environ if base is None else base)
    env["PULSE_SOURCE"] = MONITOR
    return env


def play_wav(path: str | Path, timeout: float = 30.0) -> None:
    """Play a file into the null sink and wait until it has been played."""
    result = _run(["paplay", "-d", SINK, str(path)], timeout=timeout)
    if result.returncode != 0:
        raise PulseUnavailable(f"paplay failed: {result.stderr.strip()}")


def require_pulse_sink() -> str:
    """For tests: the sink name; skips locally without PulseAudio, fails in CI."""
    import pytest

    from tests.conftest import IN_CI

    try:
        return ensure_pulse_sink()
    except (PulseUnavailable, OSError, subprocess.SubprocessError) as exc:
        if IN_CI:
            pytest.fail(f"CI must run the microphone tests: {exc}")
        pytest.skip(str(exc))
    raise AssertionError("unreachable")


def main() -> int:
    """``python -m tests.pulse``: start the sink (for .ci/run) and say what runs."""
    try:
        sink = ensure_pulse_sink()
    except (PulseUnavailable, OSError, subprocess.SubprocessError) as exc:
        print(f"tests.pulse: {exc}", file=sys.stderr)
        return 1
    print(f"tests.pulse: PulseAudio null sink {sink} ready (record {MONITOR})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
