"""``--version`` of kws-gui, kws-listen and kws-train: this package's version and its runtime's.

Read from the installed distribution's metadata (``importlib.metadata``), so it names what
pip really installed: on a Raspberry Pi, which PySide6 / LiteRT / NumPy the resolver picked.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
from importlib import metadata

DIST_NAME = "kws-gui"


def package_version() -> str:
    """The installed version of kws-gui, or ``"unknown"`` when it runs from an uninstalled checkout."""
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "unknown"


def runtime_dependencies() -> dict[str, str]:
    """Each runtime dependency (no extras) -> its installed version, or ``"not installed"``."""
    try:
        requirements = metadata.requires(DIST_NAME) or []
    except metadata.PackageNotFoundError:
        return {}
    found: dict[str, str] = {}
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        name = re.match(r"[A-Za-z0-9._-]+", spec.strip())
        if name is None or re.search(r"\bextra\s*==", marker):
            continue
        try:
            found[name.group(0)] = metadata.version(name.group(0))
        except metadata.PackageNotFoundError:
            if not marker.strip():  # with a marker (python_version, ...) it may not apply here
                found[name.group(0)] = "not installed"
    return found


def version_text(prog: str) -> str:
    """``prog VERSION (Python X on OS ARCH)`` and one line per runtime dependency."""
    lines = [
        f"{prog} {package_version()} (Python {platform.python_version()} on {platform.system()} "
        f"{platform.machine()})"
    ]
    lines += [f"  {name} {version}" for name, version in runtime_dependencies().items()]
    return "\n".join(lines)


class _VersionAction(argparse.Action):
    """Prints :func:`version_text` unwrapped (argparse's own version action reflows lines)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text(parser.prog), file=sys.stdout)
        parser.exit()


def add_version_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--version`` to a command line."""
    parser.add_argument(
        "--version", action=_VersionAction, help="print the version and those of the runtime packages"
    )
