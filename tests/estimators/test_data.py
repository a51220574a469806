import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.estimators._data import array_batches, as_matrix, dataset_batches


def test_as_matrix_shapes_and_errors():
    assert as_matrix(np.arange(3), "x").shape == (3, 1)
    assert as_matrix([[1, 2]], "x").dtype == np.float32
    with pytest.raises(ValueError, match="x must have shape"):
        as_matrix(np.zeros((2, 2, 2)), "x")
    with pytest.raises(ValueError, match="y contains NaN"):
        as_matrix([[np.nan]], "y")
    with pytest.raises(TypeError, match="x must be a numeric array"):
        as_matrix([["a"]], "x")


def test_array_batches_cover_each_epoch_once_and_are_seeded():
    x = np.arange(10, dtype=np.float32)[:, None]
    batches = array_batches((x, -x), 5, seed=3, names=("x", "y"))
    first_epoch = [next(batches) for _ in range(2)]
    seen = np.sort(np.concatenate([b[0].numpy()[:, 0] for b in first_epoch]))
    np.testing.assert_array_equal(seen, np.arange(10))
    for bx, by in first_epoch:
        np.testing.assert_array_equal(bx.numpy(), -by.numpy())   # pairs stay paired
    again = array_batches((x, -x), 5, seed=3, names=("x", "y"))
    np.testing.assert_array_equal(next(again)[0], first_epoch[0][0])


def test_array_batches_errors():
    with pytest.raises(ValueError, match="same number of rows"):
        array_batches((np.zeros((4, 1)), np.zeros((5, 1))), 2, 0, ("x", "y"))
    with pytest.raises(ValueError, match="batch_size=8 exceeds"):
        array_batches((np.zeros((4, 1)), np.zeros((4, 1))), 8, 0, ("x", "y"))


def test_dataset_batches_rebatch_examples_and_batches_alike():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    single = tf.data.Dataset.from_tensor_slices((x, x + 1))
    batched = single.batch(4)   # ragged last batch: re-batched anyway
    for dataset in (single, batched):
        bx, by = next(dataset_batches(dataset, 3, arity=2))
        assert bx.dtype == tf.float32 and bx.shape == (3, 2)
        np.testing.assert_array_equal(bx.numpy(), x[:3])
        np.testing.assert_array_equal(by.numpy(), x[:3] + 1)


def test_dataset_batches_errors():
    with pytest.raises(TypeError, match=r"\(x, y\) pairs"):
        dataset_batches(tf.data.Dataset.from_tensor_slices(np.zeros((4, 2))), 2, arity=2)
    with pytest.raises(ValueError, match="vectors"):
        dataset_batches(tf.data.Dataset.from_tensor_slices(
            (np.zeros((4, 2, 2, 2)), np.zeros((4, 2, 2, 2)))), 2, arity=2)
    with pytest.raises(ValueError, match="vectors"):
        dataset_batches(tf.data.Dataset.from_tensor_slices(
            (np.zeros((4, 2)), np.zeros((4, 2, 2)))), 2, arity=2)
