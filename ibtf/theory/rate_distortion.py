"""Classical rate-distortion functions in nats: scalar and vector Gaussian (MSE), Bernoulli."""

import dataclasses

import numpy as np

from ibtf.theory._checks import (
    as_float_array,
    check_range,
    non_negative,
    positive,
    scalar_or_array,
)
from ibtf.theory.entropy import binary_entropy

__all__ = ["gaussian_rd", "gaussian_dr", "reverse_water_filling", "WaterFilling", "binary_rd"]


def gaussian_rd(distortion, variance):
    """Rate-distortion function of ``X ~ N(0, variance)`` under mean squared error, in nats.

    ``R(D) = max(0, 1/2 ln(variance / D))`` (Cover & Thomas 2006, Theorem 10.3.2). Converse:
    ``I(X; Xhat) = h(X) - h(X - Xhat | Xhat) >= h(X) - h(X - Xhat) >= 1/2 ln(2 pi e var) -
    1/2 ln(2 pi e D)`` because the Gaussian maximises entropy at a given second moment.
    Achievability: the backward channel ``X = Xhat + Z``, ``Xhat ~ N(0, var - D)``,
    ``Z ~ N(0, D)`` independent.

    Args:
        distortion: MSE ``D >= 0`` (``D = 0`` gives ``inf``). Broadcasts with ``variance``.
        variance: source variance ``> 0``.

    Returns:
        Rate in nats per sample.

    Raises:
        ValueError: negative distortion or non-positive variance.

    >>> round(gaussian_rd(0.25, 1.0), 6)
    0.693147
    """
    d = non_negative(distortion, "distortion")
    v = positive(variance, "variance")
    with np.errstate(divide="ignore"):
        out = np.maximum(0.0, 0.5 * (np.log(v) - np.log(d)))
    return scalar_or_array(out, distortion, variance)


def gaussian_dr(rate, variance):
    """Distortion-rate function ``D(R) = variance * exp(-2 R)`` (R in nats), the inverse of
    :func:`gaussian_rd` (Cover & Thomas 2006, eq. 10.37 with ``2^{-2R}`` in bits).

    Args:
        rate: rate(s) ``>= 0`` in nats.
        variance: source variance ``> 0``.

    Returns:
        The least achievable mean squared error.
    """
    r = non_negative(rate, "rate")
    v = positive(variance, "variance")
    return scalar_or_array(v * np.exp(-2.0 * r), rate, variance)


@dataclasses.dataclass(frozen=True)
class WaterFilling:
    """Result of :func:`reverse_water_filling`.

    Attributes:
        rate_nats: total rate ``sum_i 1/2 ln(var_i / D_i)``.
        component_distortions: ``D_i = min(theta, var_i)``.
        water_level: ``theta``.
    """

    rate_nats: float
    component_distortions: np.ndarray
    water_level: float


def reverse_water_filling(variances, distortion):
    """Rate-distortion of independent Gaussians ``X_i ~ N(0, var_i)`` under *total* squared error.

    Cover & Thomas 2006, Theorem 10.3.3:

        R(D) = sum_i 1/2 ln(var_i / D_i),   D_i = min(theta, var_i),   sum_i D_i = D.

    Components with variance below the water level ``theta`` are not described at all (their
    rate is zero and their distortion is their variance). ``theta`` is found exactly: sorting
    the variances, ``sum_i min(theta, var_i)`` is piecewise linear in ``theta``, so the segment
    that contains ``D`` gives ``theta`` in closed form. A correlated Gaussian vector reduces to
    this case through the eigenvalues of its covariance (the KLT).

    Args:
        variances: 1-D array of component variances, all ``> 0``.
        distortion: total distortion ``D`` in ``[0, sum(variances)]``; beyond the sum the rate
            is zero, so larger values are accepted and clipped.

    Returns:
        A :class:`WaterFilling` with the rate in nats, per-component distortions and ``theta``.

    Raises:
        ValueError: empty or non-positive variances, negative distortion.
    """
    var = positive(variances, "variances")
    if var.ndim != 1 or var.size == 0:
        raise ValueError(f"variances must be a non-empty 1-D array, got shape {var.shape}")
    d = float(non_negative(distortion, "distortion"))
    total = var.sum()
    if d >= total:
        return WaterFilling(0.0, var.copy(), float(var.max()))
    if d == 0.0:
        return WaterFilling(float("inf"), np.zeros_like(var), 0.0)
    s = np.sort(var)
    n = s.size
    # With theta in [s[k-1], s[k]]: sum = sum(s[:k]) + (n - k) theta.
    prefix = np.concatenate([[0.0], np.cumsum(s)])
    theta = None
    for k in range(n):
        candidate = (d - prefix[k]) / (n - k)
        low = s[k - 1] if k > 0 else 0.0
        if low <= candidate <= s[k]:
            theta = candidate
            break
    comp = np.minimum(theta, var)
    rate = float(np.sum(0.5 * np.log(var / comp)))
    return WaterFilling(rate, comp, float(theta))


def binary_rd(distortion, p):
    """Rate-distortion function of ``X ~ Bern(p)`` under Hamming distortion, in nats.

    ``R(D) = h(p) - h(D)`` for ``0 <= D < min(p, 1 - p)`` and 0 above (Cover & Thomas 2006,
    Theorem 10.3.1), with the binary entropy ``h`` in nats.

    Args:
        distortion: expected Hamming distortion ``D`` in [0, 1].
        p: ``P(X = 1)`` in [0, 1].

    Returns:
        Rate in nats.
    """
    d = check_range(as_float_array(distortion, "distortion"), "distortion", 0.0, 1.0)
    q = check_range(as_float_array(p, "p"), "p", 0.0, 1.0)
    pmin = np.minimum(q, 1 - q)
    out = np.where(d < pmin, binary_entropy(q) - binary_entropy(np.minimum(d, pmin)), 0.0)
    return scalar_or_array(out, distortion, p)
