"""The Pareto picture of a sweep: accuracy against zipped size and against latency (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer.sweep.results import FRONTS

_MARKERS = {"float32": "o", "int8": "^"}
_AXES = {"size": ("zipped size (KB)", 1 / 1024.0), "latency": ("latency (µs)", 1.0)}


def draw_pareto(document: dict[str, Any], path: str | Path) -> Path:
    """Draw the two fronts of a ``sweep.json`` document into a PNG at ``path`` (written atomically)."""
    import matplotlib

    matplotlib.use("Agg")  # headless; never a window
    from matplotlib.figure import Figure

    from kws_gui.core.atomic_file import atomic_path

    points = [p for p in document.get("candidates", []) if p.get("accuracy") is not None]
    pick = document.get("pick")
    fig = Figure(figsize=(11, 4.5), dpi=100, layout="constrained")
    for ax, (name, cost) in zip(fig.subplots(1, 2), FRONTS.items(), strict=True):
        label, scale = _AXES[name]
        for flavour, marker in _MARKERS.items():
            mine = [p for p in points if p["flavour"] == flavour and p.get(cost) is not None]
            ax.scatter(
                [p[cost] * scale for p in mine],
                [100 * p["accuracy"] for p in mine],
                marker=marker,
                color="0.6",
                label=f"{flavour} model",
            )
        refs = {(r["trial"], r["flavour"]) for r in document.get("pareto", {}).get(name, [])}
        front = sorted(
            (p for p in points if (p["trial"], p["flavour"]) in refs and p.get(cost) is not None),
            key=lambda p: p[cost],
        )
        if front:
            ax.step(
                [p[cost] * scale for p in front],
                [100 * p["accuracy"] for p in front],
                where="post",
                color="tab:blue",
                marker="o",
                label="Pareto front",
            )
        if pick and pick.get(cost) is not None:
            ax.scatter(
                [pick[cost] * scale],
                [100 * pick["accuracy"]],
                marker="*",
                s=250,
                color="tab:red",
                zorder=5,
                label="pick",
            )
            ax.annotate(
                f" {pick['trial']} {pick['flavour']}",
                (pick[cost] * scale, 100 * pick["accuracy"]),
                fontsize="small",
                color="tab:red",
            )
        ax.set_xlabel(label)
        ax.set_ylabel(f"{document.get('accuracy', 'accuracy')} (%)")
        ax.set_title(f"accuracy vs {label.split(' (')[0]}")
        ax.grid(True, alpha=0.3)
        if points:
            ax.legend(loc="lower right", fontsize="small")
    ok = document.get("counts", {}).get("ok", 0)
    fig.suptitle(f"kws-train sweep: {ok} of {len(document.get('trials', []))} trials trained")
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)
