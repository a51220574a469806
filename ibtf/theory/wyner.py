"""Wyner's common information of a bivariate Gaussian pair, in nats."""

import numpy as np

from ibtf.theory._checks import as_float_array, check_int, check_range, scalar_or_array

__all__ = ["gaussian_wyner_ci"]


def gaussian_wyner_ci(rho, d=1):
    """Wyner common information ``C(X; Y) = min I(X, Y; W)`` over ``W`` with ``X - W - Y``.

    For a bivariate Gaussian with correlation ``rho`` (Xu, Liu & Chen 2016, "Wyner's common
    information for continuous random variables"; Satpathy & Cuff 2012):

        C(X; Y) = 1/2 ln((1 + |rho|) / (1 - |rho|)).

    Derivation of the achieving ``W`` (unit variances, ``rho >= 0``): with ``W ~ N(0, 1)``,
    ``X = sqrt(rho) W + sqrt(1 - rho) N_1`` and ``Y = sqrt(rho) W + sqrt(1 - rho) N_2``,
    ``X, Y`` are conditionally independent given ``W`` and ``Cov(X, Y) = rho``. Then
    ``I(X, Y; W) = 1/2 ln(det Cov(X, Y) / det Cov(X, Y | W))
    = 1/2 ln((1 - rho^2) / (1 - rho)^2) = 1/2 ln((1 + rho)/(1 - rho))``. More generally with
    loadings ``a b = rho`` the rate is ``1/2 ln((1 - rho^2)/((1 - a^2)(1 - b^2)))``, minimised at
    ``a = b = sqrt(rho)`` (by AM-GM); the cited papers prove no non-Gaussian ``W`` does better.
    It always exceeds the mutual information ``-1/2 ln(1 - rho^2)``. ``d`` independent pairs add.

    Args:
        rho: correlation(s) in [-1, 1]; ``|rho| = 1`` gives ``inf``.
        d: number of independent pairs (integer >= 1).

    Returns:
        Common information in nats (float for scalar ``rho``).

    Raises:
        ValueError: ``rho`` outside [-1, 1].

    >>> round(gaussian_wyner_ci(0.5), 6)
    0.549306
    """
    r = np.abs(check_range(as_float_array(rho, "rho"), "rho", -1.0, 1.0))
    d = check_int(d, "d", 1)
    with np.errstate(divide="ignore"):
        out = 0.5 * d * (np.log1p(r) - np.log1p(-r))
    return scalar_or_array(out, rho)
