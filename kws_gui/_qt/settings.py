"""Persistent user settings of the app (QSettings, INI format).

One small typed layer over :class:`QSettings` so that widgets never deal with
string keys or QVariant conversions. Tests and scripts pass a file path to keep
the user's real settings untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from kws_gui.core.audio import SOURCE_KINDS, SourceSpec, parse_device
from kws_gui.paths import APP_NAME

MAX_RECENT_MODELS = 8


@dataclass(frozen=True)
class DecisionValues:
    """The user-tunable decision parameters (what the decision settings widget edits)."""

    threshold: float = 0.7
    hop_s: float = 0.1
    smoothing_s: float = 0.3
    suppression_s: float = 1.0


def _to_float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _to_bool(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return default if value is None else bool(value)


class AppSettings:
    """Typed access to the app's persistent settings.

    ``path=None`` uses ``$KWS_SETTINGS`` when set (tests, kiosk set-ups), else the
    per-user INI file (organization and application name
    :data:`kws_gui.paths.APP_NAME`, under ``$XDG_CONFIG_HOME`` on Linux).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            path = os.environ.get("KWS_SETTINGS") or None
        if path is None:
            self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)
        else:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def file_name(self) -> str:
        """Where the settings are stored."""
        return self._qs.fileName()

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._qs.sync()

    # ------------------------------------------------------------------ model
    @property
    def model_path(self) -> str:
        """Last model file used ("" = the shipped default)."""
        return str(self._qs.value("model/path", "") or "")

    @model_path.setter
    def model_path(self, value: str) -> None:
        self._qs.setValue("model/path", str(value))

    @property
    def recent_models(self) -> list[str]:
        """Most recent first, at most :data:`MAX_RECENT_MODELS`."""
        value = self._qs.value("model/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or []) if v][:MAX_RECENT_MODELS]

    def add_recent_model(self, path: str) -> None:
        """Put ``path`` first in the recent list."""
        items = [path] + [p for p in self.recent_models if p != path]
        self._qs.setValue("model/recent", items[:MAX_RECENT_MODELS])

    # ----------------------------------------------------------------- source
    @property
    def source(self) -> SourceSpec:
        """The last chosen audio source."""
        kind = str(self._qs.value("source/kind", "microphone") or "microphone")
        return SourceSpec(
            kind=kind if kind in SOURCE_KINDS else "microphone",
            device=parse_device(self._qs.value("source/device", "")),
            wav_path=str(self._qs.value("source/wav_path", "") or ""),
            loop=_to_bool(self._qs.value("source/loop", True), True),
        )

    @source.setter
    def source(self, spec: SourceSpec) -> None:
        self._qs.setValue("source/kind", spec.kind)
        self._qs.setValue("source/device", "" if spec.device is None else str(spec.device))
        self._qs.setValue("source/wav_path", spec.wav_path)
        self._qs.setValue("source/loop", bool(spec.loop))

    # --------------------------------------------------------------- decision
    @property
    def decision(self) -> DecisionValues:
        """Threshold, hop, smoothing and suppression."""
        d = DecisionValues()
        return DecisionValues(
            threshold=_to_float(self._qs.value("decision/threshold", d.threshold), d.threshold),
            hop_s=_to_float(self._qs.value("decision/hop_s", d.hop_s), d.hop_s),
            smoothing_s=_to_float(self._qs.value("decision/smoothing_s", d.smoothing_s), d.smoothing_s),
            suppression_s=_to_float(
                self._qs.value("decision/suppression_s", d.suppression_s), d.suppression_s
            ),
        )

    @decision.setter
    def decision(self, values: DecisionValues) -> None:
        self._qs.setValue("decision/threshold", float(values.threshold))
        self._qs.setValue("decision/hop_s", float(values.hop_s))
        self._qs.setValue("decision/smoothing_s", float(values.smoothing_s))
        self._qs.setValue("decision/suppression_s", float(values.suppression_s))

    # ----------------------------------------------------------------- window
    @property
    def window_geometry(self) -> bytes:
        """Saved main-window geometry (empty when none)."""
        value = self._qs.value("window/geometry", QByteArray())
        if isinstance(value, QByteArray):
            return bytes(value.data())
        return value if isinstance(value, bytes) else b""

    @window_geometry.setter
    def window_geometry(self, value: bytes) -> None:
        self._qs.setValue("window/geometry", QByteArray(value))
