"""Metadata round trip (kws_gui.core.tflite_metadata) and KwsModel's checks on good and bad files.

Also the keyword labels of schema kws-gui-model/2 end to end: a tiny real model whose
non-keyword output is high never makes the real engine report that label.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from kws_gui.core.audio import ArraySource
from kws_gui.core.decision import DecisionSettings
from kws_gui.core.engine import EngineSettings, StreamingEngine
from kws_gui.core.frontend import DS_CNN, REFERENCE
from kws_gui.core.model_file import METADATA_SCHEMA, KwsModel, ModelFileError
from kws_gui.core.tflite_metadata import METADATA_NAME, MetadataError, read_metadata, write_metadata
from kws_gui.paths import MODELS_DIR
from trainer.export import model_metadata, to_tflite_float


@pytest.fixture(scope="module")
def foreign_tflite() -> bytes:
    """A small float model taking DS-CNN features, converted without any metadata."""
    from trainer.tf_setup import import_tf, set_seeds

    keras = import_tf().keras
    set_seeds(0)
    frames, features = DS_CNN.feature_shape
    inputs = keras.Input((frames, features))
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    return to_tflite_float(keras.Model(inputs, outputs))


def _meta(labels=("yes", "no"), frontend=None, **extra) -> dict:
    return {**model_metadata(labels, frontend or DS_CNN.to_dict()), **extra}


def _entries(data: bytes) -> list[str]:
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(data, 0)
    return [model.Metadata(i).Name().decode() for i in range(model.MetadataLength())]


def test_round_trip_keeps_the_model_runnable(foreign_tflite: bytes) -> None:
    assert read_metadata(foreign_tflite) is None
    meta = _meta(model={"architecture": "flat", "sparsity_per_layer": {"dense": 0.5}}, training={"x": [1, 2]})
    annotated = write_metadata(foreign_tflite, meta)
    assert read_metadata(annotated) == meta
    again = write_metadata(annotated, _meta(labels=("a", "b")))
    assert read_metadata(again)["labels"] == ["a", "b"]
    assert _entries(again).count(METADATA_NAME) == 1  # replaced, not appended
    x = np.random.default_rng(0).normal(size=DS_CNN.feature_shape).astype(np.float32)
    plain = KwsModel(write_metadata(foreign_tflite, _meta()))
    np.testing.assert_array_equal(plain.predict_features(x), KwsModel(again).predict_features(x))


def test_good_file_loads_with_its_labels_and_frontend(foreign_tflite: bytes, tmp_path) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(write_metadata(foreign_tflite, _meta(labels=("on", "off"))))
    model = KwsModel.load(path)
    assert model.labels == ("on", "off")
    assert model.frontend_config == DS_CNN
    probs = model.predict_window(np.zeros(16000, np.float32))[1]
    assert probs.shape == (2,) and abs(float(probs.sum()) - 1.0) < 1e-5
    assert model.info().quantization == "float32"


def test_file_without_metadata_points_to_annotate(foreign_tflite: bytes) -> None:
    with pytest.raises(ModelFileError, match="kws-train annotate"):
        KwsModel(foreign_tflite)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (_meta(frontend=REFERENCE.to_dict()), "input shape"),
        (_meta(labels=("a", "b", "c")), "output shape"),
        (_meta(labels=("a", "a")), "repeat"),
        (_meta(labels=[]), "labels"),
        ({"schema": "kws-gui-model/1", "labels": ["a", "b"]}, "frontend"),
        (_meta(frontend={**DS_CNN.to_dict(), "num_mfccs": 40}), "num_mfccs"),
        (_meta(frontend={**DS_CNN.to_dict(), "hop": 3}), "hop"),
    ],
)
def test_bad_metadata_is_refused_with_a_reason(foreign_tflite: bytes, meta: dict, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        KwsModel(write_metadata(foreign_tflite, meta))


def test_not_a_model(tmp_path) -> None:
    with pytest.raises(ModelFileError, match="TFLite"):
        KwsModel(b"RIFF....WAVEfmt " * 10)
    with pytest.raises(MetadataError):
        write_metadata(b"hello world", _meta())
    with pytest.raises(ModelFileError, match="no such file"):
        KwsModel.load(tmp_path / "missing.tflite")


def test_truncated_file_is_refused(foreign_tflite: bytes) -> None:
    data = write_metadata(foreign_tflite, _meta())
    with pytest.raises(ModelFileError):
        KwsModel(data[: len(data) // 3])


# ---------------------------------------------------------------- keywords and recommended decisions
@pytest.fixture(scope="module")
def constant_tflite():
    """``constant_tflite(probs)``: a float model taking DS-CNN features whose output is always ``probs``."""
    from trainer.tf_setup import import_tf

    keras = import_tf().keras
    cache: dict[tuple[float, ...], bytes] = {}

    def make(probs: tuple[float, ...]) -> bytes:
        if probs not in cache:
            frames, features = DS_CNN.feature_shape
            inputs = keras.Input((frames, features))
            dense = keras.layers.Dense(len(probs), activation="softmax", kernel_initializer="zeros")
            outputs = dense(keras.layers.Flatten()(inputs))
            dense.set_weights([np.zeros((frames * features, len(probs))), np.log(np.array(probs))])
            cache[probs] = to_tflite_float(keras.Model(inputs, outputs))
        return cache[probs]

    return make


def test_keywords_and_recommended_decision_round_trip(constant_tflite, tmp_path) -> None:
    labels = ("_silence_", "_unknown_", "yes", "no")
    meta = model_metadata(
        labels, DS_CNN.to_dict(), keywords=["no", "yes"], decision={"threshold": 0.8, "smoothing_s": 0.4}
    )
    assert meta["schema"] == METADATA_SCHEMA == "kws-gui-model/2"
    assert meta["keywords"] == ["no", "yes"] and meta["decision"] == {"threshold": 0.8, "smoothing_s": 0.4}
    path = tmp_path / "live.tflite"
    path.write_bytes(write_metadata(constant_tflite((0.1, 0.2, 0.3, 0.4)), meta))
    model = KwsModel.load(path)
    assert read_metadata(path.read_bytes()) == meta
    assert model.labels == labels and model.keywords == ("no", "yes")
    assert model.recommended_decision == {"threshold": 0.8, "smoothing_s": 0.4}
    info = model.info()
    assert info.keywords == ("no", "yes") and info.recommended_decision == model.recommended_decision
    rows = dict(info.as_rows())
    assert rows["Keywords"] == "no, yes" and "threshold 0.8" in rows["Recommended"]


def test_files_with_only_labels_still_load(foreign_tflite: bytes) -> None:
    old = {"schema": "kws-gui-model/1", "labels": ["yes", "no"], "frontend": DS_CNN.to_dict()}
    model = KwsModel(write_metadata(foreign_tflite, old))
    assert model.keywords == ("yes", "no") and model.recommended_decision == {}
    assert "Keywords" not in dict(model.info().as_rows())
    pseudo = KwsModel(write_metadata(foreign_tflite, {**old, "labels": ["_silence_", "go"]}))
    assert pseudo.keywords == ("go",)


@pytest.mark.parametrize("name", ["ds_cnn", "ds_cnn_int8", "reference", "reference_int8"])
def test_shipped_models_load_with_every_label_a_keyword(name: str) -> None:
    model = KwsModel.load(MODELS_DIR / f"{name}.tflite")
    assert model.keywords == model.labels == ("yes", "no")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"keywords": ["yes", "maybe"]}, "not among its labels"),
        ({"keywords": []}, "non-empty list"),
        ({"keywords": "yes"}, "non-empty list"),
        ({"keywords": ["yes", "yes"]}, "repeat"),
        ({"decision": {"threshold": 1.5}}, "recommended decision settings are invalid: threshold"),
        ({"decision": {"smoothing_s": "long"}}, "smoothing_s: expected a number"),
        ({"decision": {"vad_enabled": "no"}}, "vad_enabled: expected true or false"),
        ({"decision": {"hop_s": 100}}, "recommended decision settings are invalid: hop_s"),
        ({"decision": [0.8]}, "'decision' must be an object"),
        ({"labels": ["_silence_", "_unknown_"]}, "no keyword labels"),
    ],
)
def test_bad_keywords_or_decision_are_refused(foreign_tflite: bytes, extra: dict, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        KwsModel(write_metadata(foreign_tflite, _meta(**extra)))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"mean": [0.0] * 16}, "'mean' and 'std' lists"),
        ({"mean": "zero", "std": [1.0] * 16}, "'mean' and 'std' lists"),
        ({"mean": [0.0] * 15, "std": [1.0] * 16}, "15 means and 16 stds for 16 features"),
        ({"mean": [0.0] * 16, "std": [1.0] * 15 + [0.0]}, "positive stds"),
        ({"mean": [math.nan] + [0.0] * 15, "std": [1.0] * 16}, "finite means"),
    ],
)
def test_bad_input_normalization_is_refused(foreign_tflite: bytes, block: dict, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        KwsModel(write_metadata(foreign_tflite, _meta(input_normalization=block)))


def test_input_normalization_is_applied_before_the_model(foreign_tflite: bytes) -> None:
    rng = np.random.default_rng(0)
    frames, features = DS_CNN.feature_shape
    mean, std = rng.normal(size=features) * 5, rng.uniform(0.2, 3.0, size=features)
    block = {"mean": mean.tolist(), "std": std.tolist()}
    with_norm = KwsModel(write_metadata(foreign_tflite, _meta(input_normalization=block)))
    plain = KwsModel(write_metadata(foreign_tflite, _meta()))  # files without it: features as they are
    x = rng.normal(size=(frames, features)).astype(np.float32) * 4
    expected = plain.predict_features(((x - mean) / std).astype(np.float32))
    np.testing.assert_allclose(with_norm.predict_features(x), expected, atol=1e-5)
    assert not np.allclose(plain.predict_features(x), expected, atol=1e-3)


def test_unknown_decision_keys_are_ignored_with_a_warning(foreign_tflite: bytes, caplog) -> None:
    meta = _meta(decision={"threshold": 0.9, "beam_width": 4})
    with caplog.at_level(logging.WARNING, logger="kws_gui.core.model_file"):
        model = KwsModel(write_metadata(foreign_tflite, meta))
    assert model.recommended_decision == {"threshold": 0.9}
    assert "beam_width" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keywords": ["maybe"]}, "keywords"),
        ({"keywords": []}, "keywords"),
        ({"decision": {"threshold": 2.0}}, "threshold"),
        ({"decision": {"beam_width": 4}}, "beam_width"),
    ],
)
def test_model_metadata_refuses_what_a_model_file_may_not_hold(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        model_metadata(("yes", "no"), DS_CNN.to_dict(), **kwargs)


def _detections(model: KwsModel) -> list[str]:
    """Labels the real engine reports for 3 s of a loud tone (the energy gate is open)."""
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * 16000) / 16000)).astype(np.float32)
    engine = StreamingEngine(model, EngineSettings(decision=DecisionSettings(threshold=0.5)))
    engine.start()
    try:
        engine.set_source(ArraySource(tone, realtime=False))
        assert engine.wait_for_source_end(30)
    finally:
        engine.stop()
    assert engine.snapshot().inferences > 0
    return [d.label for d in engine.drain_detections()]


@pytest.mark.parametrize(
    ("labels", "probs", "keywords"),
    [
        (("_silence_", "_unknown_", "yes", "no"), (0.02, 0.9, 0.05, 0.03), ["yes", "no"]),
        (("yes", "no", "other"), (0.05, 0.05, 0.9), ["yes", "no"]),
    ],
)
def test_the_engine_never_reports_a_non_keyword_label(constant_tflite, labels, probs, keywords) -> None:
    data = constant_tflite(probs)
    model = KwsModel(write_metadata(data, model_metadata(labels, DS_CNN.to_dict(), keywords=keywords)))
    assert _detections(model) == []
    if "other" in labels:
        # the same file without a keyword list: "other" is a keyword and fires
        plain = KwsModel(write_metadata(data, model_metadata(labels, DS_CNN.to_dict())))
        assert _detections(plain) == ["other"]
