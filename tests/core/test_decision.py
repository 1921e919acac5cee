"""DecisionMaker with synthetic probability sequences; rms_dbfs; rolling latency stats."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kws_gui.core.decision import (
    SILENCE_DBFS,
    DecisionMaker,
    DecisionSettings,
    decide_sequence,
    decision_fields,
    default_keywords,
    resolve_decision,
    rms_dbfs,
    smoothed_sequence,
    with_recommended,
)
from kws_gui.core.latency import RollingLatency

HOP = DecisionSettings().hop_s  # 0.1 s


def run(maker: DecisionMaker, sequence: list[list[float]]) -> list[tuple[float, str, float]]:
    """Feed one posterior per hop (None = VAD skip); (time, label, score) of each detection."""
    out = []
    for i, p in enumerate(sequence):
        t = round((i + 1) * HOP, 3)
        if p is None:
            maker.skip()
            continue
        det = maker.update(np.array(p, np.float32), t, wall_time=0.0)
        if det is not None:
            out.append((det.time_s, det.label, det.score))
    return out


def test_threshold_without_smoothing_fires_on_the_first_hop_over_it() -> None:
    maker = DecisionMaker(("yes", "no"), DecisionSettings(threshold=0.8, smoothing_s=0.0))
    dets = run(maker, [[0.5, 0.5], [0.79, 0.21], [0.81, 0.19]])
    assert [(t, label) for t, label, _ in dets] == [(0.3, "yes")]
    assert dets[0][2] == pytest.approx(0.81)


def test_smoothing_averages_the_last_window_and_delays_the_decision() -> None:
    maker = DecisionMaker(("yes", "no"), DecisionSettings(threshold=0.7, smoothing_s=0.3))
    assert maker.smoothing_hops == 3
    # one spike of 1.0 among zeros never reaches 0.7 after averaging over 3 hops
    assert run(maker, [[0, 1], [1, 0], [0, 1], [0, 1]]) == []
    maker.reset()
    dets = run(maker, [[0, 1], [1, 0], [1, 0], [1, 0]])
    assert [(t, label) for t, label, _ in dets] == [(0.4, "yes")]  # mean of 3 ones, not before
    np.testing.assert_allclose(maker.smoothed, [1.0, 0.0])


def test_suppression_blocks_detections_for_the_refractory_time() -> None:
    settings = DecisionSettings(threshold=0.5, smoothing_s=0.0, suppression_s=1.0)
    maker = DecisionMaker(("yes", "no"), settings)
    dets = run(maker, [[1, 0], [0, 0]] * 12)  # "yes" every other hop, re-armed in between
    assert [t for t, _, _ in dets] == pytest.approx([0.1, 1.1, 2.1])
    maker = DecisionMaker(("yes", "no"), DecisionSettings(threshold=0.5, smoothing_s=0.0, suppression_s=0.0))
    assert len(run(maker, [[1, 0], [0, 0]] * 5)) == 5


def test_a_label_fires_again_only_after_falling_below_the_threshold() -> None:
    settings = DecisionSettings(threshold=0.5, smoothing_s=0.0, suppression_s=0.2)
    maker = DecisionMaker(("yes", "no"), settings)
    # a word scoring high for 1.5 s is one detection, however short the suppression;
    # after a dip (here a VAD skip) the label is armed again
    dets = run(maker, [[1, 0]] * 15 + [None, [1, 0]])
    assert [t for t, _, _ in dets] == pytest.approx([0.1, 1.7])


def test_rearming_needs_the_score_to_fall_clearly_below_the_threshold() -> None:
    settings = DecisionSettings(threshold=0.7, smoothing_s=0.0, suppression_s=0.2, rearm_margin=0.2)
    assert settings.rearm_level == pytest.approx(0.5)
    maker = DecisionMaker(("yes", "no"), settings)
    # a wobble to 0.6 inside one word is not a new word; a fall to 0.4 is
    dets = run(maker, [[0.8, 0.2], [0.6, 0.4], [0.9, 0.1], [0.4, 0.6], [0.9, 0.1]])
    assert [t for t, _, _ in dets] == pytest.approx([0.1, 0.5])
    with pytest.raises(ValueError, match="rearm_margin"):
        DecisionSettings(rearm_margin=-0.1)


def test_suppression_applies_across_labels() -> None:
    settings = DecisionSettings(threshold=0.5, smoothing_s=0.0, suppression_s=0.5)
    maker = DecisionMaker(("yes", "no"), settings)
    dets = run(maker, [[1, 0], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1]])
    assert [(t, label) for t, label, _ in dets] == [(0.1, "yes"), (0.6, "no")]


def test_labels_starting_with_underscore_are_never_reported() -> None:
    labels = ("_silence_", "_unknown_", "yes", "no")
    maker = DecisionMaker(labels, DecisionSettings(threshold=0.5, smoothing_s=0.0))
    dets = run(maker, [[1, 0, 0, 0], [0, 1, 0, 0], [0.3, 0, 0.6, 0.1]])
    assert [(t, label) for t, label, _ in dets] == [(0.3, "yes")]


def test_only_the_named_keywords_fire() -> None:
    labels = ("yes", "no", "maybe")
    maker = DecisionMaker(labels, DecisionSettings(threshold=0.5, smoothing_s=0.0), keywords=("yes", "no"))
    # "maybe" is far above the threshold all the time; it is smoothed but never reported
    dets = run(maker, [[0, 0, 1], [0, 0.1, 0.9], [0.2, 0.2, 0.6], [0.1, 0.6, 0.3]])
    assert [(t, label) for t, label, _ in dets] == [(0.4, "no")]
    assert maker.smoothed[2] == pytest.approx(0.3)
    assert maker.keywords == ("yes", "no")


def test_without_a_keyword_list_every_label_but_underscored_ones_is_a_keyword() -> None:
    assert default_keywords(("_silence_", "_unknown_", "yes", "no")) == ("yes", "no")
    assert DecisionMaker(("on", "_x"), DecisionSettings()).keywords == ("on",)
    with pytest.raises(ValueError, match="not labels"):
        DecisionMaker(("yes", "no"), DecisionSettings(), keywords=("yes", "maybe"))


def test_decision_fields_checks_types_and_ranges_and_lists_unknown_keys() -> None:
    fields, unknown = decision_fields(
        {"threshold": 0.8, "smoothing_s": 1, "vad_enabled": False, "colour": "red"}
    )
    assert fields == {"threshold": 0.8, "smoothing_s": 1.0, "vad_enabled": False} and unknown == ["colour"]
    assert isinstance(fields["smoothing_s"], float)
    with pytest.raises(ValueError, match="threshold"):
        decision_fields({"threshold": 1.2})
    with pytest.raises(ValueError, match="threshold: expected a number"):
        decision_fields({"threshold": "0.8"})
    with pytest.raises(ValueError, match="threshold: expected a number"):
        decision_fields({"threshold": True})
    with pytest.raises(ValueError, match="vad_enabled: expected true or false"):
        decision_fields({"vad_enabled": 1})


def test_recommended_values_apply_except_where_the_user_set_them() -> None:
    base = DecisionSettings(threshold=0.6)
    recommended = {"threshold": 0.85, "smoothing_s": 0.5}
    assert with_recommended(base, recommended) == DecisionSettings(threshold=0.85, smoothing_s=0.5)
    assert with_recommended(base, recommended, keep={"threshold"}) == DecisionSettings(
        threshold=0.6, smoothing_s=0.5
    )
    assert with_recommended(base, {}) == base


def test_resolve_decision_names_where_each_value_comes_from() -> None:
    decision, origin = resolve_decision({"threshold": 0.6}, {"threshold": 0.85, "smoothing_s": 0.5}, "yours")
    assert decision == DecisionSettings(threshold=0.6, smoothing_s=0.5)
    assert origin["threshold"] == "yours" and origin["smoothing_s"] == "model"
    assert origin["hop_s"] == "default" and set(origin) == {
        f.name for f in dataclasses.fields(DecisionSettings)
    }
    assert resolve_decision({}, {})[0] == DecisionSettings()


@pytest.mark.parametrize(
    "settings",
    [
        DecisionSettings(),
        DecisionSettings(threshold=0.5, smoothing_s=0.0, suppression_s=0.0, rearm_margin=0.0),
        DecisionSettings(threshold=0.6, smoothing_s=0.5, suppression_s=0.3, rearm_margin=0.4),
        DecisionSettings(threshold=0.5, smoothing_s=0.8, suppression_s=2.0),
        DecisionSettings(threshold=0.6, hop_s=0.05, smoothing_s=0.3, suppression_s=0.5),
    ],
)
def test_the_fast_replay_makes_the_same_detections_as_hop_by_hop_updates(settings) -> None:
    rng = np.random.default_rng(7)
    labels = ("_silence_", "_unknown_", "yes", "no")
    hops = 3000
    # bursts of one label, then noise; the gate is closed in long and short runs
    winners = np.repeat(rng.integers(0, 4, hops // 10), 10)
    probs = rng.dirichlet(np.ones(4) * 0.3, hops).astype(np.float32)
    probs[np.arange(hops), winners] += 1.5
    probs /= probs.sum(axis=1, keepdims=True)
    gate_open = np.repeat(rng.random(hops // 5) > 0.4, 5)
    maker = DecisionMaker(labels, settings, keywords=("yes", "no"))
    expected = []
    for k in range(hops):
        t = round((k + 1) * settings.hop_s, 3)
        if not gate_open[k]:
            maker.skip()
        elif (det := maker.update(probs[k], t, wall_time=0.0)) is not None:
            expected.append(det)
    smoothed = smoothed_sequence(labels, settings, probs, gate_open)
    times = np.round(np.arange(1, hops + 1) * settings.hop_s, 3)
    assert decide_sequence(labels, settings, smoothed, times, ("yes", "no")) == expected
    assert len(expected) > 10


def test_vad_skips_decay_the_smoothed_posteriors() -> None:
    maker = DecisionMaker(("yes", "no"), DecisionSettings(threshold=0.9, smoothing_s=0.4))
    run(maker, [[1, 0]] * 4)
    assert maker.smoothed[0] == pytest.approx(1.0)
    run(maker, [None, None])
    assert maker.smoothed[0] == pytest.approx(0.5)
    run(maker, [None, None])
    assert maker.smoothed[0] == pytest.approx(0.0)


def test_wrong_number_of_probabilities_is_refused() -> None:
    maker = DecisionMaker(("yes", "no"), DecisionSettings())
    with pytest.raises(ValueError, match="expected 2"):
        maker.update(np.ones(3), 0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 1.5},
        {"threshold": float("nan")},
        {"smoothing_s": -1},
        {"suppression_s": -0.1},
        {"vad_threshold_dbfs": 3},
        {"hop_s": 100},
        {"hop_s": 0},
        {"hop_s": float("inf")},
        {"threshold": "0.5"},
        {"smoothing_s": True},
        {"vad_enabled": "yes"},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        DecisionSettings(**kwargs)


def test_rms_dbfs() -> None:
    t = np.arange(16000) / 16000
    assert rms_dbfs(np.sin(2 * np.pi * 1000 * t)) == pytest.approx(-3.01, abs=0.02)
    assert rms_dbfs(0.01 * np.ones(100)) == pytest.approx(-40.0, abs=1e-3)
    assert rms_dbfs(np.zeros(100)) == SILENCE_DBFS
    assert rms_dbfs(np.zeros(0)) == SILENCE_DBFS


def test_rolling_latency_window_and_percentiles() -> None:
    stats = RollingLatency(window=100)
    assert stats.stats().count == 0
    for ns in range(1_000, 201_000, 1_000):  # 1..200 us; only the last 100 are kept
        stats.add(ns)
    s = stats.stats()
    assert s.count == 200
    assert s.last_us == 200.0
    assert s.median_us == pytest.approx(150.5)
    assert s.p95_us == pytest.approx(195.05)
    stats.reset()
    assert stats.stats().count == 0


def test_peak_hop_level_finds_a_short_loud_part() -> None:
    from kws_gui.core.decision import peak_hop_dbfs

    window = np.zeros(16000, np.float32)
    window[8000:9600] = 0.01  # one 100 ms hop at -40 dBFS in an otherwise silent second
    assert rms_dbfs(window) == pytest.approx(-50.0, abs=1e-3)
    assert peak_hop_dbfs(window, 1600) == pytest.approx(-40.0, abs=1e-3)
    assert peak_hop_dbfs(np.zeros(16000, np.float32), 1600) == SILENCE_DBFS
