"""The text kws-train prints for people: per-source and per-class lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.cli import _print_summary, format_evaluation


def _model(acc: float) -> dict:
    return {
        "test_accuracy": acc,
        "tflite_kb": 20.0,
        "zipped_kb": 10.0,
        "latency": {"total": {"median_us": 500.0}},
        "sources": {
            "tts-yes-no": {
                "validation_accuracy": 0.99,
                "validation_n": 240,
                "test_accuracy": 0.98,
                "test_n": 240,
            },
            "real": {"validation_accuracy": 0.91, "validation_n": 65, "test_accuracy": 0.93, "test_n": 94},
            "tts-other-words": {
                "validation_accuracy": None,
                "validation_n": 0,
                "test_accuracy": None,
                "test_n": 0,
            },
        },
    }


def test_train_summary_lists_each_source(capsys: pytest.CaptureFixture[str]) -> None:
    report = {
        "name": "live",
        "preset": "live",
        "models": {"float32": _model(0.95), "int8": _model(0.94)},
        "sparsity": {"prunable": 0.0},
        "timing": {"data_and_features_s": 3.0, "training_s": 100.0},
    }
    _print_summary(report, Path("out"))
    text = capsys.readouterr().out
    assert "real" in text and "test 0.9300 (94 clips)" in text and "validation 0.9100 (65 clips)" in text
    assert "tts-other-words" in text and "training only" in text


def test_evaluation_text_names_sources_classes_and_false_accepts() -> None:
    result = {
        "model": "m.tflite",
        "accuracy": 0.9,
        "n": 10,
        "split": "test",
        "dataset": "a+b",
        "labels": ["_unknown_", "yes"],
        "confusion": [[4, 1], [0, 5]],
        "sources": {"a": {"accuracy": 1.0, "n": 5}, "b": {"accuracy": 0.8, "n": 5}},
        "per_class": {"_unknown_": {"n": 5, "recall": 0.8}, "yes": {"n": 5, "recall": 1.0}},
        "keyword_false_accepts": {"_unknown_": 0.2},
    }
    text = format_evaluation(result)
    assert "source b" in text and "accuracy 0.8000 on 5 clips" in text
    assert "class  _unknown_    recall 0.8000 of 5 clips" in text
    assert "_unknown_ clips taken for a keyword: 20.00%" in text
