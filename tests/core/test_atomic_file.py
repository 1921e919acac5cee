"""Atomic writes: the target is replaced whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from kws_gui.core.atomic_file import atomic_group, atomic_path, atomic_write, remove_stray_temporaries


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


def test_a_group_replaces_every_file_or_none(tmp_path) -> None:
    names = [tmp_path / "m.report.json", tmp_path / "m.tflite", tmp_path / "m.h5"]
    with atomic_group(names, suffixes=[".tmp", ".tmp", ".h5"]) as tmps:
        assert tmps[2].name.endswith(".h5")
        for tmp, path in zip(tmps, names, strict=True):
            tmp.write_text(f"new {path.name}")
    assert [p.read_text() for p in names] == [f"new {p.name}" for p in names]
    with pytest.raises(RuntimeError, match="converter crashed"), atomic_group(names) as tmps:
        tmps[0].write_text("half")
        raise RuntimeError("converter crashed")
    assert [p.read_text() for p in names] == [f"new {p.name}" for p in names]
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in names)


def test_stray_temporaries_of_the_targets_are_removed(tmp_path) -> None:
    target = tmp_path / "m.tflite"
    stray = [tmp_path / ".m.tflite.ab3_x9zq.tmp", tmp_path / ".m.tflite.0a1b2c3d.h5"]
    keep = [tmp_path / ".m.tflite.notours", tmp_path / ".other.tflite.ab3_x9zq.tmp", target]
    for path in stray + keep:
        path.write_text("x")
    assert sorted(remove_stray_temporaries([target, tmp_path / "missing" / "x.h5"])) == sorted(stray)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in keep)
