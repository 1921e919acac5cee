"""train -> export -> evaluate on tiny data: TFLite agrees with Keras, files are complete or absent.

One module-scoped run (2 epochs of the ds-cnn preset on generated clips) is inspected
by several tests; the prune and cancellation tests run their own short jobs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kws_gui.core.model_file import KwsModel, zipped_size
from kws_gui.core.tflite_metadata import read_metadata
from tests.trainer.conftest import make_tiny_dataset
from trainer.evaluate import evaluate_file
from trainer.models import preset
from trainer.progress import Cancelled, CancelToken, Reporter
from trainer.training import RunContext, output_paths, run_training

pytestmark = pytest.mark.slow

#: int8 output probabilities may differ from the float Keras model by at most this
#: much (input, weights and activations quantized to 8 bits; output step 1/256).
INT8_PROB_TOLERANCE = 0.1
FLOAT_PROB_TOLERANCE = 1e-4


class Recorder(Reporter):
    """Keeps every event; optionally cancels when a given event arrives."""

    def __init__(self, cancel_on: str | None = None, token: CancelToken | None = None) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.cancel_on, self.token = cancel_on, token

    def emit(self, event: str, **fields: Any) -> None:  # no throttling: keep all
        self._show({"event": event, **fields})

    def _show(self, payload: dict[str, Any]) -> None:
        self.events.append(payload)
        if self.token is not None and payload["event"] == self.cancel_on:
            self.token.cancel()

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny", speakers=6, clips_per_speaker=5)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out")
    cache = tmp_path_factory.mktemp("cache")
    config = preset("ds-cnn").replace(epochs=2, batch_size=8, seed=3)
    recorder = Recorder()
    report = run_training(config, data_dir, out, RunContext(recorder), cache_dir=cache)
    return {"out": out, "cache": cache, "report": report, "events": recorder, "config": config}


def _test_features(run: dict[str, Any]):
    from trainer.data import load_split, scan_dataset

    index = scan_dataset(run["report"]["dataset"]["root"])
    return load_split(index, "test", run["config"].frontend, cache_dir=run["cache"])


def test_outputs_are_complete(run) -> None:
    paths = output_paths(run["out"], "ds_cnn")
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    assert sorted(p.name for p in run["out"].iterdir()) == sorted(p.name for p in paths.values())
    saved = json.loads(paths["report"].read_text())
    assert saved["models"] == json.loads(json.dumps(run["report"]["models"]))
    kinds = [e["kind"] for e in run["events"].named("artifact")]
    assert sorted(kinds) == ["keras", "report", "tflite-float32", "tflite-int8"]


def test_events_follow_the_protocol(run) -> None:
    events = run["events"]
    assert events.events[0]["event"] == "start"
    start = events.events[0]
    assert start["total_steps"] == start["steps_per_epoch"] * start["epochs"]
    epochs = events.named("epoch")
    assert [e["epoch"] for e in epochs] == [1, 2]
    for e in epochs:
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "sparsity", "lr", "elapsed_s"} <= set(e)
    steps = events.named("step")
    assert steps and steps[-1]["step"] == start["total_steps"]
    assert {s["stage"] for s in events.named("stage")} >= {"data", "features", "train", "export", "evaluate"}


def test_float_tflite_matches_keras(run) -> None:
    from trainer.tf_setup import import_tf

    keras = import_tf().keras
    paths = output_paths(run["out"], "ds_cnn")
    test = _test_features(run)
    keras_model = keras.models.load_model(str(paths["keras"]), compile=False)
    expected = keras_model.predict(test.features, verbose=0)
    tflite = KwsModel.load(paths["tflite-float32"])
    got = np.stack([tflite.predict_features(x) for x in test.features])
    np.testing.assert_allclose(got, expected, atol=FLOAT_PROB_TOLERANCE)
    int8 = KwsModel.load(paths["tflite-int8"])
    assert int8.is_quantized
    # int8: the normalisation travels in the metadata (the quantized input holds normalised features)
    normalization = read_metadata(paths["tflite-int8"].read_bytes())["input_normalization"]
    assert len(normalization["mean"]) == len(normalization["std"]) == test.features.shape[-1]
    assert "input_normalization" not in tflite.metadata
    got8 = np.stack([int8.predict_features(x) for x in test.features])
    assert np.max(np.abs(got8 - expected)) <= INT8_PROB_TOLERANCE


def test_metadata_describes_the_files(run) -> None:
    paths = output_paths(run["out"], "ds_cnn")
    report = run["report"]
    for kind, flavour in (("tflite-float32", "float32"), ("tflite-int8", "int8")):
        data = paths[kind].read_bytes()
        meta = read_metadata(data)
        assert meta["labels"] == ["yes", "no"]
        assert meta["frontend"] == run["config"].frontend.to_dict()
        assert meta["model"]["quantization"] == flavour and meta["model"]["architecture"] == "ds-cnn"
        assert meta["model"]["sparsity_per_layer"] == report["sparsity"]["per_layer"]
        assert meta["training"]["test_accuracy"] == pytest.approx(report["models"][flavour]["test_accuracy"])
        assert meta["training"]["dataset_fingerprint"] == report["dataset"]["fingerprint"]
        assert report["models"][flavour]["tflite_bytes"] == len(data)
        assert report["models"][flavour]["zipped_bytes"] == zipped_size(data)


def test_pruning_reached_the_target(run) -> None:
    sparsity = run["report"]["sparsity"]
    target = run["report"]["config"]["final_sparsity"]
    assert target >= 0.8
    assert sparsity["prunable"] == pytest.approx(target, abs=0.01)
    for name in ("conv1", "pointwise2", "pointwise3"):
        assert sparsity["per_layer"][name] == pytest.approx(target, abs=0.01)
    assert sparsity["per_layer"]["depthwise2"] == 0.0


def test_evaluate_uses_the_runtime_and_agrees_with_the_report(run) -> None:
    paths = output_paths(run["out"], "ds_cnn")
    root = run["report"]["dataset"]["root"]
    for kind, flavour in (("tflite-float32", "float32"), ("tflite-int8", "int8")):
        result = evaluate_file(paths[kind], root, "test", cache_dir=run["cache"])
        assert result["accuracy"] == pytest.approx(run["report"]["models"][flavour]["test_accuracy"])
        assert result["n"] == sum(map(sum, result["confusion"]))
    everything = evaluate_file(paths["tflite-float32"], root, "all", cache_dir=run["cache"])
    counts = run["report"]["dataset"]["counts"]
    assert everything["n"] == sum(sum(c.values()) for c in counts.values())


def test_prune_from_h5_fine_tunes_to_a_new_sparsity(run, tmp_path: Path) -> None:
    base = output_paths(run["out"], "ds_cnn")["keras"]
    config = run["config"].replace(
        epochs=1,
        final_sparsity=0.5,
        initial_sparsity=0.2,
        pruning_start=0.0,
        finetune_epochs=0,
        name="pruned",
    )
    report = run_training(
        config,
        run["report"]["dataset"]["root"],
        tmp_path,
        RunContext(Recorder()),
        cache_dir=run["cache"],
        base_model=base,
        command="prune",
    )
    assert report["command"] == "prune" and report["base_model"] == str(base)
    assert (tmp_path / "pruned.tflite").is_file()
    # Already 90 % sparse; fine-tuning at 50 % keeps at least the masks tfmot sets.
    assert report["sparsity"]["prunable"] >= 0.5 - 0.01


@pytest.mark.parametrize("cancel_on", ["data", "step"])
def test_cancellation_writes_nothing(run, tmp_path: Path, cancel_on: str) -> None:
    token = CancelToken()
    recorder = Recorder(cancel_on=cancel_on, token=token)
    config = run["config"].replace(epochs=3)
    with pytest.raises(Cancelled):
        run_training(
            config,
            run["report"]["dataset"]["root"],
            tmp_path / "out",
            RunContext(recorder, token),
            cache_dir=run["cache"],
        )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not recorder.named("artifact")


def test_steps_per_execution_changes_no_number(run, tmp_path: Path, monkeypatch) -> None:
    """Several steps per call into TensorFlow: the same steps, so the same model and history."""
    import trainer.training

    config = run["config"].replace(prune=False, epochs=2, batch_size=4, name="unpruned")
    results = {}
    for steps in (1, 3):  # 3: not a divisor of the epoch's steps, so a short last call too
        monkeypatch.setattr(trainer.training, "STEPS_PER_EXECUTION", steps)
        recorder = Recorder()
        out = tmp_path / f"spe{steps}"
        report = run_training(
            config, run["report"]["dataset"]["root"], out, RunContext(recorder), cache_dir=run["cache"]
        )
        steps_seen = [e["step"] for e in recorder.named("step")]
        assert steps_seen[-1] == report["history"][-1]["step"]  # progress still reaches the last step
        model = KwsModel((out / "unpruned.tflite").read_bytes())
        x = np.random.default_rng(0).normal(size=(5, *config.frontend.feature_shape)).astype(np.float32)
        results[steps] = (
            [(e["loss"], e["val_loss"]) for e in report["history"]],
            [model.predict_features(f) for f in x],
        )
    assert results[1][0] == results[3][0]
    np.testing.assert_array_equal(np.array(results[1][1]), np.array(results[3][1]))
