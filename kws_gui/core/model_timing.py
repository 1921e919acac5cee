"""Timing model files as the live classifier runs them, several models in one run.

Two measurements:

* :func:`time_models` - one 1 s window from scratch: frontend of the whole window
  then one interpreter invoke (:meth:`KwsModel.predict_window`), the seed's comparison;
* :func:`time_streaming` - one hop of the live engine: only the frames the hop
  completed (:class:`StreamingFeatures`) then one invoke: what the device spends per hop.

The models take turns in blocks of :data:`BLOCK_RUNS` runs (order rotated every
turn, a warm-up first), so they share the machine's state over the whole run; the
first run of each block is not counted: it would measure the caches another model
(the reference CNN's 1.1 MB of weights) left cold, which a live app running one
model does not pay (measured here: 49 -> 383 µs for the DS-CNN's per-hop frontend).
Used by ``kws-train benchmark``, the trainer's report and the app's result cards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from kws_gui.core.frontend import limit_blas_threads
from kws_gui.core.model_file import KwsModel
from kws_gui.core.ring_buffer import AudioRingBuffer
from kws_gui.core.streaming_features import StreamingFeatures

DEFAULT_RUNS = 200
WARMUP_RUNS = 20
#: Consecutive runs of one model per turn (plus one uncounted run first).
BLOCK_RUNS = 10
#: The engine's default hop (EngineSettings.hop_s = 0.1 s at 16 kHz).
DEFAULT_HOP_SAMPLES = 1600

#: One run of one model: (preprocessing ns, inference ns).
Step = Callable[[], tuple[int, int]]


def _stats_us(ns: list[int]) -> dict[str, float]:
    x = np.asarray(ns, dtype=np.float64) / 1000.0
    return {"median_us": round(float(np.median(x)), 1), "p95_us": round(float(np.percentile(x, 95)), 1)}


def _interleaved(steps: list[Step], runs: int, warmup: int) -> list[dict[str, dict[str, float]]]:
    """Run every step ``warmup`` times, then ``runs`` counted times in rotating blocks."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    limit_blas_threads()
    for step in steps:
        for _ in range(warmup):
            step()
    pre: list[list[int]] = [[] for _ in steps]
    inf: list[list[int]] = [[] for _ in steps]
    order = list(range(len(steps)))
    while len(pre[0]) < runs:
        for i in order:
            steps[i]()  # after another model: cold caches, not counted
            for _ in range(min(BLOCK_RUNS, runs - len(pre[i]))):
                t_pre, t_inf = steps[i]()
                pre[i].append(t_pre)
                inf[i].append(t_inf)
        order = order[1:] + order[:1]
    return [
        {
            "preprocess": _stats_us(pre[i]),
            "inference": _stats_us(inf[i]),
            "total": _stats_us([a + b for a, b in zip(pre[i], inf[i], strict=True)]),
        }
        for i in range(len(steps))
    ]


def time_models(
    models: list[KwsModel], runs: int = DEFAULT_RUNS, warmup: int = WARMUP_RUNS, seed: int = 0
) -> list[dict[str, dict[str, float]]]:
    """Preprocessing, inference and total time per model for one window, interleaved.

    Returns one dict per model: ``preprocess``, ``inference``, ``total``, each with
    ``median_us`` and ``p95_us``.
    """
    rng = np.random.default_rng(seed)
    windows: dict[int, np.ndarray] = {}
    for m in models:
        n = m.frontend_config.clip_samples
        windows.setdefault(n, (0.1 * rng.standard_normal(n)).astype(np.float32))

    def window_step(model: KwsModel) -> Step:
        window = windows[model.frontend_config.clip_samples]

        def step() -> tuple[int, int]:
            _, _, t_pre, t_inf = model.predict_window(window)
            return t_pre, t_inf

        return step

    return _interleaved([window_step(m) for m in models], runs, warmup)


def time_streaming(
    models: list[KwsModel],
    hop_samples: int = DEFAULT_HOP_SAMPLES,
    runs: int = DEFAULT_RUNS,
    warmup: int = WARMUP_RUNS,
    seed: int = 0,
) -> list[dict[str, object]]:
    """Per-hop preprocessing (new frames only), inference and total per model, interleaved.

    Every model listens to its own noise stream, written hop by hop into a ring
    buffer (not timed), and keeps a :class:`StreamingFeatures` on it as the engine
    does. Returns one dict per model: ``preprocess``, ``inference``, ``total``
    (``median_us``, ``p95_us``), ``hop_samples`` and ``frames_per_hop`` (mean frames
    computed per counted hop).
    """
    if hop_samples < 1:
        raise ValueError("hop_samples must be >= 1")
    frames: list[list[int]] = [[] for _ in models]

    def hop_step(i: int, model: KwsModel) -> Step:
        rng = np.random.default_rng(seed + i)
        ring = AudioRingBuffer(4 * max(model.frontend_config.clip_samples, hop_samples))
        ring.write((0.1 * rng.standard_normal(model.frontend_config.clip_samples)).astype(np.float32))
        stream = StreamingFeatures(model.frontend)
        stream.update(ring, ring.total_written)  # the first window is whole; the timed hops are not

        def step() -> tuple[int, int]:
            ring.write((0.1 * rng.standard_normal(hop_samples)).astype(np.float32))
            t0 = time.perf_counter_ns()
            features = stream.update(ring, ring.total_written)
            t1 = time.perf_counter_ns()
            model.predict_features(features)
            t2 = time.perf_counter_ns()
            frames[i].append(stream.frames_computed)
            return t1 - t0, t2 - t1

        return step

    results = _interleaved([hop_step(i, m) for i, m in enumerate(models)], runs, warmup)
    return [
        {**result, "hop_samples": int(hop_samples), "frames_per_hop": round(float(np.mean(frames[i])), 2)}
        for i, result in enumerate(results)
    ]
