"""kws-train: train, prune, evaluate, benchmark and annotate keyword-spotting models.

Importing this module does not import TensorFlow: ``--help``, ``inspect-data``,
``evaluate``, ``benchmark`` and ``annotate`` run without it; ``train`` and ``prune``
import it when they start training.

``--progress jsonl`` makes stdout carry only JSON objects, one per line (events for
the app); everything else, TensorFlow's noise included, goes to stderr. Exit codes:
0 ok, 1 crash, 2 bad input (dataset, model file, option), 130 cancelled.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from kws_gui.core.frontend import limit_blas_threads
from kws_gui.core.train_config import PRESETS
from kws_gui.core.train_options import TRAIN_OPTIONS, apply_options
from kws_gui.version import add_version_argument
from trainer.progress import Cancelled, CancelToken, Reporter, make_reporter, to_json

EXIT_OK, EXIT_CRASH, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130

DATA_HELP = (
    "data folder (Speech Commands or msc layout); give several times to train on several, "
    "DIR:WEIGHT to weight one (DIR:3 = each clip three times per epoch)"
)


# ------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The kws-train argument parser (every subcommand)."""
    parser = argparse.ArgumentParser(
        prog="kws-train", description="Train, prune, evaluate and benchmark keyword-spotting models."
    )
    add_version_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a model from a preset and export it")
    train.add_argument("--preset", default="ds-cnn", help=f"{' or '.join(PRESETS)} (default: ds-cnn)")
    train.add_argument("--data", required=True, action="append", help=DATA_HELP)
    train.add_argument("--out", required=True, type=Path, help="output folder")
    _add_training_options(train)
    train.add_argument(
        "--tune-decision",
        dest="tune_on",
        metavar="DIR",
        help="tune the recommended decision settings on streams of this folder's validation split",
    )
    train.set_defaults(func=cmd_train)

    prune = sub.add_parser("prune", help="prune and fine-tune a model trained by kws-train (its .h5)")
    prune.add_argument(
        "--from", dest="base", required=True, type=Path, help="the .h5 file, or the folder holding it"
    )
    prune.add_argument("--data", required=True, action="append", help=DATA_HELP)
    prune.add_argument("--out", required=True, type=Path, help="output folder")
    _add_training_options(prune)
    prune.set_defaults(func=cmd_prune)

    evaluate = sub.add_parser("evaluate", help="accuracy of a .tflite through the TFLite runtime")
    evaluate.add_argument("model", type=Path, help="a .tflite written by kws-train (or annotated)")
    evaluate.add_argument(
        "--data", required=True, action="append", help="data folder; give several times for several"
    )
    evaluate.add_argument("--split", default="test", choices=("train", "validation", "test", "all"))
    evaluate.add_argument(
        "--labels", help="comma-separated labels; must match the model's (default: the model's)"
    )
    evaluate.add_argument(
        "--unknown-percent",
        type=float,
        default=float("inf"),
        help="_unknown_ clips, percent of the keyword clips (default: every other word of the split)",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    bench = sub.add_parser("benchmark", help="latency, size and accuracy vs a reference model")
    bench.add_argument("models", nargs="+", type=Path, help="model files to compare")
    bench.add_argument("--reference", required=True, type=Path, help="the model the savings are relative to")
    bench.add_argument("--runs", type=int, default=200, help="timed runs per model (default 200)")
    bench.add_argument("--data", type=Path, help="measure accuracy on this dataset (default: metadata)")
    bench.add_argument("--split", default="test", choices=("train", "validation", "test", "all"))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common(bench)
    bench.set_defaults(func=cmd_benchmark)

    inspect = sub.add_parser("inspect-data", help="describe a dataset folder (no TensorFlow)")
    inspect.add_argument("data", type=Path, help="dataset folder")
    inspect.add_argument("--labels", default="yes,no", help="comma-separated labels (default yes,no)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(func=cmd_inspect_data)

    annotate = sub.add_parser("annotate", help="add labels and frontend metadata to a foreign .tflite")
    annotate.add_argument("model", type=Path, help="the .tflite to annotate")
    annotate.add_argument("--labels", required=True, help="comma-separated labels in output order")
    group = annotate.add_mutually_exclusive_group(required=True)
    group.add_argument("--preset", help=f"frontend of a preset: {' or '.join(PRESETS)}")
    group.add_argument("--frontend-json", type=Path, help="JSON file with a frontend config")
    annotate.add_argument("--out", required=True, type=Path, help="annotated model file to write")
    annotate.set_defaults(func=cmd_annotate)

    sweep = sub.add_parser(
        "sweep",
        help="train many configurations on Ray Tune: Pareto fronts of accuracy vs size and latency",
        description="Each trial is a kws-train train run with options from the space file (YAML or JSON: "
        "any train option as a value, a grid [a, b], or {choice|grid: [...]}, {uniform|loguniform|int: "
        "[low, high]}), trained into OUT/trials/<id>/. Writes OUT/sweep.json and OUT/sweep_pareto.png.",
    )
    sweep.add_argument("--space", type=Path, help="the search space file (required unless --resume)")
    sweep.add_argument("--data", action="append", help=DATA_HELP + " (required unless --resume)")
    sweep.add_argument("--out", required=True, type=Path, help="output folder of the sweep")
    sweep.add_argument(
        "--trials",
        type=int,
        default=1,
        help="samples of the space's distributions; each runs every grid combination (default 1)",
    )
    sweep.add_argument(
        "--address",
        help="an existing Ray cluster (e.g. 127.0.0.1:6379 or auto); default: a local Ray, one trial per free core",
    )
    sweep.add_argument("--resume", action="store_true", help="continue the interrupted sweep in --out")
    sweep.add_argument("--cpus-per-trial", type=float, default=1.0, help="CPUs each trial takes (default 1)")
    sweep.add_argument(
        "--within",
        type=float,
        default=1.0,
        help="the pick: the smallest model within this many accuracy points of the best (default 1.0)",
    )
    sweep.add_argument(
        "--accuracy-source",
        help="rank by the validation accuracy of this --data folder (its name) instead of the whole split",
    )
    _add_common(sweep)
    sweep.set_defaults(func=cmd_sweep)

    try:
        from trainer import download
    except ImportError:  # the data helper's module is optional
        download = None
    if download is not None and hasattr(download, "add_cli"):
        download.add_cli(sub)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=("bar", "jsonl", "none"),
        default="bar",
        help="progress display (jsonl: for the app)",
    )
    parser.add_argument("--cache-dir", type=Path, help="feature cache folder (default: the user cache)")


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--labels", help="comma-separated labels (default yes,no)")
    # One table (kws_gui.core.train_options), shared with the app's job form. Absent unless
    # given (SUPPRESS), so that a given 'none' (None) still overrides the preset.
    for option in TRAIN_OPTIONS:
        how: dict[str, Any] = (
            {"action": argparse.BooleanOptionalAction}
            if option.kind == "switch"
            else {"type": option.arg_type}
        )
        parser.add_argument(option.flag, dest=option.dest, default=argparse.SUPPRESS, help=option.help, **how)
    _add_common(parser)


# ---------------------------------------------------------------- plumbing
class _Session:
    """Reporter, output stream and cancellation of one command."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.progress = getattr(args, "progress", "none")
        self.json_stream: TextIO = sys.stdout
        if self.progress == "jsonl":
            self.json_stream = _claim_stdout()
        self.reporter: Reporter = make_reporter(self.progress, self.json_stream)
        self.cancel = CancelToken()
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


def _claim_stdout() -> TextIO:
    """Keep the real stdout for JSON lines; send everything else written to fd 1 to stderr."""
    sys.stdout.flush()
    json_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(json_fd, "w", buffering=1, encoding="utf-8")


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from kws_gui.core.frontend import FrontendConfigError
    from kws_gui.core.model_file import ModelFileError
    from kws_gui.core.tflite_metadata import MetadataError
    from trainer.models import ConfigError

    types: list[type[BaseException]] = [FrontendConfigError, ModelFileError, MetadataError, ConfigError]
    try:
        from trainer.data import DatasetError

        types.append(DatasetError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


def _run(args: argparse.Namespace, body: Callable[[_Session], int]) -> int:
    session = _Session(args)
    try:
        return body(session)
    except Cancelled:
        session.reporter.emit("cancelled", elapsed_s=session.elapsed())
        session.reporter.close()
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        session.reporter.emit("cancelled", elapsed_s=session.elapsed())
        session.reporter.close()
        return EXIT_CANCELLED
    except Exception as exc:
        bad_input = isinstance(exc, _bad_input_types())
        message = str(exc) or type(exc).__name__
        session.reporter.close()
        if session.progress == "jsonl":
            session.reporter.emit("error", message=message, type=type(exc).__name__)
        print(f"kws-train: error: {message}", file=sys.stderr)
        if not bad_input:
            import traceback

            traceback.print_exc(file=sys.stderr)
        return EXIT_BAD_INPUT if bad_input else EXIT_CRASH


def _print_json(session: _Session, value: Any) -> None:
    print(to_json(value, indent=2), file=session.json_stream, flush=True)


# ---------------------------------------------------------------- commands
def config_from_args(args: argparse.Namespace, base: Any) -> Any:
    """``base`` (a TrainConfig) with every option the user gave applied."""
    changes = {o.dest: getattr(args, o.dest) for o in TRAIN_OPTIONS if hasattr(args, o.dest)}
    if getattr(args, "labels", None):
        changes["labels"] = tuple(x.strip() for x in args.labels.split(",") if x.strip())
    return apply_options(base, changes)


def train_config(args: argparse.Namespace) -> Any:
    """The TrainConfig of parsed ``kws-train train`` arguments: the preset with the options applied."""
    from trainer.models import preset

    return config_from_args(args, preset(args.preset))


def cmd_train(args: argparse.Namespace) -> int:
    """kws-train train."""

    def body(session: _Session) -> int:
        config = train_config(args)
        return _train(session, config, args, base_model=None, command="train")

    return _run(args, body)


def cmd_prune(args: argparse.Namespace) -> int:
    """kws-train prune --from: load a kws-train .h5's weights, prune it and fine-tune."""
    from trainer.base_model import check_layer_classes
    from trainer.models import ConfigError, TrainConfig
    from trainer.report import load_report

    def body(session: _Session) -> int:
        h5 = _find_h5(args.base)
        report_file = h5.with_name(h5.stem + ".report.json")
        if not report_file.is_file():
            raise ConfigError(
                f"{report_file} is missing: prune needs the report kws-train wrote beside {h5.name}"
            )
        try:
            base = TrainConfig.from_dict(load_report(report_file)["config"])
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{report_file}: no usable training config ({exc})") from exc
        base = base.replace(
            prune=True,
            epochs=5,
            learning_rate=base.final_learning_rate or base.learning_rate,
            final_learning_rate=None,
            finetune_epochs=1,
            pruning_start=0.0,
            name=h5.stem,
        )
        config = config_from_args(args, base)
        check_layer_classes(h5)  # a quick refusal before the data is loaded
        return _train(session, config, args, base_model=h5, command="prune")

    return _run(args, body)


def _find_h5(path: Path) -> Path:
    from trainer.models import ConfigError

    if path.is_file():
        return path
    if path.is_dir():
        found = sorted(path.glob("*.h5"))
        if len(found) == 1:
            return found[0]
        if found:
            raise ConfigError(
                f"{path} holds several .h5 files ({', '.join(p.name for p in found)}): name one"
            )
    raise ConfigError(f"--from: no .h5 model at {path}")


def _train(
    session: _Session, config: Any, args: argparse.Namespace, base_model: Path | None, command: str
) -> int:
    from trainer.training import RunContext, run_training

    session.cancel.install_signal_handlers()
    ctx = RunContext(session.reporter, session.cancel, session.started)
    result = run_training(
        config,
        args.data,
        args.out,
        ctx,
        cache_dir=args.cache_dir,
        base_model=base_model,
        command=command,
        tune_on=getattr(args, "tune_on", None),
    )
    session.reporter.emit("result", report=result)
    session.reporter.emit("done", ok=True, out=str(args.out), elapsed_s=session.elapsed())
    session.reporter.close()
    if session.progress != "jsonl":
        _print_summary(result, args.out)
    return EXIT_OK


def _print_summary(result: dict[str, Any], out: Path) -> None:
    lines = [f"{result['name']} ({result['preset']}) -> {out}"]
    for flavour, m in result["models"].items():
        lines.append(
            f"  {flavour:8s} test accuracy {m['test_accuracy']:.4f}  {m['tflite_kb']:.1f} KB  "
            f"zipped {m['zipped_kb']:.1f} KB  latency {m['latency']['total']['median_us']:.0f} µs"
        )
    sources = result["models"]["float32"].get("sources", {})
    if len(sources) > 1:
        lines.append("  per source (float32):")
        for name, figures in sources.items():
            cells = [
                f"{split} {figures[f'{split}_accuracy']:.4f} ({figures[f'{split}_n']} clips)"
                for split in ("validation", "test")
                if figures.get(f"{split}_accuracy") is not None
            ]
            lines.append(f"    {name:32s} " + ("; ".join(cells) or "training only"))
    for flavour, tuned in (result.get("decision_tuning") or {}).items():
        v = tuned["validation"]
        lines.append(
            f"  {flavour:8s} decision {tuned['recommended']} on {tuned['source']} validation streams: "
            f"hit rate {v['hit_rate']:.3f}, {v['false_per_word']:.3f} false per other word, "
            f"{v['false_per_hour']:.1f} per hour of noise"
            + ("" if tuned["meets_targets"] else " (false-alarm targets not met)")
        )
    lines.append(
        f"  sparsity (prunable layers) {result['sparsity']['prunable']:.2%}; "
        f"data+features {result['timing']['data_and_features_s']:.1f} s, training {result['timing']['training_s']:.1f} s"
    )
    print("\n".join(lines))


def cmd_evaluate(args: argparse.Namespace) -> int:
    """kws-train evaluate MODEL --data DIR --split S."""
    from trainer.evaluate import evaluate_file

    def body(session: _Session) -> int:
        session.reporter.emit("start", command="evaluate", model=str(args.model), split=args.split)
        session.reporter.emit("stage", stage="evaluate", message=f"{args.model} on the {args.split} split")
        labels = [x.strip() for x in args.labels.split(",") if x.strip()] if args.labels else None
        result = evaluate_file(
            args.model,
            args.data,
            args.split,
            cache_dir=args.cache_dir,
            labels=labels,
            unknown_percent=args.unknown_percent,
        )
        session.reporter.emit("result", report=result)
        session.reporter.emit("done", ok=True, elapsed_s=session.elapsed())
        if session.progress != "jsonl":
            if args.json:
                _print_json(session, result)
            else:
                print(format_evaluation(result))
        return EXIT_OK

    return _run(args, body)


def format_evaluation(result: dict[str, Any]) -> str:
    """The evaluate result for people: overall, per source, per class, keyword false accepts."""
    lines = [
        f"{result['model']}: accuracy {result['accuracy']:.4f} on {result['n']} clips "
        f"({result['split']} split of {result['dataset']})"
    ]
    sources = result.get("sources", {})
    if len(sources) > 1:
        for name, figures in sources.items():
            acc = "-" if figures["accuracy"] is None else f"{figures['accuracy']:.4f}"
            lines.append(f"  source {name:32s} accuracy {acc} on {figures['n']} clips")
    for label, figures in result.get("per_class", {}).items():
        if figures["n"]:
            lines.append(f"  class  {label:12s} recall {figures['recall']:.4f} of {figures['n']} clips")
    for label, share in result.get("keyword_false_accepts", {}).items():
        lines.append(f"  {label} clips taken for a keyword: {share:.2%}")
    lines.append(f"  confusion (rows true {result['labels']}): {result['confusion']}")
    return "\n".join(lines)


def cmd_benchmark(args: argparse.Namespace) -> int:
    """kws-train benchmark MODEL... --reference MODEL."""
    from trainer.benchmark import benchmark

    def body(session: _Session) -> int:
        if args.runs < 1:
            from trainer.models import ConfigError

            raise ConfigError("--runs must be >= 1")
        session.reporter.emit("start", command="benchmark", models=[str(m) for m in args.models])
        session.reporter.emit("stage", stage="benchmark", message=f"{args.runs} interleaved runs per model")
        result = benchmark(
            args.models,
            args.reference,
            runs=args.runs,
            data_dir=args.data,
            split=args.split,
            cache_dir=args.cache_dir,
        )
        session.reporter.emit("result", report=result)
        session.reporter.emit("done", ok=True, elapsed_s=session.elapsed())
        if session.progress != "jsonl":
            if args.json:
                _print_json(session, result)
            else:
                print(result["table"])
                print(f"\nPer hop of {result['hop_s']:g} s (only the new frames, as the live engine):")
                print(result["streaming_table"])
        return EXIT_OK

    return _run(args, body)


def cmd_inspect_data(args: argparse.Namespace) -> int:
    """kws-train inspect-data DIR: the dataset summary, quickly."""
    from trainer.data import scan_dataset, without_unreadable

    def body(session: _Session) -> int:
        index, unreadable = without_unreadable(scan_dataset(args.data, labels=args.labels, require_splits=()))
        summary = index.summary()
        summary["unreadable"] = [{"file": path, "reason": why} for path, why in unreadable]
        if args.json:
            _print_json(session, summary)
        else:
            print(f"{summary['root']}: {summary['layout']} layout, splits from {summary['split_source']}")
            for split, counts in summary["counts"].items():
                print(f"  {split:10s} " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
            print(f"  background noise files: {len(summary['noise_files'])}")
            if unreadable:
                print(f"  unusable files, not counted: {len(unreadable)}")
                for path, why in unreadable[:10]:
                    print(f"    {path}: {why}")
        return EXIT_OK

    args.progress = "none"
    return _run(args, body)


def cmd_annotate(args: argparse.Namespace) -> int:
    """kws-train annotate MODEL --labels ... --preset|--frontend-json --out OUT."""
    from kws_gui.core.atomic_file import atomic_write
    from kws_gui.core.bounded_json import loads_bounded
    from kws_gui.core.frontend import FrontendConfig
    from kws_gui.core.model_file import KwsModel, ModelFileError
    from trainer.export import model_metadata, with_metadata
    from trainer.models import ConfigError, preset

    def body(session: _Session) -> int:
        labels = [x.strip() for x in args.labels.split(",") if x.strip()]
        if args.preset:
            frontend = preset(args.preset).frontend
        else:
            try:
                text = args.frontend_json.read_text(encoding="utf-8")
                frontend = FrontendConfig.from_dict(loads_bounded(text, 1 << 20, 8, "the frontend JSON"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"--frontend-json: {exc}") from exc
        try:
            data = args.model.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"{args.model}: cannot read: {exc.strerror or exc}") from exc
        meta = model_metadata(labels, frontend.to_dict(), model={"architecture": "external"})
        annotated = with_metadata(data, meta)
        KwsModel(annotated, str(args.out))  # checks labels, frontend and shapes before writing
        atomic_write(args.out, annotated)
        print(f"wrote {args.out} ({len(labels)} labels, {frontend.describe()})", file=sys.stderr)
        return EXIT_OK

    args.progress = "none"
    return _run(args, body)


def cmd_sweep(args: argparse.Namespace) -> int:
    """kws-train sweep --space FILE --data DIR... --out DIR: trials on Ray Tune, sweep.json, Pareto PNG."""

    def body(session: _Session) -> int:
        from trainer.models import ConfigError

        try:
            from trainer.sweep.runner import SweepSettings, run_sweep
        except ImportError as exc:
            raise ConfigError(f"kws-train sweep needs Ray Tune ({exc}): pip install -e '.[sweep]'") from exc
        from trainer.sweep.results import format_table
        from trainer.sweep.space import load_space

        settings = SweepSettings(
            out=args.out,
            space=load_space(args.space) if args.space else None,
            data_dirs=list(args.data or []),
            samples=args.trials,
            address=args.address,
            resume=args.resume,
            cpus_per_trial=args.cpus_per_trial,
            within_points=args.within,
            accuracy_source=args.accuracy_source,
            cache_dir=args.cache_dir,
        )
        try:
            document = run_sweep(settings, session.reporter, session.cancel)
        except Cancelled as exc:  # finished trials are kept: say so
            session.reporter.emit("cancelled", message=str(exc), elapsed_s=session.elapsed())
            session.reporter.close()
            return EXIT_CANCELLED
        session.reporter.emit("result", report=document)
        ok = document["counts"].get("ok", 0)
        session.reporter.emit("done", ok=ok > 0, out=str(settings.out), elapsed_s=session.elapsed())
        session.reporter.close()
        table = format_table(document)
        if session.progress == "jsonl":
            session.reporter.log(table)
        else:
            print(table)
        if ok == 0:
            print("kws-train: error: no trial of the sweep trained a model", file=sys.stderr)
            return EXIT_CRASH
        return EXIT_OK

    return _run(args, body)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of kws-train."""
    parser = build_parser()
    args = parser.parse_args(argv)
    limit_blas_threads()
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
