"""Synthetic paired series with known transfer entropy: coupled linear-Gaussian VAR(1)."""
import dataclasses
import math

import numpy as np
import pandas as pd

__all__ = ["CoupledAR", "coupled_ar", "NonlinearPair", "nonlinear_coupled", "square_coupling"]


@dataclasses.dataclass(frozen=True)
class CoupledAR:
    """A simulated pair and the truth it was drawn from.

    Attributes:
      frame: DataFrame with columns ``t`` (step), ``x`` (source), ``y`` (target).
      transition: A [2, 2] for ``z_t = A z_{t-1} + e_t``, ``z = (x, y)``.
      noise_cov: Sigma [2, 2], the covariance of ``e_t`` (diagonal).
      te_closed_form: TE(X -> Y) in nats when x is iid and y does not feed back,
        ``1/2 ln(1 + c^2 var_x / var_e)`` (for any target history length); None otherwise
        (then use ``ibtf.theory.linear_gaussian_te(transition, noise_cov, ...)``).
    """

    frame: pd.DataFrame
    transition: np.ndarray
    noise_cov: np.ndarray
    te_closed_form: object


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
            not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def coupled_ar(n_steps, *, coupling=0.5, target_ar=0.5, source_ar=0.0, reverse_coupling=0.0,
               source_noise=1.0, target_noise=1.0, burn_in=500, seed=0):
    """Simulates a coupled linear-Gaussian VAR(1) pair with known transfer entropy.

    ``x_t = source_ar x_{t-1} + reverse_coupling y_{t-1} + source_noise eps_t``
    ``y_t = target_ar y_{t-1} + coupling x_{t-1} + target_noise eta_t``
    with eps, eta iid N(0, 1). For Gaussian VARs, TE = Granger causality / 2 = 1/2 ln(var of the
    target's residual without the source / with it) (Barnett, Barrett & Seth 2009, PRL 103;
    Kalajdzievski et al. 2023 use such pairs as truth). With ``source_ar = reverse_coupling = 0``
    the source is iid and ``TE(X -> Y) = 1/2 ln(1 + coupling^2 source_noise^2 / target_noise^2)``.

    Args:
      n_steps: steps returned (after `burn_in` discarded steps that forget the zero start).
      coupling: c, the source -> target coefficient.
      target_ar: a, the target's own AR coefficient.
      source_ar: the source's own AR coefficient.
      reverse_coupling: target -> source coefficient (0: no feedback).
      source_noise, target_noise: innovation standard deviations (> 0).
      burn_in: discarded warm-up steps (>= 0).
      seed: integer seed of ``numpy.random.default_rng``.

    Returns:
      A `CoupledAR`.

    Raises:
      ValueError: a non-stationary transition (spectral radius >= 1), a non-positive noise or
        step count.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
        raise ValueError(f"n_steps must be an integer >= 2, got {n_steps!r}")
    if isinstance(burn_in, bool) or not isinstance(burn_in, (int, np.integer)) or burn_in < 0:
        raise ValueError(f"burn_in must be a non-negative integer, got {burn_in!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    c, a = _number(coupling, "coupling"), _number(target_ar, "target_ar")
    s, r = _number(source_ar, "source_ar"), _number(reverse_coupling, "reverse_coupling")
    sx, sy = _number(source_noise, "source_noise"), _number(target_noise, "target_noise")
    if sx <= 0 or sy <= 0:
        raise ValueError(f"source_noise and target_noise must be positive, got {sx}, {sy}")
    transition = np.array([[s, r], [c, a]])
    radius = float(np.max(np.abs(np.linalg.eigvals(transition))))
    if radius >= 1.0:
        raise ValueError(f"the transition {transition.tolist()} has spectral radius {radius:.3f}"
                         " >= 1, so the process is not stationary: shrink the coefficients")
    rng = np.random.default_rng(int(seed))
    total = int(n_steps) + int(burn_in)
    noise = rng.standard_normal((total, 2)) * np.array([sx, sy])
    z = np.zeros((total, 2))
    for t in range(1, total):   # a 2x2 recursion: the loop is cheap (20k steps ~ 20 ms)
        z[t] = transition @ z[t - 1] + noise[t]
    z = z[burn_in:]
    frame = pd.DataFrame({"t": np.arange(n_steps), "x": z[:, 0], "y": z[:, 1]})
    te = 0.5 * math.log1p(c * c * sx * sx / (sy * sy)) if s == 0.0 and r == 0.0 else None
    return CoupledAR(frame, transition, np.diag([sx * sx, sy * sy]), te)


@dataclasses.dataclass
class NonlinearPair:
    """A simulated nonlinear pair and its truth.

    Attributes:
      frame: DataFrame with columns ``t``, ``x`` (source), ``y`` (target).
      te: TE(X -> Y) in nats (`ibtf.theory.additive_nonlinear_te`).
      true_mean: [T] the generating model's one-step mean ``a y_{t-1} + g(x_{t-1})`` (NaN at
        t = 0); its predictive is ``N(true_mean, noise_sd^2)``.
      noise_sd: the innovation's standard deviation.
    """

    frame: pd.DataFrame
    te: float
    true_mean: np.ndarray
    noise_sd: float


def square_coupling(x, coupling=1.0):
    """g(x) = coupling (x^2 - 1) / sqrt(2): zero mean and variance coupling^2 for x ~ N(0, 1),
    and uncorrelated with x, so no linear model of the source can use it."""
    return coupling * (np.square(x) - 1.0) / math.sqrt(2.0)


def nonlinear_coupled(n_steps, *, coupling=1.0, target_ar=0.5, noise_sd=0.5, burn_in=200,
                      seed=0):
    """``y_t = target_ar y_{t-1} + g(x_{t-1}) + e_t`` with iid ``x ~ N(0, 1)``,
    ``e ~ N(0, noise_sd^2)`` and g = `square_coupling`: a source whose information is invisible
    to least squares (ARX gains nothing over AR) but large, with a computable transfer entropy
    ``h(g(X) + e) - h(e)`` (0.60 nats at the defaults).

    Returns:
      A `NonlinearPair`.
    """
    from ibtf.theory.transfer_entropy import additive_nonlinear_te
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
        raise ValueError(f"n_steps must be an integer >= 2, got {n_steps!r}")
    a, c = _number(target_ar, "target_ar"), _number(coupling, "coupling")
    sd = _number(noise_sd, "noise_sd")
    if not abs(a) < 1 or sd <= 0:
        raise ValueError(f"need |target_ar| < 1 and noise_sd > 0, got {a}, {sd}")
    rng = np.random.default_rng(seed)
    total = n_steps + burn_in
    x = rng.standard_normal(total)
    drive = square_coupling(x, c)
    e = sd * rng.standard_normal(total)
    y = np.zeros(total)
    for t in range(1, total):
        y[t] = a * y[t - 1] + drive[t - 1] + e[t]
    mean = np.full(total, np.nan)
    mean[1:] = a * y[:-1] + drive[:-1]
    sl = slice(burn_in, None)
    frame = pd.DataFrame({"t": np.arange(n_steps), "x": x[sl], "y": y[sl]})
    te = additive_nonlinear_te(lambda v: square_coupling(v, c), sd)
    return NonlinearPair(frame, te, mean[sl], sd)
