"""The one ``<name>.<UTC time>.bad`` backup rule (job history, settings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kws_gui.core.file_backup import back_up, backup_name


def test_a_copy_keeps_the_file_and_never_overwrites_an_earlier_backup(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    path.write_text("first")
    first = back_up(path)
    path.write_text("second")
    second = back_up(path)
    assert re.fullmatch(r"settings\.ini\.\d{8}-\d{6}(-\d+)?\.bad", first.name)
    assert first != second and first.parent == second.parent == tmp_path
    assert (first.read_text(), second.read_text(), path.read_text()) == ("first", "second", "second")


def test_a_move_takes_the_file_away_and_skips_names_already_taken(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text("{broken")
    taken = backup_name(path)
    taken.symlink_to(tmp_path / "nowhere")  # even a dangling link's name is not reused
    moved = back_up(path, move=True)
    assert not path.exists() and moved.read_text() == "{broken"
    assert moved != taken and taken.is_symlink()


def test_a_missing_file_raises_oserror_for_the_caller_to_report(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        back_up(tmp_path / "gone.ini", move=True)
    assert list(tmp_path.iterdir()) == []
