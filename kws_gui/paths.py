"""Where things live: shipped models, the user's cache and data folders."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "kws-gui"
#: The repository's ``assets/`` folder (the app is installed editable from a checkout).
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
MODELS_DIR = ASSETS_DIR / "models"
#: The model the app and kws-listen load when none is given.
DEFAULT_MODEL = MODELS_DIR / "ds_cnn.tflite"
#: The seed's reference pipeline, shipped for comparison.
REFERENCE_MODEL = MODELS_DIR / "reference.tflite"


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
    return Path(override) if override else ASSETS_DIR.parent.parent / "shared" / "data"
