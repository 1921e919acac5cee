"""The base model of ``kws-train prune --from``: weights from an .h5, never its code.

``keras.models.load_model`` rebuilds a model from the layer configs stored in the
file, and a ``Lambda`` layer's config carries Python bytecode that runs while the
model loads: an .h5 from anywhere could run anything. Here the file is read with
``h5py`` only:

* its ``model_config`` attribute is parsed as plain JSON (size and depth bounded);
* the architecture is rebuilt by :func:`trainer.models.build_model` from the
  training config of the report beside the .h5, with the normalisation statistics
  taken from the file as numbers;
* the file's layers must match that architecture exactly (classes, names,
  settings, connections): anything else, such as a ``Lambda`` layer, is refused
  with :class:`BaseModelError` naming the first difference;
* only then are the weight arrays copied in, by layer name, shapes checked.

:func:`check_layer_classes` is the same refusal without TensorFlow, for a quick
answer before the data is loaded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.bounded_json import loads_bounded
from trainer.models import ConfigError, TrainConfig

#: Every Keras layer class :func:`trainer.models.build_model` uses.
KNOWN_LAYER_CLASSES = frozenset(
    {
        "InputLayer",
        "Normalization",
        "GlobalAveragePooling1D",  # --window-mean-norm: the window's mean ...
        "Subtract",  # ... subtracted from every frame
        "Reshape",
        "Conv2D",
        "DepthwiseConv2D",
        "MaxPooling2D",
        "BatchNormalization",
        "ReLU",
        "Dropout",
        "GlobalAveragePooling2D",
        "Dense",
    }
)
NORMALIZATION_LAYER = "normalize"
MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_CONFIG_DEPTH = 64
#: Keys Keras adds when serialising that say nothing about the architecture.
_SERIALISATION_KEYS = frozenset({"module", "registered_name", "build_config"})


class BaseModelError(ConfigError):
    """An .h5 that kws-train did not make (or not for this config); the message says why."""


def _refuse(path: Path, why: str) -> BaseModelError:
    return BaseModelError(
        f"{path.name}: {why}. prune --from only takes .h5 files that kws-train trained "
        "(their layer code is never run)"
    )


def read_model_config(path: str | Path) -> dict[str, Any]:
    """The file's ``model_config`` as plain JSON (a dict with ``config.layers``), never deserialised."""
    p = Path(path)
    try:
        import h5py

        with h5py.File(p, "r") as handle:
            raw = handle.attrs.get("model_config")
    except (OSError, ValueError) as exc:
        raise _refuse(p, f"not a readable HDF5 model file ({exc})") from exc
    if raw is None:
        raise _refuse(p, "it holds no model architecture (weights only?)")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        config = loads_bounded(text, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, "its model config")
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse(p, f"its model config is unreadable ({exc})") from exc
    layers = config.get("config", {}).get("layers") if isinstance(config, dict) else None
    if not isinstance(config.get("config"), dict) or not isinstance(layers, list):
        raise _refuse(p, "its model config has no layer list")
    if not all(isinstance(layer, dict) for layer in layers):
        raise _refuse(p, "its model config has a malformed layer")
    return config


def check_layer_classes(path: str | Path) -> None:
    """Refuse (:class:`BaseModelError`) a file with a layer kws-train never builds; no TensorFlow."""
    p = Path(path)
    for layer in read_model_config(p)["config"]["layers"]:
        cls = layer.get("class_name")
        if cls not in KNOWN_LAYER_CLASSES:
            raise _refuse(
                p, f"layer {str(layer.get('name'))!r} is a {cls!r} layer, which kws-train never builds"
            )


def _normalization_stats(path: Path, layers: list[dict[str, Any]], features: int) -> tuple[np.ndarray, ...]:
    found = [layer for layer in layers if layer.get("name") == NORMALIZATION_LAYER]
    if len(found) != 1 or found[0].get("class_name") != "Normalization":
        raise _refuse(path, f"it has no {NORMALIZATION_LAYER!r} Normalization layer")
    config = found[0].get("config") or {}
    stats = []
    for key in ("mean", "variance"):
        values = config.get(key)
        ok = (
            isinstance(values, list)
            and len(values) == features
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
            )
        )
        if not ok:
            raise _refuse(path, f"its normalisation {key} is not {features} finite numbers")
        stats.append(np.asarray(values, dtype=np.float32))
    if np.any(stats[1] < 0):
        raise _refuse(path, "its normalisation variance is negative")
    return tuple(stats)


def _comparable(layer: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in layer.items() if k not in _SERIALISATION_KEYS}
    if layer.get("class_name") == "Normalization" and isinstance(out.get("config"), dict):
        out["config"] = {k: v for k, v in out["config"].items() if k not in ("mean", "variance")}
    return out


def _first_difference(expected: dict[str, Any], found: dict[str, Any]) -> str | None:
    """Where the file's architecture differs from the one kws-train builds, or None."""
    want = {layer["name"]: _comparable(layer) for layer in expected["layers"]}
    have = [_comparable(layer) for layer in found["layers"]]
    for layer in have:
        name = str(layer.get("name"))
        if name not in want:
            return f"layer {name!r} ({layer.get('class_name')}) is not part of the architecture"
    names = [str(layer.get("name")) for layer in have]
    for name in want:
        if name not in names:
            return f"layer {name!r} of the architecture is missing"
    if names != list(want):
        return "its layers are in another order"
    for layer in have:
        reference = want[str(layer["name"])]
        for key in sorted(set(reference) | set(layer)):
            if reference.get(key) != layer.get(key):
                return f"layer {layer['name']!r} differs in {key!r}"
    for key in ("input_layers", "output_layers"):
        if expected.get(key) != found.get(key):
            return f"its {key.replace('_', ' ')} differ"
    return None


def _copy_weights(model: Any, path: Path) -> None:
    """Assign every layer's weights from the file's ``model_weights`` group, shapes checked."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            group = handle.get("model_weights", handle)
            for layer in model.layers:
                if not layer.weights:
                    continue
                if layer.name not in group:
                    raise _refuse(path, f"it holds no weights for layer {layer.name!r}")
                sub = group[layer.name]
                names = [
                    n.decode("utf-8") if isinstance(n, bytes) else str(n)
                    for n in sub.attrs.get("weight_names", [])
                ]
                if len(names) != len(layer.weights):
                    raise _refuse(
                        path,
                        f"layer {layer.name!r} has {len(names)} weight arrays, expected {len(layer.weights)}",
                    )
                arrays = [np.asarray(sub[name][()]) for name in names]
                for name, array, weight in zip(names, arrays, layer.weights, strict=True):
                    if tuple(array.shape) != tuple(weight.shape) or array.dtype.kind != "f":
                        raise _refuse(
                            path, f"weight {name!r} has shape {array.shape}, expected {tuple(weight.shape)}"
                        )
                    if not np.all(np.isfinite(array)):
                        raise _refuse(path, f"weight {name!r} holds values that are not finite")
                layer.set_weights(arrays)
    except BaseModelError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise _refuse(path, f"its weights are unreadable ({exc})") from exc


def load_base_model(path: str | Path, config: TrainConfig) -> Any:
    """The tf-keras model of ``config`` with the weights of the .h5 at ``path``.

    Raises :class:`BaseModelError` when the file is not an architecture kws-train
    builds for ``config`` (nothing from the file is executed either way).
    """
    from trainer.models import build_model

    p = Path(path)
    check_layer_classes(p)
    found = read_model_config(p)["config"]
    _, features = config.frontend.feature_shape
    mean, variance = _normalization_stats(p, found["layers"], features)
    model = build_model(config, mean, variance)
    expected = json.loads(json.dumps(model.get_config(), default=_plain))
    difference = _first_difference(expected, found)
    if difference is not None:
        raise _refuse(p, f"{difference} of the {config.architecture} model its report describes")
    _copy_weights(model, p)
    return model


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")
