"""Metadata round trip (kws_gui.core.tflite_metadata) and KwsModel's checks on good and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN, REFERENCE
from kws_gui.core.model_file import KwsModel, ModelFileError
from kws_gui.core.tflite_metadata import METADATA_NAME, MetadataError, read_metadata, write_metadata
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
