"""Sliding windows over aligned streams, as strided views (no Python loop over time).

A window at start ``s`` covers rows ``s .. s + L + H - 1``: the first L rows are the history
(source and target), the last H rows the target's future. ``numpy``'s
``sliding_window_view`` gives all windows as one view; only the selected ones are copied.
"""
import dataclasses

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["WindowArrays", "sliding_windows", "valid_window_starts"]


@dataclasses.dataclass(frozen=True)
class WindowArrays:
    """Windows as numpy arrays, in the layout of the tf.data pipeline.

    Attributes:
      source_history: float32 [N, L, ds].
      target_history: float32 [N, L, dt].
      target_future: float32 [N, H, dt].
      series: [N] series id of each window (``None`` ids for a single series).
      origin: [N] time of each window's first forecast step.
    """

    source_history: np.ndarray
    target_history: np.ndarray
    target_future: np.ndarray
    series: np.ndarray
    origin: np.ndarray

    def __len__(self):
        return int(self.target_future.shape[0])

    @property
    def inputs(self):
        """The model inputs: ``{'source_history', 'target_history'}``."""
        return {"source_history": self.source_history, "target_history": self.target_history}


def valid_window_starts(segment, label, history, horizon, split_label):
    """Starts of the windows that lie in one segment and forecast rows of one split.

    Args:
      segment: int [T], a contiguous regular run id per row (rows sorted, runs contiguous).
      label: int [T], the split of each row; within a series each label's rows form one
        contiguous block (true of chronological splits and backtest folds), so equal labels at
        the first and last future row mean every future row carries that label.
      history: L. horizon: H.
      split_label: the label the window's future rows must all carry; its history may reach
        back into earlier splits (the past is known at forecast time).

    Returns:
      int64 [N] window starts in ascending order.
    """
    segment = np.asarray(segment)
    label = np.asarray(label)
    width = history + horizon
    n = segment.shape[0] - width + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    first, last = np.arange(n), np.arange(n) + width - 1
    # Segments are contiguous runs, so equal ids at both ends mean no gap inside the window.
    ok = (segment[first] == segment[last])
    ok &= (label[first + history] == split_label) & (label[last] == split_label)
    return np.flatnonzero(ok).astype(np.int64)


def sliding_windows(source, target, starts, history, horizon):
    """Copies the windows at ``starts`` out of aligned arrays.

    The layout of the Transfer Entropy Bottleneck forecaster (Kalajdzievski et al., TMLR 2023):
    ``(x[s:s+L], y[s:s+L]) -> y[s+L:s+L+H]``, the pasts that condition
    ``TE = I(Y_future; X_past | Y_past)``.

    Args:
      source: [T, ds] source rows. target: [T, dt] target rows.
      starts: int [N] window starts (from `valid_window_starts`).
      history: L >= 1. horizon: H >= 1.

    Returns:
      ``(source_history [N, L, ds], target_history [N, L, dt], target_future [N, H, dt])``.
    """
    source = np.asarray(source, dtype=np.float32)
    target = np.asarray(target, dtype=np.float32)
    starts = np.asarray(starts, dtype=np.int64)
    width = history + horizon
    if source.shape[0] < width:
        ds, dt = source.shape[1], target.shape[1]
        empty = np.zeros((0, history, ds), np.float32)
        return empty, np.zeros((0, history, dt), np.float32), np.zeros((0, horizon, dt), np.float32)
    # sliding_window_view puts the window axis last: [T - W + 1, d, W] -> [N, W, d].
    src = sliding_window_view(source[:, :], history, axis=0)[starts]
    tgt = sliding_window_view(target, width, axis=0)[starts]
    return (np.ascontiguousarray(src.transpose(0, 2, 1)),
            np.ascontiguousarray(tgt[:, :, :history].transpose(0, 2, 1)),
            np.ascontiguousarray(tgt[:, :, history:].transpose(0, 2, 1)))
