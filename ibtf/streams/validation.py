"""Validation of paired time-series frames before anything is windowed.

Every check fails with a ``ValueError``/``TypeError`` that names the column, the row (its
index label and time) and the fix, because a user's CSV is the usual input and a wrong window
silently trains a wrong model. The checks mirror what the forecasting libraries users know
demand of a long frame (NeuralForecast's ``unique_id``/``ds``; GluonTS' ``PandasDataset``):
numeric values, a sorted, unique, regularly spaced time column per series, and enough rows.
"""
import dataclasses

import numpy as np
import pandas as pd

__all__ = ["NAN_POLICIES", "SPACING_POLICIES", "ValidationReport", "validate_streams"]

NAN_POLICIES = ("error", "ffill", "drop")
SPACING_POLICIES = ("error", "split", "ignore")

# Name of the column that `validate_streams` adds: contiguous, regularly spaced runs of rows.
SEGMENT_COL = "_segment"

# Relative tolerance for numeric time steps (decimal years like 1950.0833333 are rounded in CSVs).
_STEP_RTOL = 1e-6


@dataclasses.dataclass(frozen=True)
class ValidationReport:
    """What `validate_streams` found and changed.

    Attributes:
      n_rows_in: rows in the frame given.
      n_rows_out: rows kept.
      n_series: number of series (1 without an id column).
      nan_counts: NaNs found per value column, before the policy acted.
      n_filled: values filled forward (``nan_policy="ffill"``).
      n_dropped: rows dropped (NaN rows under ``"drop"``; leading NaNs ``"ffill"`` cannot fill).
      n_segments: contiguous regularly spaced runs; windows never cross from one to the next.
      n_gaps: irregular steps found (split into segments or ignored, by ``spacing``).
      step: the regular time step (a ``pandas`` offset alias, a ``Timedelta`` or a number).
    """

    n_rows_in: int
    n_rows_out: int
    n_series: int
    nan_counts: dict
    n_filled: int
    n_dropped: int
    n_segments: int
    n_gaps: int
    step: object

    def summary(self):
        """One line for logs and the CLI."""
        nans = sum(self.nan_counts.values())
        return (f"{self.n_rows_out}/{self.n_rows_in} rows kept in {self.n_series} series, "
                f"{self.n_segments} segments, step {self.step}; {nans} NaNs "
                f"({self.n_filled} filled, {self.n_dropped} rows dropped); {self.n_gaps} gaps")


_FLOAT32_MAX = float(np.finfo(np.float32).max) / 1e3   # room for scaling arithmetic


def _as_list(cols, name):
    if isinstance(cols, str):
        cols = [c.strip() for c in cols.split(",") if c.strip()]
    if not isinstance(cols, (list, tuple)) or not all(isinstance(c, str) for c in cols):
        raise TypeError(f"{name} must be a column name or a list of column names, got {cols!r}")
    if not cols:
        raise ValueError(f"{name} is empty: name at least one column")
    if len(set(cols)) != len(cols):
        raise ValueError(f"{name} names a column twice ({list(cols)}): list each column once")
    return list(cols)


def _row(frame, pos, time_col):
    """'row LABEL (time=T)' for messages; `pos` is a position in `frame`."""
    return f"row {frame.index[pos]!r} ({time_col}={frame[time_col].iloc[pos]})"


def _check_columns(frame, time_col, source_cols, target_cols, id_col):
    wanted = {"time_col": [time_col], "source_cols": source_cols, "target_cols": target_cols}
    if id_col is not None:
        wanted["id_col"] = [id_col]
    for arg, cols in wanted.items():
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{arg}: column(s) {missing} not in the data; available columns are "
                             f"{list(map(str, frame.columns))}: fix the name or the file")
    both = set(source_cols) & set(target_cols)
    if both:
        raise ValueError(f"column(s) {sorted(both)} are both source and target: a source must be "
                         "a different stream from the target it forecasts")
    special = {time_col} | ({id_col} if id_col else set())
    clash = special & (set(source_cols) | set(target_cols))
    if clash:
        raise ValueError(f"column(s) {sorted(clash)} are used as time/id and as values: "
                         "choose different columns")


def _parse_time(frame, time_col):
    times = frame[time_col]
    if pd.api.types.is_datetime64_any_dtype(times) or (
            pd.api.types.is_numeric_dtype(times) and not pd.api.types.is_bool_dtype(times)):
        parsed = times
    else:
        parsed = pd.to_datetime(times, errors="coerce")
        bad = parsed.isna() & times.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"time column {time_col!r} has a value that is neither a number nor "
                             f"a date, {times.iloc[pos]!r} at row {frame.index[pos]!r} "
                             f"({int(bad.sum())} such rows): fix it or drop the row")
    missing = parsed.isna().to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise ValueError(f"time column {time_col!r} is empty at row {frame.index[pos]!r} "
                         f"({int(missing.sum())} such rows): every row needs a time; drop them")
    return parsed


def _numeric_values(frame, cols, time_col):
    out = {}
    for col in cols:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        if not pd.api.types.is_numeric_dtype(values):
            coerced = pd.to_numeric(values, errors="coerce")
            bad = coerced.isna() & values.notna()
            if bad.any():
                pos = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"column {col!r} has a non-numeric value {values.iloc[pos]!r} at "
                                 f"{_row(frame, pos, time_col)} ({int(bad.sum())} such values): "
                                 "convert the column to numbers or drop those rows")
            values = coerced
        values = values.astype(np.float64)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            pos = int(np.flatnonzero(infinite)[0])
            raise ValueError(f"column {col!r} has an infinite value at {_row(frame, pos, time_col)}"
                             f" ({int(infinite.sum())} such values): replace them with NaN and "
                             "choose a nan_policy, or drop those rows")
        huge = np.abs(values.to_numpy()) > _FLOAT32_MAX
        if huge.any():
            pos = int(np.flatnonzero(huge)[0])
            raise ValueError(f"column {col!r} has the value {values.iloc[pos]:.6g} at "
                             f"{_row(frame, pos, time_col)} ({int(huge.sum())} such values), "
                             f"beyond the float32 range of the models (|v| <= {_FLOAT32_MAX:.3g}): "
                             "rescale the column (e.g. divide it by a power of 10) or drop "
                             "those rows")
        out[col] = values
    return out


def _infer_step(times):
    """The regular step of one sorted, unique series: an offset alias for dates, else a number."""
    if pd.api.types.is_datetime64_any_dtype(times):
        index = pd.DatetimeIndex(times)
        if len(index) >= 3:
            freq = pd.infer_freq(index)
            if freq is not None:
                return freq
            # Irregular somewhere: the calendar frequency is the one most chunks agree on.
            chunks = [pd.infer_freq(index[i:i + 8]) for i in range(0, len(index) - 2, 8)]
            chunks = [f for f in chunks if f is not None]
            if chunks:
                return pd.Series(chunks).mode().iloc[0]
        return pd.Series(np.diff(index.asi8)).mode().iloc[0] * pd.Timedelta(1, "ns")
    diffs = np.diff(np.asarray(times, dtype=np.float64))
    return float(np.median(diffs)) if len(diffs) else 1.0


def _irregular_steps(times, step):
    """Boolean [n-1]: step i -> i+1 differs from the regular one."""
    if len(times) < 2:
        return np.zeros(0, dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(times):
        index = pd.DatetimeIndex(times)
        offset = pd.tseries.frequencies.to_offset(step) if isinstance(step, str) else step
        expected = (index[:-1] + offset).asi8
        return expected != index[1:].asi8
    values = np.asarray(times, dtype=np.float64)
    return np.abs(np.diff(values) - step) > _STEP_RTOL * max(abs(step), 1e-300)


def validate_streams(frame, *, time_col, source_cols, target_cols, id_col=None,
                     nan_policy="error", spacing="error", sort=False, min_rows=1):
    """Checks and cleans a long frame of paired streams.

    The frame holds one row per time step (per series with ``id_col``, as NeuralForecast's
    ``unique_id``), a time column (dates or numbers), source columns x and target columns y.
    Transfer entropy (Schreiber 2000; Kalajdzievski et al. 2023, eq. 1),
    ``TE(X -> Y) = I(Y_future; X_past | Y_past)``, is only defined on aligned, regularly spaced
    pasts, so the time axis is checked before anything is windowed.

    Args:
      frame: a ``pandas.DataFrame``.
      time_col: name of the time column (datetime, parseable date strings or numbers).
      source_cols: source column name(s): a list or a comma-separated string.
      target_cols: target column name(s).
      id_col: optional series-id column for panels; each series is checked on its own.
      nan_policy: ``"error"`` (default), ``"ffill"`` (forward-fill within each series; leading
        NaNs, which have nothing to fill from, drop their rows) or ``"drop"`` (drop rows with any
        NaN; windows never cross a dropped row).
      spacing: ``"error"`` (default) on an irregular step, ``"split"`` the series into regular
        segments at each gap (windows never cross a gap), or ``"ignore"`` (treat rows as steps).
      sort: sort each series by time instead of raising on unsorted timestamps.
      min_rows: fewest rows each series needs (history + horizon for one window).

    Returns:
      ``(clean, report)``: the cleaned frame (id, time, source, target columns, sorted, with a
      ``_segment`` integer column numbering contiguous regular runs) and a `ValidationReport`.

    Raises:
      TypeError: `frame` is not a DataFrame or a column argument is not a name or list of names.
      ValueError: a missing or non-numeric column, NaNs under ``nan_policy="error"``, duplicated,
        unsorted or irregular timestamps, or a series shorter than `min_rows`; the message names
        the column, row and fix.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas.DataFrame, got {type(frame).__name__}: "
                        "load CSVs with PairedStreams.from_csv or pandas.read_csv")
    if not isinstance(time_col, str):
        raise TypeError(f"time_col must be a column name, got {time_col!r}")
    if id_col is not None and not isinstance(id_col, str):
        raise TypeError(f"id_col must be a column name or None, got {id_col!r}")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    if spacing not in SPACING_POLICIES:
        raise ValueError(f"spacing must be one of {SPACING_POLICIES}, got {spacing!r}")
    source_cols = _as_list(source_cols, "source_cols")
    target_cols = _as_list(target_cols, "target_cols")
    _check_columns(frame, time_col, source_cols, target_cols, id_col)
    if len(frame) == 0:
        raise ValueError("the data has no rows: give a frame with at least one window of rows")

    value_cols = source_cols + target_cols
    clean = pd.DataFrame(index=frame.index)
    if id_col is not None:
        ids = frame[id_col]
        if ids.isna().any():
            pos = int(np.flatnonzero(ids.isna().to_numpy())[0])
            raise ValueError(f"id column {id_col!r} is empty at row {frame.index[pos]!r}: every "
                             "row needs a series id; fill or drop those rows")
        clean[id_col] = ids
    clean[time_col] = _parse_time(frame, time_col)
    for col, values in _numeric_values(frame, value_cols, time_col).items():
        clean[col] = values

    groups = [clean] if id_col is None else [g for _, g in clean.groupby(id_col, sort=False)]
    nan_counts = {c: int(clean[c].isna().sum()) for c in value_cols}
    steps, pieces = [], []
    n_filled = n_dropped = n_gaps = 0
    segment = 0
    for group in groups:
        name = "" if id_col is None else f" of series {group[id_col].iloc[0]!r}"
        times = group[time_col]
        if sort and not times.is_monotonic_increasing:
            group = group.sort_values(time_col, kind="stable")
            times = group[time_col]
        dup = times.duplicated(keep=False).to_numpy()
        if dup.any():
            rows = list(group.index[dup][:4])
            raise ValueError(f"time column {time_col!r}{name} has duplicated timestamps "
                             f"({int(dup.sum())} rows, first {times[dup].iloc[0]} at rows {rows}):"
                             " aggregate them (e.g. groupby time and mean) or drop the duplicates"
                             + ("" if id_col else "; or, for many series, pass id_col"))
        if not times.is_monotonic_increasing:   # duplicates checked first: they read better
            pos = int(np.flatnonzero(_descending(times))[0]) + 1
            raise ValueError(f"time column {time_col!r}{name} is not sorted: "
                             f"{_row(group, pos, time_col)} comes before the row above it; "
                             "sort the data by time or pass sort=True")
        if len(group) < min_rows:
            raise ValueError(f"series{name} has {len(group)} rows but needs at least {min_rows} "
                             "(history + horizon): use a shorter history or horizon, or more data")

        step = _infer_step(times)
        steps.append(step)
        irregular = _irregular_steps(times, step) if spacing != "ignore" else np.zeros(
            max(len(group) - 1, 0), dtype=bool)
        if irregular.any() and spacing == "error":
            pos = int(np.flatnonzero(irregular)[0]) + 1
            raise ValueError(f"time column {time_col!r}{name} is irregularly spaced: the step is "
                             f"{step} but {_row(group, pos, time_col)} follows "
                             f"{times.iloc[pos - 1]} ({int(irregular.sum())} such gaps); reindex "
                             "to a regular grid and choose a nan_policy, or pass spacing='split' "
                             "(windows do not cross gaps) or spacing='ignore'")
        n_gaps += int(irregular.sum())
        breaks = np.concatenate([[True], irregular])

        values = group[value_cols]
        missing = values.isna().to_numpy().any(axis=1)
        if missing.any():
            if nan_policy == "error":
                pos = int(np.flatnonzero(missing)[0])
                col = next(c for c in value_cols if pd.isna(group[c].iloc[pos]))
                raise ValueError(f"column {col!r}{name} has NaN at {_row(group, pos, time_col)} "
                                 f"({int(missing.sum())} rows with NaN): pass nan_policy='ffill' "
                                 "or 'drop', or fill the values")
            if nan_policy == "ffill":
                filled = values.ffill()
                n_filled += int(values.isna().sum().sum() - filled.isna().sum().sum())
                group = group.assign(**{c: filled[c] for c in value_cols})
                keep = ~filled.isna().to_numpy().any(axis=1)   # leading NaNs only
            else:
                keep = ~missing
            # A dropped row is a hole: the next kept row starts a new segment.
            dropped_before = np.concatenate([[False], ~keep[:-1]])
            breaks = (breaks | dropped_before)[keep]
            n_dropped += int((~keep).sum())
            group = group[keep]
        if len(group) < min_rows:
            raise ValueError(f"series{name} has {len(group)} rows left after nan_policy="
                             f"{nan_policy!r} but needs at least {min_rows}: fill NaNs instead")
        seg = segment + np.cumsum(breaks) - 1
        segment = int(seg[-1]) + 1 if len(seg) else segment
        pieces.append(group.assign(**{SEGMENT_COL: seg.astype(np.int64)}))

    clean = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    steps_unique = {str(s) for s in steps}
    report = ValidationReport(
        n_rows_in=len(frame), n_rows_out=len(clean), n_series=len(groups), nan_counts=nan_counts,
        n_filled=n_filled, n_dropped=n_dropped, n_segments=segment, n_gaps=n_gaps,
        step=steps[0] if len(steps_unique) == 1 else sorted(steps_unique))
    return clean, report


def _descending(times):
    values = times.to_numpy()
    return values[1:] < values[:-1]
