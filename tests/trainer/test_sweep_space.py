"""The sweep's space file: every kws-train train option, grids and distributions, clear errors (no Ray run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.cli import build_parser, train_config
from trainer.sweep.space import (
    SweepSpaceError,
    build_config,
    load_space,
    parse_space,
    parse_train_args,
    train_argv,
)


def _error(data: object) -> str:
    with pytest.raises(SweepSpaceError) as info:
        parse_space(data, source="space.yaml")
    return str(info.value)


def test_every_form_and_spelling_of_an_option() -> None:
    space = parse_space(
        {
            "filters": [16, 24, 32, 48],
            "--final-sparsity": {"uniform": [0.5, 0.95]},
            "learning_rate": {"loguniform": [1e-4, 1e-2]},
            "frame-length-ms": {"grid": [32, 40]},
            "mfccs": {"choice": [10, "none"]},
            "epochs": {"int": [1, 3]},
            "prune": [True, False],
            "batch-size": 8,
        }
    )
    assert space.to_json() == {
        "filters": {"grid": [16, 24, 32, 48]},
        "final-sparsity": {"uniform": [0.5, 0.95]},
        "learning-rate": {"loguniform": [0.0001, 0.01]},
        "frame-length-ms": {"grid": [32, 40]},
        "mfccs": {"choice": [10, "none"]},
        "epochs": {"int": [1, 3]},
        "prune": {"grid": [True, False]},
        "batch-size": 8,
    }
    assert space.grid_size == 16 and space.trial_count(3) == 48 and space.has_distributions
    assert not parse_space({"filters": [16, 32]}).has_distributions


def test_ray_param_space() -> None:
    from ray.tune.search.sample import Categorical, Float, Integer

    ray_space = parse_space(
        {
            "filters": [16, 32],
            "final-sparsity": {"uniform": [0.5, 0.95]},
            "epochs": {"int": [1, 3]},
            "seed": 1,
        }
    ).to_ray()
    assert ray_space["filters"] == {"grid_search": [16, 32]} and ray_space["seed"] == 1
    assert isinstance(ray_space["final-sparsity"], Float)
    assert (ray_space["final-sparsity"].lower, ray_space["final-sparsity"].upper) == (0.5, 0.95)
    epochs = ray_space["epochs"]
    assert isinstance(epochs, Integer) and (epochs.lower, epochs.upper) == (1, 4)  # both ends included
    assert isinstance(parse_space({"mfccs": {"choice": [8, 16]}}).to_ray()["mfccs"], Categorical)


def test_a_trial_is_the_train_command_with_its_options(tmp_path: Path) -> None:
    """Options -> train arguments -> the train parser -> the same config kws-train train builds."""
    options = {"filters": 24, "final-sparsity": 0.7, "prune": False, "frame-length-ms": 40, "mel-bins": 40}
    argv = train_argv(options, [tmp_path / "a"], tmp_path / "out")
    assert argv[:4] == ["--data", str(tmp_path / "a"), "--out", str(tmp_path / "out")]
    assert "--no-prune" in argv and "--filters=24" in argv
    config = train_config(build_parser().parse_args(["train", *argv]))
    assert config == build_config(options)
    assert (config.filters, config.final_sparsity, config.prune) == (24, 0.7, False)
    assert (config.frontend.frame_length_s, config.frontend.num_mel_bins) == (0.04, 40)


def test_frontend_and_none_options_reach_the_config() -> None:
    """--mfccs none gives log-Mel; --final-learning-rate none is no longer dropped (constant rate)."""
    args = parse_train_args(
        [
            "--data",
            "d",
            "--out",
            "o",
            "--mfccs",
            "none",
            "--final-learning-rate",
            "none",
            "--frame-step-ms",
            "10",
        ]
    )
    config = train_config(args)
    assert config.frontend.num_mfccs is None and config.frontend.kind == "log-mel"
    assert config.final_learning_rate is None
    assert config.frontend.frame_step_s == 0.01
    untouched = train_config(parse_train_args(["--data", "d", "--out", "o"]))
    assert untouched.final_learning_rate == 0.001 and untouched.frontend.num_mfccs == 16


def test_unknown_option_names_the_close_match_and_the_known_ones() -> None:
    message = _error({"filtrs": [16, 32]})
    assert "space.yaml: unknown option 'filtrs' (did you mean 'filters'?)" in message
    assert "final-sparsity" in message and "mel-bins" in message
    assert "set by kws-train sweep itself" in _error({"data": "/x"})
    assert "set by kws-train sweep itself" in _error({"--out": "/x"})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"final-sparsity": {"uniform": [0.95, 0.5]}},
            "final-sparsity: uniform range is empty: low 0.95 >= high 0.5",
        ),
        ({"final-sparsity": {"uniform": [0.5]}}, "final-sparsity: uniform needs [low, high]"),
        ({"final-sparsity": {"uniform": [0.5, "lots"]}}, "uniform bounds must be numbers, got 'lots'"),
        ({"learning-rate": {"loguniform": [0, 0.1]}}, "loguniform needs a positive low bound"),
        ({"epochs": {"int": [1.5, 3]}}, "int bounds must be whole numbers"),
        ({"epochs": {"int": [5, 3]}}, "int range is empty: low 5 > high 3"),
        (
            {"final-sparsity": {"uniform": [0.5, 1.5]}},
            "final-sparsity: uniform high bound 1.5: --final-sparsity: need",
        ),
        (
            {"dropout": {"uniform": [-0.5, 0.5]}},
            "dropout: uniform low bound -0.5: --dropout: must be in [0, 1)",
        ),
        (
            {"filters": {"uniform": [8, 32]}},
            "argument --filters: invalid int value: '8.0' (for whole numbers use int",
        ),
        ({"filters": ["many"]}, "filters: value 'many': argument --filters: invalid int value: 'many'"),
        ({"prune": 3}, "prune: value 3: takes true or false"),
        ({"filters": []}, "filters: grid needs a non-empty list"),
        ({"filters": [16, 16]}, "filters: grid lists a value twice"),
        ({"filters": {"grd": [16]}}, "exactly one key of grid, choice, uniform, loguniform, int"),
        ({"filters": 16, "--filters": 32}, "'--filters' and 'filters' are the same option"),
        ({"preset": ["ds-cnn", "tiny"]}, "preset: value 'tiny': --preset: unknown preset 'tiny'"),
        ({"mfccs": 40}, "mfccs: value 40: num_mfccs: 40 MFCCs cannot be taken from 16 mel bins"),
        ([1, 2], "must map kws-train train options to values"),
        ({}, "must map kws-train train options to values"),
    ],
)
def test_bad_spaces_fail_with_a_message_naming_the_option(spec: object, expected: str) -> None:
    message = _error(spec)
    assert message.startswith("space.yaml: ") and expected in message


def test_values_that_look_like_options_and_pairs() -> None:
    """--gain-db takes LOW,HIGH; a negative low bound must not be read as an option."""
    space = parse_space({"gain-db": ["-20,10", "none"], "noise-snr-db": "5,40"})
    assert build_config({"gain-db": "-20,10"}).gain_db == (-20.0, 10.0)
    assert build_config({"gain-db": "none"}).gain_db is None
    assert space.grid_size == 2
    assert "expected LOW,HIGH" in _error({"gain-db": "-20"})


def test_a_value_valid_together_with_another_swept_option_is_accepted() -> None:
    """40 MFCCs need 40 mel bins: fine when the space also sweeps the mel bins (the other trial fails)."""
    space = parse_space({"mfccs": [16, 40], "mel-bins": [16, 40]})
    assert space.grid_size == 4
    # ... but a mel-bins value no MFCC count fits is refused.
    assert "mel-bins: value 16" in _error({"mfccs": 40, "mel-bins": [16, 40]})


def test_load_space_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "space.yaml"
    yaml_file.write_text("filters: [16, 32]\nfinal-sparsity: {uniform: [0.5, 0.95]}\nlearning-rate: 1.0e-3\n")
    assert load_space(yaml_file).to_json() == {
        "filters": {"grid": [16, 32]},
        "final-sparsity": {"uniform": [0.5, 0.95]},
        "learning-rate": 0.001,
    }
    json_file = tmp_path / "space.json"
    json_file.write_text(json.dumps({"filters": [16, 32]}))
    assert load_space(json_file).source == str(json_file)
    (tmp_path / "broken.yaml").write_text("filters: [16, 32\n")
    with pytest.raises(SweepSpaceError, match="broken.yaml: not valid YAML"):
        load_space(tmp_path / "broken.yaml")
    (tmp_path / "broken.json").write_text("{filters")
    with pytest.raises(SweepSpaceError, match="broken.json: not valid JSON"):
        load_space(tmp_path / "broken.json")
    (tmp_path / "deep.json").write_text("[" * 100 + "]" * 100)
    with pytest.raises(SweepSpaceError, match="deep.json: not valid JSON: the space is nested 100 levels"):
        load_space(tmp_path / "deep.json")
    (tmp_path / "deep.yaml").write_text("filters: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(SweepSpaceError, match="deep.yaml: not valid YAML"):
        load_space(tmp_path / "deep.yaml")
    (tmp_path / "big.yaml").write_text("# " + "x" * (2 << 20) + "\n")
    with pytest.raises(SweepSpaceError, match="big.yaml: the space file is larger than"):
        load_space(tmp_path / "big.yaml")
    with pytest.raises(SweepSpaceError, match="missing.yaml: cannot read the space file"):
        load_space(tmp_path / "missing.yaml")
    with pytest.raises(SweepSpaceError, match="empty.yaml: must map"):
        (tmp_path / "empty.yaml").write_text("")
        load_space(tmp_path / "empty.yaml")


def test_cli_reports_a_bad_space_as_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.cli import EXIT_BAD_INPUT, main

    space = tmp_path / "space.yaml"
    space.write_text("filtrs: [16, 32]\n")
    code = main(["sweep", "--space", str(space), "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert code == EXIT_BAD_INPUT
    assert "unknown option 'filtrs' (did you mean 'filters'?)" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
