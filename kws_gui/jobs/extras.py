"""Is the ``train`` extra installed? Found without importing TensorFlow."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

INSTALL_HINT = 'pip install -e ".[train]"'
#: Module name -> the package a user installs.
TRAIN_MODULES = {
    "tensorflow": "tensorflow",
    "tf_keras": "tf-keras",
    "tensorflow_model_optimization": "tensorflow-model-optimization",
}


@dataclass(frozen=True)
class ExtraStatus:
    """Whether training can run here, and if not, what to install."""

    available: bool
    missing: tuple[str, ...]
    message: str


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def train_extra_status() -> ExtraStatus:
    """Look the training modules up (``find_spec`` only, nothing is imported)."""
    missing = tuple(pkg for module, pkg in TRAIN_MODULES.items() if not _installed(module))
    if not missing:
        return ExtraStatus(True, (), "training is available")
    return ExtraStatus(
        False,
        missing,
        f"Training needs the train extra ({', '.join(missing)} not installed). "
        f"Install it from the project folder with: {INSTALL_HINT}",
    )
