"""Forecast skill: point errors, proper scoring rules for distributions, interval coverage.

All functions take numpy arrays (or eager tensors) that broadcast together and return the mean
over every element, or the element-wise values with ``reduce=False``; so per-example means over
a batch are the default, never sums.

References:
  Gneiting & Raftery (2007), "Strictly proper scoring rules, prediction, and estimation",
  JASA 102(477): CRPS eqs. (20)-(21) and the quantile (pinball) score, eq. (24).
  Hyndman & Koehler (2006), "Another look at measures of forecast accuracy", IJF 22(4): MASE.
  Laio & Tamea (2007), HESS 11: CRPS as the integral of twice the pinball loss over levels.
"""
import numpy as np
from scipy import special

__all__ = ["mae", "rmse", "mase", "pinball_loss", "crps_normal", "crps_samples",
           "crps_quantiles", "interval_coverage"]


def _arrays(_broadcast=True, **named):
    """float64 arrays of the named inputs, checked to broadcast together unless told not to."""
    out = []
    for name, value in named.items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}") \
                from error
        out.append(array)
    if not _broadcast:
        return out
    _check_broadcast(named, out)
    return out


def _check_broadcast(named, out):
    try:
        np.broadcast_shapes(*(a.shape for a in out))
    except ValueError as error:
        shapes = {k: a.shape for k, a in zip(named, out)}
        raise ValueError(f"shapes do not broadcast together: {shapes}: align the arrays") \
            from error
    return out


def _reduce(values, reduce):
    return float(np.mean(values)) if reduce else values


def mae(y_true, y_pred, *, reduce=True):
    """Mean absolute error, ``mean |y - yhat|``."""
    y_true, y_pred = _arrays(y_true=y_true, y_pred=y_pred)
    return _reduce(np.abs(y_true - y_pred), reduce)


def rmse(y_true, y_pred):
    """Root mean squared error, ``sqrt(mean (y - yhat)^2)`` (a root of a mean: always reduced)."""
    y_true, y_pred = _arrays(y_true=y_true, y_pred=y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mase(y_true, y_pred, y_train, *, season=1):
    """Mean absolute scaled error (Hyndman & Koehler 2006, eq. in sec. 3.4).

    ``MASE = mean|y - yhat| / mean_t |y_train[t] - y_train[t - m]|``: the in-sample MAE of the
    seasonal naive forecast with period m scales the error, so 1 means "as good as naive".

    Args:
      y_true, y_pred: held-out values and forecasts (broadcastable).
      y_train: the training series along axis 0 ([T] or [T, d]); scaled per column.
      season: m >= 1 (1: the naive random walk).
    """
    y_true, y_pred = _arrays(y_true=y_true, y_pred=y_pred)
    (y_train,) = _arrays(False, y_train=y_train)
    if not isinstance(season, (int, np.integer)) or season < 1:
        raise ValueError(f"season must be a positive integer, got {season!r}")
    if y_train.shape[0] <= season:
        raise ValueError(f"y_train has {y_train.shape[0]} steps, needs more than season={season}")
    scale = np.mean(np.abs(y_train[season:] - y_train[:-season]), axis=0)
    if np.any(scale == 0):
        raise ValueError("y_train is constant at lag `season`, so MASE is undefined: "
                         "use MAE or another season")
    return float(np.mean(np.abs(y_true - y_pred) / scale))


def pinball_loss(y_true, quantiles, levels, *, reduce=True):
    """Quantile (pinball) loss, ``rho_tau(y - q) = max(tau (y - q), (tau - 1)(y - q))``.

    Gneiting & Raftery (2007), eq. (24) up to the factor 2. Minimised in expectation by the
    tau-quantile of y.

    Args:
      y_true: [...] observations.
      quantiles: [..., K] predicted quantiles at `levels` (or [...] with a scalar level).
      levels: [K] levels tau in (0, 1), or a scalar.
    """
    y_true, quantiles, levels = _arrays(False, y_true=y_true, quantiles=quantiles, levels=levels)
    if levels.ndim > 1 or np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"levels must be a scalar or 1-D array in (0, 1), got {levels}")
    if levels.ndim == 1:
        y_true = y_true[..., None]
    _check_broadcast({"y_true[..., None]" if levels.ndim else "y_true": 0, "quantiles": 0,
                      "levels": 0}, [y_true, quantiles, levels])
    diff = y_true - quantiles
    return _reduce(np.maximum(levels * diff, (levels - 1.0) * diff), reduce)


def crps_normal(y_true, loc, scale, *, reduce=True):
    """CRPS of a Normal forecast in closed form (Gneiting & Raftery 2007, eq. (21)).

    ``CRPS(N(mu, s^2), y) = s [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]``, ``z = (y - mu)/s``.
    In the units of y; lower is better; equals MAE as s -> 0.
    """
    y_true, loc, scale = _arrays(y_true=y_true, loc=loc, scale=scale)
    if np.any(scale <= 0):
        raise ValueError("scale must be positive: give predictive standard deviations > 0")
    z = (y_true - loc) / scale
    pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    cdf = special.ndtr(z)
    return _reduce(scale * (z * (2.0 * cdf - 1.0) + 2.0 * pdf - 1.0 / np.sqrt(np.pi)), reduce)


def crps_samples(y_true, samples, *, fair=False, reduce=True):
    """CRPS from forecast samples, energy form (Gneiting & Raftery 2007, eq. (22)).

    ``CRPS = E|X - y| - 1/2 E|X - X'|`` with X, X' independent draws; the second term is
    computed exactly over all sample pairs in O(M log M) from the sorted samples,
    ``sum_{i,j} |x_i - x_j| = 2 sum_i (2i - M - 1) x_(i)``. ``fair=True`` divides the pair sum
    by M(M-1) instead of M^2, giving the unbiased ("fair") CRPS of the distribution sampled.

    Args:
      y_true: [...] observations.
      samples: [..., M] draws from the forecast distribution (sample axis last).
    """
    y_true, samples = _arrays(False, y_true=y_true, samples=samples)
    if samples.ndim < 1:
        raise ValueError("samples needs a last axis of draws, got a scalar")
    m = samples.shape[-1]
    _check_broadcast({"y_true[..., None]": 0, "samples": 0}, [y_true[..., None], samples])
    if m < 1 or (fair and m < 2):
        raise ValueError(f"samples needs at least {2 if fair else 1} draws on its last axis, "
                         f"got {m}")
    first = np.mean(np.abs(samples - y_true[..., None]), axis=-1)
    ordered = np.sort(samples, axis=-1)
    weights = 2.0 * np.arange(1, m + 1) - m - 1.0
    pair_sum = 2.0 * np.sum(weights * ordered, axis=-1)
    second = pair_sum / (m * (m - 1) if fair else m * m)
    return _reduce(first - 0.5 * second, reduce)


def crps_quantiles(y_true, quantiles, levels, *, reduce=True):
    """CRPS approximated from predicted quantiles: twice the mean pinball loss over levels.

    ``CRPS(F, y) = 2 int_0^1 rho_tau(y - F^{-1}(tau)) dtau`` (Laio & Tamea 2007); with K levels
    spread evenly over (0, 1) (e.g. ``(k - 1/2)/K``) the mean over levels is the midpoint rule,
    which converges to the CRPS as K grows.

    Args:
      y_true: [...]; quantiles: [..., K]; levels: [K] in (0, 1).
    """
    losses = pinball_loss(y_true, quantiles, levels, reduce=False)
    return _reduce(2.0 * np.mean(losses, axis=-1), reduce)


def interval_coverage(y_true, lower, upper, *, reduce=True):
    """Fraction of observations inside ``[lower, upper]``; a calibrated 90% interval covers 0.9."""
    y_true, lower, upper = _arrays(y_true=y_true, lower=lower, upper=upper)
    if np.any(lower > upper):
        raise ValueError("lower exceeds upper somewhere: pass the interval bounds in order")
    return _reduce(((y_true >= lower) & (y_true <= upper)).astype(np.float64), reduce)
