"""The oldest dependency set CI tests (.ci/oldest-bookworm.txt) is pyproject.toml's lower bounds."""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO_ROOT

tomllib = pytest.importorskip("tomllib")

PINS_FILE = REPO_ROOT / ".ci" / "oldest-bookworm.txt"


def _pins() -> dict[str, Version]:
    pins = {}
    for line in PINS_FILE.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = re.split(r"\s*==\s*", line)
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_runtime_dependency_is_pinned_at_its_lower_bound() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    problems = []
    for text in project["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        lower = [Version(s.version) for s in req.specifier if s.operator == ">="]
        if not lower:
            problems.append(f"{text}: give it a lower bound (>=) and test it in {PINS_FILE.name}")
        elif name not in pins:
            problems.append(
                f"{text}: pin {req.name}=={lower[0]} in {PINS_FILE.name} (CI tests the lower bound)"
            )
        elif pins[name] != lower[0]:
            problems.append(f"{text}: {PINS_FILE.name} tests {pins[name]}; the bound and the pin must agree")
        elif pins[name] not in req.specifier:
            problems.append(f"{text}: the pin {pins[name]} does not satisfy it")
    stale = set(pins) - {canonicalize_name(Requirement(t).name) for t in project["dependencies"]}
    problems += [f"{PINS_FILE.name} pins {name}, which is no runtime dependency" for name in sorted(stale)]
    assert not problems, "\n".join(problems)
