"""Export a fitted TEB forecaster (with its target-only reference) for TF Serving."""
from ibtf._keras import tf
from ibtf.serving.export import export

__all__ = ["export_teb"]


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
