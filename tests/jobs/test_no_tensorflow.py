"""The app side of training never imports TensorFlow or Ray (the trainer runs in a child process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.trainer.conftest import make_tiny_dataset

SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from kws_gui._qt.training import RecorderPanel, TrainingPanel
from kws_gui.jobs import JobKind, defaults_for, inspect_data, sweep_extra_status, train_extra_status
panel = TrainingPanel(recordings_root=sys.argv[2])
for kind in JobKind:
    panel.form.set_kind(kind)
    defaults_for(kind)
assert inspect_data([sys.argv[1]]).ok
assert inspect_data([sys.argv[1], sys.argv[3]]).ok
assert train_extra_status().available in (True, False) and sweep_extra_status().available in (True, False)
panel.shutdown()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tf_keras", "keras", "tensorflow_model_optimization", "ray"))
print("LOADED:" + ",".join(loaded))
"""


def test_panel_and_jobs_do_not_import_tensorflow(tmp_path: Path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny")
    make_tiny_dataset(tmp_path / "merged", seed=1)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data), str(tmp_path / "rec"), str(tmp_path / "merged")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "LOADED:", out.stdout
