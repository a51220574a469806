import numpy as np
import pytest

from ibtf.streams.dataset import windows_dataset
from ibtf.streams.windows import sliding_windows


def data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)).astype(np.float32), rng.normal(size=(n, 1)).astype(np.float32)


def collect(ds):
    parts = [(x["source_history"].numpy(), x["target_history"].numpy(), y.numpy()) for x, y in ds]
    return [np.concatenate(p) for p in zip(*parts)]


def test_unshuffled_batches_equal_numpy_windows():
    source, target = data()
    starts = np.arange(0, 30, 2)
    got = collect(windows_dataset(source, target, starts, 5, 3, batch_size=4))
    for g, w in zip(got, sliding_windows(source, target, starts, 5, 3)):
        np.testing.assert_array_equal(g, w)


def test_drop_remainder_gives_static_batch_shapes():
    source, target = data()
    ds = windows_dataset(source, target, np.arange(15), 5, 3, batch_size=4, drop_remainder=True)
    x, y = ds.element_spec
    assert x["source_history"].shape.as_list() == [4, 5, 2]
    assert x["target_history"].shape.as_list() == [4, 5, 1] and y.shape.as_list() == [4, 3, 1]
    assert sum(1 for _ in ds) == 3   # 15 windows -> 3 full batches


def test_shuffle_is_seeded_and_a_permutation():
    source, target = data()
    starts = np.arange(30)
    # Each window's future first value identifies it (continuous random data: no ties).
    def key(ds):
        return collect(ds)[2][:, 0, 0]

    a = key(windows_dataset(source, target, starts, 5, 3, batch_size=7, shuffle=True, seed=1))
    b = key(windows_dataset(source, target, starts, 5, 3, batch_size=7, shuffle=True, seed=1))
    c = key(windows_dataset(source, target, starts, 5, 3, batch_size=7, shuffle=True, seed=2))
    ordered = key(windows_dataset(source, target, starts, 5, 3, batch_size=7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, ordered)
    np.testing.assert_array_equal(np.sort(a), np.sort(ordered))


def test_errors():
    source, target = data()
    with pytest.raises(ValueError, match="no windows"):
        windows_dataset(source, target, [], 5, 3)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        windows_dataset(source, target, [0], 5, 3, batch_size=0)
