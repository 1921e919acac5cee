"""RollingLatency: numpy's percentiles over the last N measurements, cached until the next one."""

from __future__ import annotations

import numpy as np
import pytest

from kws_gui.core.latency import LatencyStats, RollingLatency


@pytest.mark.parametrize("n", [1, 2, 3, 7, 200, 513])
def test_median_and_p95_equal_numpy_over_the_window(n: int) -> None:
    values = np.random.default_rng(n).integers(1_000, 900_000, n)
    stats = RollingLatency(window=200)
    for v in values:
        stats.add(int(v))
    got = stats.stats()
    window = values[-200:]
    assert got.median_us == pytest.approx(np.percentile(window, 50) / 1e3, abs=1e-9)
    assert got.p95_us == pytest.approx(np.percentile(window, 95) / 1e3, abs=1e-9)
    assert got.last_us == values[-1] / 1e3 and got.count == n
    assert stats.stats() is got  # cached until the next measurement
    stats.add(5)
    assert stats.stats() is not got


def test_empty_and_reset() -> None:
    stats = RollingLatency()
    assert stats.stats() == LatencyStats()
    stats.add(1000)
    stats.reset()
    assert stats.stats() == LatencyStats()
    with pytest.raises(ValueError):
        RollingLatency(window=0)
