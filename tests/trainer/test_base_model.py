"""``prune --from`` an .h5 from anywhere (issue 8, row 10): weights only, never the file's code."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kws_gui.paths import MODELS_DIR
from trainer import cli
from trainer.base_model import BaseModelError, check_layer_classes, load_base_model, read_model_config
from trainer.models import TrainConfig, build_model
from trainer.report import load_report

SHIPPED_H5 = MODELS_DIR / "ds_cnn.h5"
SHIPPED_REPORT = MODELS_DIR / "ds_cnn.report.json"


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    return TrainConfig.from_dict(load_report(SHIPPED_REPORT)["config"])


def _keras():
    from trainer.tf_setup import import_tf

    return import_tf().keras


def evil_h5(folder: Path, config: TrainConfig, marker: Path) -> Path:
    """The shipped architecture with a Lambda layer whose code creates ``marker``; with its report."""
    keras = _keras()
    base = build_model(config, np.zeros(16, np.float32), np.ones(16, np.float32))
    # The code is a literal in the lambda, as an attacker's would be (saved as bytecode).
    payload = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")  # noqa: S307
    inputs = keras.Input(shape=base.input_shape[1:], name="features")
    x = keras.layers.Lambda(payload, name="innocent")(inputs)
    for layer in base.layers[1:]:  # every layer of the real model, in one flat graph
        x = layer(x)
    model = keras.Model(inputs, x, name="ds_cnn")
    path = folder / "evil.h5"
    model.save(path, save_format="h5", include_optimizer=False)
    shutil.copyfile(SHIPPED_REPORT, folder / "evil.report.json")
    marker.unlink(missing_ok=True)  # building the model ran the lambda once, here
    return path


def test_the_shipped_h5_loads_with_its_own_weights(config: TrainConfig) -> None:
    keras = _keras()
    trusted = keras.models.load_model(str(SHIPPED_H5), compile=False)  # our own file
    model = load_base_model(SHIPPED_H5, config)
    for mine, theirs in zip(model.weights, trusted.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    x = np.random.default_rng(0).normal(size=(4, 61, 16)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), trusted.predict(x, verbose=0), atol=1e-6)


def test_a_lambda_layer_never_runs_and_is_refused(tmp_path: Path, config: TrainConfig, capsys) -> None:
    marker = tmp_path / "the file's code ran"
    path = evil_h5(tmp_path, config, marker)
    keras = _keras()
    keras.models.load_model(str(path), compile=False)  # what prune --from did: the payload runs
    assert marker.exists(), "the test's payload does not run on load_model: the test proves nothing"
    marker.unlink()

    with pytest.raises(BaseModelError, match="'innocent' is a 'Lambda' layer, which kws-train never builds"):
        check_layer_classes(path)
    with pytest.raises(BaseModelError, match=r"evil\.h5: layer 'innocent' is a 'Lambda' layer"):
        load_base_model(path, config)
    code = cli.main(
        ["prune", "--from", str(path), "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "o")]
    )
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Lambda" in err and "only takes .h5 files that kws-train trained" in err and "Traceback" not in err
    assert not marker.exists()
    assert not (tmp_path / "o").exists()


def _save(model, path: Path) -> Path:
    model.save(path, save_format="h5", include_optimizer=False)
    return path


def test_other_architectures_are_refused(tmp_path: Path, config: TrainConfig) -> None:
    keras, layers = _keras(), _keras().layers
    stats = (np.zeros(16, np.float32), np.ones(16, np.float32))
    wider = _save(build_model(config.replace(filters=48), *stats), tmp_path / "wider.h5")
    check_layer_classes(wider)  # only known layer classes ...
    with pytest.raises(BaseModelError, match="layer 'conv1' differs in 'config'"):
        load_base_model(wider, config)  # ... but not the model its report describes

    base = build_model(config, *stats)
    extra = layers.Dense(2, activation="softmax", name="extra")(base.output)
    longer = _save(keras.Model(base.input, extra), tmp_path / "longer.h5")
    with pytest.raises(BaseModelError, match=r"layer 'extra' \(Dense\) is not part of the architecture"):
        load_base_model(longer, config)

    inputs = keras.Input(shape=(61, 16), name="features")
    x = layers.GlobalAveragePooling2D(name="gap")(layers.Reshape((61, 16, 1), name="add_channel")(inputs))
    plain = _save(keras.Model(inputs, layers.Dense(2, name="dense")(x)), tmp_path / "plain.h5")
    with pytest.raises(BaseModelError, match="no 'normalize' Normalization layer"):
        load_base_model(plain, config)
    flat = _save(keras.Model(inputs, layers.Dense(2)(layers.Flatten(name="flat")(inputs))), tmp_path / "f.h5")
    with pytest.raises(BaseModelError, match="'flat' is a 'Flatten' layer"):
        check_layer_classes(flat)


def test_every_model_kws_train_builds_loads_as_a_base(tmp_path: Path, config: TrainConfig) -> None:
    rng = np.random.default_rng(3)
    stats = (rng.normal(size=16).astype(np.float32), rng.uniform(0.5, 2.0, 16).astype(np.float32))
    x = rng.normal(size=(2, 61, 16)).astype(np.float32)
    for name, variant in {
        "seed": config,
        "window_mean_norm": config.replace(window_mean_norm=True, filters=8),
        "no_dropout_deeper": config.replace(
            dropout=0.0, ds_blocks=3, first_stride=(2, 2), pool_blocks=1, filters=8
        ),
    }.items():
        model = build_model(variant, *stats)
        path = _save(model, tmp_path / f"{name}.h5")
        check_layer_classes(path)
        loaded = load_base_model(path, variant)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not an hdf5 file", "not a readable HDF5 model file"), (b"", "not a readable HDF5 model file")],
)
def test_files_that_are_not_models_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.h5"
    path.write_bytes(content)
    with pytest.raises(BaseModelError, match=message):
        read_model_config(path)


def test_a_deeply_nested_report_is_a_clear_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "x.h5").write_bytes(b"never read")
    (tmp_path / "x.report.json").write_text('{"config": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code = cli.main(
        ["prune", "--from", str(tmp_path / "x.h5"), "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "nested 100001 levels deep" in err and "Traceback" not in err
