"""Job specs become the trainer's command line; bad specs are refused with the field named."""

from __future__ import annotations

import pytest

from kws_gui.jobs.spec import Hyperparameters, JobKind, JobSpec, JobSpecError, build_argv, defaults_for


def _value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_train_ds_cnn_argv_carries_every_hyperparameter() -> None:
    spec = JobSpec(
        JobKind.TRAIN,
        data=("/d",),
        labels=("yes", "no"),
        name="mine",
        hyper=defaults_for(JobKind.TRAIN),
    )
    argv = build_argv(spec, "/out")
    assert argv[:3] == ["train", "--preset", "ds-cnn"]
    assert (
        _value(argv, "--data") == "/d"
        and _value(argv, "--out") == "/out"
        and _value(argv, "--name") == "mine"
    )
    assert _value(argv, "--labels") == "yes,no"
    assert _value(argv, "--epochs") == "20" and _value(argv, "--batch-size") == "20"
    assert (
        float(_value(argv, "--learning-rate")) == 0.01
        and float(_value(argv, "--final-learning-rate")) == 0.001
    )
    assert float(_value(argv, "--final-sparsity")) == 0.9 and float(_value(argv, "--pruning-start")) == 0.1
    assert "--prune" in argv and "--no-prune" not in argv
    assert argv[-2:] == ["--progress", "jsonl"]


def test_pruning_off_and_constant_learning_rate() -> None:
    hyper = Hyperparameters(
        epochs=1, prune=False, final_sparsity=0.9, lr_start=0.002, lr_end=0.001, constant_lr=True
    )
    argv = build_argv(JobSpec(JobKind.TRAIN, data=("/d",), hyper=hyper), "/o")
    assert "--no-prune" in argv and "--final-sparsity" not in argv
    assert _value(argv, "--final-learning-rate") == "none" and _value(argv, "--learning-rate") == "0.002"


def test_defaults_come_from_the_trainer_presets() -> None:
    from kws_gui.core.train_config import PRESETS

    ds, ref = defaults_for(JobKind.TRAIN), defaults_for(JobKind.TRAIN, "reference")
    assert ds.batch_size == PRESETS["ds-cnn"].batch_size and ds.lr_start == PRESETS["ds-cnn"].learning_rate
    assert ds.final_sparsity == PRESETS["ds-cnn"].final_sparsity and ds.prune
    assert ref.batch_size == PRESETS["reference"].batch_size and not ref.prune
    assert ref.constant_lr == (PRESETS["reference"].final_learning_rate is None)


def test_argv_is_accepted_by_the_trainer_parser() -> None:
    """Every flag the app writes exists in kws-train (parsing only, nothing runs)."""
    from trainer.cli import build_parser

    parser = build_parser()
    specs = [
        JobSpec(
            JobKind.TRAIN,
            data=("/d",),
            labels=("yes", "no"),
            name="n",
            hyper=defaults_for(JobKind.TRAIN),
        ),
        JobSpec(
            JobKind.TRAIN, preset="reference", data=("/d",), hyper=defaults_for(JobKind.TRAIN, "reference")
        ),
        JobSpec(JobKind.PRUNE, data=("/d",), models=("/m.h5",), hyper=defaults_for(JobKind.PRUNE)),
        JobSpec(JobKind.EVALUATE, data=("/d",), models=("/m.tflite",)),
        JobSpec(JobKind.BENCHMARK, models=("/a.tflite",), reference="/r.tflite"),
    ]
    for spec in specs:
        args = parser.parse_args(build_argv(spec, "/o"))
        assert args.progress == "jsonl"


def test_reference_prune_evaluate_benchmark_commands() -> None:
    ref = build_argv(
        JobSpec(
            JobKind.TRAIN, preset="reference", data=("/d",), hyper=defaults_for(JobKind.TRAIN, "reference")
        ),
        "/o",
    )
    assert ref[:3] == ["train", "--preset", "reference"] and "--no-prune" in ref
    prune = build_argv(
        JobSpec(JobKind.PRUNE, data=("/d",), models=("/m.h5",), hyper=defaults_for(JobKind.PRUNE)), "/o"
    )
    assert prune[:3] == ["prune", "--from", "/m.h5"] and "--final-sparsity" in prune
    ev = build_argv(JobSpec(JobKind.EVALUATE, data=("/d",), models=("/m.tflite",), split="validation"), "/o")
    assert ev[:2] == ["evaluate", "/m.tflite"] and _value(ev, "--split") == "validation" and "--out" not in ev
    bench = build_argv(
        JobSpec(JobKind.BENCHMARK, models=("/a.tflite", "/b.tflite"), reference="/r.tflite"), "/o"
    )
    assert (
        bench[:3] == ["benchmark", "/a.tflite", "/b.tflite"] and _value(bench, "--reference") == "/r.tflite"
    )


def test_several_data_folders_and_override() -> None:
    spec = JobSpec(JobKind.TRAIN, data=("/a", "/b"))
    argv = build_argv(spec, "/o")
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--data"] == ["/a", "/b"]
    merged = build_argv(spec, "/o", data=["/job/data"])
    assert [merged[i + 1] for i, a in enumerate(merged) if a == "--data"] == ["/job/data"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (JobSpec(JobKind.TRAIN), "data"),
        (JobSpec(JobKind.EVALUATE, data=("/d",)), "model"),
        (JobSpec(JobKind.BENCHMARK, models=("/a",)), "reference"),
        (JobSpec(JobKind.TRAIN, data=("/d",), hyper=Hyperparameters(epochs=0)), "epochs"),
        (
            JobSpec(JobKind.TRAIN, data=("/d",), hyper=Hyperparameters(final_sparsity=1.2)),
            "final_sparsity",
        ),
        (JobSpec(JobKind.TRAIN, data=("/d",), hyper=Hyperparameters(lr_start=0)), "lr_start"),
        (JobSpec(JobKind.TRAIN, data=("/d",), name="a/b"), "name"),
    ],
)
def test_invalid_specs_name_the_field(spec: JobSpec, field: str) -> None:
    with pytest.raises(JobSpecError, match=field):
        build_argv(spec, "/o")


def test_round_trip_through_json() -> None:
    spec = JobSpec(
        JobKind.PRUNE, data=("/d", "/e"), models=("/m",), labels=("yes",), hyper=defaults_for(JobKind.PRUNE)
    )
    assert JobSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(JobSpecError):
        JobSpec.from_dict({"kind": "nonsense"})


def test_every_preset_becomes_a_train_job_the_trainer_accepts() -> None:
    from kws_gui.core.train_config import PRESETS
    from trainer.cli import build_parser

    parser = build_parser()
    for name, config in PRESETS.items():
        spec = JobSpec(JobKind.TRAIN, preset=name, data=("/d",), hyper=defaults_for(JobKind.TRAIN, name))
        args = parser.parse_args(build_argv(spec, "/o"))
        assert args.preset == name and args.batch_size == config.batch_size
        assert name in spec.describe()


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(JobSpecError, match="preset"):
        build_argv(JobSpec(JobKind.TRAIN, preset="resnet", data=("/d",)), "/o")


@pytest.mark.parametrize(
    ("old_kind", "preset"), [("train-ds-cnn", "ds-cnn"), ("train-reference", "reference")]
)
def test_histories_from_before_the_preset_field_still_load(old_kind: str, preset: str) -> None:
    spec = JobSpec.from_dict({"kind": old_kind, "data": ["/d"], "hyper": {"epochs": 3}})
    assert spec.kind is JobKind.TRAIN and spec.preset == preset and spec.hyper.epochs == 3
    assert build_argv(spec, "/o")[:3] == ["train", "--preset", preset]
