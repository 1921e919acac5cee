"""Accuracy of a .tflite file through the TFLite runtime (not Keras).

The model file is loaded with :class:`kws_gui.core.model_file.KwsModel`, so the
labels and frontend come from its own metadata; the features are computed with the
same NumPy frontend the app uses. No TensorFlow is imported here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.decision import default_keywords
from kws_gui.core.model_file import KwsModel

SPLIT_CHOICES = ("train", "validation", "test", "all")


def predict_all(model: KwsModel, features: np.ndarray) -> np.ndarray:
    """Probabilities ``(n, labels)`` for ``(n, frames, features)``, one invoke per clip."""
    x = np.asarray(features, dtype=np.float32)
    out = np.empty((len(x), len(model.labels)), dtype=np.float32)
    for i, row in enumerate(x):
        out[i] = model.predict_features(row)
    return out


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, n_labels: int) -> list[list[int]]:
    """Rows: true label; columns: predicted label."""
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (np.asarray(truth, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix.tolist()


def keyword_labels(model: KwsModel) -> tuple[str, ...]:
    """The labels that fire detections: the metadata's ``keywords``, else those not starting with ``_``."""
    keywords = getattr(model, "keywords", None)
    return tuple(keywords) if keywords else default_keywords(model.labels)


def score(model: KwsModel, features: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Accuracy, confusion and per-class figures of ``model`` on features.

    ``per_class[label]`` holds ``n``, ``recall`` (share of its clips recognised) and
    ``precision``; ``keyword_false_accepts[label]`` is, for every non-keyword label
    (``_unknown_``, ``_silence_``), the share of its clips taken for a keyword - the
    clip-level picture of a false detection. ``predicted`` lists each clip's label index.
    """
    truth = np.asarray(labels, dtype=np.int64)
    if len(truth) == 0:
        raise ValueError("no clips to evaluate")
    probs = predict_all(model, features)
    predicted = probs.argmax(axis=1)
    confusion = confusion_matrix(truth, predicted, len(model.labels))
    matrix = np.asarray(confusion)
    per_class = {}
    for i, label in enumerate(model.labels):
        n, chosen = int(matrix[i].sum()), int(matrix[:, i].sum())
        per_class[label] = {
            "n": n,
            "recall": float(matrix[i, i] / n) if n else None,
            "precision": float(matrix[i, i] / chosen) if chosen else None,
        }
    keywords = keyword_labels(model)
    keyword_columns = [i for i, label in enumerate(model.labels) if label in keywords]
    false_accepts = {}
    for i, label in enumerate(model.labels):
        if label not in keywords and matrix[i].sum():
            false_accepts[label] = float(matrix[i, keyword_columns].sum() / matrix[i].sum())
    return {
        "accuracy": float(np.mean(predicted == truth)),
        "n": int(len(truth)),
        "labels": list(model.labels),
        "keywords": list(keywords),
        "confusion": confusion,
        "per_class": per_class,
        "keyword_false_accepts": false_accepts,
        "predicted": predicted.tolist(),
    }


def evaluate_file(
    model_path: str | Path,
    data_dir: Any,
    split: str = "test",
    cache_dir: str | Path | None = None,
    progress: Any = None,
    labels: list[str] | tuple[str, ...] | None = None,
    unknown_percent: float = math.inf,
    silence_percent: float = 10.0,
) -> dict[str, Any]:
    """Evaluate a model file on a split of one or several data folders (``all`` = every clip).

    The labels come from the model's metadata; ``labels``, when given, must equal them.
    For a model with ``_unknown_`` every non-label word of the split is an unknown
    example unless ``unknown_percent`` (of the keyword clips) limits it. Accuracy is
    reported overall, per class and per source folder (``sources``).
    Raises :class:`kws_gui.core.model_file.ModelFileError` for a bad model and
    :class:`trainer.data.DatasetError` for data that lacks the model's labels.
    """
    from trainer.data import DatasetError, scan_datasets
    from trainer.sources import load_mixed_split, parse_specs, per_source_accuracy

    if split not in SPLIT_CHOICES:
        raise DatasetError(f"unknown split {split!r}: choose one of {', '.join(SPLIT_CHOICES)}")
    model = KwsModel.load(model_path)
    if labels is not None and tuple(labels) != model.labels:
        raise DatasetError(
            f"--labels {','.join(labels)} differ from the model's labels ({','.join(model.labels)}): "
            "a model is evaluated on the labels it was trained for"
        )
    specs = parse_specs(data_dir)
    indexes = scan_datasets(
        [spec.path for spec in specs],
        labels=model.labels,
        require_splits=(),
        unknown_percent=unknown_percent,
        silence_percent=silence_percent,
        sample_rate=model.frontend_config.sample_rate,
    )
    progress_factory = (lambda _split, _source: progress) if progress is not None else None
    data = load_mixed_split(
        indexes, split, model.frontend_config, cache_dir=cache_dir, progress=progress_factory
    )
    result = score(model, data.features, data.labels)
    result["sources"] = per_source_accuracy(data, np.asarray(result.pop("predicted")))
    result.update(
        {
            "model": str(model_path),
            "split": split,
            "dataset": str(indexes[0].root) if len(indexes) == 1 else "+".join(data.names),
            "dataset_fingerprint": (
                indexes[0].fingerprint(split)
                if len(indexes) == 1
                else {name: index.fingerprint(split) for name, index in zip(data.names, indexes, strict=True)}
            ),
            "skipped": len(data.skipped),
            "quantization": "int8" if model.is_quantized else "float32",
        }
    )
    return result
