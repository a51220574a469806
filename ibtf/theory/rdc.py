"""Rate-distortion-classification functions (Wang, Wu, Ma & Zhang 2024), closed forms in nats.

R(D, C) = min I(X; Xhat)  s.t.  E d(X, Xhat) <= D,  H(S | Xhat) <= C,  S - X - Xhat.
"""

import numpy as np

from ibtf.theory._checks import as_float_array, check_range, positive
from ibtf.theory._checks import scalar_or_array
from ibtf.theory.entropy import binary_convolution, binary_entropy, binary_entropy_inverse
from ibtf.theory.rate_distortion import binary_rd, gaussian_rd

__all__ = [
    "gaussian_classification_rate",
    "gaussian_conditional_entropy_floor",
    "gaussian_rdc",
    "binary_classification_rate",
    "binary_rdc",
]

_TWO_PI_E = 2.0 * np.pi * np.e


def gaussian_conditional_entropy_floor(var_s, rho):
    """The least reachable classification loss ``h(S | X)`` of the Gaussian RDC problem, nats.

    ``S | X ~ N(rho sqrt(var_s / var_x) X, var_s (1 - rho^2))``, so (Cover & Thomas 2006,
    Theorem 8.4.1) ``h(S | X) = 1/2 ln(2 pi e var_s (1 - rho^2))``; by data processing every
    reconstruction has ``h(S | Xhat) >= h(S | X)`` (Wang et al. 2024), which is the lower end of
    the feasible classification range. It is ``-inf`` when ``|rho| = 1``.

    Args:
        var_s: label variance ``> 0``.
        rho: correlation of ``X`` and ``S`` in [-1, 1].

    Returns:
        ``h(S | X)`` in nats.
    """
    vs = positive(var_s, "var_s")
    r = check_range(as_float_array(rho, "rho"), "rho", -1.0, 1.0)
    with np.errstate(divide="ignore"):
        out = 0.5 * np.log(_TWO_PI_E * vs * (1.0 - r**2))
    return scalar_or_array(out, var_s, rho)


def gaussian_classification_rate(classification, var_s, rho):
    """Least ``I(X; Xhat)`` with ``h(S | Xhat) <= C`` for jointly Gaussian ``(X, S)``, nats.

    This is the Gaussian information bottleneck curve (Chechik, Globerson, Tishby & Weiss 2005)
    in the variables of Wang et al. 2024. Write ``S = a X + N`` with ``N ~ N(0,
    var_s (1 - rho^2))`` independent of ``(X, Xhat)`` (Markov chain) and ``a^2 var_x = rho^2
    var_s``. For ``R = I(X; Xhat)``, ``h(aX | Xhat) = 1/2 ln(2 pi e rho^2 var_s) - R`` and the
    conditional entropy power inequality gives, for *every* channel,

        e^{2 h(S|Xhat)} >= e^{2 h(aX|Xhat)} + e^{2 h(N)}
                        = 2 pi e var_s (1 - rho^2 + rho^2 e^{-2R}),

    with equality for a Gaussian test channel. So ``h(S|Xhat) <= C`` needs, with
    ``v = e^{2C} / (2 pi e var_s)`` (the allowed conditional variance as a fraction of
    ``var_s``),

        R_C(C) = max(0, 1/2 ln(rho^2 / (v - 1 + rho^2))).

    It is finite for ``C > h(S|X)``, infinite at ``C = h(S|X)`` (only ``Xhat = X`` reaches it)
    and zero once ``C >= h(S) = 1/2 ln(2 pi e var_s)``.

    Args:
        classification: bound ``C`` on ``h(S | Xhat)`` in nats (differential entropy).
        var_s: label variance ``> 0``.
        rho: correlation of ``X`` and ``S`` in [-1, 1].

    Returns:
        Rate in nats.

    Raises:
        ValueError: ``C < h(S|X) = 1/2 ln(2 pi e var_s (1 - rho^2))`` (the message gives it).
    """
    c = as_float_array(classification, "classification")
    floor = gaussian_conditional_entropy_floor(var_s, rho)
    c, floor = np.broadcast_arrays(c, floor)
    bad = c < floor - 1e-12
    if np.any(bad):
        raise ValueError(
            "classification must be >= h(S|X) = 1/2 ln(2 pi e var_s (1 - rho^2)): feasible "
            f"range [{float(np.max(floor[bad])):.6g}, inf) nats for these var_s, rho; got "
            f"{float(c[bad].ravel()[0]):.6g}"
        )
    rho2 = np.asarray(rho, dtype=np.float64) ** 2
    v = np.exp(2.0 * c) / (_TWO_PI_E * np.asarray(var_s, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = v - 1.0 + rho2  # allowed minus unavoidable conditional variance fraction
        out = np.where(
            margin <= 0.0,
            np.inf,
            np.maximum(0.0, 0.5 * (np.log(rho2) - np.log(np.where(margin > 0, margin, 1.0)))),
        )
    out = np.where(v >= 1.0, 0.0, out)  # C >= h(S): no rate needed (covers rho = 0)
    return scalar_or_array(out, classification, var_s, rho)


def gaussian_rdc(distortion, classification, var_x, var_s, rho):
    """Gaussian rate-distortion-classification function ``R(D, C)`` in nats.

    Source ``X ~ N(0, var_x)``, label ``S`` jointly Gaussian with ``X`` (variance ``var_s``,
    correlation ``rho``), MSE distortion and the differential entropy ``h(S | Xhat)`` as the
    classification loss (Wang, Wu, Ma & Zhang 2024, "Lossy compression with data, perception,
    and classification constraints", Theorem on Gaussian sources):

        R(D, C) = max(R(D), R_C(C)),
        R(D)    = max(0, 1/2 ln(var_x / D)),
        R_C(C)  = max(0, 1/2 ln(rho^2 / (e^{2C}/(2 pi e var_s) - 1 + rho^2))).

    Converse: any channel meeting both constraints has ``I(X; Xhat) >= R(D)`` (Shannon) and
    ``I(X; Xhat) >= R_C(C)`` (conditional EPI, see :func:`gaussian_classification_rate`).
    Achievability: the Gaussian test channel ``Xhat = E[X | X + W]`` at rate
    ``R = max(R(D), R_C(C))`` has MSE ``var_x e^{-2R} <= D`` and meets the EPI bound with
    equality, so both constraints hold at once: the two constraints act through one quantity,
    the correlation of ``X`` and ``Xhat``, and whichever needs more rate decides.

    Args:
        distortion: MSE bound ``D >= 0``.
        classification: bound ``C`` on ``h(S|Xhat)``; feasible range ``[h(S|X), inf)`` with
            ``h(S|X) = 1/2 ln(2 pi e var_s (1 - rho^2))``.
        var_x: source variance ``> 0``.
        var_s: label variance ``> 0``.
        rho: correlation in [-1, 1].

    Returns:
        Rate in nats (broadcast over the arguments).

    Raises:
        ValueError: ``D < 0``, ``C < h(S|X)``, non-positive variances, ``|rho| > 1``.

    >>> round(gaussian_rdc(0.5, 1.2, 1.0, 1.0, 0.9), 6)
    0.346574
    """
    rd = gaussian_rd(distortion, var_x)
    rc = gaussian_classification_rate(classification, var_s, rho)
    return scalar_or_array(np.maximum(rd, rc), distortion, classification, var_x, var_s, rho)


def binary_classification_rate(classification, p, eps):
    """Least ``I(X; Xhat)`` with ``H(S | Xhat) <= C`` for ``X ~ Bern(p)``, ``S = X xor Bern(eps)``.

    Mrs. Gerber's Lemma (Wyner & Ziv 1973): for ``S = X xor Z``, ``Z ~ Bern(eps)`` independent
    of ``(X, Xhat)``, every channel has ``H(S | Xhat) >= h(h^{-1}(H(X | Xhat)) * eps)`` with
    ``a * b = a(1 - b) + b(1 - a)``. Hence ``H(S|Xhat) <= C`` forces
    ``H(X | Xhat) <= h(theta)`` with ``theta * eps = h^{-1}(C)``, i.e.
    ``theta = (h^{-1}(C) - eps) / (1 - 2 eps)``, and

        R_C(C) = h(p) - h(theta)   for theta < min(p, 1 - p), else 0.

    The backward channel ``X = Xhat xor Bern(theta)`` meets it with equality. ``eps`` and
    ``1 - eps`` give the same problem (relabel ``S``); ``eps = 1/2`` makes ``S`` independent
    of ``X`` and needs ``C >= ln 2``.

    Args:
        classification: bound ``C`` on ``H(S|Xhat)`` in nats; feasible range
            ``[h(eps), inf)``.
        p: ``P(X = 1)`` in [0, 1].
        eps: label flip probability in [0, 1].

    Returns:
        Rate in nats.

    Raises:
        ValueError: ``C < h(eps)``, probabilities outside [0, 1].
    """
    c = as_float_array(classification, "classification")
    q = check_range(as_float_array(p, "p"), "p", 0.0, 1.0)
    e = check_range(as_float_array(eps, "eps"), "eps", 0.0, 1.0)
    e = np.minimum(e, 1.0 - e)
    floor = binary_entropy(e)
    c, q, e, floor = np.broadcast_arrays(c, q, e, floor)
    bad = c < floor - 1e-12
    if np.any(bad):
        raise ValueError(
            "classification must be >= H(S|X) = h(eps): feasible range "
            f"[{float(np.max(floor[bad])):.6g}, inf) nats for these eps; got "
            f"{float(c[bad].ravel()[0]):.6g}"
        )
    pmin = np.minimum(q, 1.0 - q)
    h_s = binary_entropy(binary_convolution(pmin, e))
    crossover = binary_entropy_inverse(np.clip(c, 0.0, np.log(2.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(e < 0.5, (crossover - e) / (1.0 - 2.0 * e), 0.5)
    theta = np.clip(theta, 0.0, 0.5)
    out = np.where(c >= h_s, 0.0, binary_entropy(q) - binary_entropy(np.minimum(theta, pmin)))
    return scalar_or_array(np.maximum(out, 0.0), classification, p, eps)


def binary_rdc(distortion, classification, p, eps):
    """Binary rate-distortion-classification function ``R(D, C)`` in nats.

    ``X ~ Bern(p)``, ``S = X xor Bern(eps)``, Hamming distortion, classification loss
    ``H(S | Xhat)`` (Wang, Wu, Ma & Zhang 2024, binary source theorem):

        R(D, C) = max(h(p) - h(D), h(p) - h(theta), 0),
        theta = (h^{-1}(C) - eps) / (1 - 2 eps),

    each term counted only below ``min(p, 1 - p)``. Converse: Shannon's ``R(D)`` and Mrs.
    Gerber's Lemma (:func:`binary_classification_rate`). Achievability: the backward binary
    symmetric channel ``X = Xhat xor Bern(delta)`` with ``delta = min(D, theta)`` has Hamming
    distortion ``delta``, ``H(X|Xhat) = h(delta)`` and ``H(S|Xhat) = h(delta * eps) <= C``.

    Args:
        distortion: Hamming distortion bound ``D`` in [0, 1].
        classification: bound on ``H(S|Xhat)``; feasible range ``[h(eps), inf)`` nats.
        p: ``P(X = 1)`` in [0, 1].
        eps: label flip probability in [0, 1].

    Returns:
        Rate in nats.

    Raises:
        ValueError: ``C < h(eps)`` or arguments outside [0, 1].

    >>> round(binary_rdc(0.1, 0.5, 0.5, 0.1), 6)
    0.368064
    """
    rd = binary_rd(distortion, p)
    rc = binary_classification_rate(classification, p, eps)
    return scalar_or_array(np.maximum(rd, rc), distortion, classification, p, eps)
