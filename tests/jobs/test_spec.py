"""Job specs become the trainer's command line; bad specs are refused with the field named."""

from __future__ import annotations

import math

import pytest

from kws_gui.core.train_config import PRESETS
from kws_gui.core.train_options import OPTIONS_BY_DEST, TRAIN_OPTIONS
from kws_gui.jobs.spec import (
    JobKind,
    JobSpec,
    JobSpecError,
    build_argv,
    changed_options,
    defaults_for,
    form_options,
)


def _value(argv: list[str], flag: str) -> str:
    """The value of ``--flag VALUE`` or ``--flag=VALUE``."""
    for i, word in enumerate(argv):
        if word == flag:
            return argv[i + 1]
        if word.startswith(flag + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{flag} not in {argv}")


def _parse(argv: list[str]):
    from trainer.cli import build_parser

    return build_parser().parse_args(argv)


def test_a_train_job_sends_only_what_differs_from_its_preset() -> None:
    texts = defaults_for(JobKind.TRAIN)
    assert texts["epochs"] == "20" and texts["learning_rate"] == "0.01" and texts["prune"] == "on"
    assert changed_options(JobKind.TRAIN, "ds-cnn", texts) == {}  # the preset as it is
    assert texts["gain_db"] == "-20,10"  # the preset's augmentation for real recordings
    texts.update(epochs="3", gain_db="-30, 6", noise_snr_db="none", unknown_percent="inf", prune="off")
    texts["speed_perturbation"] = " 0.1 "  # the preset's value, spelled differently: not sent
    options = changed_options(JobKind.TRAIN, "ds-cnn", texts)
    assert options == {
        "epochs": "3",
        "gain_db": "-30,6",
        "noise_snr_db": "none",
        "unknown_percent": "inf",
        "prune": "off",
    }
    spec = JobSpec(JobKind.TRAIN, data=("/d",), labels=("yes", "no"), name="mine", options=options)
    argv = build_argv(spec, "/out")
    assert argv[:3] == ["train", "--preset", "ds-cnn"] and argv[-2:] == ["--progress", "jsonl"]
    assert _value(argv, "--gain-db") == "-30,6" and "--no-prune" in argv  # negative numbers stay values
    args = _parse(argv)  # what kws-train makes of it
    assert args.epochs == 3 and args.gain_db == (-30.0, 6.0) and args.noise_snr_db is None
    assert math.isinf(args.unknown_percent) and args.prune is False
    assert args.labels == "yes,no" and args.name == "mine" and not hasattr(args, "learning_rate")


def test_every_table_option_round_trips_through_the_trainer_parser() -> None:
    """Each option the form can show, at its preset value, parses back to that value in kws-train."""
    from trainer.cli import config_from_args

    config = PRESETS["ds-cnn"]
    for option in form_options(JobKind.TRAIN):
        value = option.value_of(config)
        text = option.format(value)
        if text == "":  # unset and not writable as text (pruning frequency: "from the run length")
            continue
        spec = JobSpec(JobKind.TRAIN, data=("/d",), options={option.dest: text})
        args = _parse(build_argv(spec, "/o"))
        rebuilt = config_from_args(args, config)
        assert option.value_of(rebuilt) == value, option.flag


def test_the_form_shows_every_option_the_trainer_has() -> None:
    """One table: every kws-train train option besides data, labels, output, progress and cache."""
    from trainer.sweep.space import train_options

    # --preset, --labels and --tune-decision are fields of the job, not training options.
    trainer_dests = {a.dest for a in train_options().values()} - {"preset", "labels", "tune_on"}
    assert trainer_dests == {o.dest for o in TRAIN_OPTIONS}
    shown = {o.dest for o in form_options(JobKind.TRAIN)}
    assert shown == trainer_dests - {"name"}  # the output name is a field of its own
    assert {"unknown_percent", "silence_percent", "noise_snr_db", "gain_db", "speed_perturbation"} <= shown
    assert {"reverb_probability", "spec_masks"} <= shown
    assert not {o.group for o in form_options(JobKind.PRUNE)} & {"model", "frontend"}
    assert form_options(JobKind.EVALUATE) == form_options(JobKind.SWEEP) == ()


def test_weights_become_dir_weight_data_arguments() -> None:
    spec = JobSpec(JobKind.TRAIN, data=("/a", "/b", "/c"), weights=(1.0, 3.0, 0.5))
    argv = build_argv(spec, "/o")
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--data"] == ["/a", "/b:3", "/c:0.5"]
    assert "b x3" in spec.describe()
    evaluation = JobSpec(JobKind.EVALUATE, data=("/a", "/b"), weights=(1.0, 3.0), models=("/m.tflite",))
    argv = build_argv(evaluation, "/o")  # weights mean nothing to an evaluation
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--data"] == ["/a", "/b"]


def test_prune_evaluate_benchmark_and_sweep_commands() -> None:
    prune = build_argv(
        JobSpec(JobKind.PRUNE, data=("/d",), models=("/m.h5",), options=defaults_for(JobKind.PRUNE)), "/o"
    )
    sparsity = PRESETS["ds-cnn"].final_sparsity  # pruning starts from the default preset's sparsity
    assert prune[:3] == ["prune", "--from", "/m.h5"] and float(_value(prune, "--final-sparsity")) == sparsity
    assert _parse(prune).epochs == 5
    ev = build_argv(JobSpec(JobKind.EVALUATE, data=("/d",), models=("/m.tflite",), split="validation"), "/o")
    assert ev[:2] == ["evaluate", "/m.tflite"] and _value(ev, "--split") == "validation" and "--out" not in ev
    bench = build_argv(
        JobSpec(JobKind.BENCHMARK, models=("/a.tflite", "/b.tflite"), reference="/r.tflite"), "/o"
    )
    assert (
        bench[:3] == ["benchmark", "/a.tflite", "/b.tflite"] and _value(bench, "--reference") == "/r.tflite"
    )
    sweep = build_argv(
        JobSpec(JobKind.SWEEP, data=("/a", "/b"), weights=(1.0, 2.0), trials=3, address="10.0.0.1:6379"),
        "/o",
        space="/job/space.json",
    )
    args = _parse(sweep)
    assert args.space.as_posix() == "/job/space.json" and args.trials == 3 and args.data == ["/a", "/b:2"]
    assert args.address == "10.0.0.1:6379" and args.out.as_posix() == "/o" and args.progress == "jsonl"
    for spec in (
        JobSpec(JobKind.TRAIN, preset=name, data=("/d",), options=defaults_for(JobKind.TRAIN, name))
        for name in PRESETS
    ):
        assert _parse(build_argv(spec, "/o")).preset == spec.preset


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (JobSpec(JobKind.TRAIN), "data"),
        (JobSpec(JobKind.EVALUATE, data=("/d",)), "model"),
        (JobSpec(JobKind.BENCHMARK, models=("/a",)), "reference"),
        (JobSpec(JobKind.TRAIN, data=("/d",), options={"epochs": "0"}), "epochs"),
        (JobSpec(JobKind.TRAIN, data=("/d",), options={"final_sparsity": "1.2"}), "final-sparsity"),
        (JobSpec(JobKind.TRAIN, data=("/d",), options={"learning_rate": "0"}), "learning-rate"),
        (JobSpec(JobKind.TRAIN, data=("/d",), options={"gain_db": "loud"}), "gain-db"),
        (JobSpec(JobKind.TRAIN, data=("/d",), options={"mfccs": "40"}), "mfccs"),  # > 16 mel bins
        (JobSpec(JobKind.PRUNE, data=("/d",), models=("/m",), options={"filters": "8"}), "filters"),
        (JobSpec(JobKind.TRAIN, data=("/a", "/b"), weights=(1.0,)), "weight"),
        (JobSpec(JobKind.TRAIN, data=("/a",), weights=(0.0,)), "weight"),
        (JobSpec(JobKind.SWEEP, data=("/a",), trials=0), "trials"),
        (JobSpec(JobKind.SWEEP, data=("/a",), space="/no/such/space.yaml"), "space"),
        (JobSpec(JobKind.TRAIN, data=("/d",), name="a/b"), "name"),
    ],
)
def test_invalid_specs_name_the_field(spec: JobSpec, field: str) -> None:
    with pytest.raises(JobSpecError, match=field):
        build_argv(spec, "/o", space="/job/space.json")


def test_round_trip_through_json() -> None:
    spec = JobSpec(
        JobKind.PRUNE,
        data=("/d", "/e"),
        weights=(1.0, 2.5),
        models=("/m",),
        labels=("yes",),
        options=defaults_for(JobKind.PRUNE),
    )
    assert JobSpec.from_dict(spec.to_dict()) == spec
    sweep = JobSpec(JobKind.SWEEP, data=("/d",), space="/s.yaml", trials=4, address="auto")
    assert JobSpec.from_dict(sweep.to_dict()) == sweep
    tuned = JobSpec(JobKind.TRAIN, preset="live", data=("/d", "/real"), tune_on="/real")
    assert JobSpec.from_dict(tuned.to_dict()) == tuned
    assert _parse(build_argv(tuned, "/o")).tune_on == "/real"
    with pytest.raises(JobSpecError, match="tune"):
        build_argv(JobSpec(JobKind.PRUNE, data=("/d",), models=("/m.h5",), tune_on="/real"), "/o")
    with pytest.raises(JobSpecError):
        JobSpec.from_dict({"kind": "nonsense"})


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(JobSpecError, match="preset"):
        build_argv(JobSpec(JobKind.TRAIN, preset="resnet", data=("/d",)), "/o")


@pytest.mark.parametrize(
    ("old_kind", "preset"), [("train-ds-cnn", "ds-cnn"), ("train-reference", "reference")]
)
def test_histories_from_before_the_preset_field_still_load(old_kind: str, preset: str) -> None:
    spec = JobSpec.from_dict({"kind": old_kind, "data": ["/d"], "hyper": {"epochs": 3}})
    assert spec.kind is JobKind.TRAIN and spec.preset == preset and spec.options == {"epochs": "3"}
    assert build_argv(spec, "/o")[:3] == ["train", "--preset", preset]


def test_histories_from_before_the_option_table_keep_their_settings() -> None:
    old = {
        "kind": "train",
        "data": ["/d"],
        "hyper": {"epochs": 2, "lr_start": 0.002, "lr_end": 0.001, "constant_lr": True, "prune": False},
    }
    args = _parse(build_argv(JobSpec.from_dict(old), "/o"))
    assert args.epochs == 2 and args.learning_rate == 0.002 and args.final_learning_rate is None
    assert args.prune is False


def test_frontend_options_in_milliseconds() -> None:
    option = OPTIONS_BY_DEST["frame_length_s"]
    assert option.format(0.032) == "32" and option.parse("40") == pytest.approx(0.04)
    spec = JobSpec(JobKind.TRAIN, data=("/d",), options={"frame_length_s": "40", "frame_step_s": "20"})
    args = _parse(build_argv(spec, "/o"))
    assert args.frame_length_s == pytest.approx(0.04) and args.frame_step_s == pytest.approx(0.02)
