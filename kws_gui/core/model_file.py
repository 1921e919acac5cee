"""A keyword-spotting model file: load, check, describe and run a .tflite.

A model file is self-describing: its metadata (see :mod:`tflite_metadata`) holds
its labels and the frontend config its features come from. :meth:`KwsModel.load`
refuses, with a message saying why, anything that is not a TFLite flatbuffer,
lacks that metadata, whose frontend is outside the ranges
:class:`~kws_gui.core.frontend.FrontendConfig` accepts or not at the engine's
16 kHz, whose input/output shapes disagree with it, or that fails (or gives
non-finite scores) on one test window of silence.

Schema ``kws-gui-model/2`` adds two optional entries: ``keywords`` (the labels that
fire detections, a subset of ``labels``; without it every label not starting with
``_`` is a keyword, as for ``kws-gui-model/1`` files) and ``decision`` (recommended
:class:`~kws_gui.core.decision.DecisionSettings` values). A ``decision`` value of
the wrong type or range makes the file fail to load (an exporter bug should be
seen, not silently half-applied); keys that are not settings fields are ignored
with a logged warning (a newer exporter may know more settings).
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.audio.base import SAMPLE_RATE
from kws_gui.core.decision import decision_fields, default_keywords
from kws_gui.core.file_kind import describe_not_tflite
from kws_gui.core.frontend import Frontend, FrontendConfig, FrontendConfigError
from kws_gui.core.model_report import accuracy_rows, source_accuracies
from kws_gui.core.runtime import Runtime, resolve_runtime
from kws_gui.core.tflite_metadata import MetadataError, is_tflite, read_metadata

METADATA_SCHEMA = "kws-gui-model/2"
MAX_MODEL_BYTES = 64 * 1024 * 1024

log = logging.getLogger(__name__)


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why, for people."""


def zipped_size(data: bytes, name: str = "model.tflite") -> int:
    """Size of ``data`` stored in a deflate ZIP archive (as the seed measured it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.tell()


def count_parameters(data: bytes) -> int:
    """Number of constant values (weights and biases) stored in a TFLite model."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(data, 0)
    total = 0
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for t in range(subgraph.TensorsLength()):
            tensor = subgraph.Tensors(t)
            buffer = model.Buffers(tensor.Buffer())
            has_data = buffer is not None and (buffer.DataLength() > 0 or buffer.Size() > 0)
            if has_data:
                total += int(np.prod(tensor.ShapeAsNumpy())) if tensor.ShapeLength() else 1
    return total


@dataclass(frozen=True)
class ModelInfo:
    """What the model info panel shows."""

    path: str
    file_size: int
    zipped_size: int
    parameters: int
    input_shape: tuple[int, ...]
    input_dtype: str
    labels: tuple[str, ...]
    frontend: FrontendConfig
    quantization: str
    sparsity: float | None
    runtime: str
    extra: dict[str, Any] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    recommended_decision: dict[str, Any] = field(default_factory=dict)

    def as_rows(self) -> list[tuple[str, str]]:
        """(name, value) rows for a table or a terminal."""
        rows = [
            ("File", self.path),
            ("Size", f"{self.file_size / 1024:.1f} KB ({self.file_size} bytes)"),
            ("Zipped", f"{self.zipped_size / 1024:.1f} KB"),
            ("Parameters", f"{self.parameters:,}"),
            ("Input", f"{list(self.input_shape)} {self.input_dtype}"),
            ("Labels", ", ".join(self.labels)),
        ]
        if self.keywords and set(self.keywords) != set(self.labels):
            rows.append(("Keywords", ", ".join(self.keywords)))
        if self.recommended_decision:
            settings = ", ".join(f"{k} {v}" for k, v in self.recommended_decision.items())
            rows.append(("Recommended", settings))
        rows += [
            ("Frontend", self.frontend.describe()),
            ("Weights", self.quantization),
            ("Sparsity", "unknown" if self.sparsity is None else f"{self.sparsity:.0%}"),
            ("Runtime", self.runtime),
        ]
        if "architecture" in self.extra:
            rows.append(("Architecture", str(self.extra["architecture"])))
        rows += accuracy_rows(
            self.extra.get("test_accuracy"), self.extra.get("dataset"), self.extra.get("sources")
        )
        return rows


class KwsModel:
    """A checked model file with its interpreter, frontend and labels.

    Not thread-safe: one thread (the engine's worker) runs it.
    """

    def __init__(self, data: bytes, path: str = "<memory>", runtime: Runtime | None = None) -> None:
        self.path = path
        self.data = data
        self.metadata = _checked_metadata(data, path)
        self.labels: tuple[str, ...] = tuple(self.metadata["labels"])
        #: Labels that fire detections (the others are scored, never reported).
        self.keywords: tuple[str, ...] = _checked_keywords(self.metadata, self.labels)
        #: Recommended DecisionSettings values (checked); empty when the file has none.
        self.recommended_decision: dict[str, Any] = _checked_decision(self.metadata)
        try:
            self.frontend_config = FrontendConfig.from_dict(self.metadata["frontend"])
        except (FrontendConfigError, TypeError) as exc:
            raise ModelFileError(f"the model's frontend config is invalid: {exc}") from exc
        if self.frontend_config.sample_rate != SAMPLE_RATE:
            raise ModelFileError(
                f"the model's features come from {self.frontend_config.sample_rate} Hz audio, "
                f"but the engine runs at {SAMPLE_RATE} Hz: it would hear every word wrongly"
            )
        self.frontend = Frontend(self.frontend_config)
        #: (mean, 1 / std) per feature, applied before the model when the file asks for it.
        self._input_normalization = _checked_input_normalization(
            self.metadata, self.frontend_config.feature_shape[1]
        )
        self.runtime = runtime or resolve_runtime()
        try:
            self.interpreter = self.runtime.make_interpreter(data)
        except Exception as exc:
            raise ModelFileError(
                f"the {self.runtime.name} interpreter cannot load this model: {exc}"
            ) from exc
        inputs = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFileError(
                f"expected one input and one output tensor, found {len(inputs)} and {len(outputs)}"
            )
        self._input = inputs[0]
        self._output = outputs[0]
        self._check_shapes()
        # Everything predict_features needs, looked up once (it runs every hop).
        self._input_index = int(self._input["index"])
        self._output_index = int(self._output["index"])
        self._input_shape = tuple(int(v) for v in self._input["shape"])
        self._input_dtype = np.dtype(self._input["dtype"])
        self._input_quant = _quantization(self._input) if self._input_dtype.kind in "iu" else None
        out_dtype = np.dtype(self._output["dtype"])
        self._output_quant = _quantization(self._output) if out_dtype.kind in "iu" else None
        self._check_runs()

    # ---------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path, runtime: Runtime | None = None) -> KwsModel:
        """Read and check a model file; :class:`ModelFileError` says what is wrong."""
        p = Path(path)
        try:
            if not p.is_file():
                raise ModelFileError(f"{p}: no such file")
            if p.stat().st_size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{p}: {p.stat().st_size} bytes is too large for a keyword model")
            data = p.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"{p}: cannot read: {exc.strerror or exc}") from exc
        return cls(data, str(p), runtime)

    def _check_shapes(self) -> None:
        frames, features = self.frontend_config.feature_shape
        shape = tuple(int(v) for v in self._input["shape"])
        allowed = {(1, frames, features), (1, frames, features, 1)}
        if shape not in allowed:
            raise ModelFileError(
                f"input shape {list(shape)} does not match the frontend in its metadata "
                f"({frames} frames x {features} features: expected [1, {frames}, {features}] "
                f"or [1, {frames}, {features}, 1])"
            )
        out_shape = tuple(int(v) for v in self._output["shape"])
        if int(np.prod(out_shape)) != len(self.labels) or out_shape[0] != 1:
            raise ModelFileError(
                f"output shape {list(out_shape)} does not give one score per label "
                f"({len(self.labels)} labels: {', '.join(self.labels)})"
            )

    def _check_runs(self) -> None:
        """One window of silence through frontend and interpreter: a model that cannot run is refused."""
        try:
            _, probs, _, _ = self.predict_window(np.zeros(self.frontend_config.clip_samples, np.float32))
        except Exception as exc:
            raise ModelFileError(f"the model fails on a test window: {exc}") from exc
        if not np.all(np.isfinite(probs)):
            raise ModelFileError("the model gives non-finite scores on a test window")

    # ---------------------------------------------------------------- running
    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._input_shape

    @property
    def is_quantized(self) -> bool:
        """True when the input tensor is integer (full-integer quantized model)."""
        return self._input_quant is not None

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities (float32, one per label) for one clip's features."""
        x = np.asarray(features, dtype=np.float32)
        if self._input_normalization is not None:
            mean, inverse_std = self._input_normalization
            x = (x.reshape(-1, mean.size) - mean) * inverse_std
        x = x.reshape(self._input_shape)
        if self._input_quant is not None:
            scale, zero_point, lo, hi = self._input_quant
            x = x / np.float32(scale)
            x += zero_point
            np.rint(x, out=x)
            x = np.clip(x, lo, hi, out=x).astype(self._input_dtype)
        self.interpreter.set_tensor(self._input_index, x)
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self._output_index).reshape(-1)
        if self._output_quant is not None:
            scale, zero_point, _, _ = self._output_quant
            return (y.astype(np.float32) - zero_point) * np.float32(scale)
        return y.astype(np.float32, copy=False)

    def predict_window(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Features, probabilities, preprocessing ns and inference ns for one window."""
        t0 = time.perf_counter_ns()
        features = self.frontend.window_features(window)
        t1 = time.perf_counter_ns()
        probs = self.predict_features(features)
        t2 = time.perf_counter_ns()
        return features, probs, t1 - t0, t2 - t1

    # ------------------------------------------------------------- describing
    def info(self) -> ModelInfo:
        """Facts for the model info panel."""
        model_meta = self.metadata.get("model", {}) if isinstance(self.metadata.get("model"), dict) else {}
        training = (
            self.metadata.get("training", {}) if isinstance(self.metadata.get("training"), dict) else {}
        )
        sparsity = model_meta.get("sparsity")
        extra: dict[str, Any] = {}
        if "architecture" in model_meta:
            extra["architecture"] = model_meta["architecture"]
        if "test_accuracy" in training:
            extra["test_accuracy"] = training["test_accuracy"]
        if "dataset" in training:
            extra["dataset"] = training["dataset"]
        quantization = "int8" if self.is_quantized else "float32"
        sources = source_accuracies(self.path, quantization) if self.path != "<memory>" else {}
        if sources:
            extra["sources"] = sources
        return ModelInfo(
            path=self.path,
            file_size=len(self.data),
            zipped_size=zipped_size(self.data),
            parameters=count_parameters(self.data),
            input_shape=self.input_shape,
            input_dtype=np.dtype(self._input["dtype"]).name,
            labels=self.labels,
            frontend=self.frontend_config,
            quantization=quantization,
            sparsity=float(sparsity) if isinstance(sparsity, (int, float)) else None,
            runtime=f"{self.runtime.name} {self.runtime.version}",
            extra=extra,
            keywords=self.keywords,
            recommended_decision=dict(self.recommended_decision),
        )


def _quantization(tensor: dict[str, Any]) -> tuple[float, int, int, int]:
    """Scale, zero point and value range of an integer tensor."""
    scale, zero_point = tensor["quantization"]
    info = np.iinfo(np.dtype(tensor["dtype"]))
    return float(scale), int(zero_point), int(info.min), int(info.max)


def _checked_metadata(data: bytes, path: str = "") -> dict[str, Any]:
    if not is_tflite(data):
        raise ModelFileError(describe_not_tflite(data, path if path != "<memory>" else ""))
    try:
        metadata = read_metadata(data)
    except MetadataError as exc:
        raise ModelFileError(str(exc)) from exc
    if metadata is None:
        raise ModelFileError(
            "the model carries no kws_gui metadata (labels and frontend config); "
            "export it with kws-train, or add them with `kws-train annotate`"
        )
    labels = metadata.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x for x in labels):
        raise ModelFileError("the model's metadata has no valid 'labels' list")
    if len(set(labels)) != len(labels):
        raise ModelFileError(f"the model's labels repeat: {labels}")
    if "frontend" not in metadata:
        raise ModelFileError("the model's metadata has no 'frontend' config")
    return metadata


def _checked_keywords(metadata: dict[str, Any], labels: tuple[str, ...]) -> tuple[str, ...]:
    """``metadata["keywords"]`` checked against the labels; the default rule when absent."""
    if "keywords" not in metadata:
        keywords = default_keywords(labels)
        if not keywords:
            raise ModelFileError(
                f"the model has no keyword labels ({', '.join(labels)}: all start with '_') "
                "and its metadata names none in 'keywords'"
            )
        return keywords
    keywords = metadata["keywords"]
    if not isinstance(keywords, list) or not keywords or not all(isinstance(k, str) for k in keywords):
        raise ModelFileError("the model's metadata 'keywords' must be a non-empty list of label names")
    strangers = [k for k in keywords if k not in labels]
    if strangers:
        raise ModelFileError(
            f"the model's keywords {strangers} are not among its labels ({', '.join(labels)})"
        )
    if len(set(keywords)) != len(keywords):
        raise ModelFileError(f"the model's keywords repeat: {keywords}")
    return tuple(keywords)


def _checked_input_normalization(
    metadata: dict[str, Any], features: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """``metadata["input_normalization"]`` as (mean, 1 / std) per feature; None when absent.

    int8 files carry it (kws-train's export): normalised features fill the int8 input's
    range evenly, where raw MFCCs would leave the small coefficients a few levels.
    """
    block = metadata.get("input_normalization")
    if block is None:
        return None
    try:
        mean = np.asarray(block["mean"], dtype=np.float64)
        std = np.asarray(block["std"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            "the model's metadata 'input_normalization' must hold 'mean' and 'std' lists of numbers"
        ) from exc
    if mean.shape != (features,) or std.shape != (features,):
        raise ModelFileError(
            f"the model's input normalisation has {mean.size} means and {std.size} stds "
            f"for {features} features"
        )
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
        raise ModelFileError("the model's input normalisation needs finite means and positive stds")
    return mean.astype(np.float32), (1.0 / std).astype(np.float32)


def _checked_decision(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata["decision"]``: the recommended decision settings, checked (empty when absent)."""
    decision = metadata.get("decision")
    if decision is None:
        return {}
    if not isinstance(decision, dict):
        raise ModelFileError("the model's metadata 'decision' must be an object of decision settings")
    try:
        fields, unknown = decision_fields(decision)
    except ValueError as exc:
        raise ModelFileError(f"the model's recommended decision settings are invalid: {exc}") from exc
    if unknown:
        log.warning("ignoring unknown recommended decision settings in the model: %s", ", ".join(unknown))
    return fields
