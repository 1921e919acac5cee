"""Accuracy for people: percentages, the data it was measured on, per source folder."""

from __future__ import annotations

import json

from kws_gui.core.dataset_index import kind_from_name
from kws_gui.core.model_report import (
    accuracy_rows,
    describe_dataset,
    report_path,
    source_accuracies,
)


def test_dataset_names_say_synthetic_or_real() -> None:
    assert kind_from_name("tts-yes-no") == "synthetic"
    assert kind_from_name("/data/real-v0.02-test-speakers") == "real speech"
    assert kind_from_name("my-clips") is None
    assert (
        describe_dataset("tts-yes-no+real-v0.02+mine")
        == "tts-yes-no (synthetic) + real-v0.02 (real speech) + mine"
    )


def test_rows_from_metadata_and_report(tmp_path) -> None:
    assert accuracy_rows(0.995833, "tts-yes-no") == [
        ("Accuracy", "99.6 % on the test split of tts-yes-no (synthetic)")
    ]
    assert accuracy_rows(None, "tts-yes-no") == [("Trained on", "tts-yes-no (synthetic)")]
    assert accuracy_rows(True, None) == []
    model = tmp_path / "live_int8.tflite"
    assert report_path(model) == tmp_path / "live.report.json"
    assert source_accuracies(model, "int8") == {}  # no report
    report = {
        "models": {
            "int8": {
                "sources": {
                    "real-v0.02-test-speakers": {"test_accuracy": 0.9312, "test_n": 496},
                    "tts-yes-no": {"test_accuracy": 0.99, "test_n": "240"},
                    "broken": {"test_accuracy": "high"},
                }
            }
        }
    }
    report_path(model).write_text(json.dumps(report))
    sources = source_accuracies(model, "int8")
    rows = dict(accuracy_rows(0.95, "real-v0.02-test-speakers+tts-yes-no", sources))
    assert rows["  on real-v0.02-test-speakers"] == "93.1 % (test split, 496 clips; real speech)"
    assert rows["  on tts-yes-no"] == "99.0 % (test split; synthetic)"
    assert "  on broken" not in rows
    assert source_accuracies(model, "float32") == {}
    report_path(model).write_text("[" * 100 + "]" * 100)  # too deep: no rows, no error
    assert source_accuracies(model, "int8") == {}
