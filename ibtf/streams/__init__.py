"""ibtf.streams: paired time series for transfer-entropy forecasting.

Validation, chronological splits, training-row scaling, windows (numpy and ``tf.data``) and
rolling-origin backtest folds, and a block-bootstrap interval for held-out means.
"""
from ibtf.streams.bootstrap import block_bootstrap_ci
from ibtf.streams.dataset import windows_dataset
from ibtf.streams.paired import SPLITS, PairedStreams
from ibtf.streams.scaling import StreamScaler
from ibtf.streams.splits import (BacktestFold, chronological_labels, fold_labels,
                                 rolling_origin_folds)
from ibtf.streams.validation import ValidationReport, validate_streams
from ibtf.streams.windows import WindowArrays, sliding_windows, valid_window_starts

__all__ = [
    "BacktestFold", "PairedStreams", "SPLITS", "StreamScaler", "ValidationReport",
    "WindowArrays", "block_bootstrap_ci", "chronological_labels", "fold_labels",
    "rolling_origin_folds", "sliding_windows", "valid_window_starts", "validate_streams",
    "windows_dataset",
]
