"""StreamingFeatures computes only new frames and gives the full-window frontend's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from kws_gui.core.frontend import DS_CNN, REFERENCE, Frontend, FrontendConfig
from kws_gui.core.ring_buffer import AudioRingBuffer
from kws_gui.core.streaming_features import StreamingFeatures

TOLERANCE = 1e-5


def long_signal(seconds: float = 12.0, seed: int = 0) -> np.ndarray:
    """Noise at changing levels, with digital silence and a quiet stretch in it."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    x = (
        rng.standard_normal(n).astype(np.float32)
        * np.repeat(rng.uniform(0.001, 0.5, n // 1600 + 1), 1600)[:n]
    )
    x[2 * 16000 : 3 * 16000] = 0.0
    x[5 * 16000 : 5 * 16000 + 7000] *= 1e-4
    return x.astype(np.float32)


def expected(frontend: Frontend, signal: np.ndarray, start: int) -> np.ndarray:
    """The full-window frontend on the window starting at ``start`` (zeros outside the signal)."""
    n = frontend.config.clip_samples
    window = np.zeros(n, np.float32)
    lo, hi = max(start, 0), min(start + n, signal.size)
    if hi > lo:
        window[lo - start : hi - start] = signal[lo:hi]
    return frontend.window_features(window)


def stream(config: FrontendConfig, signal: np.ndarray, hop: int, origin: int = 0):
    """Feed ``signal`` hop by hop (after ``origin`` samples of other audio); yield each update."""
    ring = AudioRingBuffer(4 * 16000)
    ring.write(np.full(origin, 0.3, np.float32))  # another source's audio: must read as zeros
    features = StreamingFeatures(Frontend(config), origin=origin)
    for end in range(origin + hop, origin + signal.size + 1, hop):
        ring.write(signal[ring.total_written - origin : end - origin])
        yield features, end, features.update(ring, end)


@pytest.mark.parametrize("config", [DS_CNN, REFERENCE], ids=["ds-cnn", "reference"])
@pytest.mark.parametrize("hop", [1600, 1000, 256, 100, 17000])
def test_every_hop_equals_the_full_window_frontend(config: FrontendConfig, hop: int) -> None:
    signal = long_signal()
    frontend = Frontend(config)
    worst = 0.0
    computed = []
    for features, end, matrix in stream(config, signal, hop, origin=12345):
        start = features.window_start(end)
        assert matrix.shape == config.feature_shape and matrix.dtype == np.float32
        # the window's frames are complete by `end` and it ends at most one frame step before it
        last_end = start + (config.num_frames - 1) * config.frame_step + config.frame_length
        assert end - config.frame_step < last_end <= end
        worst = max(worst, float(np.abs(matrix - expected(frontend, signal, start - 12345)).max()))
        computed.append(features.frames_computed)
    assert worst <= TOLERANCE
    # only the frames the hop completed are computed (all of them only at first, or for hops > window)
    assert computed[0] == config.num_frames
    per_hop = min(config.num_frames, int(np.ceil(hop / config.frame_step)))
    assert max(computed[1:]) == per_hop
    assert np.mean(computed[1:]) == pytest.approx(min(config.num_frames, hop / config.frame_step), rel=0.05)


def test_whole_window_recomputes_the_same_matrix_and_no_new_frame_costs_nothing() -> None:
    signal = long_signal(3.0)
    ring = AudioRingBuffer(4 * 16000)
    ring.write(signal)
    features = StreamingFeatures(Frontend(DS_CNN))
    streamed = features.update(ring, 30000)
    again = features.update(ring, 30000 + 100)  # no frame completed in 100 samples
    assert again is streamed and features.frames_computed == 0
    whole = features.update(ring, 30000 + 100, whole_window=True)
    assert features.frames_computed == DS_CNN.num_frames and whole is not streamed
    np.testing.assert_allclose(whole, streamed, atol=TOLERANCE, rtol=0)


def test_a_new_stream_forgets_the_old_frames() -> None:
    signal = long_signal(4.0)
    ring = AudioRingBuffer(8 * 16000)
    ring.write(signal)
    frontend = Frontend(DS_CNN)
    features = StreamingFeatures(frontend)
    before = features.update(ring, 40000)
    features.reset(40000 - 5000)  # a new source started 5000 samples ago
    after = features.update(ring, 40000)
    assert features.frames_computed == DS_CNN.num_frames
    start = features.window_start(40000)
    window = ring.window(start + 16000, 16000)
    window[: 35000 - start] = 0.0
    np.testing.assert_allclose(after, frontend.window_features(window), atol=TOLERANCE, rtol=0)
    assert not np.allclose(after, before)


def test_returned_matrices_never_change_afterwards() -> None:
    """Other threads (the GUI) keep a matrix while the worker moves on."""
    signal = long_signal(3.0)
    matrices = [(m, m.copy()) for _, _, m in stream(DS_CNN, signal, 1600)]
    assert all(np.array_equal(m, copy) for m, copy in matrices)
