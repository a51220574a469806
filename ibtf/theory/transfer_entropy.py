"""Exact transfer entropy: stable linear-Gaussian VAR(1) processes, and an autoregression driven
by a nonlinear function of an iid Gaussian source (one-dimensional integrals)."""

import math
import numbers

import numpy as np
import scipy.linalg

from ibtf.theory._checks import as_float_array, check_int

__all__ = ["var1_autocovariance", "linear_gaussian_te", "additive_nonlinear_te"]


def _check_var1(A, noise_cov):
    A = as_float_array(A, "A")
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"A must be a square (n, n) matrix, got shape {A.shape}")
    n = A.shape[0]
    noise_cov = as_float_array(noise_cov, "noise_cov")
    if noise_cov.shape != (n, n):
        raise ValueError(f"noise_cov must have the shape of A, {(n, n)}, got {noise_cov.shape}")
    if not np.allclose(noise_cov, noise_cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError("noise_cov must be symmetric; pass (S + S.T) / 2")
    if np.linalg.eigvalsh(noise_cov).min() <= 0.0:
        raise ValueError(
            "noise_cov must be positive definite (all eigenvalues > 0): a degenerate innovation "
            "makes some conditional variance zero and the transfer entropy infinite"
        )
    radius = np.abs(np.linalg.eigvals(A)).max()
    if radius >= 1.0:
        raise ValueError(
            f"A must be stable: its spectral radius must lie in [0, 1), got {radius:.6g}; a "
            "unit-root or explosive VAR has no stationary covariance"
        )
    return A, noise_cov


def var1_autocovariance(A, noise_cov, max_lag):
    """Autocovariances of the stationary VAR(1) ``z_t = A z_{t-1} + e_t``, ``e_t ~ N(0, S)``.

    The stationary covariance solves the discrete Lyapunov equation
    ``Gamma_0 = A Gamma_0 A^T + S``; for lag ``h >= 0``,
    ``Gamma_h = Cov(z_{t+h}, z_t) = A^h Gamma_0`` (Lutkepohl 2005, "New Introduction to Multiple
    Time Series Analysis", eq. 2.1.39).

    Args:
        A: (n, n) transition matrix with spectral radius < 1.
        noise_cov: (n, n) positive definite innovation covariance ``S``.
        max_lag: largest lag ``h`` returned (integer >= 0).

    Returns:
        Array of shape (max_lag + 1, n, n) holding ``Gamma_0 ... Gamma_max_lag``.

    Raises:
        ValueError: on a non-square or unstable ``A`` or an invalid ``noise_cov``.
    """
    A, noise_cov = _check_var1(A, noise_cov)
    max_lag = check_int(max_lag, "max_lag", 0)
    gamma0 = scipy.linalg.solve_discrete_lyapunov(A, noise_cov)
    gamma0 = 0.5 * (gamma0 + gamma0.T)  # remove round-off asymmetry before Cholesky-like uses
    out = [gamma0]
    for _ in range(max_lag):
        out.append(A @ out[-1])
    return np.stack(out)


def _indices(value, name, n):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = [value]
    try:
        idx = [int(i) for i in value]
    except TypeError as error:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {value!r}") from error
    if not idx:
        raise ValueError(f"{name} must name at least one variable")
    if any(i < 0 or i >= n for i in idx):
        raise ValueError(f"{name} indices must lie in [0, {n - 1}] (A is {n}x{n}), got {idx}")
    if len(set(idx)) != len(idx):
        raise ValueError(f"{name} indices must be distinct, got {idx}")
    return idx


def _conditional_logdet(cov, keep, given):
    """log det Cov(keep | given) by the Schur complement ``S_kk - S_kg S_gg^{-1} S_gk``."""
    s_kk = cov[np.ix_(keep, keep)]
    if given:
        s_kg = cov[np.ix_(keep, given)]
        s_gg = cov[np.ix_(given, given)]
        s_kk = s_kk - s_kg @ scipy.linalg.solve(s_gg, s_kg.T, assume_a="pos")
    sign, logdet = np.linalg.slogdet(s_kk)
    if sign <= 0:
        raise ValueError("a conditional covariance is singular; check noise_cov and A")
    return logdet


def linear_gaussian_te(A, noise_cov, source, target, history, source_history=1):
    """Transfer entropy, in nats, from ``source`` to ``target`` in a stable Gaussian VAR(1).

    The process is ``z_t = A z_{t-1} + e_t`` with ``e_t ~ N(0, noise_cov)`` i.i.d. Transfer
    entropy (Schreiber 2000) with target history ``k`` and source history ``l`` is the
    conditional mutual information

        TE = I(Y_t ; X_{t-1..t-l} | Y_{t-1..t-k}),

    where ``Y``/``X`` are the ``target``/``source`` coordinates of ``z`` (other coordinates are
    marginalised, not conditioned on). For jointly Gaussian variables
    ``I(A; B | C) = 1/2 ln det Cov(A|C) - 1/2 ln det Cov(A|B, C)``, so (Barnett, Barrett & Seth
    2009, "Granger causality and transfer entropy are equivalent for Gaussian variables")

        TE = 1/2 ln det Sigma(Y_t | Y^-) - 1/2 ln det Sigma(Y_t | Y^-, X^-),

    the log ratio of the restricted and full one-step prediction error covariances (Geweke's
    Granger-causality measure ``F = ln(det Sigma_restricted / det Sigma_full)`` is ``2 TE``).

    Derivation of the covariances. Stack ``w = (z_t, z_{t-1}, ..., z_{t-L})`` with
    ``L = max(k, l)``. Its block ``(i, j)`` is ``Cov(z_{t-i}, z_{t-j}) = Gamma_{j-i}`` for
    ``j >= i`` and ``Gamma_{i-j}^T`` otherwise, where ``Gamma_h = A^h Gamma_0`` and
    ``Gamma_0`` solves the Lyapunov equation ``Gamma_0 = A Gamma_0 A^T + noise_cov``
    (:func:`var1_autocovariance`). Selecting the coordinates of ``Y_t``, ``Y^-`` and ``X^-``
    and taking Schur complements ``Sigma_aa - Sigma_ab Sigma_bb^{-1} Sigma_ba`` gives both
    conditional covariances exactly.

    Special case (the test's closed form): ``x`` i.i.d. with variance ``v_x`` and
    ``y_t = a y_{t-1} + c x_{t-1} + e_t``, ``Var e = v_e``. Given ``y_{t-1}`` (any ``k >= 1``)
    the older ``y`` carry nothing about ``x_{t-1}``, so ``Sigma(Y_t|Y^-) = c^2 v_x + v_e`` and
    ``Sigma(Y_t|Y^-, X^-) = v_e``: ``TE = 1/2 ln(1 + c^2 v_x / v_e)`` for every history. With an
    autoregressive source the past of ``y`` partly predicts ``x_{t-1}`` and TE depends on ``k``.

    Args:
        A: (n, n) transition matrix, spectral radius < 1 (stable).
        noise_cov: (n, n) positive definite innovation covariance.
        source: index or sequence of indices of the source coordinates ``X``.
        target: index or sequence of indices of the target coordinates ``Y`` (disjoint from
            ``source``).
        history: target history length ``k >= 0`` (``k = 0`` gives ``I(Y_t; X^-)``).
        source_history: source history length ``l >= 1`` (default 1, the VAR(1) lag).

    Returns:
        Transfer entropy in nats (a float >= 0).

    Raises:
        ValueError: unstable ``A``, invalid ``noise_cov``, indices out of range or overlapping,
            or a negative history.
        TypeError: non-integer histories or indices.

    >>> A = [[0.0, 0.0], [0.5, 0.5]]                      # x iid -> y
    >>> round(linear_gaussian_te(A, [[1, 0], [0, 1]], source=0, target=1, history=1), 6)
    0.111572
    """
    A, noise_cov = _check_var1(A, noise_cov)
    n = A.shape[0]
    src = _indices(source, "source", n)
    tgt = _indices(target, "target", n)
    if set(src) & set(tgt):
        raise ValueError(f"source {src} and target {tgt} must be disjoint sets of indices")
    k = check_int(history, "history", 0)
    m = check_int(source_history, "source_history", 1)
    lags = max(k, m)
    gammas = var1_autocovariance(A, noise_cov, lags)
    blocks = [
        [gammas[j - i] if j >= i else gammas[i - j].T for j in range(lags + 1)]
        for i in range(lags + 1)
    ]
    cov = np.block(blocks)

    def at(lag, idx):  # position of coordinate idx of z_{t-lag} inside w
        return [lag * n + i for i in idx]

    y_now = at(0, tgt)
    y_past = [p for lag in range(1, k + 1) for p in at(lag, tgt)]
    x_past = [p for lag in range(1, m + 1) for p in at(lag, src)]
    restricted = _conditional_logdet(cov, y_now, y_past)
    full = _conditional_logdet(cov, y_now, y_past + x_past)
    # Conditioning never increases the prediction error; clip round-off below zero.
    return max(0.0, 0.5 * (restricted - full))


def additive_nonlinear_te(coupling_fn, noise_sd, n_grid=8001, n_x=1601, x_max=8.0):
    """Transfer entropy of ``y_t = f(y_past) + g(x_{t-1}) + e_t`` with iid ``x ~ N(0, 1)``,
    ``e ~ N(0, noise_sd^2)`` independent of everything else.

    Given the target's whole past, the innovation ``U = g(X) + e`` is independent of that past
    (x is iid and enters only through g), and given ``x_{t-1}`` as well it is ``e``, so for any
    target and source history lengths >= 1

        TE(X -> Y) = h(g(X) + e) - h(e),   h(e) = 1/2 ln(2 pi e noise_sd^2),

    with ``p_U(u) = E_X N(u; g(X), noise_sd^2)`` integrated over X on a grid of [-x_max, x_max]
    and ``h(U) = -int p ln p`` by the trapezoidal rule (Cover & Thomas 2006, "Elements of
    Information Theory", ch. 8). For linear g(x) = c x it reproduces 1/2 ln(1 + c^2/noise_sd^2).

    Args:
      coupling_fn: g, a vectorised numpy function.
      noise_sd: standard deviation of e (> 0).
      n_grid: grid points for u. n_x, x_max: the grid over X.

    Returns:
      TE in nats (float).
    """
    if not noise_sd > 0:
        raise ValueError(f"noise_sd must be positive, got {noise_sd!r}")
    x = np.linspace(-x_max, x_max, int(n_x))
    weights = np.exp(-0.5 * x * x)
    weights /= weights.sum()
    g = np.asarray(coupling_fn(x), np.float64)
    u = np.linspace(g.min() - 10 * noise_sd, g.max() + 10 * noise_sd, int(n_grid))
    density = np.zeros_like(u)
    norm = 1.0 / (noise_sd * math.sqrt(2 * math.pi))
    for lo in range(0, len(x), 200):                      # chunks keep memory small
        z = (u[:, None] - g[None, lo:lo + 200]) / noise_sd
        density += (norm * np.exp(-0.5 * z * z)) @ weights[lo:lo + 200]
    integrand = -density * np.log(np.maximum(density, 1e-300))
    entropy_u = float(np.trapz(integrand, u))
    return entropy_u - 0.5 * math.log(2 * math.pi * math.e * noise_sd ** 2)
