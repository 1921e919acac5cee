"""The training panel: a real tiny job into the live classifier, cancel, bad data, history, no extra.

Layout at 800x480, result tables, sweeps and weighted folders are in test_training_layout.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt

from kws_gui._qt.training import TrainingPanel
from kws_gui._qt.training.history_table import STATUS
from kws_gui.jobs.extras import INSTALL_HINT, ExtraStatus
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind
from tests.trainer.conftest import make_tiny_dataset

FAKE_TRAINER = Path(__file__).resolve().parent.parent / "jobs" / "fake_trainer.py"
JOB_TIMEOUT_MS = 300_000  # a deadline for a stuck job, not a speed goal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")
needs_train_extra = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason='the train extra is not installed (pip install -e ".[train]")',
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A tiny Speech Commands folder that passes the form's data check."""
    return make_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny")


def _panel(qtbot, tmp_path: Path, queue: JobQueue | None = None, **kwargs) -> TrainingPanel:
    if queue is not None:  # a fake trainer runs without the train extra
        kwargs.setdefault("extra_status", ExtraStatus(True, (), "training is available"))
    queue = queue or JobQueue(root=tmp_path / "jobs")
    panel = TrainingPanel(queue=queue, recordings_root=tmp_path / "rec", **kwargs)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    return panel


def _fake_queue(tmp_path: Path, mode: str) -> JobQueue:
    return JobQueue(
        root=tmp_path / "jobs",
        command=(sys.executable, str(FAKE_TRAINER)),
        measure_latency=False,
        env={**os.environ, "FAKE_TRAINER_MODE": mode},
    )


def _start(qtbot, panel: TrainingPanel, kind: JobKind, data: Path | str, epochs: int = 1) -> JobRecord:
    """Fill the form and press "Start job"; the job is queued once the data check passed."""
    panel.form.set_kind(kind)
    panel.form.folders.set_folders([str(data)])
    if kind.produces_model:
        panel.form.options.edits["epochs"].setText(str(epochs))
        panel.form.options.edits["batch_size"].setText("8")
    before = len(panel.queue.history.records)
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.queue.history.records) == before + 1, timeout=20_000)
    return panel.queue.history.records[-1]


def _wav_source(tmp_path: Path):
    from kws_gui.core.audio import WavFileSource

    path = tmp_path / "noise.wav"
    rng = np.random.default_rng(0)
    soundfile.write(str(path), (0.05 * rng.standard_normal(16000)).astype(np.float32), 16000)
    return WavFileSource(path, loop=True)


@pytest.mark.slow
@needs_train_extra
def test_real_tiny_job_runs_and_its_model_goes_live(qtbot, tmp_path: Path) -> None:
    """kws-train train --preset ds-cnn --epochs 1 on a tiny dataset, then "Use this model" swaps it in."""
    from kws_gui.core.engine import StreamingEngine
    from kws_gui.core.model_file import KwsModel
    from kws_gui.paths import DEFAULT_MODEL

    data = make_tiny_dataset(tmp_path / "tiny")
    if DEFAULT_MODEL.is_file():
        start_model = KwsModel.load(DEFAULT_MODEL)
    else:  # before the shipped model exists: any model will do to start the engine
        pytest.skip(f"{DEFAULT_MODEL} is missing")
    engine = StreamingEngine(start_model)
    engine.set_source(_wav_source(tmp_path))
    engine.start()
    loaded: list[str] = []

    def use_model(path: str) -> None:
        engine.swap_model(KwsModel.load(path))
        loaded.append(path)

    try:
        panel = _panel(qtbot, tmp_path, use_model=use_model, ring_provider=lambda: engine.ring)
        record = _start(qtbot, panel, JobKind.TRAIN, data)
        assert panel.tabs.currentIndex() == 1  # the running view
        qtbot.waitUntil(lambda: record.status.finished, timeout=JOB_TIMEOUT_MS)
        assert record.status is JobStatus.SUCCEEDED, record.error
        # The live view followed it: curves, a full progress bar, the log.
        assert panel.live.bar.value() == panel.live.bar.maximum()
        assert panel.live.loss_train.getData()[0] is not None and len(panel.live.loss_train.getData()[0]) >= 1
        assert panel.live.sparsity_curve.getData()[0] is not None
        assert "[done]" in panel.live.log.toPlainText()
        # Outputs moved into the job's own folder; metrics from the report and the app's timing.
        out = Path(record.job_dir) / "output"
        assert Path(record.outputs["float32"]).parent == out and Path(record.outputs["int8"]).is_file()
        assert not (Path(record.job_dir) / "work").exists()
        m = record.metrics
        assert 0.0 <= m["test_accuracy"] <= 1.0 and m["zipped_bytes"] < m["tflite_bytes"]
        assert m["latency_us"] > 0
        assert panel.live_card.isVisible()
        text = _card_text(panel.live_card)
        assert "Test accuracy" in text and "Zipped size" in text and "Latency (this app)" in text
        # One click: the model is swapped into the running engine, which keeps running.
        qtbot.mouseClick(panel.live_card.use_button, Qt.MouseButton.LeftButton)
        assert loaded == [record.outputs["float32"]]
        qtbot.waitUntil(lambda: engine.snapshot().model_path == record.outputs["float32"], timeout=10_000)
        before = engine.snapshot().inferences
        qtbot.waitUntil(lambda: engine.snapshot().inferences > before, timeout=10_000)
        assert engine.snapshot().source_running
    finally:
        engine.stop()
        engine.set_source(None)


@pytest.mark.slow
@needs_train_extra
def test_cancel_a_running_real_job(qtbot, tmp_path: Path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny")
    panel = _panel(qtbot, tmp_path)
    record = _start(qtbot, panel, JobKind.TRAIN, data, epochs=200)
    qtbot.waitUntil(
        lambda: panel.queue.progress is not None and panel.queue.progress.step > 0, timeout=JOB_TIMEOUT_MS
    )
    assert panel.live.cancel_button.isEnabled()
    qtbot.mouseClick(panel.live.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: record.status.finished, timeout=JOB_TIMEOUT_MS)
    assert record.status is JobStatus.CANCELLED and record.exit_code == 130  # graceful, not killed
    assert record.outputs == {} and not (Path(record.job_dir) / "output").exists()
    assert "cancel" in Path(record.job_dir, "log.txt").read_text().lower()
    assert "cancelled" in panel.live.title.text()


def test_a_cancelled_job_says_cancelled_once(qtbot, tmp_path: Path, tiny: Path) -> None:
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "slow"))
    record = _start(qtbot, panel, JobKind.TRAIN, tiny, epochs=200)
    qtbot.waitUntil(
        lambda: panel.queue.progress is not None and panel.queue.progress.step > 0, timeout=30_000
    )
    qtbot.mouseClick(panel.live.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: record.status.finished, timeout=30_000)
    assert record.status is JobStatus.CANCELLED
    shown = [panel.live.title.text(), panel.live.bar.text(), panel.live.eta.text()]
    shown += [panel.live.message.text()] if panel.live.message.isVisible() else []
    shown += [_card_text(panel.live_card)] if panel.live_card.isVisible() else []
    assert " ".join(shown).lower().count("cancel") == 1, shown


def test_a_job_on_a_bad_folder_is_refused_and_no_trainer_starts(qtbot, tmp_path: Path, tiny: Path) -> None:
    argv_file = tmp_path / "argv.json"
    queue = JobQueue(
        root=tmp_path / "jobs",
        command=(sys.executable, str(FAKE_TRAINER)),
        measure_latency=False,
        env={**os.environ, "FAKE_TRAINER_MODE": "ok", "FAKE_TRAINER_ARGV": str(argv_file)},
    )
    panel = _panel(qtbot, tmp_path, queue=queue)
    missing = tmp_path / "no-such-folder"
    panel.form.folders.set_folders([str(tiny), str(missing)])
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)  # pressed while still checking
    qtbot.waitUntil(lambda: "data check failed" in panel.form.form_error.text(), timeout=20_000)
    assert "does not exist" in panel.form.form_error.text() and str(missing) in panel.form.form_error.text()
    assert "does not exist" in panel.form.data_status.text()  # the form says why, from the trainer's scanner
    assert panel.queue.history.records == [] and panel.tabs.currentIndex() == 0
    qtbot.wait(300)
    assert not argv_file.exists()  # no child process was started
    # Fixed: the same form starts the job.
    panel.form.folders.set_folders([str(tiny)])
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.queue.history.records) == 1, timeout=20_000)
    qtbot.waitUntil(argv_file.exists, timeout=20_000)


def test_history_survives_a_restart(qtbot, tmp_path: Path, tiny: Path) -> None:
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"))
    record = _start(qtbot, panel, JobKind.TRAIN, tiny)
    qtbot.waitUntil(lambda: record.status.finished, timeout=60_000)
    assert record.status is JobStatus.SUCCEEDED
    failing = _fake_queue(tmp_path, "crash")
    panel.shutdown()
    panel.close()

    # "Restart": a new queue and panel on the same folder.
    again = _panel(qtbot, tmp_path, queue=failing)
    assert again.history.rowCount() == 1
    assert again.history.item(0, STATUS).text() == "succeeded" and again.history.item(0, 2).text() == "80.0%"
    again.tabs.setCurrentIndex(2)
    again.history.selectRow(0)
    assert again.card.record is not None and again.card.record.id == record.id
    assert again.card.use_button.isVisible()
    crashed = _start(qtbot, again, JobKind.TRAIN, tiny)
    qtbot.waitUntil(lambda: crashed.status.finished, timeout=60_000)
    assert crashed.status is JobStatus.FAILED and "boom" in crashed.error
    assert again.history.rowCount() == 2 and again.history.item(0, STATUS).text() == "failed"
    assert "Traceback" in Path(crashed.log_path).read_text()  # the log is kept
    # Replaying the first job shows its curves again.
    again.history.selectRow(1)
    again.show_run_button.click()
    assert again.live.record.id == record.id and len(again.live.loss_train.getData()[0]) == 4


def test_a_deeply_nested_history_does_not_stop_the_app(qtbot, tmp_path: Path) -> None:
    # Issue 8, row 7: a history nested 200 000 deep raised RecursionError: kws-gui did not start.
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "history.json").write_text('{"jobs": ' + "[" * 200_000 + "]" * 200_000 + "}")
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"))
    assert panel.banner.isVisible() and "could not be read" in panel.banner.text()
    assert panel.history.rowCount() == 0
    assert len(list((tmp_path / "jobs").glob("history.json.*.bad"))) == 1


def test_without_the_train_extra_launching_is_disabled(qtbot, tmp_path: Path) -> None:
    missing = ExtraStatus(
        False, ("tensorflow",), f"Training needs the train extra. Install it with: {INSTALL_HINT}"
    )
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"), extra_status=missing)
    assert panel.banner.isVisible() and INSTALL_HINT in panel.banner.text()
    for kind in (JobKind.TRAIN, JobKind.PRUNE):
        panel.form.set_kind(kind)
        assert not panel.form.start_button.isEnabled()
    panel.form.set_kind(JobKind.EVALUATE)  # runs on the TFLite runtime: still allowed
    assert panel.form.start_button.isEnabled()
    from kws_gui.jobs.spec import JobSpec

    assert panel.submit(JobSpec(JobKind.TRAIN, data=(str(tmp_path),))) is None
    assert panel.queue.history.records == []


def test_data_folder_is_checked_on_entry(qtbot, tmp_path: Path, tiny: Path) -> None:
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"))
    panel.form.folders.set_folders([str(tiny)])
    qtbot.waitUntil(lambda: panel.form.last_check is not None and not panel.form.checking, timeout=10_000)
    assert panel.form.last_check.ok
    text = panel.form.data_status.text()
    assert "speech-commands" in text and "validation" in text
    panel.form.labels_edit.setText("yes,cat")
    qtbot.waitUntil(
        lambda: "cat" in (panel.form.last_check.message if panel.form.last_check else ""), timeout=10_000
    )
    assert not panel.form.last_check.ok
    # The unknown and silence classes are sized by the form's options, as the job will size them.
    panel.form.labels_edit.setText("_silence_,_unknown_,yes,no")
    panel.form.options.edits["unknown_percent"].setText("100")
    qtbot.waitUntil(lambda: panel.form.last_check is not None and not panel.form.checking, timeout=10_000)
    assert panel.form.last_check.ok and panel.form.last_check.counts["train"]["_unknown_"] == 8


def test_form_prefills_presets_and_refuses_incomplete_jobs(qtbot, tmp_path: Path) -> None:
    from kws_gui.core.train_config import PRESETS

    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"))
    edits = panel.form.options.edits
    panel.form.set_kind(JobKind.TRAIN, "reference")
    assert (
        edits["batch_size"].text() == str(PRESETS["reference"].batch_size) and not edits["prune"].isChecked()
    )
    assert not edits["final_sparsity"].isEnabled()  # pruning off: its options are not sent
    assert [panel.form.preset.itemData(i) for i in range(panel.form.preset.count())] == list(PRESETS)
    panel.form.set_kind(JobKind.TRAIN, "ds-cnn")
    assert float(edits["learning_rate"].text()) == pytest.approx(PRESETS["ds-cnn"].learning_rate)
    assert float(edits["final_sparsity"].text()) == pytest.approx(PRESETS["ds-cnn"].final_sparsity)
    panel.form.set_kind(JobKind.EVALUATE)
    panel.form.folders.set_folders([str(tmp_path)])
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)
    assert "model" in panel.form.form_error.text() and panel.queue.history.records == []
    panel.form.set_kind(JobKind.TRAIN)
    edits["gain_db"].setText("loud")
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)
    assert "--gain-db" in panel.form.form_error.text() and panel.queue.history.records == []


def test_a_new_preset_and_every_table_option_appear_in_the_form(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Presets and options come from kws_gui.core (the lead's "live" preset needs no form change)."""
    from kws_gui._qt.training.job_form import JobForm
    from kws_gui.core.train_config import PRESETS
    from kws_gui.jobs.spec import form_options

    live = PRESETS["ds-cnn"].replace(
        preset="live-test", labels=("_silence_", "_unknown_", "yes", "no"), epochs=7
    )
    monkeypatch.setitem(PRESETS, "live-test", live)
    form = JobForm(tmp_path / "rec")
    qtbot.addWidget(form)
    form.set_kind(JobKind.TRAIN, "live-test")
    assert form.current_preset == "live-test" and form.options.edits["epochs"].text() == "7"
    assert "_unknown_" in form.labels_edit.placeholderText()
    for option in form_options(JobKind.TRAIN):
        assert option.dest in form.options.edits, option.flag
        assert option.flag in form.options.edits[option.dest].toolTip()
    form.shutdown()


def test_prune_and_evaluate_start_from_a_finished_job(qtbot, tmp_path: Path, tiny: Path) -> None:
    panel = _panel(qtbot, tmp_path, queue=_fake_queue(tmp_path, "ok"))
    record = _start(qtbot, panel, JobKind.TRAIN, tiny)
    qtbot.waitUntil(lambda: record.status.finished, timeout=60_000)
    panel.select_job(record.id)
    assert panel.prune_button.isEnabled() and panel.evaluate_button.isEnabled()
    panel.prune_button.click()
    assert (
        panel.form.current_kind is JobKind.PRUNE and panel.form.model_edit.text() == record.outputs["keras"]
    )
    assert panel.form.options.edits["epochs"].text() == "5" and panel.tabs.currentIndex() == 0
    assert panel.form.options.edits["epochs"].placeholderText() == "the model's value"
    assert not panel.form.options.is_shown("filters")  # a pruned model keeps its architecture
    panel.evaluate_button.click()
    assert (
        panel.form.current_kind is JobKind.EVALUATE
        and panel.form.model_edit.text() == record.outputs["float32"]
    )
    evaluation = _start(qtbot, panel, JobKind.EVALUATE, tiny)
    qtbot.waitUntil(lambda: evaluation.status.finished, timeout=60_000)
    assert evaluation.spec.models == (record.outputs["float32"],)
    assert evaluation.metrics["accuracy"] == 0.75 and "Accuracy" in _card_text(panel.live_card)


def _card_text(card) -> str:
    rows = card.rows
    return " ".join(
        rows.itemAt(i, role).widget().text()
        for i in range(rows.rowCount())
        for role in (rows.ItemRole.LabelRole, rows.ItemRole.FieldRole)
        if rows.itemAt(i, role) is not None and rows.itemAt(i, role).widget() is not None
    )


def test_live_view_follows_a_long_run(qtbot) -> None:
    """Thousands of events and hundreds of redraws (pyqtgraph setData) without trouble."""
    from kws_gui._qt.training.live_view import LiveView
    from kws_gui.jobs.events import JobEvent, JobProgress
    from kws_gui.jobs.history import JobRecord
    from kws_gui.jobs.spec import JobSpec

    view = LiveView()
    qtbot.addWidget(view)
    view.show()
    record = JobRecord(id="x", spec=JobSpec(JobKind.TRAIN, data=("/d",)), status=JobStatus.RUNNING)
    progress = JobProgress()
    total = 3000
    progress.feed(
        JobEvent("start", {"command": "train", "epochs": 10, "steps_per_epoch": 300, "total_steps": total})
    )
    for step in range(1, total + 1):
        progress.feed(
            JobEvent(
                "step",
                {
                    "step": step,
                    "total_steps": total,
                    "loss": 1 / step,
                    "accuracy": 0.5,
                    "sparsity": 0.9,
                    "elapsed_s": step * 0.01,
                },
            )
        )
        if step % 300 == 0:
            progress.feed(
                JobEvent("epoch", {"epoch": step // 300, "epochs": 10, "val_loss": 0.5, "val_accuracy": 0.9})
            )
        if step % 10 == 0:
            view.show_job(record, progress)
    assert len(view.loss_train.getData()[0]) == total and len(view.acc_val.getData()[0]) == 10
    assert view.bar.value() == view.bar.maximum() and "step 3000/3000" in view.eta.text()
    assert view.log.document().blockCount() <= 3000 and view.cancel_button.isEnabled()
