"""The wheel carries the shipped models: built as a user's pip would (sdist, then the wheel from
the sdist), unpacked outside the checkout, ``kws_gui.paths`` finds them with importlib.resources
and kws-listen hears "yes" with the default model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, shared_data
from tests.core.test_listen import YES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """``python -m build`` of the checkout: {"wheel": ..., "sdist": ...}."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"wheel": next(out.glob("kws_gui-*.whl")), "sdist": next(out.glob("kws_gui-*.tar.gz"))}


def _shipped_files() -> list[str]:
    """Every file of the repository's assets/ folder, relative to it."""
    root = REPO_ROOT / "assets"
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def test_wheel_and_sdist_carry_the_assets_once(dist) -> None:
    shipped = _shipped_files()
    assert "models/ds_cnn.tflite" in shipped and "icons/kws-gui.svg" in shipped
    wheel_names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    assert {f"kws_gui/assets/{f}" for f in shipped} <= wheel_names
    assert not any(name.startswith("assets/") for name in wheel_names)  # no stray top-level package
    with tarfile.open(dist["sdist"]) as sdist:
        sdist_names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"assets/{f}" for f in shipped} <= sdist_names


def test_an_installed_wheel_finds_its_models_and_hears_yes(dist, tmp_path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(dist["wheel"]).extractall(site)
    probe = """
import json, sys
import kws_gui
from kws_gui import listen, paths
from kws_gui.version import package_version
print(json.dumps({"package": kws_gui.__file__, "default": str(paths.DEFAULT_MODEL),
                  "models": sorted(p.name for p in paths.MODELS_DIR.glob("*.tflite")),
                  "icon": paths.APP_ICON.is_file(), "version": package_version()}))
sys.exit(listen.main(["--wav", sys.argv[1], "--fast", "--json"]))
"""
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(shared_data(*YES))],
        cwd=tmp_path,  # not the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    found = lines[0]
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["default"]).is_relative_to(site / "kws_gui" / "assets" / "models")
    assert Path(found["default"]).is_file() and found["icon"]
    assert found["models"] == sorted(f.split("/")[1] for f in _shipped_files() if f.endswith(".tflite"))
    assert found["version"] == dist["wheel"].name.split("-")[1]
    assert [e["label"] for e in lines[1:] if e["event"] == "detection"] == ["yes"]


def test_a_checkout_on_sys_path_without_installing_uses_its_assets_folder(monkeypatch) -> None:
    from kws_gui import paths

    def not_installed(name: str):
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(paths.resources, "files", not_installed)
    assert paths._assets_dir() == REPO_ROOT / "assets"
    assert (paths._assets_dir() / "models" / paths.DEFAULT_MODEL.name).is_file()
