"""time_models times the shipped models as the live classifier runs them."""

from __future__ import annotations

import pytest

from kws_gui.core.model_file import KwsModel
from kws_gui.core.model_timing import time_models, time_streaming
from kws_gui.jobs.metrics import latency_against_reference
from kws_gui.paths import DEFAULT_MODEL, REFERENCE_MODEL


def test_every_model_gets_positive_medians_and_p95_at_least_the_median() -> None:
    models = [KwsModel.load(DEFAULT_MODEL), KwsModel.load(REFERENCE_MODEL)]
    timings = time_models(models, runs=5, warmup=1)
    assert len(timings) == 2
    for t in timings:
        for part in ("preprocess", "inference", "total"):
            assert 0 < t[part]["median_us"] <= t[part]["p95_us"]


def test_latency_against_reference_reports_both_and_their_ratio(tmp_path) -> None:
    out = latency_against_reference(DEFAULT_MODEL, REFERENCE_MODEL, runs=5)
    assert out["speedup_vs_reference"] == out["reference_latency_us"] / out["latency_us"]
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    assert "not a TFLite model" in latency_against_reference(bad, REFERENCE_MODEL, runs=5)["latency_error"]


def test_streaming_timing_counts_only_the_frames_each_hop_completes() -> None:
    models = [KwsModel.load(DEFAULT_MODEL), KwsModel.load(REFERENCE_MODEL)]
    timings = time_streaming(models, hop_samples=1600, runs=12, warmup=2)
    # 1600-sample hops: 6, 6, 6, 7 frames of 256 samples (DS-CNN), always 5 of 320 (reference)
    assert timings[0]["frames_per_hop"] == pytest.approx(6.25, abs=0.2)
    assert timings[1]["frames_per_hop"] == 5.0
    for t in timings:
        assert t["hop_samples"] == 1600
        for part in ("preprocess", "inference", "total"):
            assert 0 < t[part]["median_us"] <= t[part]["p95_us"]
