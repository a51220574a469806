"""Chronological splits and rolling-origin backtest folds, per series.

A forecast is judged on rows after everything it was fitted on; so splits cut each series in
time order, never at random (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice",
3rd ed., sec. 5.8 and 5.10: time-series cross-validation on a rolling forecasting origin).
Labels per row: 0 train, 1 validation, 2 test, -1 unused.
"""
import dataclasses

import numpy as np

__all__ = ["TRAIN", "VAL", "TEST", "UNUSED", "BacktestFold", "chronological_labels",
           "series_labels", "rolling_origin_folds", "fold_labels"]

TRAIN, VAL, TEST, UNUSED = 0, 1, 2, -1


def _check_fractions(fractions):
    try:
        fractions = tuple(float(f) for f in fractions)
    except TypeError as error:
        raise TypeError(f"split must be (train, val, test) fractions, got {fractions!r}") from error
    if len(fractions) != 3 or min(fractions) < 0 or fractions[0] <= 0:
        raise ValueError(f"split must be three fractions (train, val, test) with train > 0 and "
                         f"none negative, got {fractions}")
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, got {fractions} (sum {sum(fractions)})")
    return fractions


def chronological_labels(n_rows, fractions=(0.7, 0.15, 0.15)):
    """Row labels for one series: the first ``round(f_train n)`` rows train, then val, then test.

    Args:
      n_rows: rows in the series.
      fractions: (train, val, test), summing to 1.

    Returns:
      int8 [n_rows] labels (0 train, 1 val, 2 test).
    """
    fractions = _check_fractions(fractions)
    n_train = int(round(fractions[0] * n_rows))
    n_val = int(round((fractions[0] + fractions[1]) * n_rows)) - n_train
    labels = np.full(n_rows, TEST, dtype=np.int8)
    labels[:n_train] = TRAIN
    labels[n_train:n_train + n_val] = VAL
    return labels


def series_labels(lengths, fractions=(0.7, 0.15, 0.15)):
    """Row labels of a panel split by whole series, in the panel's order: the series that start
    in the first ``f_train`` of its rows train, those in the next ``f_val`` validate, the rest
    test (each series keeps one label).

    For a panel of many short, exchangeable series (an agent's episodes, trials) the per-series
    cut of `chronological_labels` holds out only the last steps of every series, a biased
    sample of its states (a CartPole episode's last steps are those where the pole falls, which
    training never sees); whole held-out series are drawn like the training ones, and the split
    is still chronological across the panel (Bergmeir & Benitez 2012, "On the use of
    cross-validation for time series predictor evaluation", Information Sciences 191: blocked
    held-out data).

    Args:
      lengths: rows per series, in order.
      fractions: (train, val, test), summing to 1.

    Returns:
      int8 [sum(lengths)] labels (0 train, 1 val, 2 test).
    """
    fractions = _check_fractions(fractions)
    lengths = np.asarray(lengths, np.int64)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])      # each series' first row
    total = int(lengths.sum())
    cut_train = fractions[0] * total
    cut_val = (fractions[0] + fractions[1]) * total
    label = np.where(first < cut_train, TRAIN, np.where(first < cut_val, VAL, TEST))
    return np.repeat(label, lengths).astype(np.int8)


@dataclasses.dataclass(frozen=True)
class BacktestFold:
    """One rolling origin: rows counted back from each series' end.

    For a series of n rows, training rows are ``[max(0, n - back - train_size), n - back)`` (all
    earlier rows when ``train_size`` is None: an expanding window) and test rows
    ``[n - back, n - back + test_size)``, with ``back = test_start_from_end``. Counting from the
    end lets series of different lengths share folds whose last one ends with every series.
    """

    index: int
    test_start_from_end: int
    test_size: int
    train_size: int = None


def rolling_origin_folds(n_folds, test_size, step=None, train_size=None):
    """Rolling-origin folds, the last one ending at the end of the data.

    Fold k (0 = earliest) tests rows ``[n - b_k, n - b_k + test_size)`` with
    ``b_k = test_size + (n_folds - 1 - k) * step``; training is every row before (expanding) or
    the last ``train_size`` of them (sliding).

    Args:
      n_folds: number of origins (>= 1).
      test_size: rows forecast per fold (>= 1; >= the horizon for a window to fit).
      step: rows between origins (default ``test_size``: test blocks do not overlap).
      train_size: None for an expanding window, or a row count for a sliding one.

    Returns:
      A list of `BacktestFold`, earliest first.
    """
    for name, value in (("n_folds", n_folds), ("test_size", test_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    step = test_size if step is None else step
    if not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be a positive integer, got {step!r}")
    if train_size is not None and (not isinstance(train_size, (int, np.integer)) or train_size < 1):
        raise ValueError(f"train_size must be None (expanding) or a positive integer, "
                         f"got {train_size!r}")
    return [BacktestFold(k, test_size + (n_folds - 1 - k) * step, test_size, train_size)
            for k in range(n_folds)]


def fold_labels(n_rows, fold):
    """Row labels of one series under a fold: 0 train, 2 test, -1 unused."""
    start = n_rows - fold.test_start_from_end
    if start <= 0:
        raise ValueError(f"fold {fold.index} starts its test {fold.test_start_from_end} rows "
                         f"from the end of a series of {n_rows} rows, leaving no training rows: "
                         "use fewer folds, a smaller step or test_size")
    labels = np.full(n_rows, UNUSED, dtype=np.int8)
    lo = 0 if fold.train_size is None else max(0, start - fold.train_size)
    labels[lo:start] = TRAIN
    labels[start:start + fold.test_size] = TEST
    return labels
