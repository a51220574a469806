"""Export a fitted TEB forecaster (with its target-only reference) for TF Serving."""
from ibtf._keras import tf
from ibtf.serving.export import export

__all__ = ["export_teb", "predict_export"]


class _TEBExport(tf.Module):
    """Tracks both models' variables: the transfer output runs the target-only reference."""

    def __init__(self, teb, reference):
        super().__init__(name="teb_export")
        self.teb = teb
        self.reference = reference


def export_teb(fit, base_dir, name, *, version=None, metadata=None, warmup=True):
    """Writes ``base_dir/name/<version>/`` with ``serving_default`` of `TEBForecaster`.

    Inputs (raw units, float32): ``source_history`` [B, L, ds], ``target_history`` [B, L, dt].
    Outputs: ``mean``, ``stddev`` [B, H, dt], ``quantiles`` [B, H, dt, Q], ``rate_nats`` [B] and
    ``transfer_nats`` [B] (the per-request KL of the TEB predictive from the target-only one).

    Args:
      fit: a `TEBFit` (``fit.teb`` and ``fit.target_only``), or a TEB model alone (then the
        export has no ``transfer_nats``).
      base_dir, name, version: see `ibtf.serving.export`.
      metadata: extra JSON fields (the history, horizon, columns and quantile levels are
        always written).
      warmup: write a TF Serving warm-up request (needs tensorflow-serving-api).

    Returns:
      The version directory.
    """
    teb = getattr(fit, "teb", fit)
    reference = getattr(fit, "target_only", None)
    info = {"history": teb.history_steps, "horizon": teb.horizon, "source_dim": teb.source_dim,
            "target_dim": teb.target_dim, "quantile_levels": list(teb.quantile_levels),
            "distribution": teb.distribution, "beta": teb.beta}
    streams = getattr(fit, "streams", None)
    if streams is not None:
        info.update(source_cols=list(streams.source_cols), target_cols=list(streams.target_cols),
                    time_col=streams.time_col, id_col=streams.id_col)
    info.update(metadata or {})
    warmup_inputs = None
    if warmup:
        try:
            import tensorflow_serving.apis  # noqa: F401
        except ImportError:
            warmup_inputs = None
        else:
            warmup_inputs = {
                "source_history": tf.zeros([1, teb.history_steps, teb.source_dim]).numpy(),
                "target_history": tf.zeros([1, teb.history_steps, teb.target_dim]).numpy()}
    holder = _TEBExport(teb, reference)
    path = export(holder, base_dir, name, signatures=teb.serving_signatures(reference),
                  version=version, metadata={"model_class": "TEBForecaster", **info},
                  warmup_inputs=warmup_inputs)
    return path


def _levels_columns(levels):
    return [f"q{level:g}" for level in levels]


def predict_export(export_dir, frame, *, quantiles=None, batch_size=4096):
    """Runs a TEB export's ``serving_default`` over every window of a DataFrame.

    Every run of ``history`` consecutive rows (per series, not across gaps) is one request; the
    forecast covers the ``horizon`` steps after its last row, including the steps after the
    end of the data (the real forecast). The frame needs the time, source and target columns
    named in the export's metadata.

    Args:
      export_dir: ``BASE/NAME`` (newest version) or ``BASE/NAME/VERSION``.
      frame: a pandas DataFrame in raw units.
      quantiles: levels to return, a subset of the export's ``quantile_levels``.

    Returns:
      A long DataFrame: [id,] ``last_observed`` (time of the window's last row), ``step``
      (1..H), ``target`` (column name), ``observed`` (the value at that step when the data
      has it, else NaN), ``mean``, ``stddev``, ``q<level>`` columns and
      ``transfer_nats`` (per window, the same for its steps and columns) and ``rate_nats``.
    """
    import numpy as np
    import pandas as pd

    from ibtf.serving.export import resolve_export_dir
    from ibtf.serving.inspect import describe_export
    from ibtf.streams.validation import SEGMENT_COL, validate_streams

    path = resolve_export_dir(export_dir)
    meta = describe_export(path)["metadata"]
    need = ("history", "horizon", "source_cols", "target_cols", "time_col", "quantile_levels")
    missing = [k for k in need if k not in meta]
    if meta.get("model_class") != "TEBForecaster" or missing:
        raise ValueError(f"{path!r} is not a TEB export with column metadata (missing "
                         f"{missing}): export it with ibtf.models.teb.export.export_teb(fit, ...)")
    levels = list(meta["quantile_levels"])
    chosen = levels if quantiles is None else [float(q) for q in quantiles]
    index = []
    for q in chosen:
        hits = [i for i, lv in enumerate(levels) if abs(lv - q) < 1e-9]
        if not hits:
            raise ValueError(f"quantile {q:g} is not in the export, which has levels {levels}: "
                             "pick from those or refit with --quantiles including it")
        index.append(hits[0])
    history, horizon = int(meta["history"]), int(meta["horizon"])
    src_cols, tgt_cols = list(meta["source_cols"]), list(meta["target_cols"])
    time_col, id_col = meta["time_col"], meta.get("id_col")
    if time_col == "_step" and "_step" not in frame.columns:
        frame = frame.assign(_step=np.arange(len(frame)))
    clean, _ = validate_streams(frame, time_col=time_col, source_cols=src_cols,
                                target_cols=tgt_cols, id_col=id_col, min_rows=history)
    src = clean[src_cols].to_numpy(np.float32)
    tgt = clean[tgt_cols].to_numpy(np.float32)
    seg = clean[SEGMENT_COL].to_numpy()
    n = len(clean) - history + 1
    starts = np.flatnonzero(seg[:n] == seg[history - 1:history - 1 + n]) if n > 0 else []
    if len(starts) == 0:
        raise ValueError(f"the data has no run of {history} regular rows (the export's "
                         "history): give more rows")
    import tensorflow as tf
    fn = tf.saved_model.load(path).signatures["serving_default"]
    offsets = np.arange(history)
    outs = []
    for lo in range(0, len(starts), batch_size):
        rows = starts[lo:lo + batch_size, None] + offsets
        result = fn(source_history=tf.constant(src[rows]), target_history=tf.constant(tgt[rows]))
        outs.append({k: v.numpy() for k, v in result.items()})
    out = {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}
    last = starts + history - 1
    n_win, dt = len(starts), len(tgt_cols)
    grid = np.indices((n_win, horizon, dt)).reshape(3, -1)
    w, h, d = grid
    table = {}
    if id_col is not None:
        table[id_col] = clean[id_col].to_numpy()[last][w]
    table["last_observed"] = clean[time_col].to_numpy()[last][w]
    table["step"] = h + 1
    table["target"] = np.asarray(tgt_cols)[d]
    ahead = last[w] + h + 1
    inside = ahead < len(clean)
    ahead = np.minimum(ahead, len(clean) - 1)
    inside &= seg[ahead] == seg[last[w]]
    table["observed"] = np.where(inside, tgt[ahead, d], np.nan)
    table["mean"] = out["mean"][w, h, d]
    table["stddev"] = out["stddev"][w, h, d]
    for col, i in zip(_levels_columns(chosen), index):
        table[col] = out["quantiles"][w, h, d, i]
    if "transfer_nats" in out:
        table["transfer_nats"] = out["transfer_nats"][w]
    table["rate_nats"] = out["rate_nats"][w]
    return pd.DataFrame(table)
