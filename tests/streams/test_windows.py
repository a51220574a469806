
import numpy as np

from ibtf.streams.windows import WindowArrays, sliding_windows, valid_window_starts


def loop_windows(source, target, starts, L, H):
    """The obvious loop, the reference the strided version must equal."""
    src = np.stack([source[s:s + L] for s in starts])
    tgt = np.stack([target[s:s + L] for s in starts])
    fut = np.stack([target[s + L:s + L + H] for s in starts])
    return src, tgt, fut


def test_strided_windows_equal_the_loop():
    rng = np.random.default_rng(0)
    source, target = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    starts = np.array([0, 3, 7, 40])
    got = sliding_windows(source, target, starts, 6, 4)
    want = loop_windows(source.astype(np.float32), target.astype(np.float32), starts, 6, 4)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.flags["C_CONTIGUOUS"]
        np.testing.assert_array_equal(g, w)


def test_valid_starts_respect_segments_and_labels():
    segment = np.array([0] * 10 + [1] * 10)
    label = np.array([0] * 14 + [2] * 6)
    train = valid_window_starts(segment, label, history=3, horizon=2, split_label=0)
    test = valid_window_starts(segment, label, history=3, horizon=2, split_label=2)
    # Segment 0 (rows 0..9): starts 0..5. Segment 1 (rows 10..19): its only start whose window
    # fits before row 14 is 10, but that window's future rows 13, 14 straddle train and test.
    np.testing.assert_array_equal(train, [0, 1, 2, 3, 4, 5])
    # Test windows: future rows all >= 14 in segment 1: starts 11..15.
    np.testing.assert_array_equal(test, [11, 12, 13, 14, 15])
    for s in np.concatenate([train, test]):
        assert segment[s] == segment[s + 4]


def test_too_short_gives_no_windows():
    assert valid_window_starts(np.zeros(3, int), np.zeros(3, int), 3, 1, 0).size == 0
    src, tgt, fut = sliding_windows(np.zeros((3, 2)), np.zeros((3, 1)), [], 3, 1)
    assert src.shape == (0, 3, 2) and fut.shape == (0, 1, 1)


def test_window_arrays_inputs_and_len():
    w = WindowArrays(np.zeros((4, 3, 1)), np.ones((4, 3, 1)), np.ones((4, 2, 1)),
                     np.array([None] * 4), np.arange(4))
    assert len(w) == 4 and set(w.inputs) == {"source_history", "target_history"}


def test_hundred_thousand_steps_window_in_one_vectorised_pass():
    # The speed figure lives in benchmarks (streams_speed); a timed assertion here would fail
    # on a loaded machine without saying anything about the code.
    n, L = 100_000, 32
    rng = np.random.default_rng(1)
    source, target = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    segment, label = np.zeros(n, int), np.zeros(n, int)
    starts = valid_window_starts(segment, label, L, 1, 0)
    src, tgt, fut = sliding_windows(source, target, starts, L, 1)
    assert src.shape == (n - L, L, 2) and fut.shape == (n - L, 1, 1)
    np.testing.assert_array_equal(fut[12345, 0], target[12345 + L].astype(np.float32))
