"""Streaming evaluation (trainer.stream_eval) and the streaming benchmark on tiny generated data.

A duck-typed "tone model" hears the tiny dataset's classes from the spectrum
(``yes`` a ~500 Hz tone, ``no`` a noise burst, other words higher tones, quiet =
silence), so the expected scores are known and the real engine, the replay path
and the benchmark can be checked against them.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from kws_gui.core.decision import DecisionSettings, Detection, rms_dbfs
from kws_gui.core.frontend import DS_CNN, Frontend
from kws_gui.core.model_file import KwsModel
from kws_gui.paths import DEFAULT_MODEL
from tests.core.conftest import declare_rate
from tests.trainer.conftest import make_tiny_dataset, write_wav
from trainer.data import DatasetError
from trainer.stream_eval import (
    KEYWORDS,
    NOISE,
    OTHER_WORDS,
    SR,
    StreamConfig,
    StreamPosteriors,
    TuningTargets,
    WordEvent,
    attribute,
    build_streams,
    compute_posteriors,
    evaluate_model,
    evaluate_replay,
    score_detections,
    split_clips,
    tune_decision,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = StreamConfig(noise_minutes=0.5, noise_dbfs=(-70.0, -60.0))


class SamplesFrontend(Frontend):
    """A frontend whose "features" are the samples: each frame's first ``frame_step`` samples.

    The rows of a window's matrix then join into the window's audio (its first
    ``num_frames * frame_step`` samples), on the frame grid the engine uses.
    """

    def frame_features(self, frames: np.ndarray) -> np.ndarray:
        return np.array(frames[..., : self.config.frame_step], np.float32)


class ToneModel:
    """Stands in for KwsModel: silence / unknown / yes / no from the last 0.5 s of the window."""

    labels = ("_silence_", "_unknown_", "yes", "no")
    keywords = ("yes", "no")
    frontend_config = DS_CNN
    frontend = SamplesFrontend(DS_CNN)
    runtime = SimpleNamespace(name="tone", version="1")
    path = "tone"

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        assert features.shape == (DS_CNN.num_frames, DS_CNN.frame_step)
        tail = np.asarray(features.reshape(-1)[-SR // 2 :], np.float64)
        probs = np.zeros(4, np.float32)
        if rms_dbfs(tail) < -35.0:
            probs[0] = 1.0
        else:
            power = np.abs(np.fft.rfft(tail * np.hanning(tail.size))) ** 2 + 1e-12
            flatness = np.exp(np.mean(np.log(power[1:]))) / np.mean(power[1:])
            peak_hz = np.argmax(power) * SR / tail.size
            probs[3 if flatness > 0.2 else 2 if 400 <= peak_hz <= 650 else 1] = 1.0
        return probs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """yes/no/up/down, 4 speakers x 2 clips (test split: 2 clips per word), background noise, lists."""
    return make_tiny_dataset(
        tmp_path_factory.mktemp("stream") / "data", extra_words=("up", "down"), speakers=4
    )


@pytest.fixture(scope="module")
def streams(tiny: Path):
    return build_streams(tiny, "test", ("yes", "no"), SMALL)


def test_streams_hold_every_test_clip_once_and_only_test_clips(tiny: Path, streams) -> None:
    listed = set((tiny / "testing_list.txt").read_text().split())
    keyword_clips = [e.clip for e in streams.streams[KEYWORDS].events]
    other_clips = [e.clip for e in streams.streams[OTHER_WORDS].events]
    assert sorted(keyword_clips + other_clips) == sorted(listed)
    assert {e.word for e in streams.streams[KEYWORDS].events} == {"yes", "no"}
    assert {e.word for e in streams.streams[OTHER_WORDS].events} == {"up", "down"}
    assert all(e.keyword for e in streams.streams[KEYWORDS].events)
    assert not any(e.keyword for e in streams.streams[OTHER_WORDS].events)
    assert streams.noise_source == "_background_noise_/ files"
    assert streams.streams[NOISE].duration_s == pytest.approx(30.0)
    assert streams.describe()["streams"][KEYWORDS]["words"] == 4


def test_words_are_one_to_two_seconds_apart_over_quiet_noise(streams) -> None:
    stream = streams.streams[KEYWORDS]
    events = stream.events
    assert events[0].start_s == pytest.approx(SMALL.lead_s)
    for before, after in zip(events, events[1:], strict=False):
        gap = after.start_s - (before.start_s + 1.0)  # the tiny clips last 1 s
        assert 1.0 - 1e-3 <= gap <= 2.0 + 1e-3
        assert before.start_s <= before.speech_start_s < before.speech_end_s <= before.start_s + 1.0
    gap_audio = stream.audio[int((events[0].start_s + 1.05) * SR) : int((events[1].start_s - 0.05) * SR)]
    assert -66.0 <= rms_dbfs(gap_audio) <= -49.0  # quiet room noise, not digital silence


def test_noise_stream_levels_vary_within_the_range(tiny: Path) -> None:
    config = StreamConfig(noise_minutes=1.0, noise_dbfs=(-50.0, -30.0), level_segment_s=5.0)
    noise = build_streams(tiny, "test", ("yes", "no"), config).streams[NOISE].audio
    levels = [rms_dbfs(segment) for segment in np.split(noise, 12)]
    assert all(-51.0 <= level <= -29.0 for level in levels)
    assert max(levels) - min(levels) > 5.0


def test_streams_are_repeatable_and_seeded(tiny: Path, streams) -> None:
    again = build_streams(tiny, "test", ("yes", "no"), SMALL)
    other = build_streams(tiny, "test", ("yes", "no"), StreamConfig(**{**SMALL.__dict__, "seed": 1}))
    for kind in (KEYWORDS, OTHER_WORDS, NOISE):
        np.testing.assert_array_equal(again.streams[kind].audio, streams.streams[kind].audio)
        assert not np.array_equal(other.streams[kind].audio, streams.streams[kind].audio)


def test_silence_clips_of_the_split_are_the_noise_when_present(tmp_path: Path) -> None:
    root = make_tiny_dataset(tmp_path / "data", speakers=3)
    rng = np.random.default_rng(0)
    for name in ("a.wav", "b.wav"):
        write_wav(root / "_silence_" / name, (0.01 * rng.standard_normal(SR)).astype(np.float32))
    with (root / "testing_list.txt").open("a") as f:
        f.write("_silence_/a.wav\n")
    assert [p.name for p in split_clips(root, "test")["_silence_"]] == ["a.wav"]
    streams = build_streams(root, "test", ("yes",), SMALL)
    assert streams.noise_source == "_silence_/ clips of the split" and streams.noise_pieces == 1
    assert {e.word for e in streams.streams[OTHER_WORDS].events} == {"no", "up"}


def test_missing_keyword_or_noise_is_a_clear_error(tmp_path: Path) -> None:
    root = make_tiny_dataset(tmp_path / "data", speakers=3, with_noise=False)
    with pytest.raises(DatasetError, match="no test clips of the keyword"):
        build_streams(root, "test", ("maybe",), SMALL)
    with pytest.raises(DatasetError, match="no background noise"):
        build_streams(root, "test", ("yes",), SMALL)


def test_unreadable_or_absurd_clips_are_left_out_and_named(tmp_path: Path) -> None:
    # Issue 8 for the streams --tune-decision builds after training: one bad file must not
    # lose the trained model, and a header claiming 1 Hz must not decode to gigabytes.
    root = make_tiny_dataset(tmp_path / "data", extra_words=("up",), speakers=4)
    listed = (root / "testing_list.txt").read_text().split()
    up_clips = [name for name in listed if name.startswith("up/")]
    (root / up_clips[0]).write_bytes(b"not audio at all")
    declare_rate(root / up_clips[1], 1)
    streams = build_streams(root, "test", ("yes", "no"), SMALL)
    skipped = dict(streams.skipped)
    assert set(skipped) == set(up_clips[:2])
    assert "1 Hz" in skipped[up_clips[1]]
    assert [e.clip for e in streams.streams[OTHER_WORDS].events if e.clip in skipped] == []
    assert len(streams.streams[KEYWORDS].events) == sum(n.split("/")[0] in ("yes", "no") for n in listed)
    assert streams.describe()["skipped"] == [list(item) for item in streams.skipped]


def _det(label: str, t: float) -> Detection:
    return Detection(label, 0.9, t, 0.0)


def test_scoring_counts_hits_wrong_labels_misses_doubles_and_false_alarms() -> None:
    words = [
        WordEvent(w, f"{w}/{i}.wav", s, s + 0.2, s + 0.6, True)
        for i, (w, s) in enumerate([("yes", 1.0), ("no", 4.0), ("yes", 7.0), ("no", 10.0)])
    ]
    keyword_dets = [
        _det("yes", 1.5),  # hit
        _det("yes", 4.5),  # wrong label
        _det("yes", 7.4),
        _det("no", 8.5),  # hit + an extra: a double
        _det("no", 13.0),  # too late for the last word: a stray; "no" at 10 s is missed
    ]
    others = [
        WordEvent("up", "up/0.wav", 1.0, 1.1, 1.5, False),
        WordEvent("go", "go/0.wav", 3.0, 3.2, 3.6, False),
    ]
    result = score_detections(
        {
            KEYWORDS: keyword_dets,
            OTHER_WORDS: [_det("yes", 1.4), _det("no", 2.0), _det("no", 3.5)],
            NOISE: [_det("no", 5)],
        },
        {KEYWORDS: (words, 14.0), OTHER_WORDS: (others, 5.0), NOISE: ((), 1800.0)},
        late_s=1.3,
    )
    k = result[KEYWORDS]
    assert (k["hits"], k["wrong_label"], k["missed"], k["double_detections"]) == (2, 1, 1, 1)
    assert k["extra_detections"] == 2 and k["stray_detections"] == 1 and k["hit_rate"] == 0.5
    assert k["per_keyword"]["no"] == {"words": 2, "hits": 0, "wrong_label": 1, "missed": 1}
    o = result[OTHER_WORDS]
    assert o["false_detections"] == 3 and o["false_per_word"] == 1.5 and o["double_detections"] == 1
    assert o["by_word"] == {"up": 2, "go": 1} and o["by_label"] == {"yes": 1, "no": 2}
    assert result[NOISE]["false_per_hour"] == pytest.approx(2.0)
    assert result["summary"] == {
        "hit_rate": 0.5,
        "wrong_label": 1,
        "missed": 1,
        "extra_detections": 2,
        "double_detections": 1,
        "keyword_words": 4,
        "false_per_word": 1.5,
        "other_words": 2,
        "false_per_hour": pytest.approx(2.0),
        "noise_hours": 0.5,
    }


def test_a_detection_belongs_to_the_latest_word_that_began_before_it() -> None:
    words = [WordEvent("yes", "a", 0.0, 0.2, 0.6, True), WordEvent("no", "b", 1.5, 1.7, 2.0, True)]
    per_word, strays = attribute([_det("x", 0.1), _det("x", 1.6), _det("x", 1.8), _det("x", 3.1)], words, 1.0)
    assert [[d.time_s for d in found] for found in per_word] == [[1.6], [1.8]]
    assert [d.time_s for d in strays] == [0.1, 3.1]


def test_the_real_engine_and_the_replay_agree_on_tiny_streams(streams) -> None:
    model = ToneModel()
    for decision in (DecisionSettings(), DecisionSettings(threshold=0.9, smoothing_s=0.5, suppression_s=0.5)):
        from kws_gui.core.engine import EngineSettings

        engine = evaluate_model(model, streams, EngineSettings(decision=decision))
        replayed = evaluate_replay(compute_posteriors(model, streams), decision)
        for key in (KEYWORDS, OTHER_WORDS, NOISE, "summary"):
            assert engine[key] == replayed[key], key
    summary = engine["summary"]
    assert summary["hit_rate"] == 1.0 and summary["wrong_label"] == summary["double_detections"] == 0
    assert summary["false_per_word"] == 0.0 and summary["false_per_hour"] == 0.0
    assert engine["engine"][KEYWORDS]["inferences"] > 0


def test_loud_white_noise_makes_false_alarms_per_hour(tiny: Path) -> None:
    config = StreamConfig(noise_minutes=0.5, noise_dbfs=(-28.0, -25.0))
    streams = build_streams(tiny, "test", ("yes", "no"), config)
    result = evaluate_replay(compute_posteriors(ToneModel(), streams), DecisionSettings())
    assert result[NOISE]["false_detections"] > 0 and set(result[NOISE]["by_label"]) == {"no"}
    assert result["summary"]["false_per_hour"] == pytest.approx(result[NOISE]["false_detections"] * 120)


def _posteriors(kind: str, yes: list[float], events=()) -> StreamPosteriors:
    probs = np.array([[1.0 - p, p] for p in yes], np.float32)
    return StreamPosteriors(
        kind,
        1600,
        ("_other_", "yes"),
        ("yes",),
        1.0,
        probs,
        np.zeros(len(yes), np.float32),
        tuple(events),
        len(yes) * 0.1,
    )


def test_tuning_picks_the_setting_that_hears_the_words_without_false_alarms() -> None:
    # a keyword at 1 s scores 0.8 for 0.5 s; another word reaches 0.65; noise blips reach 0.55
    keywords = _posteriors(
        KEYWORDS, [0.0] * 10 + [0.8] * 5 + [0.0] * 25, [WordEvent("yes", "y", 0.9, 1.0, 1.5, True)]
    )
    others = _posteriors(
        OTHER_WORDS, [0.0] * 10 + [0.65] * 5 + [0.0] * 25, [WordEvent("up", "u", 0.9, 1.0, 1.5, False)]
    )
    noise = _posteriors(NOISE, ([0.0] * 5 + [0.55]) * 10)
    posteriors = {KEYWORDS: keywords, OTHER_WORDS: others, NOISE: noise}
    grid = {"threshold": (0.5, 0.6, 0.7, 0.9), "smoothing_s": (0.1,)}
    result = tune_decision(posteriors, grid, TuningTargets(max_false_per_hour=1.0))
    assert result.recommended == {"threshold": 0.7, "smoothing_s": 0.1} and result.meets_targets
    assert [r["threshold"] for r in result.rows] == [0.7, 0.9, 0.6, 0.5]
    assert result.rows[0]["hit_rate"] == 1.0 and result.rows[1]["hit_rate"] == 0.0
    assert result.rows[3]["false_per_hour"] > 0
    assert json.loads(json.dumps(result.as_dict()))["recommended"]["threshold"] == 0.7


# ---------------------------------------------------------------- the benchmark script
def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_streaming_benchmark_on_tiny_data_saves_json_and_a_readme_table(tiny: Path, tmp_path: Path) -> None:
    bench = _load_script("bench_streaming")
    out = tmp_path / "streaming.json"
    args = ["--data", str(tiny), "--models", str(DEFAULT_MODEL), "--noise-minutes", "0.2", "--out", str(out)]
    assert bench.main(args) == 0
    result = json.loads(out.read_text())
    (row,) = result["models"]
    assert result["split"] == "test" and result["seed"] == 0 and result["dataset"] == tiny.name
    assert row["model"] == DEFAULT_MODEL.name and row["default_model"] and row["replay_agrees_with_engine"]
    tuned = KwsModel.load(DEFAULT_MODEL).recommended_decision  # the live default carries its own
    assert row["settings_from"] == ("model metadata" if tuned else "engine defaults")
    assert row["settings"]["threshold"] == tuned.get("threshold", 0.7)
    assert row["summary"]["keyword_words"] == 4 and row["summary"]["other_words"] == 4
    assert bench.main(args) == 0
    again = json.loads(out.read_text())
    assert again["models"][0]["summary"] == row["summary"]  # seeded: the same figures

    tables = _load_script("make_results_table")
    block = tables.render_streaming(tmp_path)
    assert f"| {DEFAULT_MODEL.name} (default) |" in block and "False / other word" in block
    readme = "intro\n<!-- streaming:start -->\nOLD TABLE\n<!-- streaming:end -->\nrest\n"
    updated = tables.replace_block(readme, block, *tables.STREAMING_MARKERS)
    assert "OLD TABLE" not in updated and block in updated and updated.endswith("rest\n")
