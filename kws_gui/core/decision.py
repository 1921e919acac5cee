"""Turning a stream of per-hop class probabilities into keyword detections.

As the streaming KWS peers do it (TensorFlow's ``RecognizeCommands``, the Arm
ML-KWS demos): every part configurable and testable with synthetic sequences.

* **energy VAD gate** - when no hop of the window reaches ``vad_threshold_dbfs``
  (:func:`peak_hop_dbfs`: the RMS level of its loudest hop) the window is not
  classified; :meth:`DecisionMaker.skip` then feeds a zero posterior so the
  smoothed scores decay instead of freezing. The loudest hop, not the whole
  window's RMS, so that a short quiet word still opens the gate;
* **hop** - ``hop_s``: the time between two classifications (the engine runs the model
  every hop; smoothing counts hops);
* **posterior smoothing** - the mean of the posteriors of the last
  ``smoothing_s`` seconds (``round(smoothing_s / hop_s)`` hops, at least one;
  hops before the start count as zeros);
* **threshold** - the best keyword's smoothed score must reach ``threshold``;
* **suppression** - after a detection nothing is reported for ``suppression_s``
  seconds of stream time (a refractory period, whatever the label), and the
  label that fired must first fall back below ``threshold - rearm_margin``
  before it can fire again (re-arming with hysteresis): a word stays in the 1 s
  window longer than the suppression time, a model without a silence class
  keeps scoring it, and its score may wobble around the threshold meanwhile.

Only keyword labels fire. A model file names its keywords (metadata ``keywords``);
without that list every label is a keyword except those starting with ``_``
(``_silence_``, ``_unknown_``): :func:`default_keywords`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Level reported for digital silence.
SILENCE_DBFS = -120.0


#: Shortest and longest hop between two classifications, in seconds.
HOP_RANGE_S = (0.005, 2.0)


@dataclass(frozen=True)
class DecisionSettings:
    """Every knob of the decision logic (what the app shows, stores and kws-listen takes).

    Invalid values raise ``ValueError`` naming the field.
    """

    threshold: float = 0.7
    hop_s: float = 0.1
    smoothing_s: float = 0.3
    suppression_s: float = 1.0
    vad_enabled: bool = True
    vad_threshold_dbfs: float = -45.0
    rearm_margin: float = 0.2

    @property
    def rearm_level(self) -> float:
        """Smoothed score a label must fall below before it can fire again."""
        return max(0.0, self.threshold - self.rearm_margin)

    def __post_init__(self) -> None:
        ranges = {
            "threshold": (0.0, 1.0),
            "hop_s": HOP_RANGE_S,
            "smoothing_s": (0.0, math.inf),
            "suppression_s": (0.0, math.inf),
            "vad_threshold_dbfs": (-math.inf, 0.0),
            "rearm_margin": (0.0, 1.0),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name}: not a number: {value!r}")
            if not math.isfinite(value) or not low <= value <= high:
                raise ValueError(f"{name}: invalid value {value!r}")
        if not isinstance(self.vad_enabled, bool):
            raise ValueError(f"vad_enabled: not true or false: {self.vad_enabled!r}")


def default_keywords(labels: Iterable[str]) -> tuple[str, ...]:
    """The keywords of a model that does not name them: every label not starting with ``_``."""
    return tuple(label for label in labels if not label.startswith("_"))


def decision_fields(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The :class:`DecisionSettings` fields in ``values`` (checked) and the keys that are not fields.

    For recommended settings carried in a model file: ``ValueError`` names a field
    whose value has the wrong type (a switch must be true/false, a number must not
    be) or is out of range; numbers come back as floats.
    """
    defaults = DecisionSettings()
    names = {f.name for f in dataclasses.fields(DecisionSettings)}
    fields: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in values.items():
        if key not in names:
            unknown.append(str(key))
            continue
        if isinstance(getattr(defaults, key), bool):
            if not isinstance(value, bool):
                raise ValueError(f"{key}: expected true or false, got {value!r}")
            fields[key] = value
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key}: expected a number, got {value!r}")
        else:
            fields[key] = float(value)
    DecisionSettings(**fields)  # range checks; the ValueError names the field
    return fields, unknown


def with_recommended(
    settings: DecisionSettings, recommended: Mapping[str, Any], keep: Iterable[str] = ()
) -> DecisionSettings:
    """``settings`` with a model's recommended values, except the fields in ``keep`` (set by the user)."""
    kept = set(keep)
    changes = {key: value for key, value in recommended.items() if key not in kept}
    return dataclasses.replace(settings, **changes)


def resolve_decision(
    given: Mapping[str, Any], recommended: Mapping[str, Any], given_origin: str = "option"
) -> tuple[DecisionSettings, dict[str, str]]:
    """The settings in use: each field as ``given`` by the user, else the model's
    ``recommended`` value, else the default; and for each field where its value came
    from (``given_origin``, ``"model"`` or ``"default"``). kws-listen and the app both use it."""
    decision = dataclasses.replace(with_recommended(DecisionSettings(), recommended, keep=given), **given)
    origin = {
        f.name: given_origin if f.name in given else "model" if f.name in recommended else "default"
        for f in dataclasses.fields(DecisionSettings)
    }
    return decision, origin


@dataclass(frozen=True)
class Detection:
    """One detected keyword.

    ``time_s`` is stream time (seconds since the source started) at the end of
    the window that triggered; ``wall_time`` is ``time.time()`` when it was decided.
    """

    label: str
    score: float
    time_s: float
    wall_time: float

    def as_dict(self) -> dict[str, object]:
        """Plain-JSON form (kws-listen --json)."""
        return {
            "label": self.label,
            "score": round(float(self.score), 4),
            "time_s": round(float(self.time_s), 3),
            "wall_time": round(float(self.wall_time), 3),
        }


def power_dbfs(power: float) -> float:
    """A mean power (mean square of float samples) in dB relative to full scale; silence -> -120."""
    if power <= 1e-12:
        return SILENCE_DBFS
    return max(10.0 * math.log10(power), SILENCE_DBFS)


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of float samples in dB relative to full scale (1.0); silence -> -120."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return SILENCE_DBFS
    return power_dbfs(float(np.dot(x, x)) / x.size)


def hop_powers(samples: np.ndarray, hop: int) -> np.ndarray:
    """Sum of squares of each whole ``hop``-sample segment of float32 ``samples``, counted from the end.

    Each segment's sum depends only on its samples (the engine keeps them hop by hop and
    gets the numbers :func:`peak_hop_dbfs` computes on the whole window).
    """
    usable = (samples.size // hop) * hop
    segments = samples[samples.size - usable :].reshape(-1, hop)
    return np.einsum("ij,ij->i", segments, segments)


def peak_hop_dbfs(window: np.ndarray, hop: int) -> float:
    """RMS level (dBFS) of the loudest ``hop``-sample segment of ``window`` (counted from its end)."""
    x = np.asarray(window, dtype=np.float32)
    hop = max(1, int(hop))
    if x.size < hop:
        return rms_dbfs(x)
    return power_dbfs(float(np.max(hop_powers(x, hop))) / hop)


class DecisionMaker:
    """Smoothing, threshold and suppression for one model's labels at the settings' hop.

    ``keywords`` are the labels that may fire (default: :func:`default_keywords`);
    the others are scored and smoothed but never reported.
    """

    def __init__(
        self,
        labels: Sequence[str],
        settings: DecisionSettings,
        keywords: Iterable[str] | None = None,
    ) -> None:
        self.labels = tuple(labels)
        self.settings = settings
        self.hop_s = float(settings.hop_s)
        self.keywords = default_keywords(self.labels) if keywords is None else tuple(keywords)
        strangers = [k for k in self.keywords if k not in self.labels]
        if strangers:
            raise ValueError(f"keywords {strangers} are not labels of the model ({', '.join(self.labels)})")
        self._keyword_mask = np.array([label in self.keywords for label in self.labels], dtype=bool)
        self._history: deque[np.ndarray] = deque(maxlen=self.smoothing_hops)
        self.reset()

    @property
    def smoothing_hops(self) -> int:
        """Number of posteriors averaged."""
        return max(1, int(round(self.settings.smoothing_s / self.hop_s)))

    @property
    def smoothed(self) -> np.ndarray:
        """Current smoothed posteriors (a copy)."""
        return self._smoothed.copy()

    def reset(self) -> None:
        """Forget the history and the suppression state (e.g. a new source)."""
        zeros = np.zeros(len(self.labels), dtype=np.float32)
        self._history.clear()
        self._history.extend([zeros] * self.smoothing_hops)  # a fresh start counts as silence
        self._smoothed = zeros.copy()
        self._last_detection_s: float | None = None
        self._armed = np.ones(len(self.labels), dtype=bool)

    def update(self, probs: np.ndarray, time_s: float, wall_time: float | None = None) -> Detection | None:
        """Add one hop's posteriors; a :class:`Detection` when a keyword fires."""
        p = np.asarray(probs, dtype=np.float32).reshape(-1)
        if p.size != len(self.labels):
            raise ValueError(f"expected {len(self.labels)} probabilities, got {p.size}")
        self._push(p)
        return self._decide(time_s, wall_time)

    def skip(self) -> None:
        """A hop without inference (VAD gate closed): smoothed scores decay toward zero."""
        self._push(np.zeros(len(self.labels), dtype=np.float32))

    def _push(self, p: np.ndarray) -> None:
        self._history.append(p)
        self._smoothed = np.mean(np.stack(self._history), axis=0).astype(np.float32)
        # a label re-arms once its smoothed score is clearly below the threshold again
        self._armed |= self._smoothed < self.settings.rearm_level

    def _decide(self, time_s: float, wall_time: float | None) -> Detection | None:
        if not self._keyword_mask.any():
            return None
        scores = np.where(self._keyword_mask, self._smoothed, -1.0)
        best = int(np.argmax(scores))
        score = float(scores[best])
        if score < self.settings.threshold or not self._armed[best]:
            return None
        if (
            self._last_detection_s is not None
            and time_s - self._last_detection_s < self.settings.suppression_s - 1e-9
        ):
            return None
        self._last_detection_s = time_s
        self._armed[best] = False
        return Detection(
            self.labels[best], score, float(time_s), time.time() if wall_time is None else wall_time
        )


# ---------------------------------------------------------------------- replays (tuning)
def smoothed_sequence(
    labels: Sequence[str], settings: DecisionSettings, probs: np.ndarray, gate_open: np.ndarray
) -> np.ndarray:
    """The smoothed posteriors a :class:`DecisionMaker` holds after each hop, one row per hop.

    ``probs`` ``(hops, labels)``, one row every ``settings.hop_s``; ``gate_open[k]`` False
    for a hop the energy gate skipped (its posteriors are then ignored, as
    :meth:`DecisionMaker.skip` does). Computed by the maker's own smoothing; a run of
    skips longer than the window is fast-forwarded (the smoothed scores are exactly
    zero there and stay so).
    """
    maker = DecisionMaker(labels, settings)
    probs = np.asarray(probs, dtype=np.float32)
    out = np.zeros_like(probs)
    zeros = np.zeros(len(maker.labels), dtype=np.float32)
    skipped_run = 0
    for k in range(len(probs)):
        if gate_open[k]:
            maker._push(probs[k])
            skipped_run = 0
        elif skipped_run < maker.smoothing_hops:
            maker._push(zeros)
            skipped_run += 1
        else:
            continue  # the history holds only zeros: the row stays zero
        out[k] = maker._smoothed
    return out


def decide_sequence(
    labels: Sequence[str],
    settings: DecisionSettings,
    smoothed: np.ndarray,
    times: np.ndarray,
    keywords: Iterable[str] | None = None,
) -> list[Detection]:
    """The detections :meth:`DecisionMaker.update` makes for these smoothed rows (from :func:`smoothed_sequence`).

    Only hops where a keyword reaches the threshold are decided one by one (by the
    maker's own rule); re-arming between them is applied in one step, which is the
    same because re-arming only ever sets flags. ``wall_time`` of the detections is 0.
    """
    maker = DecisionMaker(labels, settings, keywords=keywords)
    smoothed = np.asarray(smoothed, dtype=np.float32)
    if not maker._keyword_mask.any() or len(smoothed) == 0:
        return []
    best = np.where(maker._keyword_mask, smoothed, -1.0).max(axis=1)
    candidates = np.flatnonzero(best >= settings.threshold - 1e-6)
    below = np.cumsum(smoothed < settings.rearm_level, axis=0)
    found = []
    previous = -1
    for k in candidates:
        since = below[k] - (below[previous] if previous >= 0 else 0)
        maker._armed |= since > 0
        maker._smoothed = smoothed[k]
        detection = maker._decide(float(times[k]), 0.0)
        if detection is not None:
            found.append(detection)
        previous = k
    return found
