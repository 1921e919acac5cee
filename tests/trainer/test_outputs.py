"""A run's final writes killed with SIGKILL at every step (issue 8, row 13): never a model without its report.

A child process runs :func:`trainer.export.write_outputs` (the trainer's final
writes, with a stand-in for the Keras model) and kills itself with SIGKILL before
its N-th file operation, for every N. After each kill the folder must hold either the
previous run's files or a prefix of the new run's, the report first; the next run
removes the temporaries the killed one left.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from trainer import export
from trainer.training import output_paths

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

CHILD = r"""
import os, signal, sys
from pathlib import Path

from trainer import export
from trainer.training import output_paths

out, generation, kill_before = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
calls = [0]

def counted(function):
    def wrapper(*args, **kwargs):
        if calls[0] == kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1
        return function(*args, **kwargs)
    return wrapper

class FakeKerasModel:
    def save(self, path, **kwargs):
        Path(path).write_text(generation + " h5 (half)")
        counted(lambda: None)()  # a kill in the middle of the .h5 write
        Path(path).write_text(generation + " h5")

os.replace = counted(os.replace)
os.fsync = counted(os.fsync)
Path.unlink = counted(Path.unlink)
Path.write_bytes = counted(Path.write_bytes)
paths = output_paths(out, "ds_cnn")
export.write_outputs(
    paths,
    {"float32": (generation + " float32").encode(), "int8": (generation + " int8").encode()},
    FakeKerasModel(),
    '{"generation": "%s"}' % generation,
)
"""


def run_child(out: Path, generation: str, kill_before: int) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), generation, str(kill_before)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, -9), proc.stderr
    return proc.returncode


def generations(out: Path) -> dict[str, str]:
    """Kind -> generation of each final file present."""
    found = {}
    for kind, path in output_paths(out, "ds_cnn").items():
        if path.is_file():
            text = path.read_text()
            found[kind] = json.loads(text)["generation"] if kind == "report" else text.split()[0]
    return found


def write_generation(out: Path, generation: str) -> None:
    """The final writes of a run that is not killed, in this process."""

    class FakeKerasModel:
        def save(self, path, **kwargs) -> None:
            Path(path).write_text(f"{generation} h5")

    tflite = {"float32": f"{generation} float32".encode(), "int8": f"{generation} int8".encode()}
    export.write_outputs(
        output_paths(out, "ds_cnn"), tflite, FakeKerasModel(), json.dumps({"generation": generation})
    )


def test_a_kill_at_any_point_of_the_final_writes_never_leaves_a_model_without_its_report(tmp_path) -> None:
    out = tmp_path / "out"
    write_generation(out, "old")
    assert generations(out) == dict.fromkeys(output_paths(out, "ds_cnn"), "old")
    kills = 0
    for kill_before in range(40):
        code = run_child(out, "new", kill_before)
        found = generations(out)
        assert "report" in found or not found, (kill_before, found)
        assert len(set(found.values())) == 1, (kill_before, found)  # never old models with the new report
        h5 = output_paths(out, "ds_cnn")["keras"]
        assert not h5.is_file() or "(half)" not in h5.read_text()
        if code == 0:
            break
        kills += 1
        # The next run cleans up what the killed one left and completes.
        write_generation(out, "old")
        assert sorted(p.name for p in out.iterdir()) == sorted(
            p.name for p in output_paths(out, "ds_cnn").values()
        )
        assert generations(out) == dict.fromkeys(output_paths(out, "ds_cnn"), "old")
    assert kills >= 10  # every write, flush, removal and rename was a kill point
    assert generations(out) == dict.fromkeys(output_paths(out, "ds_cnn"), "new")
