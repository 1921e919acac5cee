"""One training run: data -> features -> (pruned) training -> export -> evaluation -> files.

:func:`run_training` is what ``kws-train train`` and ``kws-train prune`` call. It
reports through a :class:`trainer.progress.Reporter`, polls a
:class:`trainer.progress.CancelToken` after every batch, and writes its outputs only
at the very end, moved into place together with the report first, so a cancelled,
crashed or killed run never leaves a model without its report:

* ``{name}.tflite`` (float32) and ``{name}_int8.tflite`` (full-integer), both with
  the ``kws_gui`` metadata;
* ``{name}.h5``: the stripped tf-keras model, for a later ``kws-train prune --from``;
* ``{name}.report.json``: accuracy, sizes, sparsity per layer, latency, timings,
  dataset and config fingerprints.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kws_gui.core.frontend import Frontend
from kws_gui.core.model_file import KwsModel, zipped_size
from trainer import export, report
from trainer.models import TrainConfig, build_model
from trainer.progress import CancelToken, Reporter

STEP_EVENT_INTERVAL_S = 0.2
#: Training steps run per call into TensorFlow (Keras ``steps_per_execution``) when the
#: model is not pruned: the same steps in the same order, so the same weights, with less
#: per-step Python overhead (``fit`` alone 5.2 -> 3.6 s per live epoch; a whole run, where
#: the augmentation thread is the other half, gains only 1-3 %, within the noise).
#: Pruned runs take one step per call: tfmot's pruning callback counts calls, not steps.
STEPS_PER_EXECUTION = 16
LATENCY_RUNS = 50


@dataclass
class RunContext:
    """Where a run reports to, how it is cancelled, when it started."""

    reporter: Reporter
    cancel: CancelToken = field(default_factory=CancelToken)
    started: float = field(default_factory=time.monotonic)
    command: str = "train"
    out: str = ""

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def stage(self, stage: str, message: str, **extra: Any) -> None:
        self.reporter.emit("stage", stage=stage, message=message, elapsed_s=self.elapsed(), **extra)


@dataclass
class LoadedData:
    """The three splits of every data folder, stacked (train also as audio when augmenting)."""

    indexes: list[Any]
    specs: list[Any]
    train: Any
    validation: Any
    test: Any
    seconds: float

    @property
    def names(self) -> list[str]:
        """Source (data folder) names, in ``--data`` order."""
        return self.train.names

    @property
    def weights(self) -> list[float]:
        """Training weight of each source."""
        return [spec.weight for spec in self.specs]

    def counts(self) -> dict[str, dict[str, int]]:
        """Split -> label -> clips, all sources together."""
        from trainer.data import SPLITS

        labels = self.indexes[0].labels
        total = {s: dict.fromkeys(labels, 0) for s in SPLITS}
        for index in self.indexes:
            for split, per_label in index.counts().items():
                for label, n in per_label.items():
                    total[split][label] += n
        return total

    def fingerprint(self, split: str) -> str:
        """The split's fingerprint: the folder's own for one folder, else a hash of each folder's."""
        if len(self.indexes) == 1:
            return self.indexes[0].fingerprint(split)
        import hashlib

        joined = "\n".join(
            f"{index.fingerprint(split)}\t{w!r}" for index, w in zip(self.indexes, self.weights, strict=True)
        )
        return hashlib.sha256(joined.encode()).hexdigest()

    @property
    def dataset_name(self) -> str:
        """What the metadata calls the training data: the folder names, joined with '+'."""
        return "+".join(self.names)

    def sources_block(self) -> list[dict[str, Any]]:
        """The report's ``dataset.sources``: name, root, weight, layout, split source and counts per folder."""
        return [
            {
                "name": name,
                "root": str(index.root),
                "weight": spec.weight,
                "layout": index.layout,
                "split_source": index.split_source,
                "counts": index.counts(),
            }
            for name, index, spec in zip(self.names, self.indexes, self.specs, strict=True)
        ]


def output_paths(out_dir: str | Path, name: str) -> dict[str, Path]:
    """Artifact kind -> path of a run's outputs."""
    out = Path(out_dir)
    return {
        "tflite-float32": out / f"{name}.tflite",
        "tflite-int8": out / f"{name}_int8.tflite",
        "keras": out / f"{name}.h5",
        "report": report.report_path(out, name),
    }


def load_data(
    config: TrainConfig, data: Any, ctx: RunContext, cache_dir: str | Path | None = None
) -> LoadedData:
    """Scan the data folders, emit ``start``/``data`` events, load the three splits' features.

    ``data`` is one folder or several (paths, ``DIR:WEIGHT`` strings or
    :class:`trainer.sources.DataSpec`).
    """
    from trainer.sources import load_mixed_split, parse_specs

    t0 = time.monotonic()
    specs = parse_specs(data)
    indexes = _scan(config, specs, ctx)
    last = [0.0]

    def progress(split: str, source: str):
        def callback(done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= STEP_EVENT_INTERVAL_S:
                last[0] = now
                ctx.stage(
                    "features",
                    f"decoding {split} of {source}: {done}/{total}",
                    split=split,
                    source=source,
                    done=done,
                    total=total,
                )
            if ctx.cancel.cancelled:
                ctx.cancel.check()

        return callback

    ctx.stage("features", f"{config.frontend.describe()} (cache: {cache_dir or 'default'})")
    splits = {}
    for split in ("train", "validation", "test"):
        ctx.cancel.check()
        splits[split] = load_mixed_split(
            indexes,
            split,
            config.frontend,
            cache_dir=cache_dir,
            keep_audio=split == "train" and config.augment,
            progress=progress,
        )
    loaded = LoadedData(
        indexes, specs, splits["train"], splits["validation"], splits["test"], time.monotonic() - t0
    )
    skipped = [list(x) for s in splits.values() for x in s.skipped]
    ctx.reporter.emit(
        "data",
        counts=loaded.counts(),
        skipped=len(skipped),
        skipped_files=skipped[:50],
        layout=indexes[0].layout if len(indexes) == 1 else "several",
        split_source=indexes[0].split_source if len(indexes) == 1 else "per folder",
        from_cache={k: bool(v.from_cache) for k, v in splits.items()},
        dataset=str(indexes[0].root) if len(indexes) == 1 else loaded.dataset_name,
        sources=loaded.sources_block(),
    )
    return loaded


def _scan(config: TrainConfig, specs: list[Any], ctx: RunContext) -> list[Any]:
    from trainer.data import scan_datasets

    indexes = scan_datasets(
        [spec.path for spec in specs],
        labels=config.labels,
        unknown_percent=config.unknown_percent,
        silence_percent=config.silence_percent,
        sample_rate=config.frontend.sample_rate,
    )
    n_train = sum(len(index.split("train")) * spec.weight for index, spec in zip(indexes, specs, strict=True))
    steps = math.ceil(n_train / config.batch_size)
    ctx.reporter.emit(
        "start",
        command=ctx.command,
        preset=config.preset,
        name=config.model_name,
        epochs=config.epochs,
        steps_per_epoch=steps,
        total_steps=steps * config.epochs,
        out=ctx.out,
        labels=list(config.labels),
    )
    for index in indexes:
        ctx.stage("data", f"{index.root}: {index.layout} layout, splits from {index.split_source}")
    return indexes


def run_training(
    config: TrainConfig,
    data_dir: Any,
    out_dir: str | Path,
    ctx: RunContext,
    cache_dir: str | Path | None = None,
    base_model: str | Path | None = None,
    command: str = "train",
    tune_on: str | Path | None = None,
) -> dict[str, Any]:
    """Train (or, with ``base_model``, prune and fine-tune), export, evaluate, write files.

    ``data_dir`` is one data folder or several (see :func:`load_data`). With
    ``tune_on`` (a Speech Commands-layout folder, normally the real-speech one) the
    decision settings are tuned on long streams of its *validation* split
    (:mod:`trainer.stream_eval`) and stored in each model file as its recommended
    defaults. Returns the
    report (also written to ``{out}/{name}.report.json``). Raises
    :class:`trainer.progress.Cancelled` when cancelled (nothing written),
    :class:`trainer.data.DatasetError` for unusable data.
    """
    from trainer.features import feature_stats
    from trainer.tf_setup import import_tf, set_seeds, set_threads

    ctx.command = command
    ctx.out = str(out_dir)
    out_dir = Path(out_dir)
    data = load_data(config, data_dir, ctx, cache_dir)
    ctx.cancel.check()

    ctx.stage("train", "importing TensorFlow")
    _, keras, _ = import_tf()
    tf_threads = set_threads(config.tf_threads)
    set_seeds(config.seed)
    mean, std = feature_stats(data.train.features)
    if base_model is not None:
        from trainer.base_model import load_base_model

        model = load_base_model(base_model, config)  # weights only: no code from the file runs
        _check_base_model(model, config)
    else:
        model = build_model(config, mean, np.square(std))
    trained, history, pruning_plan, train_seconds = _fit(model, config, data, ctx)

    from trainer.pruning import sparsity_report, strip_pruning

    final = strip_pruning(trained) if pruning_plan is not None else trained
    sparsity = sparsity_report(final)
    keras_probs = final.predict(data.test.features, batch_size=256, verbose=0)
    keras_test_accuracy = float(np.mean(keras_probs.argmax(axis=1) == data.test.labels))
    ctx.cancel.check()

    ctx.stage("export", "converting to TFLite float32 and int8")
    float_bytes = export.shorten_tensor_names(export.to_tflite_float(final))
    ctx.cancel.check()
    # int8: the normalisation goes into the metadata, so that every feature fills the
    # quantized input's range (export.split_input_normalization)
    int8_model, input_normalization = export.split_input_normalization(final)
    int8_bytes = export.shorten_tensor_names(
        export.to_tflite_int8(
            int8_model,
            export.normalized(data.train.features, input_normalization),
            seed=config.seed,
            per_channel=config.int8_per_channel,
        )
    )
    ctx.cancel.check()

    ctx.stage("evaluate", "scoring the TFLite models on the validation and test splits")
    created = report.utc_now()
    train_fp = data.fingerprint("train")
    files: dict[str, bytes] = {}
    model_reports: dict[str, Any] = {}
    runtimes: list[KwsModel] = []
    tuning: dict[str, Any] = {}
    for flavour, raw in (("float32", float_bytes), ("int8", int8_bytes)):
        normalization = input_normalization if flavour == "int8" else None
        probe = KwsModel(
            export.with_metadata(
                raw, _metadata(config, flavour, sparsity, None, "", created, normalization=normalization)
            )
        )
        scores = {split: evaluate_split(probe, getattr(data, split)) for split in ("validation", "test")}
        decision = None
        if tune_on is not None:
            ctx.stage("evaluate", f"tuning the {flavour} model's decision settings on validation streams")
            tuning[flavour] = tune_decision_settings(probe, tune_on, tuning.get("_streams"))
            tuning["_streams"] = tuning[flavour].pop("streams")
            decision = tuning[flavour]["recommended"]
        meta = _metadata(
            config,
            flavour,
            sparsity,
            scores["test"]["accuracy"],
            train_fp,
            created,
            data,
            decision,
            normalization=normalization,
        )
        files[flavour] = export.with_metadata(raw, meta)
        runtimes.append(KwsModel(files[flavour]))
        model_reports[flavour] = {
            "test_accuracy": scores["test"]["accuracy"],
            "validation_accuracy": scores["validation"]["accuracy"],
            "test_confusion": scores["test"]["confusion"],
            "test_n": scores["test"]["n"],
            "per_class": {split: scores[split]["per_class"] for split in scores},
            "keyword_false_accepts": {split: scores[split]["keyword_false_accepts"] for split in scores},
            "sources": _per_source(scores),
            "tflite_bytes": len(files[flavour]),
            "tflite_kb": round(len(files[flavour]) / 1024, 2),
            "zipped_bytes": zipped_size(files[flavour]),
            "zipped_kb": round(zipped_size(files[flavour]) / 1024, 2),
        }
        ctx.cancel.check()

    from kws_gui.core.model_timing import time_models

    for flavour, timing in zip(
        model_reports, time_models(runtimes, runs=LATENCY_RUNS, warmup=5), strict=True
    ):
        model_reports[flavour]["latency"] = timing

    paths = output_paths(out_dir, config.model_name)
    model_reports["float32"]["file"] = paths["tflite-float32"].name
    model_reports["int8"]["file"] = paths["tflite-int8"].name
    full_report = {
        "schema": "kws-train-report/1",
        "name": config.model_name,
        "command": command,
        "created": created,
        "preset": config.preset,
        "architecture": config.architecture,
        "labels": list(config.labels),
        "frontend": config.frontend.to_dict(),
        "frontend_description": config.frontend.describe(),
        "config": config.to_dict(),
        "config_fingerprint": config.fingerprint(),
        "base_model": str(base_model) if base_model else None,
        "dataset": {
            "name": data.dataset_name,
            "root": str(data.indexes[0].root) if len(data.indexes) == 1 else None,
            "layout": data.indexes[0].layout if len(data.indexes) == 1 else "several",
            "split_source": data.indexes[0].split_source if len(data.indexes) == 1 else "per folder",
            "counts": data.counts(),
            "skipped": {k: len(getattr(data, k).skipped) for k in ("train", "validation", "test")},
            "fingerprint": train_fp,
            "fingerprints": {s: data.fingerprint(s) for s in ("train", "validation", "test")},
            "sources": data.sources_block(),
        },
        "augmentation": config.augmentation_summary(),
        "decision_tuning": {k: v for k, v in tuning.items() if not k.startswith("_")} or None,
        "models": model_reports,
        "keras": {
            "test_accuracy": keras_test_accuracy,
            "parameters": int(final.count_params()),
        },
        "sparsity": sparsity,
        "pruning": pruning_plan.to_dict() if pruning_plan is not None else None,
        "timing": {
            "data_and_features_s": round(data.seconds, 2),
            "training_s": round(train_seconds, 2),
            "data_features_and_training_s": round(data.seconds + train_seconds, 2),
            "features_from_cache": bool(data.train.from_cache),
            "tf_threads": tf_threads,  # in effect (0: one per core); config.tf_threads asked for
            "total_s": ctx.elapsed(),
        },
        "history": history,
        "versions": report.package_versions(),
    }

    ctx.cancel.check()
    full_report["timing"]["total_s"] = ctx.elapsed()
    export.write_outputs(paths, files, final, report.render(full_report))
    for kind in ("tflite-float32", "tflite-int8", "keras", "report"):
        ctx.reporter.emit("artifact", kind=kind, path=str(paths[kind]))
    return full_report


def evaluate_split(model: KwsModel, split: Any) -> dict[str, Any]:
    """Accuracy, confusion, per-class figures and per-source accuracy of ``model`` on a stacked split."""
    from trainer.evaluate import score
    from trainer.sources import per_source_accuracy

    result = score(model, split.features, split.labels)
    result["sources"] = per_source_accuracy(split, np.asarray(result["predicted"]))
    del result["predicted"]
    return result


def _per_source(scores: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Source -> {validation_accuracy, validation_n, test_accuracy, test_n} (the report's layout)."""
    out: dict[str, dict[str, Any]] = {}
    for split, key in (("validation", "validation"), ("test", "test")):
        for name, figures in scores[split]["sources"].items():
            entry = out.setdefault(name, {})
            entry[f"{key}_accuracy"] = figures["accuracy"]
            entry[f"{key}_n"] = figures["n"]
    return out


def _metadata(
    config: TrainConfig,
    flavour: str,
    sparsity: dict[str, Any],
    test_accuracy: float | None,
    dataset_fp: str,
    created: str,
    data: LoadedData | None = None,
    decision: dict[str, Any] | None = None,
    normalization: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    from kws_gui.core.decision import default_keywords

    return export.model_metadata(
        config.labels,
        config.frontend.to_dict(),
        keywords=default_keywords(config.labels),
        decision=decision,
        input_normalization=normalization,
        model=report.model_block(config.architecture, flavour, sparsity),
        training=report.training_block(
            data.dataset_name if data is not None else "",
            dataset_fp,
            test_accuracy,
            config.fingerprint(),
            created,
            config.preset,
        ),
    )


def tune_decision_settings(model: KwsModel, root: str | Path, streams: Any = None) -> dict[str, Any]:
    """Decision settings for ``model`` tuned on the validation streams of ``root``.

    Returns ``recommended`` (for the metadata), ``meets_targets``, ``source``, the
    validation figures of the chosen setting (``validation``) and ``streams`` (built
    once, reusable for the next flavour).
    """
    from trainer.stream_eval import build_streams, compute_posteriors, tune_decision

    if streams is None:
        streams = build_streams(root, "validation", model.keywords)
    result = tune_decision(compute_posteriors(model, streams))
    best = result.rows[0]
    figures = ("hit_rate", "wrong_label", "missed", "double_detections", "false_per_word", "false_per_hour")
    return {
        "source": Path(root).name,
        "split": "validation",
        "recommended": result.recommended,
        "meets_targets": result.meets_targets,
        "validation": {k: best.get(k) for k in figures},
        "skipped": [list(item) for item in streams.skipped],
        "streams": streams,
    }


def _check_base_model(model: Any, config: TrainConfig) -> None:
    from trainer.data import DatasetError

    want = (None, *config.frontend.feature_shape)
    got = tuple(model.input_shape)
    if got != want:
        raise DatasetError(
            f"the base model takes input {list(got)}, but its config's frontend gives {list(want)}"
        )
    if int(model.output_shape[-1]) != len(config.labels):
        raise DatasetError(
            f"the base model has {model.output_shape[-1]} outputs but {len(config.labels)} labels are configured"
        )


def _fit(model: Any, config: TrainConfig, data: LoadedData, ctx: RunContext) -> tuple[Any, list, Any, float]:
    """Compile and train epoch by epoch (fresh augmentation each epoch)."""
    from trainer.augment import Augmenter
    from trainer.features import augmented_features, feature_stats
    from trainer.pruning import apply_pruning, current_sparsity, plan_pruning, pruning_callbacks
    from trainer.sources import epoch_order
    from trainer.tf_setup import import_tf

    _, keras, _ = import_tf()
    n = max(1, round(float(np.sum(np.asarray(data.weights)[data.train.source]))))  # clips per epoch
    mean, _ = feature_stats(data.train.features)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    plan = None
    callbacks: list[Any] = []
    if config.prune:
        plan = plan_pruning(
            total_steps,
            steps_per_epoch,
            config.initial_sparsity,
            config.final_sparsity,
            config.pruning_start,
            config.finetune_epochs,
            config.pruning_frequency,
        )
        model = apply_pruning(model, plan)
        callbacks.extend(pruning_callbacks())
    if config.final_learning_rate is not None:
        schedule: Any = keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate, total_steps, config.final_learning_rate, power=1.0
        )
    else:
        schedule = config.learning_rate
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    loss: Any = "sparse_categorical_crossentropy"
    if config.label_smoothing:  # smoothing needs one-hot targets (see training_targets)
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=["accuracy"],
        steps_per_execution=1 if plan is not None else STEPS_PER_EXECUTION,
    )

    frontend = Frontend(config.frontend)
    augmenter = None
    if config.augment and data.train.audio is not None:
        noise = training_noise(data, config.frontend.sample_rate)
        augmenter = Augmenter(config.augment_config(), noise, config.frontend.sample_rate)
    spec = config.spec_augment_config() if config.augment else None
    rng = np.random.default_rng(config.seed)

    state = {"epoch": 0, "last": 0.0}

    class Progress(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            step = state["epoch"] * steps_per_epoch + batch + 1
            now = time.monotonic()
            if step == total_steps or now - state["last"] >= STEP_EVENT_INTERVAL_S:
                state["last"] = now
                logs = logs or {}
                ctx.reporter.emit(
                    "step",
                    epoch=state["epoch"] + 1,
                    step=step,
                    total_steps=total_steps,
                    loss=_num(logs.get("loss")),
                    accuracy=_num(logs.get("accuracy")),
                    sparsity=current_sparsity(self.model) if plan is not None else None,
                    elapsed_s=ctx.elapsed(),
                )
            if ctx.cancel.cancelled:
                self.model.stop_training = True

    callbacks.append(Progress())
    # the validation split in the form fit takes, the same for every epoch
    validation = (data.validation.features, training_targets(data.validation.labels, config))
    history: list[dict[str, Any]] = []
    t0 = time.monotonic()
    ctx.stage("train", f"{config.epochs} epochs x {steps_per_epoch} steps, batch {config.batch_size}")

    def epoch_features() -> tuple[np.ndarray, np.ndarray]:
        order = epoch_order(data.train.source, data.weights, rng)
        labels = data.train.labels[order]
        if augmenter is None:
            return data.train.features[order], labels
        audio = data.train.audio[order]
        return augmented_features(audio, frontend, augmenter, rng, spec=spec, fill=mean), labels

    # The next epoch's augmented features are computed in a thread while this epoch
    # trains (NumPy's FFT and matmul release the GIL); one generator, used in order,
    # keeps runs repeatable.
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(epoch_features)
        for epoch in range(config.epochs):
            ctx.cancel.check()
            state["epoch"] = epoch
            x, y = upcoming.result()
            if epoch + 1 < config.epochs:
                upcoming = pool.submit(epoch_features)
            entry = _fit_epoch(
                model, x, y, validation, config, callbacks, epoch, optimizer, schedule, plan, ctx
            )
            history.append(entry)
            ctx.reporter.emit("epoch", **entry)
    return model, history, plan, time.monotonic() - t0


def _fit_epoch(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray],
    config: TrainConfig,
    callbacks: list[Any],
    epoch: int,
    optimizer: Any,
    schedule: Any,
    plan: Any,
    ctx: RunContext,
) -> dict[str, Any]:
    """One epoch of ``fit`` (``validation``: features and targets); returns the epoch event's fields."""
    from trainer.pruning import current_sparsity

    result = model.fit(
        x,
        training_targets(y, config),
        batch_size=config.batch_size,
        epochs=epoch + 1,
        initial_epoch=epoch,
        shuffle=True,
        validation_data=validation,
        callbacks=callbacks,
        verbose=0,
    )
    ctx.cancel.check()
    logs = {k: _num(v[-1]) for k, v in result.history.items()}
    iterations = int(optimizer.iterations.numpy())
    lr = float(schedule(iterations)) if callable(schedule) else float(schedule)
    return {
        "epoch": epoch + 1,
        "epochs": config.epochs,
        "loss": logs.get("loss"),
        "accuracy": logs.get("accuracy"),
        "val_loss": logs.get("val_loss"),
        "val_accuracy": logs.get("val_accuracy"),
        "sparsity": current_sparsity(model) if plan is not None else None,
        "lr": lr,
        "step": iterations,
        "elapsed_s": ctx.elapsed(),
    }


def training_targets(labels: np.ndarray, config: TrainConfig) -> np.ndarray:
    """What ``fit`` gets for label indices: themselves, or one-hot rows when the loss smooths them."""
    if not config.label_smoothing:
        return labels
    return np.eye(len(config.labels), dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


def training_noise(data: LoadedData, sample_rate: int) -> list[np.ndarray]:
    """Noise recordings for augmentation: every folder's ``_background_noise_/`` and the
    recorded ``_silence_/`` clips of the training split (real rooms and microphones)."""
    from trainer.data import SILENCE_LABEL, load_background_noise

    files = [p for index in data.indexes for p in index.noise_files]
    files += [
        clip.path
        for index in data.indexes
        for clip in index.split("train")
        if clip.label == SILENCE_LABEL and clip.start is None
    ]
    return load_background_noise(files, sample_rate)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return round(v, 6) if math.isfinite(v) else None
