"""The search space of a sweep: any ``kws-train train`` option as a fixed value, a grid or a distribution.

The space file (YAML or JSON) maps option names, as ``kws-train train --help`` spells
them (``final-sparsity``, ``--final-sparsity`` or ``final_sparsity``), to one of:

* a single value: every trial uses it (``epochs: 20``);
* a list: a grid, every value is run (``filters: [16, 24, 32, 48]``);
* ``{grid: [...]}``: the same, spelled out;
* ``{choice: [...]}``: one value drawn per sample;
* ``{uniform: [low, high]}`` / ``{loguniform: [low, high]}``: a float drawn per sample;
* ``{int: [low, high]}``: a whole number drawn per sample, both ends included.

There is no second list of options: names are looked up in the ``train`` subparser
of :func:`trainer.cli.build_parser`, values are turned into ``train`` arguments and
parsed by that parser, and configurations are built by :func:`trainer.cli.train_config`,
exactly as ``kws-train train`` does. So a trial is that command with its own options.

Checked when the file is read, with messages naming the option: unknown options,
values the option's parser refuses, malformed or empty ranges, and values the
training configuration refuses (each value must be valid on its own or together
with at least one value of one other swept option, e.g. ``mfccs: 40`` with
``mel-bins: [16, 40]``; other combinations that turn out invalid fail as trials).
Ray is imported only by :meth:`SweepSpace.to_ray`.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.models import ConfigError

KINDS = ("fixed", "grid", "choice", "uniform", "loguniform", "int")
RANGE_KINDS = ("uniform", "loguniform", "int")
# Set by the sweep itself for every trial, never by the space.
RESERVED = frozenset({"help", "data", "out", "progress", "cache_dir"})
MAX_SPACE_BYTES = 1 << 20  # a space file is a few lines
_PLACEHOLDER = ["--data", "/sweep-data", "--out", "/sweep-out"]


class SweepSpaceError(ConfigError):
    """A space file that cannot be used; the message names the file and the option."""


# ------------------------------------------------------------ the train parser
def train_parser() -> argparse.ArgumentParser:
    """The ``kws-train train`` subparser; its ``error`` raises :class:`ConfigError` instead of exiting."""
    from trainer.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    train = subparsers.choices["train"]

    def fail(message: str) -> None:
        raise ConfigError(message)

    train.error = fail  # type: ignore[method-assign]
    return train


def train_options(parser: argparse.ArgumentParser | None = None) -> dict[str, argparse.Action]:
    """Every name a space file may use for a ``train`` option -> its parser action."""
    parser = parser or train_parser()
    names: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if not action.option_strings or action.dest in RESERVED:
            continue
        for option in action.option_strings:
            if option.startswith("--no-"):
                continue
            bare = option.lstrip("-")
            for name in (option, bare, bare.replace("-", "_")):
                names[name] = action
    return names


def option_key(action: argparse.Action) -> str:
    """The canonical name of an option in a sweep: its long flag without dashes (``final-sparsity``)."""
    longs = [o for o in action.option_strings if o.startswith("--") and not o.startswith("--no-")]
    return (longs or action.option_strings)[0].lstrip("-")


def option_tokens(action: argparse.Action, value: Any) -> list[str]:
    """``train`` arguments that set ``action`` to ``value`` (``--filters=16``, ``--no-prune``)."""
    name = option_key(action)
    flag = f"--{name}"
    if isinstance(action, argparse.BooleanOptionalAction) or action.nargs == 0:
        if not isinstance(value, bool):
            raise SweepSpaceError(f"{name}: takes true or false, got {value!r}")
        if isinstance(action, argparse.BooleanOptionalAction):
            return [flag if value else f"--no-{name}"]
        return [flag] if value else []
    if isinstance(value, (dict, list, tuple)) or value is None:
        raise SweepSpaceError(f"{name}: a value must be a number or a string, got {value!r}")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return [f"{flag}={text}"]  # one token: values such as "-20,10" must not look like options


def train_argv(options: dict[str, Any], data_dirs: Sequence[str | Path], out: str | Path) -> list[str]:
    """The ``kws-train train`` arguments (after ``train``) of one trial's options."""
    actions = train_options()
    argv: list[str] = []
    for directory in data_dirs:
        argv += ["--data", str(directory)]
    argv += ["--out", str(out)]
    for key, value in options.items():
        argv += option_tokens(actions[key], value)
    return argv


def parse_train_args(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed by the ``train`` subparser; :class:`ConfigError` on any parse error."""
    return train_parser().parse_args(list(argv))


# ------------------------------------------------------------------ the space
@dataclass(frozen=True)
class Dimension:
    """One option of the space: how its values are chosen."""

    key: str  # canonical option name, e.g. "final-sparsity"
    kind: str  # one of KINDS
    values: tuple[Any, ...]  # fixed: (v,); grid/choice: the values; ranges: (low, high)

    def points(self) -> tuple[Any, ...]:
        """The values to check: the listed ones, or a range's two ends."""
        return self.values

    def to_json(self) -> Any:
        """The dimension as the space file spells it (recorded in sweep.json)."""
        if self.kind == "fixed":
            return self.values[0]
        return {self.kind: list(self.values)}


@dataclass(frozen=True)
class SweepSpace:
    """The parsed, checked search space."""

    dimensions: tuple[Dimension, ...]
    source: str = ""

    @property
    def grid_size(self) -> int:
        """Trials per sample: the product of the grid lengths."""
        return math.prod(len(d.values) for d in self.dimensions if d.kind == "grid")

    @property
    def has_distributions(self) -> bool:
        """Whether any option is drawn at random (choice or a range)."""
        return any(d.kind in ("choice", *RANGE_KINDS) for d in self.dimensions)

    def trial_count(self, samples: int) -> int:
        """Number of trials of ``samples`` samples (each sample runs every grid combination)."""
        return self.grid_size * samples

    def to_json(self) -> dict[str, Any]:
        """The space as a space file would spell it (canonical names)."""
        return {d.key: d.to_json() for d in self.dimensions}

    def to_ray(self) -> dict[str, Any]:
        """Ray Tune's ``param_space`` (keys: canonical option names)."""
        from ray import tune

        space: dict[str, Any] = {}
        for d in self.dimensions:
            if d.kind == "fixed":
                space[d.key] = d.values[0]
            elif d.kind == "grid":
                space[d.key] = tune.grid_search(list(d.values))
            elif d.kind == "choice":
                space[d.key] = tune.choice(list(d.values))
            elif d.kind == "uniform":
                space[d.key] = tune.uniform(*d.values)
            elif d.kind == "loguniform":
                space[d.key] = tune.loguniform(*d.values)
            else:  # int: both ends included
                space[d.key] = tune.randint(d.values[0], d.values[1] + 1)
        return space


def load_space(path: str | Path) -> SweepSpace:
    """Read and check a space file (``.json`` as JSON, anything else as YAML)."""
    from kws_gui.core.bounded_json import loads_bounded

    p = Path(path)
    try:
        if p.stat().st_size > MAX_SPACE_BYTES:
            raise SweepSpaceError(f"{p}: the space file is larger than {MAX_SPACE_BYTES} bytes")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepSpaceError(f"{p}: cannot read the space file: {exc}") from exc
    fmt = "JSON" if p.suffix.lower() == ".json" else "YAML"
    if fmt == "YAML":
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - PyYAML comes with the sweep extra
            raise SweepSpaceError(f"{p}: reading YAML needs PyYAML (pip install -e '.[sweep]')") from exc
    try:
        data = loads_bounded(text, MAX_SPACE_BYTES, 8, "the space") if fmt == "JSON" else yaml.safe_load(text)
    except Exception as exc:  # ValueError (JSON, limits), yaml.YAMLError, RecursionError (deep YAML)
        raise SweepSpaceError(f"{p}: not valid {fmt}: {exc}") from None
    return parse_space(data, source=str(p))


def parse_space(data: Any, source: str = "space") -> SweepSpace:
    """Check a space given as a dict (see the module docstring); :class:`SweepSpaceError` if unusable."""
    if not isinstance(data, dict) or not data:
        raise SweepSpaceError(
            f"{source}: must map kws-train train options to values, e.g. 'filters: [16, 32]'"
        )
    parser = train_parser()
    actions = train_options(parser)
    dimensions: list[Dimension] = []
    seen: dict[str, str] = {}
    for raw_name, spec in data.items():
        name = str(raw_name)
        action = actions.get(name)
        if action is None:
            raise SweepSpaceError(f"{source}: {_unknown_option(name, actions)}")
        key = option_key(action)
        if key in seen:
            raise SweepSpaceError(f"{source}: '{name}' and '{seen[key]}' are the same option")
        seen[key] = name
        try:
            dimension = _dimension(key, spec)
            _check_values(parser, action, dimension)
        except SweepSpaceError as exc:
            raise SweepSpaceError(f"{source}: {exc}") from None
        dimensions.append(dimension)
    space = SweepSpace(tuple(dimensions), source)
    _check_configs(space, source)
    return space


def _unknown_option(name: str, actions: dict[str, argparse.Action]) -> str:
    import difflib

    if name.lstrip("-").replace("_", "-") in {n.replace("_", "-") for n in RESERVED}:
        return f"'{name}' is set by kws-train sweep itself, not by the space"
    known = sorted({option_key(a) for a in actions.values()})
    close = difflib.get_close_matches(name.lstrip("-").replace("_", "-"), known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown option '{name}'{hint}; kws-train train options: {', '.join(known)}"


def _dimension(key: str, spec: Any) -> Dimension:
    if isinstance(spec, list):
        spec = {"grid": spec}
    if not isinstance(spec, dict):
        return Dimension(key, "fixed", (spec,))
    if len(spec) != 1 or next(iter(spec)) not in KINDS[1:]:
        raise SweepSpaceError(
            f"{key}: a mapping must have exactly one key of {', '.join(KINDS[1:])}, got {sorted(map(str, spec))}"
        )
    kind, values = next(iter(spec.items()))
    if not isinstance(values, list) or not values:
        raise SweepSpaceError(f"{key}: {kind} needs a non-empty list, got {values!r}")
    if kind in ("grid", "choice"):
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise SweepSpaceError(f"{key}: {kind} lists a value twice: {values}")
        return Dimension(key, kind, tuple(values))
    return Dimension(key, kind, _range(key, kind, values))


def _range(key: str, kind: str, values: list[Any]) -> tuple[Any, Any]:
    if len(values) != 2:
        raise SweepSpaceError(f"{key}: {kind} needs [low, high], got {values!r}")
    ends = []
    for v in values:
        try:
            if isinstance(v, bool):
                raise ValueError
            number = float(v)
        except (TypeError, ValueError):
            raise SweepSpaceError(f"{key}: {kind} bounds must be numbers, got {v!r}") from None
        if not math.isfinite(number):
            raise SweepSpaceError(f"{key}: {kind} bounds must be finite, got {v!r}")
        ends.append(number)
    low, high = ends
    if kind == "int":
        if low != int(low) or high != int(high):
            raise SweepSpaceError(f"{key}: int bounds must be whole numbers, got {values!r}")
        if low > high:
            raise SweepSpaceError(f"{key}: int range is empty: low {int(low)} > high {int(high)}")
        return int(low), int(high)
    if low >= high:
        raise SweepSpaceError(f"{key}: {kind} range is empty: low {low:g} >= high {high:g}")
    if kind == "loguniform" and low <= 0:
        raise SweepSpaceError(f"{key}: loguniform needs a positive low bound, got {low:g}")
    return low, high


def _check_values(parser: argparse.ArgumentParser, action: argparse.Action, d: Dimension) -> None:
    """Every value (and a value inside a float range) is accepted by the option's own parser."""
    hint = " (for whole numbers use int: [low, high])" if d.kind in ("uniform", "loguniform") else ""
    probes: list[tuple[Any, str]] = [(v, _describe(d, v)) for v in d.points()]
    if hint:
        inside = d.values[0] + 0.37 * (d.values[1] - d.values[0])
        probes.append((inside, f"{d.key}: {d.kind} draws fractional values such as {inside:g}"))
    for value, what in probes:
        try:
            tokens = option_tokens(action, value)
        except SweepSpaceError as exc:
            raise SweepSpaceError(f"{what}: {str(exc).split(': ', 1)[-1]}") from None
        try:
            parser.parse_args([*_PLACEHOLDER, *tokens])
        except ConfigError as exc:
            raise SweepSpaceError(f"{what}: {exc}{hint}") from None


def _describe(d: Dimension, value: Any) -> str:
    if d.kind in RANGE_KINDS:
        end = "low" if value == d.values[0] else "high"
        return f"{d.key}: {d.kind} {end} bound {value!r}"
    return f"{d.key}: value {value!r}"


def build_config(options: dict[str, Any]) -> Any:
    """The TrainConfig of a trial with ``options`` (canonical names), as ``kws-train train`` builds it."""
    from trainer.cli import train_config

    return train_config(parse_train_args(train_argv(options, ["/sweep-data"], "/sweep-out")))


def _check_configs(space: SweepSpace, source: str) -> None:
    fixed = {d.key: d.values[0] for d in space.dimensions if d.kind == "fixed"}
    swept = [d for d in space.dimensions if d.kind != "fixed"]
    partners = [(d.key, v) for d in swept for v in d.points()]
    for d in space.dimensions:
        for value in d.points():
            options = {**fixed, d.key: value}
            error = _config_error(options)
            if error is None:
                continue
            if any(_config_error({**options, k: v}) is None for k, v in _others(partners, d.key)):
                continue
            raise SweepSpaceError(f"{source}: {_describe(d, value)}: {error}")


def _others(partners: Iterable[tuple[str, Any]], key: str) -> Iterable[tuple[str, Any]]:
    return ((k, v) for k, v in partners if k != key)


def _config_error(options: dict[str, Any]) -> str | None:
    from kws_gui.core.frontend import FrontendConfigError

    try:
        build_config(options)
    except (ConfigError, FrontendConfigError) as exc:
        return str(exc)
    return None
