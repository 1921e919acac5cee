"""Accuracy of a .tflite file through the TFLite runtime (not Keras).

The model file is loaded with :class:`kws_gui.core.model_file.KwsModel`, so the
labels and frontend come from its own metadata; the features are computed with the
same NumPy frontend the app uses. No TensorFlow is imported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

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


def score(model: KwsModel, features: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Accuracy, n, labels, confusion and per-class recall of ``model`` on features."""
    truth = np.asarray(labels, dtype=np.int64)
    if len(truth) == 0:
        raise ValueError("no clips to evaluate")
    probs = predict_all(model, features)
    predicted = probs.argmax(axis=1)
    confusion = confusion_matrix(truth, predicted, len(model.labels))
    recall = {
        label: (confusion[i][i] / sum(confusion[i]) if sum(confusion[i]) else None)
        for i, label in enumerate(model.labels)
    }
    return {
        "accuracy": float(np.mean(predicted == truth)),
        "n": int(len(truth)),
        "labels": list(model.labels),
        "confusion": confusion,
        "recall": recall,
    }


def evaluate_file(
    model_path: str | Path,
    data_dir: str | Path,
    split: str = "test",
    cache_dir: str | Path | None = None,
    progress: Any = None,
    labels: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Evaluate a model file on a split of a dataset folder (``all`` = every clip).

    The labels come from the model's metadata; ``labels``, when given, must equal them.
    Raises :class:`kws_gui.core.model_file.ModelFileError` for a bad model and
    :class:`trainer.data.DatasetError` for a dataset that lacks the model's labels.
    """
    from trainer.data import DatasetError, load_split, scan_dataset

    if split not in SPLIT_CHOICES:
        raise DatasetError(f"unknown split {split!r}: choose one of {', '.join(SPLIT_CHOICES)}")
    model = KwsModel.load(model_path)
    if labels is not None and tuple(labels) != model.labels:
        raise DatasetError(
            f"--labels {','.join(labels)} differ from the model's labels ({','.join(model.labels)}): "
            "a model is evaluated on the labels it was trained for"
        )
    index = scan_dataset(data_dir, labels=model.labels, require_splits=() if split == "all" else (split,))
    data = load_split(index, split, model.frontend_config, cache_dir=cache_dir, progress=progress)
    result = score(model, data.features, data.labels)
    result.update(
        {
            "model": str(model_path),
            "split": split,
            "dataset": str(index.root),
            "dataset_fingerprint": index.fingerprint(split),
            "skipped": len(data.skipped),
            "quantization": "int8" if model.is_quantized else "float32",
        }
    )
    return result
