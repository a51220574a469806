"""`PairedStreams`: a validated source/target frame, split, scaled and windowed.

The data side of the Transfer Entropy Bottleneck (Kalajdzievski et al., TMLR 2023): the model
forecasts ``y[t:t+H]`` from ``y[t-L:t]`` and a bottlenecked channel from ``x[t-L:t]``, and the
information it transfers, ``TE(X -> Y) = I(Y_future; X_past | Y_past)``, is measured on held-out
windows. So windows keep past and future apart, splits are chronological per series, and the
scaler sees training rows only.
"""

import numpy as np

from ibtf.streams.scaling import StreamScaler
from ibtf.streams.tables import read_table
from ibtf.streams.splits import (TEST, TRAIN, VAL, chronological_labels, fold_labels,
                                 rolling_origin_folds, series_labels)
from ibtf.streams.validation import SEGMENT_COL, validate_streams
from ibtf.streams.windows import WindowArrays, sliding_windows, valid_window_starts

__all__ = ["PairedStreams", "SPLITS"]

SPLITS = {"train": TRAIN, "val": VAL, "test": TEST}


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class PairedStreams:
    """Paired source/target streams from a long DataFrame (one or many series).

    Each window at forecast origin t holds ``source_history = x[t-L:t]`` [L, ds],
    ``target_history = y[t-L:t]`` [L, dt] and ``target_future = y[t:t+H]`` [H, dt]. A window
    belongs to the split of its future rows; its history may reach into earlier splits, since
    the past is known when forecasting. Windows never cross a series, a gap or a dropped row.

    Args:
      frame: a ``pandas.DataFrame`` in long format.
      time_col, source_cols, target_cols, id_col: columns (see `validate_streams`).
      history: L, past steps per window. horizon: H, future steps forecast.
      split: (train, val, test) fractions of each series' rows, in time order.
      split_by: ``"rows"``: every series is cut by ``split`` in time order; ``"series"``: whole
        series are held out in the panel's order (`series_labels`: the series starting in the
        first 70% of rows train, ...), for panels of short exchangeable series such as an
        agent's episodes, where a per-series cut would score only their last steps (the states
        just before a CartPole episode ends, never seen in training); ``"auto"`` (default):
        ``"series"`` for a panel of at least 20 series whose median series' held-out part is
        shorter than one window (history + horizon), else ``"rows"``. ``self.split_by`` holds
        the one used.
      nan_policy, spacing, sort: see `validate_streams`.

    Attributes:
      frame: the cleaned frame. report: the `ValidationReport`. scaler: a `StreamScaler` fitted
      on training rows only (its mean/scale go inside a model's graph).

    Example:
      >>> streams = PairedStreams(df, time_col="date", source_cols=["soi"],
      ...                         target_cols=["rec"], history=24, horizon=1)
      >>> ds = streams.dataset("train", batch_size=64, shuffle=True, seed=0)
      >>> test = streams.windows("test")      # WindowArrays, numpy
    """

    def __init__(self, frame, *, time_col, source_cols, target_cols, id_col=None, history,
                 horizon=1, split=(0.7, 0.15, 0.15), split_by="auto", nan_policy="error",
                 spacing="error", sort=False):
        self._kwargs = dict(time_col=time_col, id_col=id_col, history=history, horizon=horizon,
                            split=split, split_by=split_by, nan_policy=nan_policy,
                            spacing=spacing, sort=sort)
        self._raw_frame = frame
        self.history = _positive_int(history, "history")
        self.horizon = _positive_int(horizon, "horizon")
        clean, report = validate_streams(
            frame, time_col=time_col, source_cols=source_cols, target_cols=target_cols,
            id_col=id_col, nan_policy=nan_policy, spacing=spacing, sort=sort,
            min_rows=self.history + self.horizon)
        self.frame, self.report = clean, report
        self.time_col, self.id_col = time_col, id_col
        self.source_cols = _names(source_cols)
        self.target_cols = _names(target_cols)
        self.split_fractions = tuple(split)

        self._source = clean[self.source_cols].to_numpy(np.float32)
        self._target = clean[self.target_cols].to_numpy(np.float32)
        self._segment = clean[SEGMENT_COL].to_numpy()
        self._time = clean[time_col].to_numpy()
        if id_col is None:
            self._series = np.full(len(clean), None, dtype=object)
            bounds = [(0, len(clean))]
        else:
            self._series = clean[id_col].to_numpy()
            change = np.flatnonzero(self._series[1:] != self._series[:-1]) + 1
            edges = np.concatenate([[0], change, [len(clean)]])
            bounds = list(zip(edges[:-1], edges[1:]))
        self._bounds = bounds
        self.split_by = _resolve_split_by(split_by, id_col, [hi - lo for lo, hi in bounds],
                                          self.split_fractions, self.history + self.horizon)
        if self.split_by == "series":
            self._labels = series_labels([hi - lo for lo, hi in bounds], self.split_fractions)
        else:
            self._labels = self._labels_for(
                lambda n: chronological_labels(n, self.split_fractions))
        if not (self._labels == TRAIN).any():
            raise ValueError("the training split has no rows: raise the train fraction of split")
        self.scaler = self._fit_scaler(self._labels)
        self._scaled = None

    @classmethod
    def from_csv(cls, path, *, time_col, **kwargs):
        """Reads a CSV file (`read_table`: delimiter and encoding sniffed) and builds
        `PairedStreams`.

        Raises:
          FileNotFoundError: `path` does not exist. ValueError: not readable as a table.
        """
        return cls(read_table(path), time_col=time_col, **kwargs)

    def reversed(self, source_cols=None, target_cols=None):
        """The reverse direction, for the control TE(Y -> X): the target columns become the
        source and the source columns the target (or the ones named), same settings."""
        source_cols = self.target_cols if source_cols is None else source_cols
        target_cols = self.source_cols if target_cols is None else target_cols
        return PairedStreams(self._raw_frame, source_cols=source_cols, target_cols=target_cols,
                             **self._kwargs)

    def with_source(self, values):
        """The same streams with the source rows replaced by ``values`` [T, ds] (aligned with
        the cleaned frame's rows; e.g. a surrogate from `ibtf.streams.surrogates`). Splits,
        windows and the scaler are kept: a model trained on the copy sees its source through
        the same standardisation as one trained on the original."""
        values = np.asarray(values, np.float32)
        if values.shape != self._source.shape:
            raise ValueError(f"the replacement source has shape {values.shape}; the streams' "
                             f"source has {self._source.shape}")
        if not np.isfinite(values).all():
            raise ValueError("the replacement source holds NaN or inf")
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._source, copy._scaled = values, None
        return copy

    def check_informative(self, rtol=1e-9):
        """Raises ValueError when a source or target column is constant over the training rows
        (relative spread below ``rtol``). A constant source carries no information about the
        target: its transfer is 0 by definition, and a fitted model could only mistake training
        noise for information. A constant target leaves nothing to forecast."""
        rows = self._labels == TRAIN
        for side, values, cols in (("source", self._source, self.source_cols),
                                   ("target", self._target, self.target_cols)):
            part = values[rows].astype(np.float64)
            spread = part.max(axis=0) - part.min(axis=0)
            size = np.maximum(np.abs(part).max(axis=0), 1e-300)
            for col, flat in zip(cols, spread <= rtol * size):
                if flat:
                    what = ("carries no information about the target (its transfer is 0): "
                            "choose a source column that varies" if side == "source" else
                            "leaves nothing to forecast: choose a target column that varies")
                    raise ValueError(f"{side} column {col!r} is constant over the training rows "
                                     f"(value {part[0, cols.index(col)]:.6g}): a constant "
                                     f"{side} {what}")

    @property
    def bounds(self):
        """[(start, stop)] row ranges of the series in the cleaned frame."""
        return list(self._bounds)

    @property
    def source_values(self):
        """The source rows [T, ds] (float32, aligned with the cleaned frame)."""
        return self._source

    # -- rows -------------------------------------------------------------------------------
    @property
    def series_ids(self):
        """The series ids in order (``[None]`` for a single series)."""
        return [self._series[lo] for lo, _ in self._bounds]

    def _labels_for(self, per_series):
        return np.concatenate([per_series(hi - lo) for lo, hi in self._bounds]).astype(np.int8)

    def _fit_scaler(self, labels):
        rows = labels == TRAIN
        return StreamScaler.fit(self._source[rows], self._target[rows])

    def rows(self, split="train"):
        """The cleaned frame's rows of one split (0.7/0.15/0.15 by default), for baselines."""
        return self.frame[self._labels == self._split_label(split)]

    @staticmethod
    def _split_label(split):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
        return SPLITS[split]

    # -- windows ----------------------------------------------------------------------------
    def _arrays(self, scaled, scaler):
        if not scaled:
            return self._source, self._target
        if scaler is self.scaler:
            if self._scaled is None:
                self._scaled = (scaler.transform_source(self._source),
                                scaler.transform_target(self._target))
            return self._scaled
        return scaler.transform_source(self._source), scaler.transform_target(self._target)

    def _starts(self, labels, label, what):
        starts = valid_window_starts(self._segment, labels, self.history, self.horizon, label)
        if starts.size == 0:
            raise ValueError(f"{what} has no complete window of history {self.history} + horizon "
                             f"{self.horizon}: use a shorter history/horizon, a larger split "
                             "fraction, or more data")
        return starts

    def _windows(self, labels, label, what, scaled, scaler):
        starts = self._starts(labels, label, what)
        source, target = self._arrays(scaled, scaler)
        src, tgt, fut = sliding_windows(source, target, starts, self.history, self.horizon)
        origin = starts + self.history
        return WindowArrays(src, tgt, fut, self._series[origin], self._time[origin])

    def windows(self, split="train", *, scaled=False):
        """The windows of one split as numpy arrays (`WindowArrays`).

        Args:
          split: ``"train"``, ``"val"`` or ``"test"``.
          scaled: standardise with the training-row scaler (default: raw units, for models that
            carry the scaler inside their graph).
        """
        label = self._split_label(split)
        return self._windows(self._labels, label, f"split {split!r}", scaled, self.scaler)

    def dataset(self, split="train", *, batch_size=32, shuffle=None, seed=0,
                drop_remainder=False, scaled=False, prefetch=True):
        """The windows of one split as a batched, prefetched ``tf.data.Dataset``.

        Yields ``({'source_history': [B, L, ds], 'target_history': [B, L, dt]},
        target_future [B, H, dt])``. Shuffling (default: on for ``"train"`` only) is seeded.
        """
        from ibtf.streams.dataset import windows_dataset
        label = self._split_label(split)
        starts = self._starts(self._labels, label, f"split {split!r}")
        source, target = self._arrays(scaled, self.scaler)
        shuffle = (split == "train") if shuffle is None else bool(shuffle)
        return windows_dataset(source, target, starts, self.history, self.horizon,
                               batch_size=batch_size, shuffle=shuffle, seed=seed,
                               drop_remainder=drop_remainder, prefetch=prefetch)

    def num_windows(self, split="train"):
        """How many windows a split holds."""
        label = self._split_label(split)
        return int(valid_window_starts(self._segment, self._labels, self.history, self.horizon,
                                       label).size)

    # -- backtesting ------------------------------------------------------------------------
    def backtest_folds(self, n_folds, test_size=None, *, step=None, train_size=None):
        """Rolling-origin folds (`rolling_origin_folds`), checked against every series.

        ``test_size`` defaults to the horizon. Each fold must leave at least one training
        window in every series.
        """
        test_size = self.horizon if test_size is None else test_size
        folds = rolling_origin_folds(n_folds, test_size, step=step, train_size=train_size)
        shortest = min(hi - lo for lo, hi in self._bounds)
        need = folds[0].test_start_from_end + self.history + self.horizon
        if shortest < need:
            raise ValueError(f"{n_folds} folds of test_size {test_size} need series of at least "
                             f"{need} rows (history + horizon of training before the first "
                             f"origin), the shortest has {shortest}: use fewer folds or a "
                             "smaller step")
        return folds

    def fold_dataset(self, fold, split="train", *, batch_size=32, shuffle=None, seed=0,
                     drop_remainder=False, scaled=False, prefetch=True):
        """One fold's ``"train"`` or ``"test"`` windows as a ``tf.data.Dataset`` (as `dataset`);
        ``scaled=True`` uses the scaler fitted on the fold's training rows."""
        if split not in ("train", "test"):
            raise ValueError(f"a backtest fold has splits 'train' and 'test', got {split!r}")
        from ibtf.streams.dataset import windows_dataset
        labels = self._labels_for(lambda n: fold_labels(n, fold))
        label = SPLITS[split]
        starts = self._starts(labels, label, f"backtest fold {fold.index} ({split})")
        source, target = self._arrays(scaled, self._fit_scaler(labels) if scaled else None)
        shuffle = (split == "train") if shuffle is None else bool(shuffle)
        return windows_dataset(source, target, starts, self.history, self.horizon,
                               batch_size=batch_size, shuffle=shuffle, seed=seed,
                               drop_remainder=drop_remainder, prefetch=prefetch)

    def fold_windows(self, fold, *, scaled=False):
        """``(train, test, scaler)`` of one fold: `WindowArrays` and a scaler fitted on the
        fold's training rows (the fold never sees statistics of rows after its origin)."""
        labels = self._labels_for(lambda n: fold_labels(n, fold))
        scaler = self._fit_scaler(labels)
        what = f"backtest fold {fold.index}"
        return (self._windows(labels, TRAIN, f"{what} (train)", scaled, scaler),
                self._windows(labels, TEST, f"{what} (test)", scaled, scaler), scaler)


SPLIT_BY = ("auto", "rows", "series")
_MIN_PANEL = 20      # series needed before "auto" holds whole series out


def _resolve_split_by(split_by, id_col, lengths, fractions, window):
    """"rows" or "series" (`PairedStreams`' ``split_by``)."""
    if split_by not in SPLIT_BY:
        raise ValueError(f"split_by={split_by!r} must be 'rows' (each series cut in time order), "
                         "'series' (whole series held out, in the panel's order) or 'auto'")
    if split_by == "series" and id_col is None:
        raise ValueError("split_by='series' needs an id_col naming the series (episodes)")
    if split_by != "auto":
        return split_by
    held_out = [f for f in fractions[1:] if f > 0]
    if id_col is None or len(lengths) < _MIN_PANEL or not held_out:
        return "rows"
    # A per-series cut whose held-out part is shorter than one window scores only the
    # series' last steps, with histories from training rows.
    return "series" if np.median(lengths) * min(held_out) < window else "rows"


def _names(cols):
    if isinstance(cols, str):
        return [c.strip() for c in cols.split(",") if c.strip()]
    return list(cols)
