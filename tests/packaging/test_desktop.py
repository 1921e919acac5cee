"""``kws-gui --install-desktop-entry``: an XDG launcher and icon under $XDG_DATA_HOME."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from kws_gui import app
from kws_gui.desktop import autostart_dir, data_home, exec_value, install_desktop_entry, launch_command
from kws_gui.paths import APP_ICON
from tests.conftest import IN_CI


def _read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _parse_exec(value: str) -> list[str]:
    """The Desktop Entry spec's reading of an Exec value (string escapes, quoting, %%)."""
    value = value.replace("\\\\", "\\")  # the string type's escape comes first
    args, current, quoted, i, started = [], "", False, 0, False
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and i + 1 < len(value) and value[i + 1] in '"`$\\':
            current, i = current + value[i + 1], i + 2
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += ch
        i += 1
    if started or current:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def _validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        if IN_CI:
            pytest.fail("desktop-file-validate is missing (.ci/run installs desktop-file-utils)")
        return
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_install_writes_a_valid_launcher_and_the_icon(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    done = install_desktop_entry()
    assert done.desktop_file == tmp_path / "share" / "applications" / "kws-gui.desktop"
    assert done.icon_file == tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "kws-gui.svg"
    assert done.icon_file.read_bytes() == APP_ICON.read_bytes()
    entry = _read_entry(done.desktop_file)
    assert entry["Type"] == "Application" and entry["Icon"] == "kws-gui" and entry["Terminal"] == "false"
    assert _parse_exec(entry["Exec"]) == launch_command()
    _validate(done.desktop_file)
    assert install_desktop_entry().desktop_file == done.desktop_file  # again: rewritten in place


def test_launch_command_is_this_environments_kws_gui() -> None:
    command = launch_command()
    assert Path(command[0]).is_absolute() and Path(command[0]).exists()
    assert Path(command[0]).name == "kws-gui" or command[1:] == ["-m", "kws_gui.app"]


@pytest.mark.parametrize(
    "command",
    [
        ["/opt/my apps/bin/kws-gui"],
        ["/home/o'neil/kws-gui", "--wav", 'a "quoted" $HOME `x` 100% back\\slash.wav'],
        ["/usr/bin/kws-gui", "--model", ""],
    ],
)
def test_exec_value_survives_the_spec_reading(command: list[str], tmp_path) -> None:
    done = install_desktop_entry(tmp_path, command=command)
    assert _parse_exec(_read_entry(done.desktop_file)["Exec"]) == command
    _validate(done.desktop_file)


def test_a_line_break_cannot_go_into_a_launcher() -> None:
    with pytest.raises(ValueError, match="line break"):
        exec_value(["/bin/kws-gui", "a\nb"])


def test_xdg_folders() -> None:
    assert data_home({"XDG_DATA_HOME": "/x/share", "HOME": "/h"}) == Path("/x/share")
    assert data_home({"XDG_DATA_HOME": "relative/share", "HOME": "/h"}) == Path("/h/.local/share")
    assert data_home({"HOME": "/h"}) == Path("/h/.local/share")
    assert autostart_dir({"XDG_CONFIG_HOME": "/c", "HOME": "/h"}) == Path("/c/autostart")
    assert autostart_dir({"HOME": "/h"}) == Path("/h/.config/autostart")


def test_the_app_flag_installs_and_exits_without_a_display(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv("DISPLAY", raising=False)
    assert app.main(["--install-desktop-entry"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "share" / "applications" / "kws-gui.desktop").is_file()
    assert "autostart" in out and str(tmp_path / "share" / "applications" / "kws-gui.desktop") in out


def test_an_unwritable_target_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert app.main(["--install-desktop-entry"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kws-gui: could not install the desktop entry:") and "Traceback" not in err
