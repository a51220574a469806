"""Rate-perception-classification (Wang, Wu, Ma & Zhang 2024) for Gaussian sources, nats.

R(P, C) = min I(X; Xhat)  s.t.  d(p_X, p_Xhat) <= P,  H(S | Xhat) <= C,  S - X - Xhat,

and its extension with a distortion constraint, R(D, P, C).
"""

import numpy as np

from ibtf.theory._checks import non_negative, positive, scalar_or_array
from ibtf.theory.rdc import gaussian_classification_rate
from ibtf.theory.rdp import gaussian_rdp

__all__ = ["gaussian_rpc", "gaussian_rdpc", "PERCEPTION_DIVERGENCES"]

PERCEPTION_DIVERGENCES = ("kl", "reverse_kl", "w2")


def _check_divergence(divergence):
    if divergence not in PERCEPTION_DIVERGENCES:
        raise ValueError(f"divergence must be one of {PERCEPTION_DIVERGENCES}, got {divergence!r}")


def gaussian_rpc(perception, classification, var_x, var_s, rho, divergence="kl"):
    """Gaussian rate-perception-classification function ``R(P, C)`` in nats.

    ``X ~ N(0, var_x)``, label ``S`` jointly Gaussian with ``X`` (variance ``var_s``,
    correlation ``rho``), classification loss ``h(S | Xhat)``, perception ``d(p_X, p_Xhat)``
    a divergence: KL ``KL(p_X || p_Xhat)``, reverse KL, or squared Wasserstein-2. Result:

        R(P, C) = R_C(C) = max(0, 1/2 ln(rho^2 / (e^{2C}/(2 pi e var_s) - 1 + rho^2)))

    for every ``P >= 0``: the rate does not depend on the perception bound, so there is no
    classification-perception trade-off (the claim of Wang et al. 2024 for this source).

    Proof. Converse: ``R(P, C) >= R_C(C)`` since dropping the perception constraint can only
    lower the rate, and ``R_C`` is the conditional-EPI bound of
    :func:`~ibtf.theory.rdc.gaussian_classification_rate`, valid for every channel.
    Achievability at ``P = 0``: let ``U = X + W``, ``W ~ N(0, w)`` independent, with ``w``
    chosen so that ``I(X; U) = R_C(C)``, and output ``Xhat = sqrt(var_x / (var_x + w)) U``.
    ``Xhat ~ N(0, var_x) = p_X`` exactly, so every divergence is 0. Scaling by a non-zero
    constant is invertible, so ``I(X; Xhat) = I(X; U)`` and ``h(S | Xhat) = h(S | U)``, which
    meets the EPI bound with equality (``U`` is a Gaussian test channel). Thus the point
    ``(R_C(C), P = 0, C)`` is achievable and ``R(P, C) = R_C(C)`` for all ``P >= 0``.
    (A perfect-realism constraint costs rate only when distortion is also constrained; see
    :func:`gaussian_rdpc`.)

    Args:
        perception: divergence bound ``P >= 0`` (any of ``PERCEPTION_DIVERGENCES``).
        classification: bound ``C`` on ``h(S|Xhat)``; feasible range ``[h(S|X), inf)``,
            ``h(S|X) = 1/2 ln(2 pi e var_s (1 - rho^2))``.
        var_x: source variance ``> 0``.
        var_s: label variance ``> 0``.
        rho: correlation of ``X`` and ``S`` in [-1, 1].
        divergence: ``"kl"``, ``"reverse_kl"`` or ``"w2"`` (squared W2); the value does not
            change the result but is validated so a typo is not silently accepted.

    Returns:
        Rate in nats, broadcast over the arguments.

    Raises:
        ValueError: ``P < 0``, ``C < h(S|X)``, an unknown divergence, bad variances or rho.
    """
    _check_divergence(divergence)
    p = non_negative(perception, "perception")
    positive(var_x, "var_x")
    rc = gaussian_classification_rate(classification, var_s, rho)
    out = np.broadcast_to(rc, np.broadcast_shapes(np.shape(rc), np.shape(p), np.shape(var_x)))
    return scalar_or_array(
        np.array(out, dtype=np.float64), perception, classification, var_x, var_s, rho
    )


def gaussian_rdpc(distortion, perception, classification, var_x, var_s, rho):
    """Gaussian ``R(D, P, C)``: MSE ``<= D``, ``W2^2(p_X, p_Xhat) <= P``, ``h(S|Xhat) <= C``.

    Result (nats):

        R(D, P, C) = max(R_DP(D, P), R_C(C)),

    with ``R_DP`` the rate-distortion-perception function of Zhang et al. 2021
    (:func:`~ibtf.theory.rdp.gaussian_rdp`) and ``R_C`` the classification rate.

    Proof. Converse: each term is a lower bound valid for every channel (Zhang et al. 2021,
    Theorem 2; conditional EPI). Achievability: take the Gaussian reconstruction that is
    optimal for ``R_DP``, with deviation ``t`` and correlation ``r_DP``. Raising the
    correlation to ``r = max(r_DP, r_C)`` at the same ``t`` keeps ``W2^2 = (sigma - t)^2``,
    lowers the MSE ``sigma^2 + t^2 - 2 r sigma t`` and meets ``h(S|Xhat) <= C`` (which only
    depends on ``r``); its rate ``-1/2 ln(1 - r^2)`` is the larger of the two rates.

    Args:
        distortion: MSE bound ``D >= 0``.
        perception: squared-W2 bound ``P >= 0``.
        classification: bound on ``h(S|Xhat)``; feasible range ``[h(S|X), inf)``.
        var_x: source variance ``> 0``.
        var_s: label variance ``> 0``.
        rho: correlation in [-1, 1].

    Returns:
        Rate in nats.
    """
    rdp = gaussian_rdp(distortion, perception, var_x)
    rc = gaussian_classification_rate(classification, var_s, rho)
    return scalar_or_array(
        np.maximum(rdp, rc), distortion, perception, classification, var_x, var_s, rho
    )
