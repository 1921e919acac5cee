"""Atomic writes: the target is replaced whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from kws_gui.core.atomic_file import atomic_path, atomic_write


def test_write_creates_folders_and_replaces_the_file(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["report.json"]  # no temporary file left


def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temporary(tmp_path) -> None:
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old model")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_bytes(b"half a mod")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old model"
    assert os.listdir(tmp_path) == ["model.tflite"]


def test_permissions_follow_the_umask(tmp_path) -> None:
    old = os.umask(0o027)
    try:
        path = atomic_write(tmp_path / "x.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_suffix_is_kept_for_writers_that_need_it(tmp_path) -> None:
    with atomic_path(tmp_path / "m.h5", suffix=".h5") as tmp:
        assert tmp.name.endswith(".h5") and tmp.parent == tmp_path
        tmp.write_bytes(b"h5")
    assert (tmp_path / "m.h5").read_bytes() == b"h5"
