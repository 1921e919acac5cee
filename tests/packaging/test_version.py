"""``--version`` of kws-gui, kws-listen and kws-train: the installed version and the runtime packages'."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest

from kws_gui import app, listen
from kws_gui.version import runtime_dependencies, version_text
from trainer import cli


@pytest.mark.parametrize(
    ("main", "prog"), [(app.main, "kws-gui"), (listen.main, "kws-listen"), (cli.main, "kws-train")]
)
def test_version_option(main, prog: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{prog} {metadata.version('kws-gui')} (Python ")
    assert (
        f"  numpy {np.__version__}" in out and f"  ai-edge-litert {metadata.version('ai-edge-litert')}" in out
    )
    assert not any("tensorflow" in line for line in out)  # an extra, not a runtime dependency


def test_runtime_dependencies_follow_the_metadata(monkeypatch) -> None:
    requirements = [
        "numpy>=1.24",
        'tensorflow<2.22,>=2.16; extra == "train"',
        'kws-no-such-package-a>=1; python_version < "3"',
        "kws-no-such-package-b>=1",
    ]
    monkeypatch.setattr(metadata, "requires", lambda name: requirements)
    assert runtime_dependencies() == {"numpy": np.__version__, "kws-no-such-package-b": "not installed"}


def test_version_from_an_uninstalled_checkout(monkeypatch) -> None:
    def missing(name: str):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    monkeypatch.setattr(metadata, "requires", missing)
    lines = version_text("kws-listen").splitlines()
    assert len(lines) == 1 and lines[0].startswith("kws-listen unknown (Python ")
