"""Recording clips: level check, trimming and centring, the Speech Commands folder it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from kws_gui.core.recording import (
    MAX_PLAY_SECONDS,
    CaptureSession,
    ClipStore,
    RecordingError,
    analyse_capture,
    check_speaker,
    check_word,
    play_clip,
)
from kws_gui.core.ring_buffer import AudioRingBuffer
from tests.core.conftest import declare_rate

SR = 16000


def word_burst(
    length_s: float = 1.6,
    at_s: float = 1.0,
    dur_s: float = 0.35,
    freq: float = 600.0,
    gain: float = 0.4,
    seed: int = 0,
) -> np.ndarray:
    """Faint noise with a tone burst (a stand-in for a spoken word) centred at ``at_s``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.002, int(length_s * SR)).astype(np.float32)
    n = int(dur_s * SR)
    start = int(at_s * SR) - n // 2
    t = np.arange(n) / SR
    x[start : start + n] += (gain * np.hanning(n) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x


def test_clip_is_centred_on_the_word() -> None:
    result = analyse_capture(word_burst(length_s=2.0, at_s=1.2))
    assert result.ok, result.message
    assert result.clip.shape == (SR,) and result.clip.dtype == np.float32
    energy = result.clip.astype(np.float64) ** 2
    centre_of_energy = float(np.sum(np.arange(SR) * energy) / np.sum(energy)) / SR
    assert centre_of_energy == pytest.approx(0.5, abs=0.05)
    assert 0.15 < result.voiced_s < 0.45


def _centre_of_energy_s(clip: np.ndarray) -> float:
    energy = clip.astype(np.float64) ** 2
    return float(np.sum(np.arange(clip.size) * energy) / np.sum(energy)) / SR


def test_word_near_the_edge_is_centred_with_floor_noise() -> None:
    result = analyse_capture(word_burst(length_s=1.5, at_s=0.15, dur_s=0.2))
    assert result.ok
    assert _centre_of_energy_s(result.clip) == pytest.approx(0.5, abs=0.05)
    head = result.clip[: SR // 5]  # filled, not silent, not loud
    assert 0 < np.std(head) < 0.01


def test_the_loudest_word_wins_over_a_cut_off_one() -> None:
    x = word_burst(length_s=1.5, at_s=1.0, dur_s=0.3, gain=0.4)
    x[: int(0.1 * SR)] += (0.1 * np.sin(np.arange(int(0.1 * SR)) * 0.3)).astype(
        np.float32
    )  # tail of a previous word
    result = analyse_capture(x)
    assert result.ok and result.voiced_start_s > 0.5
    assert _centre_of_energy_s(result.clip) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        (word_burst(gain=0.005), "too quiet"),
        (np.clip(word_burst(gain=3.0), -1, 1), "too loud"),
        (np.random.default_rng(0).normal(0, 0.2, SR).astype(np.float32), "no word"),
        (np.zeros(0, np.float32), "no audio"),
    ],
)
def test_bad_captures_say_what_to_change(audio: np.ndarray, expected: str) -> None:
    result = analyse_capture(audio)
    assert not result.ok and expected in result.message


def test_capture_session_reads_only_new_audio() -> None:
    ring = AudioRingBuffer(SR * 5)
    ring.write(np.full(SR, 0.9, np.float32))  # before the capture: must not be in it
    session = CaptureSession(ring, seconds=0.5)
    assert session.poll() == 0.0
    ring.write(np.full(SR // 4, 0.1, np.float32))
    assert session.poll() == pytest.approx(0.5)
    ring.write(np.full(SR, 0.2, np.float32))
    assert session.poll() == 1.0 and session.done
    x = session.samples()
    assert (
        x.size == SR // 2
        and np.all(x[: SR // 4] == np.float32(0.1))
        and np.all(x[SR // 4 :] == np.float32(0.2))
    )


def test_store_names_lists_splits_and_deletes(tmp_path: Path) -> None:
    store = ClipStore(tmp_path / "rec")
    clip = analyse_capture(word_burst()).clip
    saved = [store.save("Yes", "Ann Lee", clip) for _ in range(5)]
    assert [c.path.name for c in saved] == [f"annlee_nohash_{n}.wav" for n in range(5)]
    assert all(c.word == "yes" and c.path.parent == tmp_path / "rec" / "yes" for c in saved)
    data, rate = soundfile.read(str(saved[0].path), dtype="int16")
    info = soundfile.info(str(saved[0].path))
    assert rate == 16000 and info.channels == 1 and info.subtype == "PCM_16" and data.shape == (SR,)
    assert [c.split for c in store.clips("yes")] == ["train", "validation", "test", "train", "train"]
    assert (tmp_path / "rec" / "validation_list.txt").read_text() == "yes/annlee_nohash_1.wav\n"
    store.delete(saved[1].path)
    assert not saved[1].path.exists()
    assert store.save("yes", "annlee", clip).path.name == "annlee_nohash_5.wav"  # numbers are never reused
    assert store.counts() == {"yes": 5}
    with pytest.raises(RecordingError):
        store.delete(tmp_path / "elsewhere_nohash_0.wav")


def test_names_are_checked() -> None:
    assert check_word(" Yes ") == "yes" and check_speaker("Zoë 2") == "zo2"
    for bad in ("", "_silence_", "a/b", "x" * 50):
        with pytest.raises(RecordingError):
            check_word(bad)
    with pytest.raises(RecordingError):
        check_speaker("  !! ")


def test_clips_recorded_from_a_wav_source_are_training_data(tmp_path: Path) -> None:
    """WAV file -> source -> ring buffer (as the engine does) -> capture -> store -> trainer.data accepts it."""
    from kws_gui.core.audio import WavFileSource
    from trainer.data import scan_dataset

    store = ClipStore(tmp_path / "rec")
    for word, freq in (("yes", 500.0), ("no", 1500.0)):
        wav = tmp_path / f"{word}.wav"
        soundfile.write(str(wav), word_burst(length_s=1.6, at_s=0.8, freq=freq), SR, subtype="PCM_16")
        for _take in range(3):
            ring = AudioRingBuffer(SR * 4)
            session = CaptureSession(ring, seconds=1.6)
            source = WavFileSource(wav, realtime=False)
            source.start(ring.write)
            assert ring.wait_until(int(1.6 * SR), timeout=30)
            source.stop()
            session.poll()
            assert session.done
            result = analyse_capture(session.samples())
            assert result.ok, result.message
            store.save(word, "tester", result.clip)
    index = scan_dataset(store.root, ("yes", "no"))
    assert index.counts() == {s: {"yes": 1, "no": 1} for s in ("train", "validation", "test")}


def test_playback_reads_a_bounded_checked_clip(tmp_path: Path, monkeypatch) -> None:
    sd = pytest.importorskip("sounddevice")
    played: list[tuple[np.ndarray, int]] = []
    monkeypatch.setattr(sd, "play", lambda audio, rate: played.append((audio, rate)))
    long_clip = tmp_path / "long.wav"
    soundfile.write(long_clip, np.zeros(48000 * 30, np.float32), 48000)
    play_clip(long_clip)
    assert played[0][1] == 16000 and played[0][0].size == int(MAX_PLAY_SECONDS * 16000)
    one_hz = tmp_path / "one_hz.wav"
    soundfile.write(one_hz, np.zeros(20000, np.float32), 16000, subtype="PCM_16")
    declare_rate(one_hz, 1)
    with pytest.raises(RecordingError, match="one_hz.wav.*1 Hz"):
        play_clip(one_hz)
    assert len(played) == 1
