"""The Training tab as people meet it: buttons on screen at 800x480, result tables, sources, sweeps.

Jobs run the fake trainer (tests/jobs/fake_trainer.py); evaluation, benchmark and sweep
results are event streams recorded from real kws-train runs (tests/_qt/data/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QHeaderView, QTreeView, QWidget

from kws_gui._qt.training import TrainingPanel
from kws_gui._qt.training.history_table import COLUMNS
from kws_gui._qt.training.result_card import ResultCard, card_rows
from kws_gui.jobs.extras import ExtraStatus
from kws_gui.jobs.history import JobRecord
from kws_gui.jobs.metrics import summarize_report
from kws_gui.jobs.queue import JobQueue
from kws_gui.jobs.runner import JobStatus
from kws_gui.jobs.spec import JobKind, JobSpec
from kws_gui.jobs.sweep import SweepState
from kws_gui.paths import MODELS_DIR
from tests.trainer.conftest import make_tiny_dataset

FAKE_TRAINER = Path(__file__).resolve().parent.parent / "jobs" / "fake_trainer.py"
RECORDED = Path(__file__).resolve().parent / "data"
# The fake trainer needs neither TensorFlow nor Ray: run these where the extras are missing too.
TRAIN_OK = ExtraStatus(True, (), "training is available")
SWEEP_OK = ExtraStatus(True, (), "sweeps are available")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny")


def _queue(tmp_path: Path, mode: str = "ok", **env: str) -> JobQueue:
    return JobQueue(
        root=tmp_path / "jobs",
        command=(sys.executable, str(FAKE_TRAINER)),
        measure_latency=False,
        env={**os.environ, "FAKE_TRAINER_MODE": mode, **env},
    )


def _panel(qtbot, tmp_path: Path, queue: JobQueue, **kwargs) -> TrainingPanel:
    panel = TrainingPanel(
        queue=queue, recordings_root=tmp_path / "rec", extra_status=TRAIN_OK, sweep_status=SWEEP_OK, **kwargs
    )
    qtbot.addWidget(panel)
    panel.resize(800, 420)
    panel.show()
    return panel


def _run(qtbot, panel: TrainingPanel) -> JobRecord:
    """Press "Start job" and wait for the job to end."""
    before = len(panel.queue.history.records)
    qtbot.mouseClick(panel.form.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.queue.history.records) == before + 1, timeout=20_000)
    record = panel.queue.history.records[-1]
    qtbot.waitUntil(lambda: record.status.finished, timeout=60_000)
    return record


def _shown_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` not clipped by any ancestor (scroll areas included), in window coordinates."""
    rect = QRect(QPoint(0, 0), widget.size())
    current = widget
    while current is not window and current.parentWidget() is not None:
        rect.translate(current.pos())
        current = current.parentWidget()
        rect = rect.intersected(QRect(QPoint(0, 0), current.size()))
    return rect


def _fully_shown(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisible() and _shown_rect(widget, window).size() == widget.size()


def test_primary_buttons_stay_on_screen_at_800x480(make_window, qtbot, tmp_path: Path, tiny: Path) -> None:
    from kws_gui.app import add_training_tab

    window = make_window(load=False)
    panel = add_training_tab(window, window.controller, queue=_queue(tmp_path), extra_status=TRAIN_OK)
    window.resize(800, 480)
    window.tabs.setCurrentIndex(window.tabs.indexOf(panel))
    qtbot.waitExposed(window)
    assert window.size().width() == 800 and window.size().height() == 480

    # New job: the long form scrolls, "Start job" does not.
    assert panel.form.scroll.verticalScrollBar().maximum() > 0  # the form is taller than the page
    assert _fully_shown(panel.form.start_button, window)
    panel.form.folders.set_folders([str(tiny)])
    panel.form.options.edits["epochs"].setText("1")
    record = _run(qtbot, panel)
    assert record.status is JobStatus.SUCCEEDED

    # Running: cancel in the title row, "Use this model" under the curves, log and figures.
    assert panel.tabs.currentIndex() == 1
    assert _fully_shown(panel.live.cancel_button, window)
    assert panel.live_card.isVisible() and _fully_shown(panel.live_card.use_button, window)

    # History: status and accuracy readable, every button whole.
    panel.tabs.setCurrentIndex(2)
    panel.select_job(record.id)
    qtbot.wait(50)
    table = panel.history
    for column in ("Status", "Accuracy"):
        index = COLUMNS.index(column)
        item = table.item(0, index)
        left = table.columnViewportPosition(index)
        assert left >= 0 and left + table.columnWidth(index) <= table.viewport().width(), column
        assert table.columnWidth(index) >= table.fontMetrics().horizontalAdvance(item.text()), column
    for button in (
        panel.show_run_button,
        panel.prune_button,
        panel.evaluate_button,
        panel.cancel_selected_button,
        panel.card.use_button,
        panel.card.folder_button,
    ):
        assert _fully_shown(button, window), button.text()

    # Record clips: recording and training stay on screen.
    panel.tabs.setCurrentIndex(3)
    qtbot.wait(50)
    assert _fully_shown(panel.recorder.record_button, window)
    assert _fully_shown(panel.recorder.train_button, window)


def test_evaluation_result_is_shown_as_tables(qtbot, tmp_path: Path, tiny: Path) -> None:
    """The recorded `kws-train evaluate` result: per source (named, with its kind), per class, confusion."""
    queue = _queue(tmp_path, "replay", FAKE_TRAINER_EVENTS=str(RECORDED / "evaluate_events.jsonl"))
    panel = _panel(qtbot, tmp_path, queue)
    panel.form.set_kind(JobKind.EVALUATE)
    panel.form.model_edit.setText(str(MODELS_DIR / "ds_cnn_int8.tflite"))
    panel.form.folders.set_folders([str(tiny)])
    record = _run(qtbot, panel)
    assert record.status is JobStatus.SUCCEEDED
    assert not panel.live.body.isVisible()  # no empty loss / accuracy / sparsity plots
    tables = panel.live_card.tables
    assert tables.titles == [
        "Accuracy per data source (validation split)",
        "Per class (validation split)",
        "Confusion matrix (validation split; rows: true label, columns: predicted)",
    ]
    assert [tables.cell(0, r, c) for r in range(2) for c in range(3)] == [
        "tts-yes-no (synthetic)", "99.6%", "240",
        "real-v0.02-test-speakers (real speech)", "89.2%", "65",
    ]  # fmt: skip
    assert [tables.cell(1, 0, c) for c in range(4)] == ["yes", "154", "96.1%", "98.7%"]
    assert [tables.cell(2, r, c) for r in range(2) for c in range(2)] == ["148", "6", "2", "149"]
    text = dict(card_rows(record))
    assert text["Accuracy"].startswith("97.4% of 305 clips, validation split")
    assert "real-v0.02-test-speakers (real speech): 89.2% of 65 clips" in text["Accuracy per source"]
    assert not any("{" in value for value in text.values())  # no raw JSON


def test_benchmark_result_is_shown_as_a_table(qtbot, tmp_path: Path) -> None:
    queue = _queue(tmp_path, "replay", FAKE_TRAINER_EVENTS=str(RECORDED / "benchmark_events.jsonl"))
    panel = _panel(qtbot, tmp_path, queue)
    panel.form.set_kind(JobKind.BENCHMARK)
    panel.form.models_edit.setText(f"{MODELS_DIR / 'ds_cnn.tflite'};{MODELS_DIR / 'ds_cnn_int8.tflite'}")
    panel.form.reference_edit.setText(str(MODELS_DIR / "reference.tflite"))
    record = _run(qtbot, panel)
    assert record.status is JobStatus.SUCCEEDED and not panel.live.body.isVisible()
    tables = panel.live_card.tables
    assert len(tables.tables) == 1 and tables.tables[0].rowCount() == 3
    assert [tables.cell(0, r, 0) for r in range(3)] == [
        "reference.tflite",
        "ds_cnn.tflite",
        "ds_cnn_int8.tflite",
    ]
    assert tables.cell(0, 0, 9) == "reference" and tables.cell(0, 1, 9).endswith("%")
    assert tables.cell(0, 1, 8).endswith("µs")  # what the live engine spends per hop


def test_several_weighted_folders_reach_the_trainer(qtbot, tmp_path: Path, tiny: Path) -> None:
    other = make_tiny_dataset(tmp_path / "tts-more", seed=3)
    argv_file = tmp_path / "argv.json"
    panel = _panel(qtbot, tmp_path, _queue(tmp_path, FAKE_TRAINER_ARGV=str(argv_file)))
    panel.form.folders.set_folders([(str(tiny), 1.0), (str(other), 3.0)])
    qtbot.waitUntil(lambda: panel.form.last_check is not None and not panel.form.checking, timeout=20_000)
    status = panel.form.data_status.text()
    assert "2 folders" in status and "tts-more (synthetic) x3" in status  # per folder and overall
    record = _run(qtbot, panel)
    argv = json.loads(argv_file.read_text())
    assert [argv[i + 1] for i, word in enumerate(argv) if word == "--data"] == [str(tiny), f"{other}:3"]
    assert record.spec.weights == (1.0, 3.0)


def test_result_card_names_the_data_the_accuracy_was_measured_on(qtbot, tmp_path: Path) -> None:
    real, synthetic = tmp_path / "real-v0.02-test-speakers", tmp_path / "tts-yes-no"
    report = {
        "dataset": {
            "name": "real-v0.02-test-speakers+tts-yes-no",
            "sources": [
                {"name": real.name, "root": str(real), "weight": 3.0},
                {"name": synthetic.name, "root": str(synthetic), "weight": 1.0},
            ],
        },
        "models": {
            "float32": {
                "test_accuracy": 0.975,
                "sources": {
                    real.name: {"test_accuracy": 0.96, "test_n": 50},
                    synthetic.name: {"test_accuracy": 0.99, "test_n": 240},
                },
            }
        },
    }
    record = JobRecord(
        id="j",
        spec=JobSpec(JobKind.TRAIN, data=(str(real), str(synthetic))),
        status=JobStatus.SUCCEEDED,
        metrics=summarize_report(report, {}),
    )
    card = ResultCard()
    qtbot.addWidget(card)
    card.show_record(record)
    rows = dict(card_rows(record))
    assert rows["Test accuracy"] == "97.5% on 2 data folders together"
    assert rows["Test accuracy per source"] == (
        "real-v0.02-test-speakers (real speech): 96.0% of 50 clips; tts-yes-no (synthetic): 99.0% of 240 clips"
    )
    report["decision_tuning"] = {
        "float32": {
            "source": real.name,
            "recommended": {"threshold": 0.8, "smoothing_s": 0.4},
            "meets_targets": False,
            "validation": {"hit_rate": 0.95, "false_per_word": 0.03, "false_per_hour": 2.0},
        }
    }
    decision = dict(card_rows(JobRecord(id="t", spec=record.spec, metrics=summarize_report(report, {}))))
    assert decision["Recommended decision"] == (
        "threshold 0.8, smoothing_s 0.4 (tuned on real-v0.02-test-speakers validation streams: hit rate 0.95, "
        "0.030 false per other word, 2.0 per hour of noise; false-alarm targets not met)"
    )
    older = {
        "dataset": {"name": "clips", "root": str(tmp_path)},
        "models": {"float32": {"test_accuracy": 0.9}},
    }
    single = summarize_report(older, {})  # a report from before per-source figures
    assert single["sources"][0]["title"] == "clips"  # nothing says what it is: just its name
    assert (
        dict(card_rows(JobRecord(id="k", spec=record.spec, metrics=single)))["Test accuracy"]
        == "90.0% on clips"
    )


def test_sweep_scatter_fills_from_the_recorded_events(qtbot, tmp_path: Path, tiny: Path) -> None:
    """The recorded 6-trial sweep: one point per model file, colour = latency, a click gives its card."""
    events = [json.loads(line) for line in (RECORDED / "sweep_events.jsonl").read_text().splitlines()]
    finished = [e["record"] for e in events if e["event"] == "trial_finished"]
    used: list[str] = []
    queue = _queue(tmp_path, "replay", FAKE_TRAINER_EVENTS=str(RECORDED / "sweep_events.jsonl"))
    panel = _panel(qtbot, tmp_path, queue, use_model=used.append)
    panel.form.set_kind(JobKind.SWEEP)
    panel.form.folders.set_folders([str(tiny)])
    record = _run(qtbot, panel)
    assert record.status is JobStatus.SUCCEEDED, record.error
    scatter = panel.live.scatter
    assert panel.live.body.currentWidget() is scatter and scatter.isVisible()
    expected = {(r["id"], f): m for r in finished for f, m in r["models"].items()}
    assert {(p.trial, p.flavour) for p in scatter.points} == set(expected) and len(expected) == 12
    for p in scatter.points:
        m = expected[(p.trial, p.flavour)]
        assert (p.accuracy, p.zipped_bytes, p.latency_us) == (
            m["validation_accuracy"],
            m["zipped_bytes"],
            m["latency_us"],
        )
    latencies = [m["latency_us"] for m in expected.values()]
    assert scatter.color_bar.levels() == pytest.approx((min(latencies), max(latencies)))
    assert "6 of 6 trials done" in scatter.summary.text()
    # A click on a point: that trial's card, and "Use this model" loads its file.
    point = next(p for p in scatter.points if p.flavour == "int8")
    spots = scatter.scatter.points()
    spot = next(s for s in spots if s.data() is point)
    scatter.scatter.sigClicked.emit(scatter.scatter, [spot], None)
    assert panel.live_card.isVisible() and panel.live_card.title().startswith(f"Trial {point.trial}")
    with qtbot.waitSignal(panel.model_used) as used_signal:
        qtbot.mouseClick(panel.live_card.use_button, Qt.MouseButton.LeftButton)
    trial_file = Path(record.job_dir) / "output" / point.file
    assert used == [str(trial_file)] and trial_file.is_file()
    assert used_signal.args[0] == str(trial_file) and point.trial in used_signal.args[1]
    # The sweep's own card offers its pick.
    pick = next(e for e in events if e["event"] == "result")["report"]["pick"]
    assert record.metrics["pick"]["trial"] == pick["trial"]
    assert Path(record.model_path(pick["flavour"])) == Path(record.job_dir) / "output" / pick["file"]


def test_sweep_scatter_from_a_recorded_sweep_json(qtbot, tmp_path: Path) -> None:
    """A sweep shown from its sweep.json alone (no event log): the same points, the pick ringed."""
    from kws_gui._qt.training.sweep_plot import PICK_PEN, SweepScatter

    events = [json.loads(line) for line in (RECORDED / "sweep_events.jsonl").read_text().splitlines()]
    document = next(e for e in events if e["event"] == "result")["report"]
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "sweep.json").write_text(json.dumps(document))
    state = SweepState.of_job(tmp_path)
    scatter = SweepScatter()
    qtbot.addWidget(scatter)
    scatter.show_state(state)
    assert len(scatter.points) == len(document["candidates"]) == 12
    ringed = [s.data() for s in scatter.scatter.points() if s.pen() == PICK_PEN]
    assert [(p.trial, p.flavour) for p in ringed] == [
        (document["pick"]["trial"], document["pick"]["flavour"])
    ]


def test_legend_is_beside_the_plots_not_over_the_curves(qtbot) -> None:
    from kws_gui._qt.training.live_view import LiveView

    view = LiveView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    for plot in (view.loss_plot, view.acc_plot, view.sparsity_plot):
        assert plot.getPlotItem().legend is None
    legend_bottom = view.legend.mapTo(view, QPoint(0, view.legend.height())).y()
    assert legend_bottom <= view.acc_plot.mapTo(view, QPoint(0, 0)).y()
    assert "validation" in view.legend.text() and "training" in view.legend.text()


def test_use_this_model_is_confirmed_on_the_live_tab(
    make_window, qtbot, tmp_path: Path, default_model
) -> None:
    window = make_window(load=True)
    panel = _panel(qtbot, tmp_path, _queue(tmp_path), use_model=window.load_model)
    panel.model_used.connect(window.announce_model)
    output = tmp_path / "job" / "output"
    output.mkdir(parents=True)
    model = Path(shutil.copy(MODELS_DIR / "ds_cnn.tflite", output / "my_model.tflite"))
    record = JobRecord(
        id="j",
        spec=JobSpec(JobKind.TRAIN, data=("/d/tts-yes-no",)),
        status=JobStatus.SUCCEEDED,
        job_dir=str(output.parent),
        outputs={"float32": str(model)},
        metrics={
            "test_accuracy": 0.99,
            "sources": [{"name": "tts-yes-no", "title": "tts-yes-no (synthetic)"}],
        },
    )
    window.tabs.setCurrentIndex(1)
    panel.card.show_record(record)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=20_000):
        qtbot.mouseClick(panel.card.use_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentIndex() == window.tabs.indexOf(window.live_tab)
    assert window.notice.isVisible()
    assert "my_model.tflite" in window.notice.text and "99.0% on tts-yes-no (synthetic)" in window.notice.text
    qtbot.wait(500)
    assert window.notice.isVisible()  # stays until dismissed
    assert not panel.card.feedback.isHidden() and "my_model.tflite" in panel.card.feedback.text()


def test_file_dialogs_fit_the_screen_and_show_whole_sizes(qtbot, tmp_path: Path) -> None:
    from kws_gui._qt.file_dialogs import MAX_SIZE, make_dialog

    for name in ("ds_cnn.tflite", "ds_cnn_int8.tflite", "reference.tflite"):
        shutil.copy(MODELS_DIR / name, tmp_path / name)
    dialog = make_dialog(None, "Choose a model", str(tmp_path), "TFLite models (*.tflite)")
    qtbot.addWidget(dialog)
    dialog.open()
    view = dialog.findChild(QTreeView)
    model, root = view.model(), view.rootIndex()
    qtbot.waitUntil(lambda: model.rowCount(view.rootIndex()) == 3, timeout=10_000)
    root = view.rootIndex()
    qtbot.waitUntil(lambda: all(model.index(r, 1, root).data() for r in range(3)), timeout=10_000)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= min(MAX_SIZE[0], screen.width()) and dialog.height() <= screen.height()
    header = view.header()
    assert header.sectionResizeMode(1) == QHeaderView.ResizeMode.ResizeToContents
    view.resizeColumnToContents(1)
    for r in range(3):
        size_text = model.index(r, 1, root).data()  # e.g. "21.85 KiB"
        assert header.sectionSize(1) >= view.fontMetrics().horizontalAdvance(size_text), size_text
    dialog.reject()
