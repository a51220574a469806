"""Per-column standardisation fitted on training rows only.

A model carries `StreamScaler`'s ``mean``/``scale`` arrays as constants inside its graph, so an
export takes and returns raw units; fitting them on training rows only keeps validation and
test statistics out of the model (the leak that a whole-series z-score would cause).
"""
import numpy as np

__all__ = ["StreamScaler"]


def _fit(values, name):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array [rows, columns], got shape {values.shape}")
    if values.shape[0] == 0:
        raise ValueError(f"{name} has no rows to fit a scaler on: give more training rows")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or inf: clean the data (validate_streams) first")
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    # A constant training column carries no information; scale 1 keeps it finite.
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
    return mean.astype(np.float32), scale.astype(np.float32)


class StreamScaler:
    """z = (v - mean) / scale per column, for the source and the target separately.

    ``mean`` is the training-row mean and ``scale`` the training-row standard deviation (ddof=0);
    a constant column gets scale 1. Predictive distributions map back to raw units by
    ``loc_raw = loc * scale + mean`` and ``stddev_raw = stddev * scale``, so a log-density in raw
    units is the scaled one minus ``sum(log(scale))`` per forecast step.

    Attributes:
      source_mean, source_scale: float32 arrays [ds].
      target_mean, target_scale: float32 arrays [dt].

    Example:
      >>> scaler = StreamScaler.fit(source_rows, target_rows)
      >>> z = scaler.transform_target(y)
      >>> np.allclose(scaler.inverse_target(z), y)
      True
    """

    def __init__(self, source_mean, source_scale, target_mean, target_scale):
        arrays = dict(source_mean=source_mean, source_scale=source_scale,
                      target_mean=target_mean, target_scale=target_scale)
        for name, value in arrays.items():
            value = np.asarray(value, dtype=np.float32)
            if value.ndim != 1:
                raise ValueError(f"{name} must be a 1-D array [columns], got shape {value.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{name} must be finite, got {value}")
            if name.endswith("scale") and (value <= 0).any():
                raise ValueError(f"{name} must be positive, got {value}")
            setattr(self, name, value)
        for side in ("source", "target"):
            if getattr(self, f"{side}_mean").shape != getattr(self, f"{side}_scale").shape:
                raise ValueError(f"{side}_mean and {side}_scale must have the same length")

    @classmethod
    def fit(cls, source_rows, target_rows):
        """Fits on training rows: ``source_rows`` [n, ds], ``target_rows`` [n, dt]."""
        return cls(*_fit(source_rows, "source_rows"), *_fit(target_rows, "target_rows"))

    def transform_source(self, values):
        """Raw source values [..., ds] -> standardised."""
        return (np.asarray(values, np.float32) - self.source_mean) / self.source_scale

    def transform_target(self, values):
        """Raw target values [..., dt] -> standardised."""
        return (np.asarray(values, np.float32) - self.target_mean) / self.target_scale

    def inverse_source(self, values):
        """Standardised source values -> raw units."""
        return np.asarray(values, np.float32) * self.source_scale + self.source_mean

    def inverse_target(self, values):
        """Standardised target values (e.g. a predictive mean) -> raw units."""
        return np.asarray(values, np.float32) * self.target_scale + self.target_mean

    def inverse_target_scale(self, stddev):
        """A standardised predictive standard deviation -> raw units."""
        return np.asarray(stddev, np.float32) * self.target_scale

    def get_config(self):
        """Plain lists, JSON-serialisable, for a model's ``get_config``."""
        return {k: getattr(self, k).tolist() for k in
                ("source_mean", "source_scale", "target_mean", "target_scale")}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"StreamScaler(source_mean={self.source_mean}, source_scale={self.source_scale}, "
                f"target_mean={self.target_mean}, target_scale={self.target_scale})")
