"""Mutual information and total correlation of Gaussian vectors, in nats."""

import numpy as np

from ibtf.theory._checks import as_float_array, check_int, check_range, scalar_or_array

__all__ = ["gaussian_mi", "gaussian_rho_for_mi", "gaussian_mi_cov", "gaussian_total_correlation"]


def gaussian_mi(rho, d=1):
    """``I(X; Y)`` of ``d`` independent pairs of standard Gaussians with correlation ``rho``.

    Derivation: for one pair, ``h(Y) = 1/2 ln(2 pi e)`` and ``Y | X ~ N(rho X, 1 - rho^2)``,
    so ``I = h(Y) - h(Y|X) = -1/2 ln(1 - rho^2)``; independent pairs add (Cover & Thomas 2006,
    "Elements of Information Theory", eq. 8.56). This is the benchmark of Poole et al. 2019 with
    ``y = rho x + sqrt(1 - rho^2) eps``:

        I(X; Y) = -(d / 2) ln(1 - rho^2).

    Args:
        rho: correlation(s) in [-1, 1] (array broadcasts); ``|rho| = 1`` gives ``inf``.
        d: number of independent pairs (integer >= 1).

    Returns:
        Mutual information in nats (float for scalar ``rho``, else an array).

    Raises:
        ValueError: ``rho`` outside [-1, 1] or ``d < 1``.

    >>> round(gaussian_mi(0.5, d=20), 4)
    2.8768
    """
    r = check_range(as_float_array(rho, "rho"), "rho", -1.0, 1.0)
    d = check_int(d, "d", 1)
    with np.errstate(divide="ignore"):
        out = -0.5 * d * np.log1p(-(r**2))
    return scalar_or_array(out, rho)


def gaussian_rho_for_mi(mi_nats, d=1):
    """The correlation ``rho >= 0`` with ``gaussian_mi(rho, d) == mi_nats``.

    Inverting ``I = -(d/2) ln(1 - rho^2)`` gives ``rho = sqrt(1 - exp(-2 I / d))``; used to set
    up estimator benchmarks at a chosen MI (Poole et al. 2019, "On variational bounds of mutual
    information").

    Args:
        mi_nats: target mutual information(s) >= 0, in nats.
        d: number of independent pairs (integer >= 1).

    Returns:
        The correlation in [0, 1).
    """
    mi = check_range(as_float_array(mi_nats, "mi_nats"), "mi_nats", 0.0)
    d = check_int(d, "d", 1)
    return scalar_or_array(np.sqrt(-np.expm1(-2.0 * mi / d)), mi_nats)


def _check_cov(cov, name="cov"):
    cov = as_float_array(cov, name)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] == 0:
        raise ValueError(f"{name} must be a square (n, n) covariance matrix, got shape {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric; pass (C + C.T) / 2")
    if np.linalg.eigvalsh(cov).min() <= 0:
        raise ValueError(f"{name} must be positive definite (all eigenvalues > 0)")
    return cov


def gaussian_mi_cov(cov, dim_x):
    """``I(X; Y)`` of a jointly Gaussian vector ``(X, Y)`` with covariance ``cov``.

    ``I(X; Y) = 1/2 ln(det Sigma_XX det Sigma_YY / det Sigma)`` (Cover & Thomas 2006, eq. 8.56
    applied to ``h(X) + h(Y) - h(X, Y)``).

    Args:
        cov: (n, n) positive definite covariance of ``(X, Y)``.
        dim_x: the first ``dim_x`` coordinates are ``X`` (1 <= dim_x < n).

    Returns:
        Mutual information in nats.
    """
    cov = _check_cov(cov)
    n = cov.shape[0]
    dim_x = check_int(dim_x, "dim_x", 1)
    if dim_x >= n:
        raise ValueError(f"dim_x must lie in [1, {n - 1}] for a {n}x{n} cov, got {dim_x}")
    _, ld = np.linalg.slogdet(cov)
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return float(max(0.0, 0.5 * (ldx + ldy - ld)))


def gaussian_total_correlation(cov):
    """Total correlation ``TC = sum_i h(X_i) - h(X)`` of a Gaussian vector, in nats.

    With the correlation matrix ``R = D^{-1/2} cov D^{-1/2}``, ``TC = -1/2 ln det R``
    (Watanabe 1960; the quantity FactorVAE penalises, Kim & Mnih 2018).

    Args:
        cov: (n, n) positive definite covariance.

    Returns:
        Total correlation in nats (0 for a diagonal ``cov``).
    """
    cov = _check_cov(cov)
    scale = 1.0 / np.sqrt(np.diag(cov))
    _, logdet = np.linalg.slogdet(cov * np.outer(scale, scale))
    return float(max(0.0, -0.5 * logdet))
