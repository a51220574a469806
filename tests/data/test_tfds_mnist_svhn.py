import numpy as np
import pytest

from ibtf.data import load_mnist_svhn, pair_by_label

tfds = pytest.importorskip("tensorflow_datasets")


def test_pairs_share_their_label_and_every_repeat_is_a_fresh_shuffle():
    a = np.array([0, 1, 1, 2, 2, 2, 0])
    b = np.array([1, 1, 1, 0, 2, 3])
    i, j = pair_by_label(a, b, repeats=3, seed=0)
    assert np.array_equal(a[i], b[j])
    # per class min(count_a, count_b) pairs per repeat: class 0 -> 1, 1 -> 2, 2 -> 1
    assert len(i) == 3 * (1 + 2 + 1)
    with pytest.raises(ValueError, match="repeats=0"):
        pair_by_label(a, b, repeats=0)
    with pytest.raises(ValueError, match="share no class"):
        pair_by_label([0, 0], [1, 1])


def test_load_mnist_svhn_with_mock_data():
    with tfds.testing.mock_data(num_examples=60):
        data = load_mnist_svhn("train", repeats=2, seed=1)
    assert data.names == ("mnist", "svhn")
    assert data.inputs["mnist"].shape[1:] == (28, 28, 1)
    assert data.inputs["svhn"].shape[1:] == (32, 32, 3)
    assert data.inputs["mnist"].dtype == np.float32
    assert 0.0 <= data.inputs["svhn"].min() and data.inputs["svhn"].max() <= 1.0
    assert data.mask.shape == (len(data), 2) and len(data) > 0
    with tfds.testing.mock_data(num_examples=60):
        capped = load_mnist_svhn("train", repeats=2, max_per_class=1, seed=1)
    assert len(capped) <= 2 * 10 and len(capped) < len(data)
