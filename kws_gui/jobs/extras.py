"""Are the ``train`` and ``sweep`` extras installed? Found without importing TensorFlow or Ray."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

INSTALL_HINT = 'pip install -e ".[train]"'
SWEEP_INSTALL_HINT = 'pip install -e ".[train,sweep]"'
#: Module name -> the package a user installs.
TRAIN_MODULES = {
    "tensorflow": "tensorflow",
    "tf_keras": "tf-keras",
    "tensorflow_model_optimization": "tensorflow-model-optimization",
}
#: Looked up by the top-level package only: finding ``ray.tune`` would import Ray.
SWEEP_MODULES = {"ray": "ray[tune]", "yaml": "pyyaml", "matplotlib": "matplotlib"}


@dataclass(frozen=True)
class ExtraStatus:
    """Whether training can run here, and if not, what to install."""

    available: bool
    missing: tuple[str, ...]
    message: str


def _missing(modules: dict[str, str]) -> tuple[str, ...]:
    """The packages of ``modules`` that cannot be found (``find_spec`` only, nothing is imported)."""

    def installed(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    return tuple(pkg for module, pkg in modules.items() if not installed(module))


def train_extra_status() -> ExtraStatus:
    """Can training jobs run here (TensorFlow and friends installed)?"""
    missing = _missing(TRAIN_MODULES)
    if not missing:
        return ExtraStatus(True, (), "training is available")
    return ExtraStatus(
        False,
        missing,
        f"Training needs the train extra ({', '.join(missing)} not installed). "
        f"Install it from the project folder with: {INSTALL_HINT}",
    )


def sweep_extra_status() -> ExtraStatus:
    """Can sweep jobs run here (training plus Ray Tune, PyYAML, matplotlib)?"""
    missing = _missing(TRAIN_MODULES) + _missing(SWEEP_MODULES)
    if not missing:
        return ExtraStatus(True, (), "sweeps are available")
    return ExtraStatus(
        False,
        missing,
        f"Sweeps need the train and sweep extras ({', '.join(missing)} not installed). "
        f"Install them from the project folder with: {SWEEP_INSTALL_HINT}",
    )
