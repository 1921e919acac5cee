"""The figures a result card shows, from a job's report and its model files.

The trainer's report is read defensively (every field optional); sizes missing
from it are measured from the files, and latency is measured here with the app's
own TFLite runtime (no TensorFlow), for the new model and for the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def field_at(d: Any, *keys: str) -> Any:
    """``d[k1][k2]...``, or None where a level is missing or not a dict."""
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _accuracy(entry: Any, split: str) -> float | None:
    """``test_accuracy`` / ``validation_accuracy``, or ``accuracy: {test, validation}``."""
    flat = _number(field_at(entry, f"{split}_accuracy"))
    if flat is not None:
        return flat
    acc = field_at(entry, "accuracy")
    if isinstance(acc, dict):
        return _number(acc.get(split))
    return None


def summarize_report(
    report: dict[str, Any] | None, outputs: dict[str, str], folders: Sequence[str] = ()
) -> dict[str, Any]:
    """Flat metrics for the history: accuracies, sizes, sparsity, latency, training time, data.

    Keys (each present only when known): ``test_accuracy``, ``val_accuracy``,
    ``tflite_bytes``, ``zipped_bytes``, ``trainer_latency_us`` and the same with an
    ``int8_`` prefix; ``sparsity`` (of the pruned layers), ``sparsity_overall``,
    ``train_seconds``; ``accuracy``, ``n`` and ``split`` (evaluate jobs); ``sources``:
    the data the accuracy was measured on (:func:`source_figures`); ``decision``: the
    recommended decision settings a training job tuned (``--tune-decision``) and their
    validation figures. ``folders`` are the
    job's data folders (to find a source's folder in an evaluation report).
    """
    from kws_gui.core.model_file import zipped_size

    metrics: dict[str, Any] = {}
    report = report if isinstance(report, dict) else {}
    models = report.get("models") if isinstance(report.get("models"), dict) else {}
    for kind, prefix in (("float32", ""), ("int8", "int8_")):
        entry = models.get(kind)
        for split, key in (("test", "test_accuracy"), ("validation", "val_accuracy")):
            value = _accuracy(entry, split)
            if value is not None:
                metrics[prefix + key] = value
        for field in ("tflite_bytes", "zipped_bytes"):
            value = _number(field_at(entry, field))
            if value is not None:
                metrics[prefix + field] = int(value)
        latency = _number(field_at(entry, "latency", "total", "median_us"))
        if latency is not None:
            metrics[prefix + "trainer_latency_us"] = latency
        path = outputs.get(kind)
        if path and Path(path).is_file():
            data = Path(path).read_bytes()
            metrics.setdefault(prefix + "tflite_bytes", len(data))
            metrics.setdefault(prefix + "zipped_bytes", zipped_size(data))
    sparsity = field_at(report, "sparsity")
    if isinstance(sparsity, dict):  # "prunable": the pruned layers; "overall": every weight
        overall = _number(sparsity.get("overall"))
        prunable = _number(sparsity.get("prunable"))
        if overall is not None:
            metrics["sparsity_overall"] = overall
        if prunable is not None or overall is not None:
            metrics["sparsity"] = prunable if prunable is not None else overall
    elif _number(sparsity) is not None:
        metrics["sparsity"] = _number(sparsity)
    seconds = _number(field_at(report, "timing", "training_s"))
    if seconds is None:
        seconds = _number(field_at(report, "training", "seconds"))
    if seconds is not None:
        metrics["train_seconds"] = seconds
    if not models:  # evaluate: {"accuracy": 0.97, "n": 120, ...}
        acc, n = _number(report.get("accuracy")), _number(report.get("n"))
        if acc is not None:
            metrics["accuracy"] = acc
        if n is not None:
            metrics["n"] = int(n)
        if isinstance(report.get("split"), str):
            metrics["split"] = report["split"]
    sources = source_figures(report, folders)
    if sources:
        metrics["sources"] = sources
    tuned = field_at(report, "decision_tuning", "float32")
    if isinstance(tuned, dict) and isinstance(tuned.get("recommended"), dict):
        figures = tuned.get("validation") if isinstance(tuned.get("validation"), dict) else {}
        metrics["decision"] = {
            "recommended": tuned["recommended"],
            "source": tuned.get("source"),
            "meets_targets": tuned.get("meets_targets"),
            **{k: figures.get(k) for k in ("hit_rate", "false_per_word", "false_per_hour")},
        }
    return metrics


def _roots(report: dict[str, Any], folders: Sequence[str]) -> dict[str, str]:
    """Source name -> folder: from the report's ``dataset.sources``, else matched to ``folders``."""
    roots: dict[str, str] = {}
    dataset = report.get("dataset")
    if isinstance(dataset, dict):
        for source in dataset.get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("name"), str) and source.get("root"):
                roots[source["name"]] = str(source["root"])
        if isinstance(dataset.get("name"), str) and dataset.get("root"):
            roots.setdefault(dataset["name"], str(dataset["root"]))
    for folder in folders:
        p = Path(str(folder).rstrip("/"))
        roots.setdefault(p.name, str(p))
        roots.setdefault(f"{p.parent.name}/{p.name}", str(p))
    return roots


def source_figures(report: dict[str, Any] | None, folders: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The accuracy per data source, each named with its kind (synthetic / real speech, when known).

    Entries: ``name``, ``title`` (``"tts-yes-no (synthetic)"``), ``kind``, ``weight``
    and, where the report has them, ``test_accuracy``/``test_n``/``validation_accuracy``/
    ``validation_n`` (training: float32, and ``int8_test_accuracy``), or ``accuracy``/``n``
    (evaluation). A training report from before per-source figures names its one dataset
    with the overall test accuracy.
    """
    from kws_gui.jobs.dataset import source_kind

    if not isinstance(report, dict):
        return []
    roots = _roots(report, folders)
    weights = {
        s.get("name"): s.get("weight")
        for s in field_at(report, "dataset", "sources") or []
        if isinstance(s, dict)
    }
    out: list[dict[str, Any]] = []

    def entry(name: str, **figures: Any) -> dict[str, Any]:
        kind = source_kind(name, roots.get(name))
        title = f"{name} ({kind})" if kind else name
        weight = _number(weights.get(name))
        clean = {k: v for k, v in figures.items() if v is not None}
        return {"name": name, "title": title, "kind": kind, **({"weight": weight} if weight else {}), **clean}

    models = report.get("models")
    if isinstance(models, dict) and models:
        float32, int8 = models.get("float32") or {}, models.get("int8") or {}
        per_source = float32.get("sources") if isinstance(float32, dict) else None
        if isinstance(per_source, dict) and per_source:
            int8_sources = int8.get("sources") if isinstance(int8, dict) else {}
            for name, f in per_source.items():
                f = f if isinstance(f, dict) else {}
                q = (int8_sources or {}).get(name) or {}
                out.append(
                    entry(
                        str(name),
                        test_accuracy=_number(f.get("test_accuracy")),
                        test_n=_number(f.get("test_n")),
                        validation_accuracy=_number(f.get("validation_accuracy")),
                        validation_n=_number(f.get("validation_n")),
                        int8_test_accuracy=_number(q.get("test_accuracy")) if isinstance(q, dict) else None,
                    )
                )
            return out
        name = field_at(report, "dataset", "name")
        if isinstance(name, str) and name:
            out.append(
                entry(
                    name,
                    test_accuracy=_accuracy(float32, "test"),
                    test_n=_number(field_at(float32, "test_n")),
                    int8_test_accuracy=_accuracy(int8, "test"),
                )
            )
        return out
    per_source = report.get("sources")  # an evaluation: {name: {"accuracy", "n"}}
    if isinstance(per_source, dict):
        for name, f in per_source.items():
            f = f if isinstance(f, dict) else {}
            out.append(entry(str(name), accuracy=_number(f.get("accuracy")), n=_number(f.get("n"))))
    return out


def latency_against_reference(
    model_path: str | Path, reference_path: str | Path | None = None, runs: int = 30
) -> dict[str, Any]:
    """``{"latency_us", "reference_latency_us", "speedup_vs_reference"}`` (reference time / model time), whatever could be measured.

    Latency = median time to classify one window (features + inference), in
    microseconds, as the live classifier runs it; both models are timed in one
    interleaved run (:func:`kws_gui.core.model_timing.time_models`).
    """
    from kws_gui.core.model_file import KwsModel, ModelFileError
    from kws_gui.core.model_timing import time_models
    from kws_gui.paths import REFERENCE_MODEL

    out: dict[str, Any] = {}
    try:
        models = [KwsModel.load(model_path)]
    except (ModelFileError, OSError, RuntimeError, ValueError) as exc:
        out["latency_error"] = str(exc)
        return out
    ref = Path(reference_path) if reference_path else REFERENCE_MODEL
    if ref.is_file():
        try:
            models.append(KwsModel.load(ref))
        except (ModelFileError, OSError, RuntimeError, ValueError) as exc:
            out["latency_error"] = f"reference: {exc}"
    try:
        timings = time_models(models, runs=max(1, runs), warmup=3)
    except (RuntimeError, ValueError) as exc:  # an interpreter that fails at run time
        out["latency_error"] = str(exc)
        return out
    out["latency_us"] = timings[0]["total"]["median_us"]
    if len(timings) == 2:
        out["reference_latency_us"] = timings[1]["total"]["median_us"]
        if out["latency_us"] > 0:
            out["speedup_vs_reference"] = out["reference_latency_us"] / out["latency_us"]
    return out
