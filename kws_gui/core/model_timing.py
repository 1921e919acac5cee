"""Timing model files as the live classifier runs them, several models in one run.

Each model classifies one window: NumPy frontend then one interpreter invoke, timed
with ``perf_counter_ns`` by :meth:`KwsModel.predict_window`. Models are interleaved
run by run (order rotated) after a warm-up, so they share the machine's state.
Used by ``kws-train benchmark``, the trainer's report and the app's result cards.
"""

from __future__ import annotations

import numpy as np

from kws_gui.core.model_file import KwsModel

DEFAULT_RUNS = 200
WARMUP_RUNS = 20


def _stats_us(ns: list[int]) -> dict[str, float]:
    x = np.asarray(ns, dtype=np.float64) / 1000.0
    return {"median_us": round(float(np.median(x)), 1), "p95_us": round(float(np.percentile(x, 95)), 1)}


def time_models(
    models: list[KwsModel], runs: int = DEFAULT_RUNS, warmup: int = WARMUP_RUNS, seed: int = 0
) -> list[dict[str, dict[str, float]]]:
    """Preprocessing, inference and total time per model for one window, interleaved.

    Returns one dict per model: ``preprocess``, ``inference``, ``total``, each with
    ``median_us`` and ``p95_us``.
    """
    if runs < 1:
        raise ValueError("runs must be >= 1")
    rng = np.random.default_rng(seed)
    windows = {}
    for m in models:
        n = m.frontend_config.clip_samples
        windows.setdefault(n, (0.1 * rng.standard_normal(n)).astype(np.float32))
    pre: list[list[int]] = [[] for _ in models]
    inf: list[list[int]] = [[] for _ in models]
    order = list(range(len(models)))
    for r in range(warmup + runs):
        for i in order:
            model = models[i]
            _, _, t_pre, t_inf = model.predict_window(windows[model.frontend_config.clip_samples])
            if r >= warmup:
                pre[i].append(t_pre)
                inf[i].append(t_inf)
        order = order[1:] + order[:1]
    return [
        {
            "preprocess": _stats_us(pre[i]),
            "inference": _stats_us(inf[i]),
            "total": _stats_us([a + b for a, b in zip(pre[i], inf[i], strict=True)]),
        }
        for i in range(len(models))
    ]
