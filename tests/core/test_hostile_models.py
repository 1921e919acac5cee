"""Model files with hostile metadata (issue 8, rows 3-6 and 14): refused before any allocation.

Each file is the shipped model with one metadata value changed, as anyone can do
with a few lines of Python; every one of them used to pass the load checks.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from kws_gui import listen
from kws_gui.core import tflite_metadata
from kws_gui.core.model_file import KwsModel, ModelFileError
from kws_gui.core.tflite_metadata import MetadataError, read_metadata, write_metadata
from kws_gui.paths import DEFAULT_MODEL
from tests.conftest import shared_data

YES = ("speech_commands_v0.02", "yes", "f2e59fea_nohash_1.wav")


def with_frontend(tmp_path: Path, name: str, **changes) -> Path:
    """The default model with some frontend fields changed, written to ``tmp_path/name``."""
    data = DEFAULT_MODEL.read_bytes()
    meta = read_metadata(data)
    meta["frontend"].update(changes)
    path = tmp_path / name
    path.write_bytes(write_metadata(data, meta))
    return path


# (row of the issue, changes, field the message names)
HOSTILE_FRONTENDS = [
    ("3: fft_length 2**28", {"fft_length": 2**28}, "fft_length"),
    ("3: 10**7 mel bins", {"num_mel_bins": 10**7}, "num_mel_bins"),
    ("3: mel bins as float", {"num_mel_bins": 16.0}, "num_mel_bins"),
    ("3: NaN band edge", {"lower_edge_hz": math.nan}, "lower_edge_hz"),
    # 1 + (1e4 - 400) // 160 = 61 frames: the shape checks passed, decoding took 3 GB
    ("4: 10 000 s clips", {"clip_duration_s": 1e4, "frame_length_s": 400.0, "frame_step_s": 160.0}, "clip"),
    ("5: 8 kHz features", {"sample_rate": 8000}, "8000 Hz"),
    ("integer as bool", {"num_mfccs": True}, "num_mfccs"),
    ("one-sample hop, 1000+ frames", {"frame_step_s": 1 / 16000, "frame_length_s": 0.032}, "frame"),
]


@pytest.mark.parametrize(
    ("row", "changes", "named"), HOSTILE_FRONTENDS, ids=[r for r, _, _ in HOSTILE_FRONTENDS]
)
def test_hostile_frontend_metadata_is_refused_with_its_field(tmp_path, row, changes, named) -> None:
    path = with_frontend(tmp_path, "evil.tflite", **changes)
    with pytest.raises(ModelFileError, match=named) as info:
        KwsModel.load(path)
    assert "Unable to allocate" not in str(info.value), row


def test_8_khz_metadata_says_why(tmp_path) -> None:
    # Row 5: accepted although the engine runs at 16 kHz; a "yes" became a false "no".
    with pytest.raises(ModelFileError, match=r"8000 Hz audio, but the engine runs at 16000 Hz"):
        KwsModel.load(with_frontend(tmp_path, "eight.tflite", sample_rate=8000))


def test_deeply_nested_metadata_is_a_clear_error(tmp_path, monkeypatch) -> None:
    # Row 6: json.loads raised RecursionError (a traceback from kws-listen).
    data = DEFAULT_MODEL.read_bytes()
    meta = read_metadata(data)
    raw = json.dumps(meta)[:-1] + ', "training": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with monkeypatch.context() as patch:  # json.dumps itself cannot write such a document
        patch.setattr(tflite_metadata.json, "dumps", lambda *args, **kwargs: raw)
        nested = write_metadata(data, meta)
    with pytest.raises(MetadataError, match="nested 100001 levels deep"):
        read_metadata(nested)
    path = tmp_path / "deep.tflite"
    path.write_bytes(nested)
    with pytest.raises(ModelFileError, match="nested"):
        KwsModel.load(path)
    assert listen.main(["--model", str(path), "--wav", str(path)]) == 2


@pytest.mark.parametrize("row", HOSTILE_FRONTENDS[:5], ids=[r for r, _, _ in HOSTILE_FRONTENDS[:5]])
def test_kws_listen_refuses_hostile_models_with_exit_2(tmp_path, capsys, row) -> None:
    _, changes, named = row
    path = with_frontend(tmp_path, "evil.tflite", **changes)
    assert listen.main(["--model", str(path), "--wav", str(shared_data(*YES)), "--fast"]) == 2
    err = capsys.readouterr().err
    assert "cannot use model" in err and named in err


def test_kws_listen_prints_a_run_time_model_error_and_exits_non_zero(capsys, monkeypatch) -> None:
    # Row 3: "0 inferences", exit 0, and the engine's "Unable to allocate" never printed.
    real_load = KwsModel.load

    def failing_load(path, runtime=None):
        model = real_load(path, runtime)

        def predict_features(features: np.ndarray):
            raise MemoryError("Unable to allocate 61.0 GiB for an array")

        model.predict_features = predict_features
        return model

    monkeypatch.setattr(listen.KwsModel, "load", staticmethod(failing_load))
    code = listen.main(["--wav", str(shared_data(*YES)), "--fast", "--no-vad"])
    err = capsys.readouterr().err
    assert code == 2
    assert "failed while running" in err and "Unable to allocate 61.0 GiB" in err


@pytest.mark.parametrize("duration", ["-5", "0", "nan", "inf"])
def test_kws_listen_refuses_a_duration_that_is_not_positive(capsys, duration: str) -> None:
    # Row 14: --duration -5 was accepted and ran to the end.
    assert listen.main(["--wav", str(shared_data(*YES)), "--fast", "--duration", duration]) == 2
    assert "--duration must be a positive number of seconds" in capsys.readouterr().err
