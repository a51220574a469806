"""Moving-block bootstrap interval for the mean of a serially dependent series.

Held-out log-likelihood gains of consecutive windows are correlated (overlapping histories,
persistent regimes), so an iid bootstrap would give intervals that are too narrow. Resampling
blocks of consecutive values keeps the dependence within each block (Kuensch 1989, "The
jackknife and the bootstrap for general stationary observations", Ann. Statist. 17(3)).
"""
import math

import numpy as np

__all__ = ["block_bootstrap_ci"]


def block_bootstrap_ci(values, *, block_length=None, n_boot=2000, level=0.95, seed=0):
    """Percentile interval for the mean of `values` by the moving-block bootstrap.

    Each resample concatenates ``ceil(n / b)`` blocks ``values[s:s + b]`` with starts drawn
    uniformly from ``0 .. n - b``, cut to n values; the interval is the
    ``(1 - level)/2, (1 + level)/2`` quantiles of the resampled means.

    Args:
      values: 1-D array in time order (e.g. per-window log-likelihood gains, nats).
      block_length: b; default ``ceil(n ** (1/3))`` (Hall, Horowitz & Jing 1995, Biometrika
        82(3): the order that is optimal for variance and distribution estimation).
      n_boot: resamples.
      level: coverage of the interval, in (0, 1).
      seed: integer seed.

    Returns:
      ``(mean, lo, hi)`` floats.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"values must be a 1-D array of at least 2 numbers, got shape "
                         f"{values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values holds NaN or inf: drop or fix those windows first")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ValueError(f"n_boot must be an integer >= 10, got {n_boot!r}")
    n = values.size
    b = int(math.ceil(n ** (1.0 / 3.0))) if block_length is None else block_length
    if not isinstance(b, (int, np.integer)) or not 1 <= b <= n:
        raise ValueError(f"block_length must be an integer in [1, {n}], got {block_length!r}")
    rng = np.random.default_rng(seed)
    n_blocks = int(math.ceil(n / b))
    # Prefix sums give each block's sum in O(1); the last block is cut so resamples have n values.
    prefix = np.concatenate([[0.0], np.cumsum(values)])
    starts = rng.integers(0, n - b + 1, size=(n_boot, n_blocks))
    lengths = np.full(n_blocks, b)
    lengths[-1] = n - b * (n_blocks - 1)
    sums = prefix[starts + lengths] - prefix[starts]
    means = sums.sum(axis=1) / n
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(values.mean()), float(lo), float(hi)
