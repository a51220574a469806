"""Elementary entropies in nats: binary entropy, its inverse, Gaussian differential entropy."""

import numpy as np

from ibtf.theory._checks import as_float_array, check_range, positive, scalar_or_array

__all__ = ["binary_entropy", "binary_entropy_inverse", "gaussian_entropy", "binary_convolution"]


def binary_entropy(p):
    """Binary entropy ``h(p) = -p ln p - (1 - p) ln(1 - p)`` in nats, with ``0 ln 0 = 0``.

    Cover & Thomas 2006, eq. 2.5, in nats rather than bits.

    Args:
        p: probability(ies) in [0, 1].

    Returns:
        Entropy in nats, in [0, ln 2].
    """
    q = check_range(as_float_array(p, "p"), "p", 0.0, 1.0)
    return scalar_or_array(_h(q), p)


def _h(q):
    """Binary entropy without argument checks (inner loops)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(q > 0, q * np.log(q), 0.0) - np.where(q < 1, (1 - q) * np.log1p(-q), 0.0)


def binary_entropy_inverse(h):
    """The ``p`` in [0, 1/2] with ``binary_entropy(p) == h`` (nats).

    ``h`` is increasing on [0, 1/2]: 24 vectorised bisection steps bracket ``p`` to 3e-8, then
    Newton steps (``h'(p) = ln((1 - p)/p)``), kept inside the bracket, refine it (absolute
    error below 1e-11 on [0, 1/2], measured against a round trip).

    Args:
        h: entropy(ies) in [0, ln 2] nats.

    Returns:
        Probability in [0, 1/2].
    """
    target = check_range(as_float_array(h, "h"), "h", 0.0, np.log(2.0))
    lo = np.zeros_like(target)
    hi = np.full_like(target, 0.5)
    for _ in range(24):
        mid = 0.5 * (lo + hi)
        below = _h(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    p = 0.5 * (lo + hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(4):
            slope = np.log1p(-p) - np.log(p)
            step = np.where(slope > 0, (_h(p) - target) / slope, 0.0)
            p = np.clip(np.nan_to_num(p - step, nan=0.5), lo, hi)
    return scalar_or_array(p, h)


def binary_convolution(a, b):
    """Binary convolution ``a * b = a (1 - b) + b (1 - a)``.

    The crossover probability of two cascaded binary symmetric channels, the operation of Mrs.
    Gerber's Lemma (Wyner & Ziv 1973): ``Bern(a) xor Bern(b) ~ Bern(a * b)``.

    Args:
        a, b: probabilities in [0, 1].

    Returns:
        ``a * b`` in [0, 1].
    """
    a = check_range(as_float_array(a, "a"), "a", 0.0, 1.0)
    b = check_range(as_float_array(b, "b"), "b", 0.0, 1.0)
    return a * (1 - b) + b * (1 - a)


def gaussian_entropy(variance):
    """Differential entropy of ``N(m, variance)``: ``h = 1/2 ln(2 pi e variance)`` nats.

    Cover & Thomas 2006, "Elements of Information Theory", Example 8.1.2.

    Args:
        variance: variance(s) ``> 0``.

    Returns:
        Entropy in nats.
    """
    v = positive(variance, "variance")
    return scalar_or_array(0.5 * np.log(2 * np.pi * np.e * v), variance)
