"""Which wheels a Raspberry Pi gets: resolve kws-gui's runtime dependencies for 64-bit Raspberry Pi OS.

    python scripts/pi_wheels.py dist/kws_gui-*.whl [--target NAME ...] [--json FILE] [--markdown]
    python scripts/pi_wheels.py dist/kws_gui-*.whl --install-listen DIR [--target NAME]

For each target (a Raspberry Pi OS release = its glibc, and a Python version) pip resolves the
wheel's requirements as a Pi would, without downloading the big wheels: ``pip install --dry-run
--report`` with ``--platform manylinux_2_{17..glibc}_aarch64`` (pip does not expand a manylinux tag
to the older ones itself), ``--python-version``, ``--only-binary=:all:`` (a Pi must not have to
compile anything). It prints the resolved versions per target and fails, with pip's message, when
a dependency has no aarch64 wheel for a target.

``--install-listen DIR`` installs what ``kws-listen`` needs for the (first) target into ``DIR``
(``pip install --target``; the Qt packages are left out), e.g. for a run under qemu-user.

Needs pip >= 23.0 (``--dry-run --report`` with ``--platform``); PyPI (or a mirror with aarch64
wheels) must be reachable.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: name -> (glibc of that Raspberry Pi OS release, Python version). The system Python of
#: Bookworm is 3.11 and of Trixie 3.13; the other pairs are what pyenv/uv users run there.
TARGETS: dict[str, tuple[str, str]] = {
    "bookworm-py3.11": ("2.36", "3.11"),
    "bookworm-py3.13": ("2.36", "3.13"),
    "trixie-py3.11": ("2.41", "3.11"),
    "trixie-py3.13": ("2.41", "3.13"),
}
#: The oldest manylinux tag pip should accept (manylinux2014 = glibc 2.17).
OLDEST_GLIBC_MINOR = 17
#: Distributions that kws-listen does not import (the Qt front end).
QT_ONLY = {"pyside6-essentials", "shiboken6", "pyqtgraph"}


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PySide6_Essentials`` = ``pyside6-essentials``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def platform_args(glibc: str) -> list[str]:
    """``--platform`` options for every manylinux aarch64 tag a system with this glibc accepts."""
    major, minor = (int(part) for part in glibc.split("."))
    tags = [f"manylinux_{major}_{m}_aarch64" for m in range(minor, OLDEST_GLIBC_MINOR - 1, -1)]
    tags.append("manylinux2014_aarch64")
    return [arg for tag in tags for arg in ("--platform", tag)]


def target_args(name: str) -> list[str]:
    """pip options that make it resolve for target ``name``."""
    glibc, python = TARGETS[name]
    return [
        *platform_args(glibc),
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--only-binary=:all:",
    ]


def resolve(wheel: Path, name: str) -> list[dict]:
    """``[{"name", "version", "file"}, ...]`` pip picks for ``wheel`` on target ``name``.

    Raises RuntimeError with pip's message when it cannot resolve.
    """
    with tempfile.TemporaryDirectory(prefix="pi-wheels-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
            "--disable-pip-version-check", "--target", str(Path(tmp) / "target"),
            "--report", str(report), *target_args(name), str(wheel),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not report.is_file():
            errors = [line for line in proc.stderr.splitlines() if "is ignored" not in line]
            raise RuntimeError(f"pip could not resolve for {name}:\n" + "\n".join(errors[-15:]))
        data = json.loads(report.read_text())
    picked = []
    for item in data["install"]:
        url = item["download_info"]["url"]
        picked.append(
            {
                "name": item["metadata"]["name"],
                "version": item["metadata"]["version"],
                "file": url.rsplit("/", 1)[-1],
                "url": url,
            }
        )
    return picked


def check_binaries(name: str, picked: list[dict]) -> list[str]:
    """Problems: any picked file that is not an aarch64 or pure-Python wheel."""
    problems = []
    for item in picked:
        file = item["file"]
        if not file.endswith(".whl"):
            problems.append(f"{name}: {item['name']} {item['version']} is not a wheel ({file})")
        elif not (file.endswith("-any.whl") or "aarch64" in file):
            problems.append(f"{name}: {item['name']} {item['version']} is not an aarch64 wheel ({file})")
    return problems


def direct_dependencies(wheel: Path) -> set[str]:
    """The normalized names of the wheel's runtime requirements (no extras)."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(meta).decode("utf-8")
    names = set()
    for line in text.splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            names.add(normalized(re.match(r"[A-Za-z0-9._-]+", line.split(":", 1)[1].strip()).group(0)))
    return names


def table(results: dict[str, list[dict]], markdown: bool, only: set[str] | None = None) -> str:
    """Resolved versions: one row per distribution (those in ``only``, if given), one column per target."""
    targets = list(results)
    versions: dict[str, dict[str, str]] = {}
    for target, picked in results.items():
        for item in picked:
            versions.setdefault(item["name"], {})[target] = item["version"]
    names = sorted((n for n in versions if only is None or normalized(n) in only), key=str.lower)
    if markdown:
        lines = ["| Package | " + " | ".join(targets) + " |", "|---" * (len(targets) + 1) + "|"]
        lines += [f"| {n} | " + " | ".join(versions[n].get(t, "-") for t in targets) + " |" for n in names]
        return "\n".join(lines)
    width = max(len(n) for n in names) + 2
    lines = ["".ljust(width) + "".join(t.ljust(18) for t in targets)]
    lines += [n.ljust(width) + "".join(versions[n].get(t, "-").ljust(18) for t in targets) for n in names]
    return "\n".join(lines)


def install_listen(wheel: Path, name: str, picked: list[dict], target_dir: Path) -> None:
    """Install what kws-listen imports (everything picked but the Qt packages) into ``target_dir``."""
    wanted = [str(wheel)] + [
        item["url"] for item in picked if normalized(item["name"]) not in QT_ONLY | {"kws-gui"}
    ]
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
        "--no-compile", "--target", str(target_dir), *target_args(name), *wanted,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if "is ignored" not in line]
        raise RuntimeError("pip install --target failed:\n" + "\n".join(errors[-15:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the kws-gui wheel (python -m build)")
    parser.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="default: all (repeat for several)"
    )
    parser.add_argument("--json", type=Path, help="also write the resolved sets as JSON here")
    parser.add_argument(
        "--markdown", action="store_true", help="a Markdown table of the direct dependencies (for README)"
    )
    parser.add_argument("--install-listen", type=Path, metavar="DIR", help="install kws-listen's wheels here")
    args = parser.parse_args(argv)
    if not args.wheel.is_file():
        print(f"pi_wheels: no such wheel: {args.wheel}", file=sys.stderr)
        return 2
    targets = args.target or list(TARGETS)
    results: dict[str, list[dict]] = {}
    problems: list[str] = []
    for name in targets:
        try:
            results[name] = resolve(args.wheel, name)
        except RuntimeError as exc:
            problems.append(str(exc))
            continue
        problems += check_binaries(name, results[name])
    if results:
        print(table(results, args.markdown, direct_dependencies(args.wheel) if args.markdown else None))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if problems:
        print("\n".join(["pi_wheels: FAILED", *problems]), file=sys.stderr)
        return 1
    if args.install_listen:
        try:
            install_listen(args.wheel, targets[0], results[targets[0]], args.install_listen)
        except RuntimeError as exc:
            print(f"pi_wheels: {exc}", file=sys.stderr)
            return 1
        print(f"installed kws-listen for {targets[0]} into {args.install_listen}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
