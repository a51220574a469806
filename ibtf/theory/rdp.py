"""Gaussian rate-distortion-perception function: MSE distortion, squared-W2 perception."""

import numpy as np

from ibtf.theory._checks import non_negative, positive, scalar_or_array

__all__ = ["gaussian_rdp", "gaussian_drp"]


def gaussian_rdp(distortion, perception, variance):
    """``R(D, P)`` of ``X ~ N(0, var)`` with MSE ``<= D`` and ``W2^2(p_X, p_Xhat) <= P``, nats.

    Zhang, Qian, Yang, Kratochvil, Chen & Wang 2021 ("Universal rate-distortion-perception
    representations for lossy compression", NeurIPS), Theorem 2: jointly Gaussian
    reconstructions are optimal. Derivation: a zero-mean Gaussian ``Xhat`` with standard
    deviation ``t`` and correlation ``r`` with ``X`` (``sigma^2 = var``) has

        rate = -1/2 ln(1 - r^2),  MSE = sigma^2 + t^2 - 2 r sigma t,  W2^2 = (sigma - t)^2.

    The least correlation meeting the MSE at deviation ``t`` is
    ``r(t) = (sigma^2 + t^2 - D) / (2 sigma t)``, minimised over ``t`` at
    ``t* = sqrt(sigma^2 - D)`` (the classical ``R(D)`` solution) and decreasing for
    ``t < t*``. The perception constraint requires ``t >= sigma - sqrt(P)``. Hence

        if sqrt(P) >= sigma - sqrt(sigma^2 - D):  R = 1/2 ln(sigma^2 / D)   (P inactive)
        else, with t = sigma - sqrt(P):           R = -1/2 ln(1 - r(t)^2),

    and ``R = 0`` once ``D >= sigma^2 + max(0, sigma - sqrt(P))^2`` (an independent ``Xhat``
    at deviation ``sigma - sqrt(P)`` suffices). Inverting gives :func:`gaussian_drp`, the form
    quoted in the paper: ``D = sigma^2 e^{-2R}`` if ``sqrt(P) >= sigma (1 - sqrt(1 - e^{-2R}))``,
    else ``sigma^2 + (sigma - sqrt P)^2 - 2 sigma (sigma - sqrt P) sqrt(1 - e^{-2R})``.

    Args:
        distortion: MSE bound ``D >= 0`` (``D = 0`` gives ``inf``).
        perception: squared Wasserstein-2 bound ``P >= 0``.
        variance: source variance ``> 0``.

    Returns:
        Rate in nats (broadcast over the arguments).

    Raises:
        ValueError: negative ``D`` or ``P``, non-positive variance.
    """
    d = non_negative(distortion, "distortion")
    p = non_negative(perception, "perception")
    v = positive(variance, "variance")
    d, p, v = np.broadcast_arrays(d, p, v)
    sigma = np.sqrt(v)
    sqrt_p = np.sqrt(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        classical = np.maximum(0.0, 0.5 * (np.log(v) - np.log(d)))
        t_star = np.sqrt(np.maximum(v - d, 0.0))
        perception_active = sqrt_p < sigma - t_star
        t = np.maximum(sigma - sqrt_p, 0.0)
        r = (v + t**2 - d) / (2.0 * sigma * t)
        constrained = np.where(r > 0, -0.5 * np.log1p(-(np.clip(r, 0.0, 1.0) ** 2)), 0.0)
    out = np.where(perception_active, constrained, classical)
    return scalar_or_array(out, distortion, perception, variance)


def gaussian_drp(rate, perception, variance):
    """Distortion-rate-perception ``D(R, P)`` of ``N(0, var)`` (R in nats, P = W2^2 bound).

    Zhang et al. 2021, Theorem 2 (there in bits, ``2^{-2R}``):

        D = sigma^2 e^{-2R}                         if sqrt(P) >= sigma (1 - sqrt(1 - e^{-2R}))
        D = sigma^2 + (sigma - sqrt P)^2 - 2 sigma (sigma - sqrt P) sqrt(1 - e^{-2R})   else.

    Args:
        rate: rate ``>= 0`` in nats.
        perception: squared-W2 bound ``>= 0``.
        variance: source variance ``> 0``.

    Returns:
        The least achievable MSE.
    """
    r = non_negative(rate, "rate")
    p = non_negative(perception, "perception")
    v = positive(variance, "variance")
    sigma = np.sqrt(v)
    root = np.sqrt(-np.expm1(-2.0 * r))
    free = np.sqrt(p) >= sigma * (1.0 - root)
    t = sigma - np.sqrt(p)
    out = np.where(free, v * np.exp(-2.0 * r), v + t**2 - 2.0 * sigma * t * root)
    return scalar_or_array(out, rate, perception, variance)
