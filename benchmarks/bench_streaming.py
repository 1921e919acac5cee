"""Streaming benchmark: each model through the real engine on long streams of real test speech.

The streams come only from the *test* split of ``real-v0.02-test-speakers`` (its own
``validation_list.txt`` / ``testing_list.txt``; the dataset's hash rule would put every
clip there into test): see :mod:`trainer.stream_eval` for how they are built and scored.

* ``keywords``: every keyword test clip, 1-2 s apart over quiet room noise ->
  hit rate, wrong label, missed, extra and double detections;
* ``other_words``: every non-keyword test word -> false detections per word;
* ``noise``: 10 minutes of the split's real background noise at -60 to -25 dBFS ->
  false detections per hour.

Every model runs with its recommended decision settings (metadata ``decision``),
else the engine defaults, through :class:`~kws_gui.core.engine.StreamingEngine` fed
as fast as it takes the audio (as ``kws-listen --fast``). Unless ``--no-check-replay``,
the posteriors are also computed once per hop and the tuning replay
(:func:`trainer.stream_eval.replay`) must give the same detections as the engine.
Seeded: the same arguments give the same streams and figures.

Prints a table and saves JSON (default ``benchmarks/results/streaming.json``, read by
``make_results_table.py``).

    python benchmarks/bench_streaming.py [--models M ...] [--data DIR] [--split test]
                                         [--seed 0] [--noise-minutes 10] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from kws_gui.core.atomic_file import atomic_write
from kws_gui.core.model_file import KwsModel
from kws_gui.paths import DEFAULT_MODEL, MODELS_DIR, shared_data_dir
from trainer.stream_eval import (
    KEYWORDS,
    NOISE,
    OTHER_WORDS,
    STREAM_KINDS,
    StreamConfig,
    TuningTargets,
    build_streams,
    compute_posteriors,
    evaluate_model,
    evaluate_replay,
    recommended_engine_settings,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "streaming.json"
DATASET = "real-v0.02-test-speakers"


def _replay_agrees(model: KwsModel, streams, settings, engine_result: dict) -> bool:
    """True when the tuning replay scores every stream exactly as the engine run did."""
    replayed = evaluate_replay(compute_posteriors(model, streams, hop_s=settings.hop_s), settings.decision)
    return all(replayed[key] == engine_result[key] for key in (*STREAM_KINDS, "summary"))


def run(models: list[Path], data: Path, split: str, config: StreamConfig, check_replay: bool = True) -> dict:
    """Every model over the split's streams; JSON-able result."""
    stream_sets: dict[tuple[str, ...], object] = {}
    rows = []
    for path in models:
        model = KwsModel.load(path)
        streams = stream_sets.get(model.keywords)
        if streams is None:
            streams = stream_sets[model.keywords] = build_streams(data, split, model.keywords, config)
        settings = recommended_engine_settings(model)
        t0 = time.perf_counter()
        result = evaluate_model(model, streams, settings)
        row = {
            "model": path.name,
            "path": str(path),
            "default_model": path.resolve() == DEFAULT_MODEL.resolve(),
            "labels": list(model.labels),
            "keywords": list(model.keywords),
            "settings_from": "model metadata" if model.recommended_decision else "engine defaults",
            "runtime": f"{model.runtime.name} {model.runtime.version}",
            "wall_s": round(time.perf_counter() - t0, 1),
            **result,
        }
        if check_replay:
            row["replay_agrees_with_engine"] = _replay_agrees(model, streams, settings, result)
        rows.append(row)
        print(f"  {path.name}: {' | '.join(_cells(row))}", file=sys.stderr, flush=True)
    describe = [s.describe() for s in stream_sets.values()]
    return {
        "benchmark": "streaming",
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset": data.name,
        "split": split,
        "seed": config.seed,
        "streams": describe[0] if len(describe) == 1 else describe,
        "targets": {
            "hit_rate": 0.95,
            "false_per_word": TuningTargets().max_false_per_word,
            "false_per_hour": TuningTargets().max_false_per_hour,
            "double_detections": 0,
        },
        "models": rows,
    }


def _cells(row: dict) -> list[str]:
    s = row["summary"]
    return [
        f"{s['hit_rate']:.3f} ({row[KEYWORDS]['hits']}/{s['keyword_words']})",
        str(s["wrong_label"]),
        str(s["missed"]),
        f"{s['extra_detections']} ({s['double_detections']})",
        f"{s['false_per_word']:.3f} ({row[OTHER_WORDS]['false_detections']}/{s['other_words']})",
        f"{s['false_per_hour']:.0f} ({row[NOISE]['false_detections']} in {s['noise_hours'] * 60:.3g} min)",
    ]


HEADER = [
    "Model",
    "Keyword hit rate",
    "Wrong label",
    "Missed",
    "Extra (double)",
    "False / other word",
    "False / hour of noise",
    "Decision settings",
]


def table(result: dict) -> str:
    """Markdown table of the result (also used by make_results_table.py)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in result["models"]:
        st = row["settings"]
        settings = (
            f"threshold {st['threshold']:g}, smoothing {st['smoothing_s']:g} s, "
            f"suppression {st['suppression_s']:g} s ({row['settings_from']})"
        )
        name = row["model"] + (" (default)" if row["default_model"] else "")
        lines.append("| " + " | ".join([name, *_cells(row), settings]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=Path, nargs="+", help="model files (default: assets/models/*.tflite)")
    p.add_argument(
        "--data", type=Path, help=f"Speech Commands-layout folder (default: shared data {DATASET})"
    )
    p.add_argument("--split", default="test", choices=("train", "validation", "test"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise-minutes", type=float, default=StreamConfig().noise_minutes)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output file ('-': stdout only)")
    p.add_argument("--no-check-replay", action="store_true", help="skip the replay-vs-engine check")
    args = p.parse_args(argv)
    models = args.models or sorted(MODELS_DIR.glob("*.tflite"))
    data = args.data or shared_data_dir() / DATASET
    config = StreamConfig(seed=args.seed, noise_minutes=args.noise_minutes)
    result = run(models, data, args.split, config, check_replay=not args.no_check_replay)
    print(table(result))
    text = json.dumps(result, indent=1)
    if str(args.out) == "-":
        print(text)
    else:
        atomic_write(args.out, (text + "\n").encode())
        print(f"saved {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
