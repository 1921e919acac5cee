"""StreamingEngine: hop timing, VAD gate, decisions, model/setting swaps, sources, and the real model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from kws_gui.core.audio import ArraySource, AudioSourceError, MicrophoneSource, WavFileSource
from kws_gui.core.audio_io import read_audio
from kws_gui.core.decision import DecisionSettings, peak_hop_dbfs, rms_dbfs
from kws_gui.core.engine import EngineSettings, StreamingEngine
from kws_gui.core.frontend import DS_CNN, REFERENCE, Frontend
from tests.conftest import REAL_NO, REAL_YES, shared_data
from tests.core.conftest import SR, FakeInputStream, StubModel, silence, tone

KEYWORD = ("yes", "_unknown_")


def bursts_wav(write_wav, name: str = "bursts.wav"):
    """5 s: 0.5 s tone bursts at 1.0 s and 3.0 s, silence elsewhere."""
    x = np.concatenate([silence(1.0), tone(0.5), silence(1.5), tone(0.5), silence(1.5)])
    return write_wav(x, name)


def run_wav(engine: StreamingEngine, path, **kwargs) -> None:
    engine.set_source(WavFileSource(path, realtime=False, **kwargs))
    assert engine.wait_for_source_end(30), "the engine did not finish the file"


@pytest.fixture
def engine_factory():
    engines: list[StreamingEngine] = []

    def make(model=None, settings: EngineSettings | None = None) -> StreamingEngine:
        engine = StreamingEngine(model or StubModel(KEYWORD), settings)
        engines.append(engine)
        engine.start()
        return engine

    yield make
    for engine in engines:
        engine.stop()


def test_detections_have_stream_times_from_samples_and_vad_skips_silence(engine_factory, write_wav) -> None:
    engine = engine_factory()
    heard = []
    engine.add_detection_listener(heard.append)
    run_wav(engine, bursts_wav(write_wav))
    detections = engine.drain_detections()
    # the stub hears the burst from hop 1.1 s on; 3-hop smoothing reaches 1.0 (>= 0.7) at 1.3 s
    assert [(d.label, d.time_s) for d in detections] == [
        ("yes", pytest.approx(1.3)),
        ("yes", pytest.approx(3.3)),
    ]
    assert heard == detections and engine.drain_detections() == []
    assert all(d.score == pytest.approx(1.0) for d in detections)
    snap = engine.snapshot()
    # windows that hold any tone are classified: hops 1.1-2.4 s and 3.1-4.4 s; 22 silent hops skipped
    assert (snap.inferences, snap.vad_skips, snap.dropped_hops) == (28, 22, 0)
    assert snap.time_s == pytest.approx(5.0)
    records = engine.recent_records(1000)
    assert [r.time_s for r in records] == pytest.approx(np.arange(1, 51) * 0.1)
    assert [r.vad_skipped for r in records[9:11]] == [True, False]
    assert records[9].level_dbfs == -120.0 and records[12].level_dbfs == pytest.approx(-9.03, abs=0.1)
    assert engine.recent_records(3) == records[-3:] and engine.recent_records(0) == []


def test_snapshot_reports_latency_model_and_source(engine_factory, write_wav) -> None:
    engine = engine_factory()
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    # per hop (new frames only) and whole-window hops: each classified hop is in one of them
    assert snap.inference.count == snap.inferences == 28
    assert (
        snap.preprocess.count == snap.total.count and snap.window_preprocess.count == snap.window_total.count
    )
    assert snap.preprocess.count + snap.window_preprocess.count == snap.inferences
    # whole windows: the first classified hop and every 10th (the 0.6 s of silence skipped
    # between the bursts is shorter than a window: the second burst needs only new frames)
    records = [r for r in engine.recent_records(1000) if not r.vad_skipped]
    assert [i for i, r in enumerate(records) if r.whole_window] == [0, 10, 20]
    assert snap.window_preprocess.count == 3
    assert 0 < snap.preprocess.median_us <= snap.preprocess.p95_us
    assert 0 < snap.window_preprocess.median_us <= snap.window_preprocess.p95_us
    assert snap.total.median_us >= snap.preprocess.median_us
    assert snap.features is not None and snap.features.shape == (61, 16)
    assert snap.labels == KEYWORD and snap.runtime == "stub" and snap.model_path == "stub"
    assert snap.source_name == "WAV: bursts.wav" and snap.source_finished and not snap.source_running
    assert snap.source_error is None and snap.error is None and snap.inferences_per_s > 0


def test_without_vad_every_hop_is_classified(engine_factory, write_wav) -> None:
    settings = EngineSettings(decision=DecisionSettings(vad_enabled=False))
    engine = engine_factory(settings=settings)
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    assert (snap.inferences, snap.vad_skips) == (50, 0)


def test_fast_source_longer_than_the_ring_loses_no_hop(engine_factory, write_wav) -> None:
    engine = engine_factory(settings=EngineSettings(ring_seconds=3.0))
    x = np.tile(np.concatenate([silence(1.5), tone(0.5)]), 6)  # 12 s through a 3 s ring
    run_wav(engine, write_wav(x))
    snap = engine.snapshot()
    assert snap.inferences + snap.vad_skips == 120 and snap.dropped_hops == 0
    assert [d.time_s for d in engine.drain_detections()] == pytest.approx([1.8 + 2 * k for k in range(6)])


def test_swap_model_and_settings_between_sources(engine_factory, write_wav) -> None:
    engine = engine_factory()
    path = bursts_wav(write_wav)
    run_wav(engine, path)
    engine.drain_detections()
    new_model = StubModel(("go", "_silence_"), path="other")
    engine.swap_model(new_model)
    engine.update_settings(EngineSettings(decision=DecisionSettings(hop_s=0.25, smoothing_s=0.0)))
    run_wav(engine, path)
    assert new_model.calls > 0
    snap = engine.snapshot()
    assert snap.labels == ("go", "_silence_") and snap.model_path == "other" and snap.settings.hop_s == 0.25
    records = engine.recent_records(20)
    assert [r.time_s for r in records] == pytest.approx(np.arange(1, 21) * 0.25)
    # stream time restarts with each source; no smoothing: the first hop after the onset fires
    assert [(d.label, d.time_s) for d in engine.drain_detections()] == [("go", 1.25), ("go", 3.25)]


def test_continue_time_keeps_the_clock_and_segments_mark_each_change(engine_factory, write_wav) -> None:
    """The app's Start after Stop: the stream time goes on; hops of each stream are one segment."""
    engine = engine_factory()
    path = bursts_wav(write_wav)
    run_wav(engine, path)  # 5 s from 0
    first_end = engine.snapshot().time_s
    assert first_end == pytest.approx(5.0)
    engine.set_source(None, continue_time=True)  # a stop keeps the clock
    assert engine.snapshot().time_s == pytest.approx(first_end)
    engine.set_source(WavFileSource(path, realtime=False), continue_time=True)
    assert engine.wait_for_source_end(30)
    records = engine.recent_records(1000)
    times = np.array([r.time_s for r in records])
    assert np.all(np.diff(times) > 0) and times[-1] == pytest.approx(10.0)
    first, second = records[49], records[50]
    assert (first.time_s, second.time_s) == (pytest.approx(5.0), pytest.approx(5.1))
    assert second.segment > first.segment  # a plot breaks its traces here
    assert {r.segment for r in records[:50]} == {first.segment}
    # the detections of the second pass are on the continued clock
    assert [d.time_s for d in engine.drain_detections()] == pytest.approx([1.3, 3.3, 6.3, 8.3])
    engine.swap_model(StubModel(("go", "_silence_"), path="other"))
    run_wav(engine, path)  # a plain set_source: a new clock from 0, and a new segment
    records = engine.recent_records(50)
    assert records[0].time_s == pytest.approx(0.1) and records[0].segment > second.segment


def test_swap_model_while_streaming_keeps_audio_flowing(engine_factory, write_wav) -> None:
    engine = engine_factory()
    x = np.tile(np.concatenate([silence(1.5), tone(0.5)]), 4)
    engine.set_source(WavFileSource(write_wav(x), realtime=True, loop=True))
    new_model = StubModel(("go", "_silence_"), path="other")
    deadline = time.monotonic() + 20
    while engine.snapshot().time_s < 0.5 and time.monotonic() < deadline:
        time.sleep(0.02)
    engine.swap_model(new_model)
    while new_model.calls < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    snap = engine.snapshot()
    assert snap.source_running and snap.labels == ("go", "_silence_") and new_model.calls >= 3
    assert not engine.wait_for_source_end(0.05)  # a looping file never ends


def test_inference_error_is_reported_and_the_engine_keeps_running(engine_factory, write_wav) -> None:
    class Broken(StubModel):
        def predict_features(self, features):
            raise RuntimeError("tensor mismatch")

    engine = engine_factory(model=Broken(KEYWORD))
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    assert snap.error is not None and "tensor mismatch" in snap.error
    engine.swap_model(StubModel(KEYWORD))
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    assert snap.error is None and len(engine.drain_detections()) == 2


def test_a_model_failing_while_running_is_rolled_back_to_the_previous_one(engine_factory, write_wav) -> None:
    # Row 3 of issue 8: the app kept a model that failed at every hop instead of the good one.
    class Broken(StubModel):
        def predict_features(self, features):
            raise MemoryError("Unable to allocate 61.0 GiB")

    good = StubModel(KEYWORD, path="/models/good.tflite")
    engine = engine_factory(model=good)
    run_wav(engine, bursts_wav(write_wav))
    assert len(engine.drain_detections()) == 2
    engine.swap_model(Broken(KEYWORD, path="/models/bad.tflite"))
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    assert engine.model is good and snap.model_path == "/models/good.tflite"
    assert snap.model_rollbacks == 1 and snap.error is None
    assert "bad.tflite failed while running" in snap.rollback_reason
    assert "61.0 GiB" in snap.rollback_reason
    assert len(engine.drain_detections()) == 2  # the good model went on detecting


def test_non_finite_scores_are_an_error_not_silent_nan(engine_factory, write_wav) -> None:
    class NaNModel(StubModel):
        def predict_features(self, features):
            return np.full_like(super().predict_features(features), np.nan)

    engine = engine_factory(model=NaNModel(KEYWORD))
    run_wav(engine, bursts_wav(write_wav))
    snap = engine.snapshot()
    assert snap.error is not None and "not finite" in snap.error and engine.error == snap.error
    assert engine.drain_detections() == [] and np.all(np.isfinite(snap.smoothed))


def test_failed_microphone_keeps_the_previous_source(engine_factory, write_wav, no_portaudio) -> None:
    engine = engine_factory()
    wav = WavFileSource(write_wav(silence(1.0)), realtime=True, loop=True)
    engine.set_source(wav)
    with pytest.raises(AudioSourceError, match="libportaudio2"):
        engine.set_source(MicrophoneSource())
    snap = engine.snapshot()
    assert snap.source_name == wav.name and snap.source_running
    # with no source before, a failing microphone leaves none; the WAV source still works after it
    engine.set_source(None)
    with pytest.raises(AudioSourceError):
        engine.set_source(MicrophoneSource())
    assert engine.snapshot().source_name is None
    run_wav(engine, bursts_wav(write_wav))
    assert len(engine.drain_detections()) == 2


def feed(engine: StreamingEngine, stream: FakeInputStream, samples: np.ndarray, start_s: float) -> None:
    """Deliver samples in 20 ms blocks, letting the worker keep up as with a real device."""
    for i, block in enumerate(np.split(samples, samples.size // 320)):
        stream.feed(block)
        if i % 5 == 4:
            target = start_s + (i + 1) * 320 / SR - 1e-6
            deadline = time.monotonic() + 10
            while engine.snapshot().time_s < target and time.monotonic() < deadline:
                time.sleep(0.001)


def test_device_loss_is_reported_and_choosing_a_device_recovers(engine_factory, fake_sounddevice) -> None:
    fake_sounddevice()
    engine = engine_factory()
    engine.set_source(MicrophoneSource("pulse"))
    audio = np.concatenate([silence(1.0), tone(0.5), silence(0.5)])
    feed(engine, FakeInputStream.instances[-1], audio, 0.0)
    assert [d.time_s for d in engine.drain_detections()] == pytest.approx([1.3])
    FakeInputStream.instances[-1].vanish()
    snap = engine.snapshot()
    assert not snap.source_running and "disconnected" in (snap.source_error or "")
    engine.set_source(MicrophoneSource("pulse"))
    feed(engine, FakeInputStream.instances[-1], audio, 0.0)
    snap = engine.snapshot()
    assert snap.source_running and snap.source_error is None
    assert [d.time_s for d in engine.drain_detections()] == pytest.approx([1.3])


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="hop_s"):
        DecisionSettings(hop_s=0)
    with pytest.raises(ValueError, match="ring_seconds"):
        EngineSettings(ring_seconds=0.5)


# ------------------------------------------------------------------ the real model
@pytest.fixture(scope="module")
def real_model():
    from kws_gui.core.model_file import KwsModel
    from kws_gui.paths import DEFAULT_MODEL

    if not DEFAULT_MODEL.exists():
        pytest.fail(f"{DEFAULT_MODEL} is missing: the shipped model must be in the repository")
    return KwsModel.load(DEFAULT_MODEL)


def tts_clips(word: str, count: int = 2) -> list:
    root = shared_data("tts-yes-no")
    names = [n for n in (root / "testing_list.txt").read_text().split() if n.startswith(f"{word}/")]
    return [root / n for n in names[:count]]


@pytest.mark.parametrize("word", ["yes", "no"])
def test_real_words_through_the_real_engine(engine_factory, real_model, word) -> None:
    real = {"yes": REAL_YES, "no": REAL_NO}[word]
    clips = [shared_data(*real), *tts_clips(word)]
    engine = engine_factory(model=real_model)
    for clip in clips:
        run_wav(engine, clip, lead_silence_s=0.5, tail_silence_s=1.0)
        labels = [d.label for d in engine.drain_detections()]
        assert labels == [word], f"{clip.name}: detected {labels}"
        # the detection is stamped within the padded clip's duration
    snap = engine.snapshot()
    assert snap.runtime == real_model.runtime.name and snap.inference.count > 0


def test_real_model_stays_quiet_on_silence(engine_factory, real_model, write_wav) -> None:
    engine = engine_factory(model=real_model)
    run_wav(engine, write_wav(silence(3.0) + 1e-4 * np.random.default_rng(0).standard_normal(3 * SR)))
    assert engine.drain_detections() == []
    assert engine.snapshot().inferences == 0  # -80 dBFS noise never opens the gate


def test_real_model_time_stamps_fall_after_the_word(engine_factory, real_model, write_wav) -> None:
    word = read_audio(shared_data("speech_commands_v0.02", "yes", "f2e59fea_nohash_1.wav"))
    x = np.concatenate([silence(2.0), word, silence(1.5)])
    engine = engine_factory(model=real_model)
    run_wav(engine, write_wav(x))
    (det,) = engine.drain_detections()
    assert det.label == "yes" and 2.0 < det.time_s <= 2.0 + word.size / SR + 1.0


def test_a_live_source_far_ahead_makes_the_worker_skip_to_the_newest_hop(
    engine_factory, fake_sounddevice
) -> None:
    fake_sounddevice()
    engine = engine_factory()
    engine.set_source(MicrophoneSource("pulse"))
    stream = FakeInputStream.instances[-1]
    for block in np.split(tone(3.0, 0.1), 150):  # 3 s arrive at once (a stalled worker catching up)
        stream.feed(block)
    deadline = time.monotonic() + 10
    while engine.snapshot().time_s < 3.0 - 1e-6 and time.monotonic() < deadline:
        time.sleep(0.01)
    snap = engine.snapshot()
    assert snap.time_s == pytest.approx(3.0)
    assert snap.dropped_hops > 0
    assert (
        len(engine.recent_records(1000)) + snap.dropped_hops == 30
    )  # every hop either run or counted as dropped


class RecordingModel(StubModel):
    """Any frontend config; logs the features it is given; may call ``then`` at its n-th call."""

    def __init__(self, config, log: list, then=None, at_call: int = 0) -> None:
        super().__init__(KEYWORD)
        self.frontend_config = config
        self.frontend = Frontend(config)
        self.log = log
        self.then, self.at_call = then, at_call

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        self.log.append((self.frontend_config, features))
        if self.then is not None and len(self.log) == self.at_call:
            self.then()
        return np.array([0.0, 1.0], np.float32)


def test_streamed_features_equal_the_full_window_across_swaps_and_sources(engine_factory, write_wav) -> None:
    """The engine's per-hop features are those of the full-window frontend, with a hop that is
    no multiple of either frame step, across model swaps (another frontend) and a new source."""
    rng = np.random.default_rng(7)
    signals = [
        (rng.standard_normal(n) * np.repeat(rng.uniform(0.01, 0.4, n // 800 + 1), 800)[:n] * 0.5).astype(
            np.float32
        )
        for n in (48000, 40000)
    ]
    paths = [write_wav(s, f"noise{i}.wav") for i, s in enumerate(signals)]
    signals = [read_audio(p) for p in paths]  # as the engine hears them (16-bit)
    log: list = []
    settings = EngineSettings(decision=DecisionSettings(hop_s=0.07, vad_enabled=False))
    engine = engine_factory(settings=settings)
    back = RecordingModel(DS_CNN, log)
    reference = RecordingModel(REFERENCE, log, then=lambda: engine.swap_model(back), at_call=25)
    engine.swap_model(RecordingModel(DS_CNN, log, then=lambda: engine.swap_model(reference), at_call=10))
    run_wav(engine, paths[0])
    run_wav(engine, paths[1])
    records = engine.recent_records(1000)
    assert len(records) == len(log) and {c for c, _ in log} == {DS_CNN, REFERENCE}
    source = 0
    for i, (record, (config, features)) in enumerate(zip(records, log, strict=True)):
        if i and record.time_s < records[i - 1].time_s:
            source += 1  # the second file: its clock and its frame grid start again
        end = int(round(record.time_s * SR))
        frames = (end - config.frame_length) // config.frame_step + 1
        start = (frames - config.num_frames) * config.frame_step
        window = np.zeros(config.clip_samples, np.float32)
        piece = signals[source][max(start, 0) : start + config.clip_samples]
        window[max(-start, 0) : max(-start, 0) + piece.size] = piece
        expected = Frontend(config).window_features(window)
        np.testing.assert_allclose(features, expected, atol=1e-5, rtol=0, err_msg=f"hop {i}")
    assert source == 1


def test_vad_and_level_equal_those_of_the_whole_window_without_reading_it(engine_factory) -> None:
    """The gate keeps each hop's power: the same decisions and levels as peak_hop_dbfs on the window,
    across a second source (whose earlier audio reads as zeros), and the ring is never asked
    for a whole window per hop."""
    rng = np.random.default_rng(3)
    hop, n = 1600, DS_CNN.clip_samples
    levels = rng.uniform(-70.0, -25.0, 40)  # around the -45 dBFS threshold, one level per hop
    levels[10:22] = -200.0  # a stretch of silence longer than the window
    first = np.repeat(10 ** (levels / 20), hop) * rng.standard_normal(40 * hop)
    second = np.repeat(10 ** (rng.uniform(-70.0, -25.0, 25) / 20), hop) * rng.standard_normal(25 * hop)
    engine = engine_factory()
    reads: list[int] = []
    window = engine.ring.window

    def spy(end: int, count: int, out: np.ndarray | None = None) -> np.ndarray:
        reads.append(count)
        return window(end, count, out)

    engine.ring.window = spy
    streams = []
    for samples in (first, second):
        samples = samples.astype(np.float32)
        engine.set_source(ArraySource(samples, realtime=False), continue_time=bool(streams))
        assert engine.wait_for_source_end(30)
        streams.append(samples)
    records = engine.recent_records(1000)
    assert len(records) == 65
    for k, record in enumerate(records):
        stream, end = (streams[0], (k + 1) * hop) if k < 40 else (streams[1], (k - 39) * hop)
        audio = np.concatenate([np.zeros(n, np.float32), stream[:end]])[-n:]  # zeros before the source
        assert record.vad_skipped == (peak_hop_dbfs(audio, hop) < -45.0)
        assert record.level_dbfs == rms_dbfs(audio[-hop:])
    assert {r.vad_skipped for r in records} == {True, False}
    assert n not in reads and max(reads) < n


def test_stop_ends_the_workers_wait_for_audio(engine_factory) -> None:
    """A worker waiting for a realtime source's next hop (a long wait) ends when the engine stops."""
    engine = engine_factory()
    engine.set_source(ArraySource(np.zeros(SR, np.float32), loop=True))
    assert engine.ring.wait_until(1, 10)
    engine.stop()
    assert engine._thread is None and not engine.source.is_running
