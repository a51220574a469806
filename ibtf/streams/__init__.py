"""ibtf.streams: paired time series for transfer-entropy forecasting.

Validation, chronological splits, training-row scaling, windows (numpy and ``tf.data``) and
rolling-origin backtest folds, and a block-bootstrap interval for held-out means.
"""
from ibtf.streams.bootstrap import block_bootstrap_ci
from ibtf.streams.paired import SPLITS, PairedStreams
from ibtf.streams.scaling import StreamScaler
from ibtf.streams.splits import (BacktestFold, chronological_labels, fold_labels,
                                 rolling_origin_folds)
from ibtf.streams.validation import ValidationReport, validate_streams
from ibtf.streams.tables import read_table
from ibtf.streams.windows import WindowArrays, sliding_windows, valid_window_starts

__all__ = [
    "BacktestFold", "PairedStreams", "SPLITS", "StreamScaler", "ValidationReport",
    "WindowArrays", "block_bootstrap_ci", "chronological_labels", "fold_labels",
    "rolling_origin_folds", "sliding_windows", "valid_window_starts", "validate_streams",
    "windows_dataset", "read_table",
]


def __getattr__(name):
    # tf.data loads TensorFlow: only on first use, so reading and validating data stays light.
    if name == "windows_dataset":
        from ibtf.streams.dataset import windows_dataset
        return windows_dataset
    raise AttributeError(f"module 'ibtf.streams' has no attribute {name!r}")
