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
            raise ValueError(f"divergence must be one of {PERCEPTION_DIVERGENCES}, got {divergence!r}")
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
    over (rate, scale, mean) locates the best feasible region; SLSQP then refines it. This is
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

    rates = np.concatenate([[0.0], np.geomspace(1e-4, max_rate, 1500)])
    scales = np.unique(np.concatenate([np.linspace(1e-3, 3.0, 600) * sigma, [sigma]]))
    means = np.array([0.0, -0.05, 0.05]) * sigma
    R, T, M = np.meshgrid(rates, scales, means, indexing="ij")
    parts = slack(R, T, M)
    ok = np.ones(R.shape, dtype=bool)
    for part in parts:
        ok &= part >= 0
    if not np.any(ok):
        return GaussianChannel(np.inf, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, False)
    best = np.argmin(np.where(ok, R, np.inf))
    start = np.array([R.flat[best], T.flat[best], M.flat[best]])
    result = start
    if parts and start[0] > 0:
        constraints = [
            {"type": "ineq", "fun": (lambda z, i=i: float(slack(z[0], z[1], z[2])[i]))}
            for i in range(len(parts))
        ]
        opt = scipy.optimize.minimize(
            lambda z: z[0],
            start,
            jac=lambda z: np.array([1.0, 0.0, 0.0]),
            method="SLSQP",
            bounds=[(0.0, max_rate), (1e-6 * sigma, 3.0 * sigma), (-sigma, sigma)],
            constraints=constraints,
            options={"ftol": 1e-14, "maxiter": 500},
        )
        if opt.x[0] < start[0] and all(p >= -1e-10 for p in slack(*opt.x)):
            result = opt.x
    rate, t, m = (float(v) for v in result)
    r = float(np.sqrt(-np.expm1(-2.0 * rate)))
    _, mse, perc, cls = gaussian_channel_metrics(r, t, m, var_x, var_s, rho, divergence)
    return GaussianChannel(rate, r, t, m, float(mse), float(perc), float(cls), True)
