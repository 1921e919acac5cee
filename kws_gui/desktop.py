"""Desktop integration: an XDG launcher (``.desktop`` file) and icon for kws-gui.

``kws-gui --install-desktop-entry`` writes, following the freedesktop.org specifications,

- ``$XDG_DATA_HOME/applications/kws-gui.desktop`` (launcher menus, the Raspberry Pi desktop),
- ``$XDG_DATA_HOME/icons/hicolor/scalable/apps/kws-gui.svg``,

with ``$XDG_DATA_HOME`` defaulting to ``~/.local/share``. The launcher runs the ``kws-gui``
of the environment it was installed from (a pipx or venv path need not be on the desktop's
PATH). Copy the .desktop file into ``~/.config/autostart/`` to start the app with the session.
Qt-free; nothing here needs a display.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kws_gui.core.atomic_file import atomic_write
from kws_gui.paths import APP_ICON, APP_NAME

#: The desktop file id: file name stem, icon name and the Wayland app id (``setDesktopFileName``).
DESKTOP_ID = APP_NAME

#: Characters that make the Desktop Entry spec require an Exec argument to be quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


@dataclass(frozen=True)
class DesktopInstall:
    """Where :func:`install_desktop_entry` wrote its files."""

    desktop_file: Path
    icon_file: Path


def _xdg_dir(variable: str, default: str, environ: Mapping[str, str] | None) -> Path:
    """An XDG base directory: the variable when absolute (relative ones are ignored, as the spec
    says), else ``default`` under the home folder."""
    env = os.environ if environ is None else environ
    value = env.get(variable, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / default


def data_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share``."""
    return _xdg_dir("XDG_DATA_HOME", ".local/share", environ)


def autostart_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where a session's autostart launchers go: ``$XDG_CONFIG_HOME/autostart``, else ``~/.config/autostart``."""
    return _xdg_dir("XDG_CONFIG_HOME", ".config", environ) / "autostart"


def launch_command() -> list[str]:
    """How the launcher starts the app: this environment's ``kws-gui`` script, by absolute path."""
    beside_python = Path(sys.executable).parent / "kws-gui"
    if beside_python.is_file():
        return [str(beside_python)]
    on_path = shutil.which("kws-gui")
    if on_path:
        return [str(Path(on_path).resolve())]
    return [sys.executable, "-m", "kws_gui.app"]


def exec_value(command: Sequence[str]) -> str:
    """The ``Exec=`` value for ``command``: quoted as the Desktop Entry spec asks.

    Arguments with reserved characters go in double quotes (``"`` `` ` `` ``$`` ``\\`` escaped
    inside), ``%`` is doubled (field codes), then backslashes are escaped once more for the
    file's string type.
    """
    parts = []
    for arg in command:
        if any(ch in arg for ch in "\n\r"):
            raise ValueError(f"a launcher command cannot contain a line break: {arg!r}")
        if any(ch in _RESERVED for ch in arg) or not arg:
            arg = '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'
        parts.append(arg.replace("%", "%%"))
    return " ".join(parts).replace("\\", "\\\\")


def desktop_entry_text(command: Sequence[str]) -> str:
    """The .desktop file that starts ``command``."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=kws-gui\n"
        "GenericName=Keyword spotting\n"
        'Comment=Watch a tiny neural network hear "yes" and "no" from the microphone\n'
        f"Exec={exec_value(command)}\n"
        f"Icon={DESKTOP_ID}\n"
        "Terminal=false\n"
        "Categories=AudioVideo;Audio;\n"
        "Keywords=speech;keyword;microphone;tflite;machine learning;\n"
        f"StartupWMClass={APP_NAME}\n"
    )


def install_desktop_entry(
    target: Path | None = None, command: Sequence[str] | None = None, icon: Path = APP_ICON
) -> DesktopInstall:
    """Write the launcher and icon under ``target`` (default :func:`data_home`); returns the paths.

    Rewrites both files when they exist (an upgrade or another venv moves the command).
    """
    root = data_home() if target is None else Path(target)
    if not icon.is_file():
        raise FileNotFoundError(f"the app icon is missing from the installed package: {icon}")
    icon_file = root / "icons" / "hicolor" / "scalable" / "apps" / f"{DESKTOP_ID}.svg"
    atomic_write(icon_file, icon.read_bytes())
    desktop_file = root / "applications" / f"{DESKTOP_ID}.desktop"
    atomic_write(desktop_file, desktop_entry_text(launch_command() if command is None else command))
    return DesktopInstall(desktop_file=desktop_file, icon_file=icon_file)


def main_install(out=None) -> int:
    """``kws-gui --install-desktop-entry``: install, say where; exit code 0, or 1 with a message."""
    out = sys.stdout if out is None else out
    try:
        done = install_desktop_entry()
    except (OSError, ValueError) as exc:
        print(f"kws-gui: could not install the desktop entry: {exc}", file=sys.stderr)
        return 1
    print(
        f"Installed {done.desktop_file}\n      and {done.icon_file}\n"
        f"To start the app with the desktop session (a kiosk demo):\n"
        f"  mkdir -p {autostart_dir()} && cp {done.desktop_file} {autostart_dir()}/",
        file=out,
    )
    return 0
