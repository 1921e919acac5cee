"""What a file that is not a TFLite model is, and what to do (kws_gui.core.file_kind)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from kws_gui.core.file_kind import describe_not_tflite
from kws_gui.core.model_file import KwsModel, ModelFileError


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("empty.tflite", b"", "is empty (0 bytes)"),
        ("notes.tflite", "My notes: use ds_cnn.tflite \u00e9\n".encode(), 'is a text file ("My notes'),
        ("report.json", b'{"models": {}}', "is a JSON text file"),
        ("model.zip", b"PK\x03\x04" + bytes(40), "is a ZIP archive"),
        ("song.mp3", b"ID3\x04" + bytes(40), "is an MP3 audio file"),
        ("tiny.tflite", b"\x01\x02\x03", "only 3 bytes"),
        ("random.tflite", bytes(range(256)) * 4, "lacks the 'TFL3' identifier"),
        ("weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(100), "is a Keras .h5 model"),
    ],
)
def test_each_kind_is_named(name, data, says) -> None:
    message = describe_not_tflite(data, name)
    assert says in message and message.startswith(name)


def test_audio_files_say_where_to_play_them(tmp_path) -> None:
    for suffix, kind in ((".wav", "WAV"), (".flac", "FLAC"), (".ogg", "Ogg")):
        path = tmp_path / f"clip{suffix}"
        soundfile.write(str(path), np.zeros(1600, np.float32), 16000)
        message = describe_not_tflite(path.read_bytes(), path)
        assert f"{kind} audio file" in message and "Source & settings" in message


def test_a_keras_file_says_how_to_export_and_points_to_its_tflite(tmp_path) -> None:
    h5 = tmp_path / "mine.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(10))
    alone = describe_not_tflite(h5.read_bytes(), h5)
    assert "kws-train prune --from mine.h5" in alone and "open that one" not in alone
    (tmp_path / "mine.tflite").write_bytes(b"x")
    assert "mine.tflite beside it: open that one" in describe_not_tflite(h5.read_bytes(), h5)


def test_the_model_loader_uses_it(tmp_path) -> None:
    path = tmp_path / "hello.tflite"
    path.write_text("hello")
    with pytest.raises(ModelFileError, match=r'hello.tflite is a text file \("hello"\), not a TFLite model'):
        KwsModel.load(path)
