"""Forecasts from a TEB export as rows arrive: O(1) memory and work per row.

`StreamingForecaster` keeps, per series, a ring buffer of the last ``history`` rows (source and
target columns). When a row completes a window ``(x[t-L+1..t], y[t-L+1..t])`` it calls the
export's ``serving_default`` on that one window and returns the forecast rows of
``y[t+1..t+H]`` with the fields of `ibtf.models.teb.predict_export` (``last_observed``, ``step``,
``target``, ``mean``, ``stddev``, ``q<level>``, ``transfer_nats``, ``rate_nats``; the id column
first when the export has one). A forecast depends on its own window only (the export draws its
codes and its transfer draws with common random numbers), so the values equal the batch job's.

Rows are checked one at a time: a missing column, a value that is not a finite number, or a
time that does not move forward raises `BadRow` (a ValueError naming the row) and leaves the
state unchanged, so a caller can skip the row and go on. A time step larger than the series'
step (a gap) restarts that series' window, as `PairedStreams` never lets a window cross a gap.

    >>> stream = StreamingForecaster("saved_models/teb_y")            # doctest: +SKIP
    >>> for row in csv.DictReader(open("data.csv")):                  # doctest: +SKIP
    ...     for forecast in stream.push(row):
    ...         print(forecast["step"], forecast["mean"])
"""
import json
import math
import os

import numpy as np

__all__ = ["BadRow", "StreamingForecaster"]

STEP_COL = "_step"      # the export's time column when the data had none (consecutive rows)


class BadRow(ValueError):
    """A row that cannot enter the stream; the message names the row and the fix."""


def _levels_columns(levels):
    return [f"q{level:g}" for level in levels]


def _read_metadata(export_dir):
    from ibtf.serving.export import METADATA_FILE, resolve_export_dir
    path = resolve_export_dir(os.fspath(export_dir))
    try:
        with open(os.path.join(path, METADATA_FILE)) as f:
            meta = json.load(f)
    except FileNotFoundError:
        meta = {}
    need = ("history", "horizon", "source_cols", "target_cols", "time_col", "quantile_levels")
    missing = [k for k in need if k not in meta]
    if meta.get("model_class") != "TEBForecaster" or missing:
        raise ValueError(f"{path!r} is not a TEB export with column metadata (missing "
                         f"{missing}): export it with `ibtf forecast fit` or export_teb(fit, ...)")
    return path, meta


def _parse_time(text):
    """(sort key, value to report) of a time field: a number, or a date/time string."""
    if isinstance(text, (int, float, np.number)) and not isinstance(text, bool):
        value = float(text)
        return value, (int(value) if value.is_integer() else value)
    text = str(text).strip()
    try:
        value = float(text)
    except ValueError:
        import pandas as pd
        try:
            stamp = pd.Timestamp(text)
        except (ValueError, TypeError):
            return None, text
        if stamp is pd.NaT:
            return None, text
        return float(stamp.value), text
    return value, (int(value) if value.is_integer() else value)


def _series_id(value):
    """Ids from text rows: integers when they read as integers (as pandas reads a CSV)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return text
    return value


def _random_ops(graph):
    """Random-number op types in a signature's graph and its functions (none in an export
    whose Monte Carlo noise is fixed: `TEBForecaster._fixed_noise`)."""
    graph_def = graph.as_graph_def()
    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    return sorted({n.op for n in nodes if "Random" in n.op})


class _Series:
    """One series' ring buffer of the last L rows and its clock."""

    __slots__ = ("buffer", "count", "last_time", "step")

    def __init__(self, history, width):
        self.buffer = np.zeros((history, width), np.float32)
        self.count = 0          # rows since the start or the last gap
        self.last_time = None
        self.step = None


class StreamingForecaster:
    """Serves a TEB export (`ibtf.models.teb.export_teb`) one row at a time.

    Args:
      export_dir: ``BASE/NAME`` (newest version) or ``BASE/NAME/VERSION``.
      quantiles: levels to return, a subset of the export's ``quantile_levels`` (default all).
      jit_compile: run the signature XLA-compiled: "auto" (default) does when the export's
        Monte Carlo noise is fixed in its graph (exports of this version), so XLA gives the
        batch job's values (to float32 rounding: XLA's own erf/exp approximations); True
        insists (a ValueError for an older export that draws at run time), False runs the
        plain graph (bit-for-bit the batch job's values, several times slower per row).

    Attributes:
      columns: the fields of each forecast record, in `predict_export`'s order (no
        ``observed``: the future is not known when the forecast is made).
      history, horizon, source_cols, target_cols, time_col, id_col: from the export.
      rows_seen, rows_skipped, forecasts_made, gaps: counters.
      jit_compile: whether the signature runs XLA-compiled.
    """

    def __init__(self, export_dir, quantiles=None, jit_compile="auto"):
        self.path, meta = _read_metadata(export_dir)
        self.history, self.horizon = int(meta["history"]), int(meta["horizon"])
        self.source_cols = list(meta["source_cols"])
        self.target_cols = list(meta["target_cols"])
        self.time_col, self.id_col = meta["time_col"], meta.get("id_col")
        levels = list(meta["quantile_levels"])
        chosen = levels if quantiles is None else [float(q) for q in quantiles]
        self._quantile_index = []
        for q in chosen:
            hits = [i for i, lv in enumerate(levels) if abs(lv - q) < 1e-9]
            if not hits:
                raise ValueError(f"quantile {q:g} is not in the export, which has levels "
                                 f"{levels}: pick from those")
            self._quantile_index.append(hits[0])
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"jit_compile={jit_compile!r} must be 'auto', True or False")
        self._quantile_cols = _levels_columns(chosen)
        self._value_cols = self.source_cols + self.target_cols
        self._ds = len(self.source_cols)
        self.columns = ([self.id_col] if self.id_col else []) + \
            ["last_observed", "step", "target", "mean", "stddev", *self._quantile_cols,
             "transfer_nats", "rate_nats"]
        self._series = {}
        self._required = self.required_columns()
        self.rows_seen = self.rows_skipped = self.forecasts_made = self.gaps = 0

        import tensorflow as tf
        self._tf = tf
        self._loaded = tf.saved_model.load(self.path)        # kept: the signature needs it
        signature = self._loaded.signatures["serving_default"]
        draws = _random_ops(signature.graph)
        if jit_compile == "auto":
            jit_compile = not draws
        elif jit_compile and draws:
            raise ValueError(f"this export draws its Monte Carlo noise at run time ({draws}), "
                             "and XLA draws other numbers than the plain graph: re-export it "
                             "with this version of ibtf (fixed noise) or use jit_compile=False")
        self.jit_compile = bool(jit_compile)
        # One window per call: a concrete function of fixed shapes, called with the window's
        # two tensors. XLA compiles the whole forecast (its bisection and Monte Carlo loops)
        # into one kernel: on CPU a window then costs a fraction of the plain graph's
        # per-op dispatch (benchmarks/results/streams.md).
        specs = (tf.TensorSpec([1, self.history, self._ds], tf.float32),
                 tf.TensorSpec([1, self.history, len(self.target_cols)], tf.float32))
        self._call = tf.function(
            lambda s, t: signature(source_history=s, target_history=t),
            jit_compile=self.jit_compile).get_concrete_function(*specs)
        self._outputs = ["mean", "stddev", "quantiles", "rate_nats"] + \
            (["transfer_nats"] if "transfer_nats" in signature.structured_outputs else [])

    # -- rows ------------------------------------------------------------------------------
    def required_columns(self):
        """The columns a row must have (the time column unless rows are consecutive steps)."""
        cols = [] if self.time_col == STEP_COL else [self.time_col]
        return cols + ([self.id_col] if self.id_col else []) + self._value_cols

    def _parse(self, row, label):
        missing = [c for c in self._required if c not in row or row[c] is None
                   or (isinstance(row[c], str) and not row[c].strip())]
        if missing:
            raise BadRow(f"{label} lacks {missing}: every row needs the columns "
                         f"{self.required_columns()}")
        values = np.empty(len(self._value_cols), np.float32)
        for i, col in enumerate(self._value_cols):
            raw = row[col]
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise BadRow(f"{label}: column {col!r} is {raw!r}, not a number: "
                             "send numbers only") from None
            if not math.isfinite(value):
                raise BadRow(f"{label}: column {col!r} is {raw!r}; NaN and inf cannot enter a "
                             "window: fill the value or drop the row")
            values[i] = value
        if self.time_col == STEP_COL:
            key, shown = float(self.rows_seen), self.rows_seen
        else:
            key, shown = _parse_time(row[self.time_col])
            if key is None:
                raise BadRow(f"{label}: time {row[self.time_col]!r} in {self.time_col!r} is "
                             "neither a number nor a date")
        return key, shown, values

    def push(self, row, label=None):
        """Adds one row (a mapping column -> value; strings are parsed) to its series.

        Returns:
          A list of forecast records (dicts with `columns`), empty until the series has
          ``history`` regular rows; otherwise ``horizon * len(target_cols)`` records.

        Raises:
          BadRow: a missing column, a value that is not a finite number, or a time that is
            not after the series' previous row. The stream's state is unchanged.
        """
        label = label or f"row {self.rows_seen + self.rows_skipped + 1}"
        try:
            key, shown, values = self._parse(row, label)
            series_id = _series_id(row[self.id_col]) if self.id_col else None
            state = self._series.get(series_id)
            if state is None:
                state = self._series[series_id] = _Series(self.history, len(values))
            elif state.last_time is not None and key <= state.last_time:
                who = "" if series_id is None else f" of series {series_id!r}"
                raise BadRow(f"{label}: time {shown!r} is not after the previous row{who} "
                             f"(time must move forward): drop or reorder the row")
        except BadRow:
            self.rows_skipped += 1
            raise
        self.rows_seen += 1
        if state.last_time is not None:
            delta = key - state.last_time
            if state.step is None:
                state.step = delta
            elif abs(delta - state.step) > 1e-6 * abs(state.step):
                self.gaps += 1          # windows never cross a gap: start the window again
                state.count = 0
        state.last_time = key
        state.buffer[state.count % self.history] = values
        state.count += 1
        if state.count < self.history:
            return []
        return self._forecast(state, series_id, shown)

    def _forecast(self, state, series_id, shown):
        order = (np.arange(self.history) + state.count) % self.history   # oldest first
        window = state.buffer[order][None]
        out = self._call(self._tf.constant(window[..., :self._ds]),
                         self._tf.constant(window[..., self._ds:]))
        values = {k: out[k].numpy()[0] for k in self._outputs}
        mean, std, quantiles = values["mean"], values["stddev"], values["quantiles"]
        transfer = float(values["transfer_nats"]) if "transfer_nats" in values else None
        rate = float(values["rate_nats"])
        records = []
        for h in range(self.horizon):
            for d, name in enumerate(self.target_cols):
                record = {self.id_col: series_id} if self.id_col else {}
                record.update(last_observed=shown, step=h + 1, target=name,
                              mean=float(mean[h, d]), stddev=float(std[h, d]))
                for col, i in zip(self._quantile_cols, self._quantile_index):
                    record[col] = float(quantiles[h, d, i])
                record["transfer_nats"] = transfer
                record["rate_nats"] = rate
                records.append(record)
        self.forecasts_made += 1
        return records

    def summary(self):
        """Counters as a dict (the CLI's last line)."""
        return {"rows": self.rows_seen, "skipped": self.rows_skipped,
                "windows": self.forecasts_made, "gaps": self.gaps, "jit": self.jit_compile,
                "export": self.path}
