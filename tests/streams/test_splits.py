import numpy as np
import pytest

from ibtf.streams.splits import (TEST, TRAIN, UNUSED, VAL, chronological_labels, fold_labels,
                                 rolling_origin_folds, series_labels)


def test_chronological_labels_are_ordered_blocks():
    labels = chronological_labels(100, (0.7, 0.2, 0.1))
    np.testing.assert_array_equal(labels, [TRAIN] * 70 + [VAL] * 20 + [TEST] * 10)
    labels = chronological_labels(7, (0.5, 0.25, 0.25))
    assert np.all(np.diff(labels) >= 0) and (labels == TRAIN).sum() == 4


@pytest.mark.parametrize("bad", [(0.7, 0.2), (0.0, 0.5, 0.5), (0.7, 0.4, -0.1), (0.5, 0.2, 0.2)])
def test_bad_fractions(bad):
    with pytest.raises(ValueError, match="split"):
        chronological_labels(10, bad)


def test_rolling_origin_expanding_and_sliding():
    folds = rolling_origin_folds(3, 5, step=2)
    assert [f.test_start_from_end for f in folds] == [9, 7, 5]
    labels = [fold_labels(30, f) for f in folds]
    # Fold 0 tests rows 21..25, trains on 0..20; the last fold tests the final 5 rows.
    np.testing.assert_array_equal(np.flatnonzero(labels[0] == TEST), np.arange(21, 26))
    np.testing.assert_array_equal(np.flatnonzero(labels[0] == TRAIN), np.arange(21))
    np.testing.assert_array_equal(np.flatnonzero(labels[2] == TEST), np.arange(25, 30))
    assert (labels[0] == UNUSED).sum() == 4
    sliding = fold_labels(30, rolling_origin_folds(3, 5, step=2, train_size=10)[0])
    np.testing.assert_array_equal(np.flatnonzero(sliding == TRAIN), np.arange(11, 21))


def test_fold_errors():
    with pytest.raises(ValueError, match="n_folds must be a positive integer"):
        rolling_origin_folds(0, 5)
    with pytest.raises(ValueError, match="leaving no training rows"):
        fold_labels(10, rolling_origin_folds(3, 5)[0])


def test_series_labels_hold_out_whole_series_in_order():
    # 10 series of 10 rows: series 0-6 start in the first 70 rows, 7 and 8 in the next 15
    # (rows 70, 80), series 9 at row 90 tests.
    labels = series_labels([10] * 10, (0.7, 0.15, 0.15))
    np.testing.assert_array_equal(labels, [TRAIN] * 70 + [VAL] * 20 + [TEST] * 10)
    # Unequal lengths: a series keeps one label, decided by the row it starts at (rows 0, 50,
    # 55 before the cut at 60 train; 75 before 80 validates; 80 tests).
    labels = series_labels([50, 5, 20, 5, 20], (0.6, 0.2, 0.2))
    np.testing.assert_array_equal(labels, [TRAIN] * 75 + [VAL] * 5 + [TEST] * 20)
    with pytest.raises(ValueError, match="split"):
        series_labels([10, 10], (0.5, 0.6, -0.1))
