"""Keras model -> self-describing .tflite (float32 and full-integer int8), written atomically.

Every file gets the ``kws_gui`` metadata entry (labels, frontend config, model and
training facts; schema in DEVELOPERS.md) through
:func:`kws_gui.core.tflite_metadata.write_metadata`, so it loads on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.atomic_file import atomic_group, remove_stray_temporaries
from kws_gui.core.decision import decision_fields
from kws_gui.core.model_file import METADATA_SCHEMA
from kws_gui.core.tflite_metadata import write_metadata
from trainer.tf_setup import import_tf

REPRESENTATIVE_SAMPLES = 300


def _concrete_function(model: Any) -> Any:
    tf = import_tf().tf
    frames, features = (int(d) for d in model.input_shape[1:3])
    spec = tf.TensorSpec([1, frames, features], tf.float32, name="features")
    fn = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    return fn.get_concrete_function()


def to_tflite_float(model: Any) -> bytes:
    """float32 TFLite flatbuffer; input ``[1, frames, features]``, output probabilities."""
    tf = import_tf().tf
    converter = tf.lite.TFLiteConverter.from_concrete_functions([_concrete_function(model)], model)
    return bytes(converter.convert())


def to_tflite_int8(model: Any, representative: np.ndarray, seed: int = 0, per_channel: bool = False) -> bytes:
    """Full-integer int8 TFLite (int8 input and output), calibrated on ``representative``.

    ``representative`` is ``(n, frames, features)`` features from the training split;
    at most :data:`REPRESENTATIVE_SAMPLES` of them (a fixed random subset) are used.
    Weights are quantized per tensor unless ``per_channel``: per-channel scales and
    zero points cost ~12 bytes per channel and tensor (~4 KB of a 16 KB DS-CNN) and
    gave no accuracy on tts-yes-no.
    """
    tf = import_tf().tf
    x = np.asarray(representative, dtype=np.float32)
    if x.ndim != 3 or len(x) == 0:
        raise ValueError(
            f"representative data must be a non-empty (n, frames, features) array, got {x.shape}"
        )
    if len(x) > REPRESENTATIVE_SAMPLES:
        pick = np.random.default_rng(seed).choice(len(x), REPRESENTATIVE_SAMPLES, replace=False)
        x = x[np.sort(pick)]

    def samples() -> Iterator[list[np.ndarray]]:
        for row in x:
            yield [row[np.newaxis]]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([_concrete_function(model)], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    if not per_channel:
        converter._experimental_disable_per_channel = True  # the converter's only switch for this
    return bytes(converter.convert())


def split_input_normalization(model: Any) -> tuple[Any, dict[str, list[float]] | None]:
    """``model`` with its ``normalize`` layer made a pass-through, and what that layer did.

    For the int8 file: its input tensor is quantized with one scale for all features, and
    raw MFCCs span about -23..+17 in coefficient 0 but +-1 in the last ones, which then keep
    a few levels (on the live model's validation streams that alone cost 0.97 -> 0.86 hit
    rate). The normalisation moves into the file's metadata (``{"mean": [...], "std":
    [...]}``, applied by :class:`~kws_gui.core.model_file.KwsModel` before quantizing) and
    the model copy keeps every weight. ``(model, None)`` when it has no such layer.
    """
    keras = import_tf().keras
    try:
        layer = model.get_layer("normalize")
    except ValueError:
        return model, None
    config = layer.get_config()
    if config.get("mean") is None or config.get("variance") is None:
        return model, None
    mean = np.asarray(config["mean"], dtype=np.float64).reshape(-1)
    std = np.maximum(
        np.sqrt(np.asarray(config["variance"], dtype=np.float64).reshape(-1)), keras.backend.epsilon()
    )

    def clone_layer(original: Any) -> Any:
        settings = original.get_config()
        if original.name == layer.name:
            settings = {**settings, "mean": [0.0] * mean.size, "variance": [1.0] * mean.size}
        return original.__class__.from_config(settings)

    copy = keras.models.clone_model(model, clone_function=clone_layer)
    copy.set_weights(model.get_weights())
    return copy, {"mean": mean.tolist(), "std": std.tolist()}


def normalized(features: np.ndarray, normalization: dict[str, list[float]] | None) -> np.ndarray:
    """``features`` (..., features) as the model of :func:`split_input_normalization` takes them."""
    if normalization is None:
        return features
    mean = np.asarray(normalization["mean"], dtype=np.float32)
    return (np.asarray(features, dtype=np.float32) - mean) / np.asarray(
        normalization["std"], dtype=np.float32
    )


def shorten_tensor_names(tflite: bytes) -> bytes:
    """The model with internal tensor names replaced by their index (``t12``).

    The converter names tensors after every fused TF op (``ds_cnn/conv1/BiasAdd;...``):
    ~1.8 KB of debugging text in a 20 KB model. Input and output tensors keep their
    names; interpreters use indices, so the model runs unchanged.
    """
    import flatbuffers

    from kws_gui.core.tflite_metadata import TFLITE_IDENTIFIER, _unpack

    model = _unpack(tflite)
    for subgraph in model.subgraphs or []:
        keep = set(list(subgraph.inputs or []) + list(subgraph.outputs or []))
        for i, tensor in enumerate(subgraph.tensors or []):
            if i not in keep:
                tensor.name = f"t{i}"
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_IDENTIFIER)
    return bytes(builder.Output())


def model_metadata(
    labels: list[str] | tuple[str, ...],
    frontend: dict[str, Any],
    model: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    keywords: list[str] | tuple[str, ...] | None = None,
    decision: dict[str, Any] | None = None,
    input_normalization: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """The metadata JSON of DEVELOPERS.md (``labels`` and ``frontend`` are required).

    ``keywords``: the labels that fire detections (default when absent: every label
    not starting with ``_``). ``decision``: recommended DecisionSettings values
    (e.g. from :func:`trainer.stream_eval.tune_decision`). ``input_normalization``: the
    per-feature mean and std applied before the model (:func:`split_input_normalization`).
    ``ValueError`` when a
    keyword is not a label or a decision key or value is not a valid setting, so
    no file is written that :class:`~kws_gui.core.model_file.KwsModel` would refuse.
    """
    meta: dict[str, Any] = {"schema": METADATA_SCHEMA, "labels": list(labels), "frontend": dict(frontend)}
    if keywords is not None:
        keywords = list(keywords)
        strangers = [k for k in keywords if k not in meta["labels"]]
        if not keywords or strangers or len(set(keywords)) != len(keywords):
            raise ValueError(f"keywords must be distinct labels of {meta['labels']}, got {keywords}")
        meta["keywords"] = keywords
    if decision is not None:
        fields, unknown = decision_fields(decision)
        if unknown:
            raise ValueError(f"not decision settings: {', '.join(unknown)}")
        meta["decision"] = fields
    if input_normalization is not None:
        meta["input_normalization"] = {k: [float(v) for v in input_normalization[k]] for k in ("mean", "std")}
    if model:
        meta["model"] = model
    if training:
        meta["training"] = training
    return meta


def with_metadata(tflite: bytes, metadata: dict[str, Any]) -> bytes:
    """``tflite`` with our metadata entry added (or replaced)."""
    return write_metadata(tflite, metadata)


def write_outputs(paths: dict[str, Path], tflite: dict[str, bytes], model: Any, report_text: str) -> None:
    """A run's report, .tflite files and .h5, moved into place together, the report first.

    ``paths`` as :func:`trainer.training.output_paths`; ``tflite`` by flavour
    (``float32``, ``int8``). Through :func:`~kws_gui.core.atomic_file.atomic_group`, so
    a kill during these writes never leaves a model without its report; temporaries a
    killed earlier run left beside these files are removed first.
    """
    ordered = [paths["report"], paths["tflite-float32"], paths["tflite-int8"], paths["keras"]]
    remove_stray_temporaries(ordered)
    with atomic_group(ordered, suffixes=[".tmp", ".tmp", ".tmp", ".h5"]) as (report, f32, int8, h5):
        report.write_text(report_text, encoding="utf-8")
        f32.write_bytes(tflite["float32"])
        int8.write_bytes(tflite["int8"])
        model.save(h5, save_format="h5", include_optimizer=False)
