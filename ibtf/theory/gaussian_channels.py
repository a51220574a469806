"""Numerical optimisation over Gaussian test channels: an independent check of the closed forms.

Nothing here uses the closed forms: the solver only evaluates the rate, distortion, perception
and classification of a jointly Gaussian reconstruction and searches for the cheapest one.
"""

import dataclasses

import numpy as np
import scipy.optimize

from ibtf.theory._checks import as_float_array, check_range, positive
from ibtf.theory.rpc import PERCEPTION_DIVERGENCES

__all__ = ["GaussianChannel", "gaussian_channel_metrics", "optimize_gaussian_test_channel"]

_TWO_PI_E = 2.0 * np.pi * np.e


@dataclasses.dataclass(frozen=True)
class GaussianChannel:
    """A jointly Gaussian reconstruction and its figures (nats).

    ``Xhat ~ N(mean, scale^2)`` with correlation ``correlation`` to ``X ~ N(0, var_x)``.

    Attributes:
        rate_nats: ``I(X; Xhat) = -1/2 ln(1 - correlation^2)`` (``inf`` if none is feasible).
        correlation, scale, mean: the channel.
        distortion: MSE ``E (X - Xhat)^2``.
        perception: the chosen divergence between ``p_X`` and ``p_Xhat``.
        classification_nats: ``h(S | Xhat)``.
        feasible: whether a channel meeting every constraint was found.
    """

    rate_nats: float
    correlation: float
    scale: float
    mean: float
    distortion: float
    perception: float
    classification_nats: float
    feasible: bool


def gaussian_channel_metrics(correlation, scale, mean, var_x, var_s=1.0, rho=0.0, divergence="w2"):
    """Rate, MSE, perception and ``h(S|Xhat)`` of the Gaussian channel ``(correlation, scale,
    mean)`` for ``X ~ N(0, var_x)`` and a label ``S`` with variance ``var_s``, correlation ``rho``.

    Formulas (``sigma^2 = var_x``, ``r`` correlation, ``t`` scale, ``m`` mean):
    ``I = -1/2 ln(1 - r^2)``; ``MSE = sigma^2 + t^2 - 2 r sigma t + m^2``;
    ``W2^2 = (sigma - t)^2 + m^2``; ``KL(p_X || p_Xhat) = ln(t / sigma) + (sigma^2 + m^2) /
    (2 t^2) - 1/2``; ``h(S | Xhat) = 1/2 ln(2 pi e var_s (1 - rho^2 r^2))`` (the correlation of
    ``S`` and ``Xhat`` is ``rho r`` under ``S - X - Xhat``).

    Returns:
        Tuple of arrays ``(rate, mse, perception, classification)``.
    """
    r = np.asarray(correlation, dtype=np.float64)
    t = np.asarray(scale, dtype=np.float64)
    m = np.asarray(mean, dtype=np.float64)
    sigma = np.sqrt(var_x)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = -0.5 * np.log1p(-(r**2))
        mse = var_x + t**2 - 2.0 * r * sigma * t + m**2
        if divergence == "w2":
            perception = (sigma - t) ** 2 + m**2
        elif divergence == "kl":
            perception = np.log(t / sigma) + (var_x + m**2) / (2.0 * t**2) - 0.5
        elif divergence == "reverse_kl":
            perception = np.log(sigma / t) + (t**2 + m**2) / (2.0 * var_x) - 0.5
        else:
            raise ValueError(
                f"divergence must be one of {PERCEPTION_DIVERGENCES}, got {divergence!r}"
            )
        classification = 0.5 * np.log(_TWO_PI_E * var_s * (1.0 - rho**2 * r**2))
    return rate, mse, perception, classification


def optimize_gaussian_test_channel(
    var_x,
    distortion=None,
    perception=None,
    classification=None,
    var_s=1.0,
    rho=0.0,
    divergence="w2",
    max_rate=8.0,
):
    """Least-rate Gaussian test channel meeting the given constraints, found numerically.

    Minimises ``I(X; Xhat)`` over jointly Gaussian reconstructions ``(r, t, m)`` (correlation,
    standard deviation, mean) subject to any of ``MSE <= distortion``,
    ``divergence(p_X, p_Xhat) <= perception``, ``h(S|Xhat) <= classification``. A dense grid
    over the rate brackets the least feasible rate; bisection on the rate then narrows it, each
    step maximising the smallest constraint slack over (scale, mean) by a grid and a simplex
    search (feasibility is monotone in the rate). This is
    the "optimisation over Gaussian test channels" used in tests to check the closed forms of
    :mod:`ibtf.theory.rdc`, :mod:`ibtf.theory.rpc` and :mod:`ibtf.theory.rdp`.

    Args:
        var_x: source variance ``> 0``.
        distortion: MSE bound or ``None`` (unconstrained).
        perception: divergence bound or ``None``.
        classification: bound on ``h(S|Xhat)`` in nats or ``None``.
        var_s: label variance ``> 0``.
        rho: correlation of ``X`` and ``S`` in [-1, 1].
        divergence: ``"w2"`` (squared W2), ``"kl"`` (``KL(p_X||p_Xhat)``) or ``"reverse_kl"``.
        max_rate: the largest rate searched, in nats.

    Returns:
        A :class:`GaussianChannel`; ``feasible=False`` and ``rate_nats=inf`` if no channel
        with rate ``<= max_rate`` meets the constraints.
    """
    var_x = float(positive(var_x, "var_x"))
    var_s = float(positive(var_s, "var_s"))
    rho = float(check_range(as_float_array(rho, "rho"), "rho", -1.0, 1.0))
    if divergence not in PERCEPTION_DIVERGENCES:
        raise ValueError(f"divergence must be one of {PERCEPTION_DIVERGENCES}, got {divergence!r}")
    sigma = np.sqrt(var_x)

    def slack(rate, t, m):
        r = np.sqrt(-np.expm1(-2.0 * np.asarray(rate, dtype=np.float64)))
        _, mse, perc, cls = gaussian_channel_metrics(r, t, m, var_x, var_s, rho, divergence)
        parts = []
        if distortion is not None:
            parts.append((distortion - mse) / var_x)
        if perception is not None:
            parts.append(np.nan_to_num(perception - perc, nan=-np.inf))
        if classification is not None:
            parts.append(classification - cls)
        return parts

    scales = np.unique(np.concatenate([np.linspace(1e-3, 3.0, 400) * sigma, [sigma]]))
    means = np.array([0.0, -0.05, 0.05]) * sigma
    T, M = np.meshgrid(scales, means, indexing="ij")

    def best_channel(rate):
        """max over (scale, mean) of the smallest slack, at a fixed rate: grid, then simplex."""
        if not parts_count:
            return 0.0, sigma, 0.0
        worst = np.min(np.stack(np.broadcast_arrays(*slack(np.full(T.shape, rate), T, M))), axis=0)
        i = np.argmax(worst)
        start = np.array([T.flat[i], M.flat[i]])

        def neg_worst(z):
            if z[0] <= 0:
                return np.inf
            return -float(np.min(slack(rate, z[0], z[1])))

        opt = scipy.optimize.minimize(
            neg_worst,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 300},
        )
        if -opt.fun > worst.flat[i]:
            return -opt.fun, opt.x[0], opt.x[1]
        return worst.flat[i], start[0], start[1]

    parts_count = sum(v is not None for v in (distortion, perception, classification))
    tol = -1e-12  # round-off: KL(p||p) evaluates to ~1e-17, not 0
    # Feasibility is monotone in the rate (a larger correlation lowers the MSE at any scale
    # and lowers h(S|Xhat); the perception does not depend on it), so bracket and bisect.
    rates = np.concatenate([[0.0], np.geomspace(1e-4, max_rate, 200)])
    if parts_count:
        grid = np.stack(np.broadcast_arrays(*slack(rates[:, None, None], T[None], M[None])))
        grid_ok = np.any(np.all(grid >= tol, axis=0), axis=(1, 2))
    else:
        grid_ok = np.ones(rates.shape, dtype=bool)
    if not np.any(grid_ok):
        if best_channel(max_rate)[0] < tol:
            return GaussianChannel(np.inf, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, False)
        k = rates.size - 1
    else:
        k = int(np.argmax(grid_ok))
    # The grid can only be pessimistic: step down while the refined check still passes.
    while k > 0 and best_channel(rates[k - 1])[0] >= tol:
        k -= 1
    hi = rates[k]
    lo = rates[k - 1] if k > 0 else hi
    while hi - lo > 1e-10 * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if best_channel(mid)[0] >= tol:
            hi = mid
        else:
            lo = mid
    _, t_best, m_best = best_channel(hi)
    result = (hi, t_best, m_best)
    rate, t, m = (float(v) for v in result)
    r = float(np.sqrt(-np.expm1(-2.0 * rate)))
    _, mse, perc, cls = gaussian_channel_metrics(r, t, m, var_x, var_s, rho, divergence)
    return GaussianChannel(rate, r, t, m, float(mse), float(perc), float(cls), True)
