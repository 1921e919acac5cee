"""AudioRingBuffer: positions, wrap-around, zero fill, waiting, and a concurrent writer."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kws_gui.core.ring_buffer import AudioRingBuffer


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_latest_zero_fills_before_anything_is_written() -> None:
    ring = AudioRingBuffer(8)
    ring.write(ramp(1, 3))
    np.testing.assert_array_equal(ring.latest(5), [0, 0, 1, 2, 3])
    assert ring.total_written == 3
    assert ring.latest(0).size == 0


def test_wraps_around_and_keeps_the_newest_samples() -> None:
    ring = AudioRingBuffer(8)
    for start in range(0, 30, 3):
        ring.write(ramp(start, 3))
    assert ring.total_written == 30
    np.testing.assert_array_equal(ring.latest(8), ramp(22, 8))
    # asking for more than the capacity: the lost part reads as zeros
    np.testing.assert_array_equal(ring.latest(10), np.r_[0, 0, ramp(22, 8)])


def test_write_longer_than_capacity_keeps_the_tail() -> None:
    ring = AudioRingBuffer(5)
    ring.write(ramp(0, 2))
    ring.write(ramp(2, 12))
    assert ring.total_written == 14
    np.testing.assert_array_equal(ring.latest(5), ramp(9, 5))


def test_window_by_absolute_position() -> None:
    ring = AudioRingBuffer(10)
    ring.write(ramp(0, 25))  # positions 15..24 still held
    np.testing.assert_array_equal(ring.window(20, 4), ramp(16, 4))
    np.testing.assert_array_equal(ring.window(17, 4), [0, 0, 15, 16])  # 13, 14 overwritten
    np.testing.assert_array_equal(ring.window(27, 4), [23, 24, 0, 0])  # 25, 26 not written yet


def test_read_since_returns_new_samples_and_position() -> None:
    ring = AudioRingBuffer(6)
    ring.write(ramp(0, 4))
    data, pos = ring.read_since(0)
    np.testing.assert_array_equal(data, ramp(0, 4))
    assert pos == 4
    ring.write(ramp(4, 3))
    data, pos = ring.read_since(pos)
    np.testing.assert_array_equal(data, ramp(4, 3))
    assert pos == 7
    ring.write(ramp(7, 20))  # the reader fell behind: at most capacity comes back
    data, pos = ring.read_since(pos)
    np.testing.assert_array_equal(data, ramp(21, 6))
    assert pos == 27
    assert ring.read_since(pos)[0].size == 0


def test_wait_until_wakes_when_enough_is_written() -> None:
    ring = AudioRingBuffer(100)
    assert ring.wait_until(0, timeout=0)
    assert not ring.wait_until(10, timeout=0.01)
    writer = threading.Timer(0.05, ring.write, args=(np.ones(10, np.float32),))
    writer.start()
    assert ring.wait_until(10, timeout=10)
    writer.join()


def test_concurrent_writer_never_tears_a_window() -> None:
    ring = AudioRingBuffer(1000)
    stop = threading.Event()

    def produce() -> None:
        start = 0
        while not stop.is_set() and start < 2_000_000:
            ring.write(ramp(start, 97))
            start += 97

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        for _ in range(300):
            window = ring.latest(500)
            nonzero = window[window > 0]
            if nonzero.size > 1:
                assert np.all(np.diff(nonzero) == 1), "a read saw samples from two different writes"
    finally:
        stop.set()
        thread.join()


def test_rejects_bad_capacity() -> None:
    with pytest.raises(ValueError):
        AudioRingBuffer(0)


def test_a_waiting_reader_is_woken_only_when_its_position_is_reached() -> None:
    """Audio arrives in small blocks; the engine waits for a whole hop and must not wake per block."""
    ring = AudioRingBuffer(1000)
    wakeups = []
    original = ring._cond.wait

    def counting_wait(timeout=None):
        result = original(timeout)
        wakeups.append(ring.total_written)
        return result

    ring._cond.wait = counting_wait
    done = threading.Event()
    reader = threading.Thread(target=lambda: done.set() if ring.wait_until(100, 10) else None)
    reader.start()
    while not ring._waiting_for:
        threading.Event().wait(0.001)
    for _ in range(10):  # 10 blocks of 10 samples: only the last one reaches 100
        ring.write(np.ones(10, np.float32))
        threading.Event().wait(0.002)
    reader.join(10)
    assert done.is_set() and wakeups == [100]
    assert ring._waiting_for == [] and ring.wait_until(50, 0)  # already there: no wait at all


def test_window_into_a_buffer_overwrites_all_of_it() -> None:
    ring = AudioRingBuffer(16)
    ring.write(ramp(1, 20))  # 1..4 overwritten, 5..20 kept
    out = np.full(6, -1.0, np.float32)
    for end in (3, 8, 20, 23, 40):  # before the kept samples, across their start, inside, past the end
        assert ring.window(end, 6, out) is out
        np.testing.assert_array_equal(out, ring.window(end, 6))
    with pytest.raises(ValueError, match="shape"):
        ring.window(20, 5, out)


def test_interrupt_ends_only_interruptible_waits() -> None:
    ring = AudioRingBuffer(100)
    results: dict[str, bool] = {}

    def wait(name: str, interruptible: bool) -> None:
        results[name] = ring.wait_until(50, 10, interruptible=interruptible)

    threads = [threading.Thread(target=wait, args=(name, name == "engine")) for name in ("engine", "other")]
    for thread in threads:
        thread.start()
    while len(ring._waiting_for) < 2:
        threading.Event().wait(0.001)
    ring.interrupt_waiters()
    threads[0].join(5)
    assert results == {"engine": False}  # the interruptible wait ended, the other one still waits
    ring.write(np.zeros(50, np.float32))
    threads[1].join(5)
    assert results == {"engine": False, "other": True}
