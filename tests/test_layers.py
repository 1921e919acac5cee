"""The layering in pyproject.toml (import-linter contracts) holds, and the check really runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    command = str(exe) if exe.is_file() else shutil.which("lint-imports")
    assert command, "lint-imports is missing: pip install -e '.[test]'"
    out = subprocess.run(
        [command, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_every_import_contract_is_checked_and_kept() -> None:
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = config.count("[[tool.importlinter.contracts]]")
    assert declared >= 4  # layers, Qt/TF-free core and jobs, app -/-> trainer, trainer -> core only
    report = _lint_imports()
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", report)
    assert kept is not None, report
    assert (int(kept.group(1)), int(kept.group(2))) == (declared, 0), report
