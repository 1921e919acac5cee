"""Persistent user settings of the app (QSettings, INI format).

One small typed layer over :class:`QSettings` so that widgets never deal with
string keys or QVariant conversions. Tests and scripts pass a file path to keep
the user's real settings untouched.

Every stored value is checked when the settings are opened: a value that is not
valid (``hop_s=100``, ``threshold=nan``, an unknown source kind) is replaced by its
default and named in :attr:`AppSettings.problems`, which the window shows. Before
anything is changed the file is kept as ``<name>.<UTC time>.bad`` beside it
(:mod:`kws_gui.core.file_backup`: an earlier backup is never overwritten); the
invalid keys are then removed, so the next start is clean. A file that is not INI
at all is moved to that name and the app starts from the defaults.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from kws_gui.core.audio import SOURCE_KINDS, SourceSpec, parse_device
from kws_gui.core.decision import DecisionSettings
from kws_gui.core.file_backup import back_up
from kws_gui.paths import APP_NAME

MAX_RECENT_MODELS = 8
T = TypeVar("T")
DECISION_FIELDS = tuple(f.name for f in dataclasses.fields(DecisionSettings))
#: Font zoom of the window (Ctrl +/-): smallest, largest, one step.
ZOOM_RANGE = (0.6, 2.5)
ZOOM_STEP = 1.15
#: How long a detected word stays before it fades (seconds).
HOLD_RANGE_S = (0.2, 30.0)


@dataclasses.dataclass(frozen=True)
class DisplaySettings:
    """How the window presents: font zoom, presentation mode (full screen), word hold time.

    Invalid values raise ``ValueError`` naming the field.
    """

    zoom: float = 1.0
    presentation: bool = False
    hold_s: float = 2.0

    def __post_init__(self) -> None:
        for name, (low, high) in (("zoom", ZOOM_RANGE), ("hold_s", HOLD_RANGE_S)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name}: not a number: {value!r}")
            if not math.isfinite(value) or not low <= value <= high:
                raise ValueError(f"{name}: {value!r} is outside {low:g}-{high:g}")
        if not isinstance(self.presentation, bool):
            raise ValueError(f"presentation: not true or false: {self.presentation!r}")


def _as_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a single text value")
    return value


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("not true or false")


def _as_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _as_device(value: object) -> int | str | None:
    if value is not None and not isinstance(value, (str, int)):
        raise ValueError("not a device index or name")
    return parse_device(value)


def _as_kind(value: object) -> str:
    kind = _as_text(value)
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown kind of audio source (known: {', '.join(SOURCE_KINDS)})")
    return kind


def _as_recent(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of file names")
    return [v for v in value if v][:MAX_RECENT_MODELS]


def _as_fields(value: object) -> frozenset[str]:
    """Names of decision settings, stored comma-separated (an INI list of one is a plain string)."""
    items = value if isinstance(value, list) else _as_text(value).split(",")
    names = frozenset(str(item).strip() for item in items if str(item).strip())
    unknown = sorted(names - set(DECISION_FIELDS))
    if unknown:
        raise ValueError(f"not decision settings: {', '.join(unknown)}")
    return names


def _as_geometry(value: object) -> bytes:
    if isinstance(value, QByteArray):
        return bytes(value.data())
    if isinstance(value, bytes):
        return value
    raise ValueError("not saved window geometry")


def _looks_like_ini(path: Path) -> bool:
    """True unless the file holds lines an INI file cannot have (QSettings drops them silently)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    continued = False
    for raw in text.splitlines():
        line = raw.strip()
        ok = continued or not line or line.startswith((";", "#")) or "=" in line
        if not ok and not (line.startswith("[") and line.endswith("]")):
            return False
        continued = line.endswith("\\")
    return True


class AppSettings:
    """Typed, checked access to the app's persistent settings.

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
        #: What was wrong with the stored settings, for people (empty when all was fine).
        self.problems: list[str] = []
        self._invalid: dict[str, str] = {}
        self._check_file()

    @property
    def file_name(self) -> str:
        """Where the settings are stored."""
        return self._qs.fileName()

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._qs.sync()

    # ------------------------------------------------------------------ checking
    def _check_file(self) -> None:
        """Read every setting once; set aside an unreadable file, back up and clean invalid values."""
        path = Path(self.file_name)
        if self._qs.status() == QSettings.Status.AccessError:
            self.problems.append(f"The settings file {path} cannot be read; the defaults are used.")
            return
        if path.is_file() and (self._qs.status() != QSettings.Status.NoError or not _looks_like_ini(path)):
            self._set_aside(path)
            return
        for read in (
            lambda: self.model_path,
            lambda: self.recent_models,
            lambda: self.source,
            lambda: self.decision,
            lambda: self.decision_user_set,
            lambda: self.display,
            lambda: self.window_geometry,
        ):
            read()
        if not self._invalid:
            return
        what = f"Invalid stored settings were replaced by defaults ({'; '.join(self._invalid.values())})"
        backup = self._back_up(path, what, move=False)
        if backup is not None:
            for key in self._invalid:
                self._qs.remove(key)
            self._qs.sync()

    def _set_aside(self, path: Path) -> None:
        """The file is not INI: move it to a backup name and start from the defaults."""
        what = f"The settings file {path.name} is not a valid INI file; the defaults are used"
        if self._back_up(path, what, move=True) is None:
            # this session's changes go to a file of its own; the unreadable one stays as it is
            path = Path(tempfile.mkdtemp(prefix="kws-settings-")) / path.name
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def _back_up(self, path: Path, what: str, move: bool) -> Path | None:
        """Copy (or move) ``path`` to a new backup name and note ``what`` happened; None if it cannot."""
        try:
            backup = back_up(path, move=move)
        except OSError as exc:
            self.problems.append(
                f"{what}. The file could not be backed up ({exc.strerror or exc}), so it is left unchanged."
            )
            return None
        self.problems.append(f"{what}. The previous file is kept as {backup.name}.")
        return backup

    def _read(self, key: str, default: T, convert: Callable[[object], T]) -> T:
        """The stored value of ``key`` converted, or ``default`` (noted) when it is not valid."""
        raw: Any = self._qs.value(key)
        if raw is None:
            return default
        try:
            return convert(raw)
        except (TypeError, ValueError) as exc:
            self._invalid.setdefault(key, f"{key}={str(raw)[:40]!r}: {exc}")
            return default

    # ------------------------------------------------------------------ model
    @property
    def model_path(self) -> str:
        """Last model file used ("" = the shipped default)."""
        return self._read("model/path", "", _as_text)

    @model_path.setter
    def model_path(self, value: str) -> None:
        self._qs.setValue("model/path", str(value))

    @property
    def recent_models(self) -> list[str]:
        """Most recent first, at most :data:`MAX_RECENT_MODELS`."""
        return self._read("model/recent", [], _as_recent)

    def add_recent_model(self, path: str) -> None:
        """Put ``path`` first in the recent list."""
        items = [path] + [p for p in self.recent_models if p != path]
        self._qs.setValue("model/recent", items[:MAX_RECENT_MODELS])

    # ----------------------------------------------------------------- source
    @property
    def source(self) -> SourceSpec:
        """The last chosen audio source."""
        d = SourceSpec()
        return SourceSpec(
            kind=self._read("source/kind", d.kind, _as_kind),
            device=self._read("source/device", d.device, _as_device),
            wav_path=self._read("source/wav_path", d.wav_path, _as_text),
            loop=self._read("source/loop", d.loop, _as_bool),
        )

    @source.setter
    def source(self, spec: SourceSpec) -> None:
        self._qs.setValue("source/kind", spec.kind)
        self._qs.setValue("source/device", "" if spec.device is None else str(spec.device))
        self._qs.setValue("source/wav_path", spec.wav_path)
        self._qs.setValue("source/loop", bool(spec.loop))

    # --------------------------------------------------------------- decision
    def _read_fields(self, group: str, cls: type[T]) -> T:
        """A dataclass of numbers and switches stored as ``<group>/<field>``, each field checked
        by the class itself (its ranges); an invalid field falls back to its default."""
        defaults = cls()
        values = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            default = getattr(defaults, f.name)
            convert = _as_bool if isinstance(default, bool) else _as_float

            def checked(raw: object, name: str = f.name, convert: Callable[[object], Any] = convert) -> Any:
                value = convert(raw)
                cls(**{name: value})  # its own range check, e.g. hop_s, threshold
                return value

            values[f.name] = self._read(f"{group}/{f.name}", default, checked)
        return cls(**values)

    def _write_fields(self, group: str, settings: Any) -> None:
        for f in dataclasses.fields(settings):
            value = getattr(settings, f.name)
            self._qs.setValue(f"{group}/{f.name}", value if isinstance(value, bool) else float(value))

    @property
    def decision(self) -> DecisionSettings:
        """Every field of :class:`DecisionSettings`, stored as ``decision/<field>``."""
        return self._read_fields("decision", DecisionSettings)

    @decision.setter
    def decision(self, settings: DecisionSettings) -> None:
        self._write_fields("decision", settings)

    @property
    def decision_user_set(self) -> frozenset[str]:
        """The decision fields the user changed: a model's recommended values never replace them.

        Files written before this was stored count every stored value that differs from
        the default as the user's (only the user could have changed it then).
        """
        if self._qs.value("decision/user_set") is None:
            stored, defaults = self.decision, DecisionSettings()
            return frozenset(
                name
                for name in DECISION_FIELDS
                if self._qs.value(f"decision/{name}") is not None
                and getattr(stored, name) != getattr(defaults, name)
            )
        return self._read("decision/user_set", frozenset(), _as_fields)

    @decision_user_set.setter
    def decision_user_set(self, names: frozenset[str] | set[str]) -> None:
        self._qs.setValue("decision/user_set", ",".join(sorted(set(names) & set(DECISION_FIELDS))))

    # ---------------------------------------------------------------- display
    @property
    def display(self) -> DisplaySettings:
        """Zoom, presentation mode and hold time, stored as ``display/<field>``."""
        return self._read_fields("display", DisplaySettings)

    @display.setter
    def display(self, settings: DisplaySettings) -> None:
        self._write_fields("display", settings)

    # ----------------------------------------------------------------- window
    @property
    def window_geometry(self) -> bytes:
        """Saved main-window geometry (empty when none)."""
        return self._read("window/geometry", b"", _as_geometry)

    @window_geometry.setter
    def window_geometry(self, value: bytes) -> None:
        self._qs.setValue("window/geometry", QByteArray(value))
