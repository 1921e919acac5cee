"""Fixtures for the job tests: a fake trainer command and tiny datasets."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.trainer.conftest import make_tiny_dataset

FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")


@pytest.fixture
def fake_command() -> tuple[str, ...]:
    """Launches tests/jobs/fake_trainer.py instead of ``python -m trainer``."""
    return (sys.executable, str(FAKE_TRAINER))


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A tiny Speech Commands folder (yes/no/up, lists, noise) from the trainer's generator."""
    return make_tiny_dataset(tmp_path / "tiny")


def wait_until(
    condition: Callable[[], bool], timeout: float = 30.0, poll: Callable[[], object] | None = None
) -> None:
    """Poll until ``condition()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poll is not None:
            poll()
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"condition not met within {timeout} s")
