"""Where things live: shipped models, the user's cache and data folders."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "kws-gui"
#: The source checkout, when the code runs from one (editable install or PYTHONPATH).
_CHECKOUT = Path(__file__).resolve().parent.parent


def _assets_dir() -> Path:
    """The shipped files: package data ``kws_gui.assets`` (the repository's top-level ``assets/``).

    Installed from a wheel (or editable) the package ``kws_gui.assets`` exists; a checkout put on
    ``sys.path`` without installing it has only the top-level ``assets/`` folder.
    """
    try:
        assets = resources.files("kws_gui.assets")
    except ModuleNotFoundError:
        return _CHECKOUT / "assets"
    if not isinstance(assets, Path):  # e.g. a zip import: models must be real files for LiteRT
        raise RuntimeError(
            f"kws_gui's package data is not in a folder ({assets}); install the wheel with pip"
        )
    return assets


ASSETS_DIR = _assets_dir()
MODELS_DIR = ASSETS_DIR / "models"
#: The model the app and kws-listen load when none is given: the live model (yes, no, and
#: "neither"). The seed's two-label DS-CNN is ``ds_cnn.tflite`` beside it.
DEFAULT_MODEL = MODELS_DIR / "live.tflite"
#: The seed's reference pipeline, shipped for comparison.
REFERENCE_MODEL = MODELS_DIR / "reference.tflite"
#: The app icon (scalable), installed by ``kws-gui --install-desktop-entry``.
APP_ICON = ASSETS_DIR / "icons" / "kws-gui.svg"


def cache_dir() -> Path:
    """Feature caches and downloads; ``KWS_CACHE_DIR`` overrides the user cache dir."""
    override = os.environ.get("KWS_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """Jobs, recordings and history; ``KWS_DATA_DIR`` overrides the user data dir."""
    override = os.environ.get("KWS_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def shared_data_dir() -> Path:
    """The project's read-only datasets (``../shared/data`` beside the checkout)."""
    override = os.environ.get("KWS_SHARED_DATA")
    return Path(override) if override else _CHECKOUT.parent / "shared" / "data"
