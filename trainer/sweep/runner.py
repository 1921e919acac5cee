"""Run a sweep on Ray Tune: a local Ray (one trial per free core) or an existing cluster (``--address``).

Each trial is a ``kws-train train`` run: its options become ``train`` arguments,
parsed by the ``train`` parser, turned into a config by :func:`trainer.cli.train_config`
and trained by :func:`trainer.training.run_training` into ``OUT/trials/<trial id>/``
(models + report). A trial that raises is recorded as ``failed`` with its message
(traceback in its folder's ``error.txt``); the others go on.

The driver keeps ``OUT/sweep.json`` current as trials start and finish, and Ray
Tune's experiment state in ``OUT/ray/``. SIGINT / SIGTERM stop the sweep cleanly
(running trials are stopped and stay unfinished, finished ones are kept; a second
signal stops at once); ``resume=True`` continues it: finished and failed trials are
kept, unfinished ones run again.

On a cluster, every node needs this package installed and must see ``OUT`` and the
data folders at the same paths (a shared file system), as Ray Tune itself requires
for its storage path. Importing this module imports Ray (the ``sweep`` extra).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray import tune

from trainer.models import ConfigError
from trainer.progress import Cancelled, CancelToken, Reporter
from trainer.sweep import results
from trainer.sweep.plot import draw_pareto
from trainer.sweep.space import SweepSpace, parse_space, parse_train_args, train_argv

EXPERIMENT = "sweep"  # Ray Tune's experiment folder: OUT/ray/sweep
TRIALS_DIR = "trials"
OBJECT_STORE_BYTES = 128 * 1024 * 1024  # trials pass no data through Ray's object store


@dataclass
class SweepSettings:
    """Everything ``kws-train sweep`` was asked to do."""

    out: Path
    space: SweepSpace | None = None  # None with resume: the recorded one
    data_dirs: list[str | Path] = field(default_factory=list)  # DIR or DIR:WEIGHT; empty with resume
    samples: int = 1
    address: str | None = None
    resume: bool = False
    cpus_per_trial: float = 1.0
    within_points: float = 1.0
    accuracy_source: str | None = None
    cache_dir: Path | None = None


# ------------------------------------------------------------------ one trial
def train_trial(
    options: dict[str, Any],
    data_dirs: Sequence[str | Path],
    out: Path,
    cache_dir: str | Path | None,
    reporter: Reporter,
) -> dict[str, Any]:
    """One ``kws-train train`` run with ``options`` into ``out``; returns its report."""
    from trainer.cli import train_config
    from trainer.training import RunContext, run_training

    args = parse_train_args(train_argv(options, data_dirs, out))
    config = train_config(args)
    return run_training(
        config, args.data, args.out, RunContext(reporter), cache_dir=cache_dir, tune_on=args.tune_on
    )


class _TrialReporter(Reporter):
    """Forwards each epoch of a trial to Ray Tune (the driver turns them into ``trial_progress``)."""

    def _show(self, payload: dict[str, Any]) -> None:
        if payload["event"] == "epoch":
            keys = ("epoch", "epochs", "loss", "accuracy", "val_loss", "val_accuracy", "sparsity")
            tune.report({"kind": "epoch", **{k: payload.get(k) for k in keys}})

    def log(self, message: str) -> None:
        pass


def run_trial(options: dict[str, Any], settings: dict[str, Any] | None = None) -> None:
    """Ray Tune's function trainable: train one configuration, report its record (never raises)."""
    settings = settings or {}
    trial_id = tune.get_context().get_trial_id()
    record = _record(trial_id, options, "failed")
    out = Path(settings["out"]) / record["dir"]
    threads = str(max(1, int(settings.get("cpus_per_trial", 1))))
    os.environ["TF_NUM_INTRAOP_THREADS"] = threads  # read when TensorFlow starts in this worker
    os.environ["TF_NUM_INTEROP_THREADS"] = threads
    started = time.monotonic()
    try:
        report = train_trial(options, settings["data"], out, settings.get("cache_dir"), _TrialReporter())
        record.update(status="ok", **results.trial_summary(report))
    except Exception as exc:
        record["error"] = str(exc) or type(exc).__name__
        with contextlib.suppress(OSError):
            out.mkdir(parents=True, exist_ok=True)
            (out / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
    record["elapsed_s"] = round(time.monotonic() - started, 1)
    tune.report({"kind": "final", "record": record})


# ---------------------------------------------------------------- the driver
class _Book:
    """The trials' records and ``sweep.json``, kept current while the sweep runs."""

    def __init__(
        self, settings: SweepSettings, meta: dict[str, Any], records: list[dict[str, Any]], reporter: Reporter
    ) -> None:
        self.settings = settings
        self.meta = meta
        self.records: dict[str, dict[str, Any]] = {r["id"]: r for r in records}
        self.reporter = reporter
        self.lock = threading.Lock()

    def document(self, status: str) -> dict[str, Any]:
        return results.sweep_document(
            self.meta,
            sorted(self.records.values(), key=lambda r: r["id"]),
            self.settings.within_points,
            self.settings.accuracy_source,
            status,
        )

    def write(self, status: str = "running") -> dict[str, Any]:
        with self.lock:
            document = self.document(status)
            results.write_document(self.settings.out, document)
        return document

    def done_count(self) -> int:
        return sum(r["status"] in ("ok", "failed") for r in self.records.values())

    def started(self, trial_id: str, options: dict[str, Any]) -> None:
        record = _record(trial_id, options, "running")
        self.records[trial_id] = record
        self.write()
        self.reporter.emit("trial_started", trial=trial_id, options=record["options"], dir=record["dir"])
        self.reporter.log(f"trial {trial_id} started: {_options_text(options)}")

    def finished(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.write()
        total = self.meta["trials_total"]
        self.reporter.emit(
            "trial_finished", trial=record["id"], done=self.done_count(), total=total, record=record
        )
        if record["status"] == "ok":
            m = record["models"].get("float32", {})
            detail = (
                f"validation accuracy {_pct(m.get('validation_accuracy'))}, zipped {m.get('zipped_bytes')} B"
            )
        else:
            detail = f"FAILED: {record.get('error')}"
        self.reporter.log(f"trial {record['id']} ({self.done_count()}/{total}) {detail}")


def _record(trial_id: str, options: dict[str, Any], status: str, error: str | None = None) -> dict[str, Any]:
    return {
        "id": trial_id,
        "dir": f"{TRIALS_DIR}/{trial_id}",
        "options": dict(options),
        "status": status,
        "error": error,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _options_text(options: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in options.items()) or "(defaults)"


def _error_text(trial: Any) -> str:
    """The last line of a crashed trial's error (the exception), not Ray's whole traceback."""
    with contextlib.suppress(Exception):
        lines = [line for line in str(trial.get_error() or "").splitlines() if line.strip()]
        if lines:
            return lines[-1].strip()
    return "the trial's Ray worker failed"


_BOOK: _Book | None = None  # the running sweep's; the callback looks it up (Tune pickles callbacks)


class _SweepCallback(tune.Callback):
    """Ray Tune's events -> the book (records, sweep.json) and the progress events."""

    def __getstate__(self) -> dict[str, Any]:
        return {}  # saved in Tune's experiment state; a resumed sweep uses its own book

    @staticmethod
    def _book() -> _Book:
        assert _BOOK is not None, "no sweep is running"
        return _BOOK

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._book().started(trial.trial_id, trial.config)

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        if result.get("kind") == "epoch":
            fields = {k: result.get(k) for k in ("epoch", "epochs", "loss", "accuracy", "val_accuracy")}
            self._book().reporter.emit("trial_progress", trial=trial.trial_id, **fields)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        record = (trial.last_result or {}).get("record")
        self._book().finished(
            record or _record(trial.trial_id, trial.config, "failed", "ended without a result")
        )

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._book().finished(_record(trial.trial_id, trial.config, "failed", _error_text(trial)))

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        book = self._book()
        for trial in trials:  # every trial, a resumed sweep's earlier ones included
            record = (trial.last_result or {}).get("record")
            if record:
                book.records[trial.trial_id] = record
            elif book.records.get(trial.trial_id, {}).get("status") not in ("ok", "failed"):
                book.records[trial.trial_id] = _record(trial.trial_id, trial.config, "unfinished")


class _SignalStop:
    """SIGINT / SIGTERM: set ``cancel`` and ask Ray Tune to stop (its SIGUSR1 handler); again: stop now.

    :meth:`arm` again after ``ray.init``: Ray's core worker installs its own SIGTERM
    handler (which aborts the process).
    """

    def __init__(self, cancel: CancelToken) -> None:
        self.cancel = cancel
        self.previous: dict[int, Any] = {}

    def handler(self, signum: int, frame: Any) -> None:
        if self.cancel.cancelled:
            raise KeyboardInterrupt
        self.cancel.cancel()
        tune_handler = signal.getsignal(signal.SIGUSR1)
        if callable(tune_handler):
            tune_handler(signum, frame)

    def arm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # ours forwards to Tune's SIGUSR1 handler
        for s in (signal.SIGINT, signal.SIGTERM):
            previous = signal.signal(s, self.handler)
            self.previous.setdefault(s, previous)

    def disarm(self) -> None:
        for s, h in self.previous.items():
            signal.signal(s, h)
        self.previous.clear()


def _start_ray(settings: SweepSettings, reporter: Reporter) -> str:
    """Start a local Ray or connect to the cluster; returns a description of it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network calls
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no Tune tables on stderr
    # sweep.json is the record: no Tune result files, and no warnings about their absence
    # or hints at Tune's Python API (kws-train sweep --resume is the way to continue).
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    logging.getLogger("ray.tune").setLevel(logging.ERROR)
    if settings.address:
        reporter.emit("stage", stage="ray", message=f"connecting to the Ray cluster at {settings.address}")
        try:
            ray.init(address=settings.address, log_to_driver=False)
        except Exception as exc:
            raise ConfigError(
                f"--address {settings.address}: cannot connect to a Ray cluster: {exc}"
            ) from exc
        where = f"cluster {settings.address}"
    else:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        reporter.emit("stage", stage="ray", message=f"starting a local Ray with {cpus} CPUs")
        ray.init(
            address="local",
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=OBJECT_STORE_BYTES,
        )
        where = "local"
    total = float(ray.cluster_resources().get("CPU", 0))
    if total < settings.cpus_per_trial:
        ray.shutdown()
        raise ConfigError(f"--cpus-per-trial {settings.cpus_per_trial:g}: the Ray {where} has {total:g} CPUs")
    parallel = int(total // settings.cpus_per_trial)
    reporter.log(f"Ray {where}: {total:g} CPUs, up to {parallel} trials at a time")
    return where


def _inputs(
    settings: SweepSettings, previous: dict[str, Any] | None, experiment: Path
) -> tuple[SweepSpace, list[str]]:
    """The space and data folders to run: as given, or, when resuming, the recorded ones (which must match)."""
    out = settings.out
    if not settings.resume:
        if previous is not None or experiment.exists():
            raise ConfigError(
                f"{out} already holds a sweep: continue it with --resume, or choose another --out"
            )
        if settings.space is None or not settings.data_dirs:
            raise ConfigError("--space and --data are required (except with --resume)")
        return settings.space, _absolute(settings.data_dirs)
    if previous is None:
        raise ConfigError(f"--resume: {out} holds no interrupted sweep to continue")
    if previous.get("status") == "complete":
        raise ConfigError(f"--resume: the sweep in {out} is already complete")
    space = parse_space(previous["space"], source=f"{out / results.SWEEP_FILE}")
    if settings.space is not None and settings.space.to_json() != space.to_json():
        raise ConfigError(f"--resume: --space differs from the space of the sweep in {out}")
    data = _absolute(settings.data_dirs) or list(previous["data"])
    if data != list(previous["data"]):
        raise ConfigError(f"--resume: --data differs from the sweep's data folders {previous['data']}")
    return space, data


def _absolute(data: Sequence[str | Path]) -> list[str]:
    """``--data`` values (``DIR`` or ``DIR:WEIGHT``) with absolute folders (trials run elsewhere)."""
    from trainer.sources import DataSpec

    specs = [DataSpec.parse(d) for d in data]
    for spec in specs:
        if not spec.path.is_dir():
            raise ConfigError(f"--data: {spec.path} is not a folder")
    return [str(DataSpec(spec.path.resolve(), spec.weight)) for spec in specs]


def run_sweep(settings: SweepSettings, reporter: Reporter, cancel: CancelToken) -> dict[str, Any]:
    """Run (or resume) the sweep; returns the final ``sweep.json`` document.

    Raises :class:`trainer.progress.Cancelled` after a cancel (``sweep.json`` then
    says ``cancelled`` and keeps every finished trial), :class:`ConfigError` for
    unusable settings.
    """
    settings.out = settings.out.resolve()
    if settings.samples < 1:
        raise ConfigError(f"--trials must be >= 1, got {settings.samples}")
    if not settings.within_points >= 0:
        raise ConfigError(f"--within must be >= 0 accuracy points, got {settings.within_points}")
    if not settings.cpus_per_trial > 0:
        raise ConfigError(f"--cpus-per-trial must be positive, got {settings.cpus_per_trial}")
    experiment = settings.out / "ray" / EXPERIMENT
    try:
        previous = results.read_document(settings.out)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    space, data = _inputs(settings, previous, experiment)
    total = space.trial_count(previous["trials_requested"] if settings.resume else settings.samples)
    meta = {
        "created": (previous or {}).get("created") or _now(),
        "space": space.to_json(),
        "space_file": space.source,
        "data": data,
        "out": str(settings.out),
        "trials_requested": (previous or {}).get("trials_requested", settings.samples),
        "trials_total": total,
        "address": settings.address or "local",
        "cpus_per_trial": settings.cpus_per_trial,
        "plot": results.PLOT_FILE,
        "experiment": f"ray/{EXPERIMENT}",
    }
    global _BOOK
    book = _BOOK = _Book(settings, meta, list((previous or {}).get("trials", [])), reporter)
    reporter.emit(
        "start",
        command="sweep",
        trials=total,
        out=str(settings.out),
        space=meta["space"],
        resume=settings.resume,
    )
    book.write()
    cache_dir = str(Path(settings.cache_dir).resolve()) if settings.cache_dir else _default_cache()
    trial_settings = {
        "out": str(settings.out),
        "data": data,
        "cache_dir": cache_dir,
        "cpus_per_trial": settings.cpus_per_trial,
    }
    # A sweep cancelled before Ray Tune saved any state starts afresh.
    restore = settings.resume and tune.Tuner.can_restore(str(experiment))
    signals = _SignalStop(cancel)
    signals.arm()
    try:
        _fit(settings, space, experiment, restore, trial_settings, reporter, signals)
    except KeyboardInterrupt:
        cancel.cancel()
    finally:
        signals.disarm()
        _BOOK = None
    status = "cancelled" if cancel.cancelled else "complete"
    for record in book.records.values():
        if record["status"] == "running":
            record["status"] = "unfinished"
    document = book.write(status)
    if settings.accuracy_source and document["candidates"] and not document["pareto"]["size"]:
        names = sorted(
            {
                n
                for c in book.records.values()
                for m in (c.get("models") or {}).values()
                for n in m.get("sources", {})
            }
        )
        reporter.log(
            f"--accuracy-source {settings.accuracy_source}: no trained model reports that source "
            f"(sources: {', '.join(names) or 'none'}); no front and no pick"
        )
    draw_pareto(document, settings.out / results.PLOT_FILE)
    if cancel.cancelled:
        raise Cancelled(
            f"sweep cancelled: {book.done_count()} of {total} trials done and kept in {settings.out}; "
            f"continue with: kws-train sweep --resume --out {settings.out}"
        )
    return document


def _fit(
    settings: SweepSettings,
    space: SweepSpace,
    experiment: Path,
    restore: bool,
    trial_settings: dict[str, Any],
    reporter: Reporter,
    signals: _SignalStop,
) -> None:
    """Start Ray, run (or restore and continue) the Tune experiment, stop Ray."""
    try:
        _start_ray(settings, reporter)
        signals.arm()
        if signals.cancel.cancelled:
            return
        trainable = tune.with_resources(
            tune.with_parameters(run_trial, settings=trial_settings), {"cpu": settings.cpus_per_trial}
        )
        if restore:
            tuner = tune.Tuner.restore(str(experiment), trainable, resume_unfinished=True)
        else:
            tuner = tune.Tuner(
                trainable,
                param_space=space.to_ray(),
                tune_config=tune.TuneConfig(
                    num_samples=settings.samples,
                    trial_name_creator=lambda t: t.trial_id,
                    trial_dirname_creator=lambda t: t.trial_id,
                ),
                run_config=tune.RunConfig(
                    storage_path=str(experiment.parent),
                    name=EXPERIMENT,
                    verbose=0,
                    callbacks=[_SweepCallback()],
                    failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                ),
            )
        tuner.fit()
    finally:
        ray.shutdown()


def _default_cache() -> str:
    from trainer.data import default_cache_dir

    return str(default_cache_dir())


def _now() -> str:
    from trainer.report import utc_now

    return utc_now()
