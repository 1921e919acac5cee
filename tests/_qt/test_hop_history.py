"""The probability plot's hop arrays: each hop converted once, equal to building them anew."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from kws_gui._qt.hop_history import HopHistory


def record(t: float, width: int = 3, segment: int = 0) -> SimpleNamespace:
    smoothed = np.full(width, t, np.float32)
    return SimpleNamespace(time_s=t, segment=segment, smoothed=smoothed)


def test_each_hop_is_converted_once() -> None:
    engine_records: list[SimpleNamespace] = []
    history = HopHistory()
    for i in range(200):
        engine_records.append(record(i * 0.1, segment=i // 70))
        recent = engine_records[-52:]
        history.update(recent, 3, 52)
        assert history.converted == i + 1  # one new hop, one conversion
        np.testing.assert_array_equal(history.times, [r.time_s for r in recent])
        np.testing.assert_array_equal(history.segments, [r.segment for r in recent])
        np.testing.assert_array_equal(history.probs, np.stack([r.smoothed for r in recent]))
    history.update(engine_records[-52:], 3, 52)  # no new hop: nothing converted
    assert history.converted == 200


def test_other_models_hops_are_left_out_and_a_new_width_starts_over() -> None:
    records = [record(0.1 * i, width=2 if i % 5 == 0 else 3) for i in range(30)]
    history = HopHistory()
    history.update(records, 3, 52)
    assert history.size == 24 and not np.any(np.isin(history.times, [r.time_s for r in records[::5]]))
    history.update(records, 2, 52)
    np.testing.assert_array_equal(history.times, [r.time_s for r in records[::5]])
    # The last record converted is gone (the engine started over): all of them again.
    fresh = [record(10.0 + 0.1 * i) for i in range(5)]
    history.update(fresh, 3, 52)
    np.testing.assert_array_equal(history.times, [r.time_s for r in fresh])
