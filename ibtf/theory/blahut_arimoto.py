"""Blahut-Arimoto for discrete sources, extended with a classification (log-loss) constraint."""

import dataclasses

import numpy as np
import scipy.special

from ibtf.theory._checks import as_float_array, check_int

__all__ = ["blahut_arimoto", "BlahutArimotoResult"]


@dataclasses.dataclass(frozen=True)
class BlahutArimotoResult:
    """One point found by :func:`blahut_arimoto`, every figure in nats.

    Attributes:
        rate_nats: ``I(X; Xhat)`` of the returned channel.
        distortion: ``E d(X, Xhat)``.
        classification_nats: ``H(S | Xhat)`` (``None`` without a label model).
        channel: ``q(xhat | x)``, shape (|X|, |Xhat|), rows sum to 1.
        p_xhat: the output marginal ``q(xhat)``.
        objective: ``I + slope * E d + class_slope * H(S|Xhat)`` at the returned channel.
        iterations: iterations of the best restart.
        converged: whether the best restart met ``tol``.
    """

    rate_nats: float
    distortion: float
    classification_nats: float | None
    channel: np.ndarray
    p_xhat: np.ndarray
    objective: float
    iterations: int
    converged: bool


def _entropy_rows(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)


def _evaluate(p_x, dist, p_s_given_x, channel):
    joint = p_x[:, None] * channel
    p_xhat = joint.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(joint > 0, np.log(channel) - np.log(p_xhat)[None, :], 0.0)
    rate = float(np.sum(joint * ratio))
    distortion = float(np.sum(joint * dist))
    classification = None
    if p_s_given_x is not None:
        p_s_xhat = joint.T @ p_s_given_x  # (|Xhat|, |S|) joint of (Xhat, S)
        classification = float(
            np.sum(_entropy_rows(p_s_xhat / np.maximum(p_xhat, 1e-300)[:, None]) * p_xhat)
        )
    return max(rate, 0.0), distortion, classification, p_xhat


def blahut_arimoto(
    p_x,
    distortion,
    slope,
    p_s_given_x=None,
    class_slope=0.0,
    max_iter=5000,
    tol=1e-10,
    restarts=1,
    seed=0,
):
    """Minimises ``I(X; Xhat) + slope E d(X, Xhat) + class_slope H(S | Xhat)`` over channels.

    Blahut 1972 / Arimoto 1972 alternate between the channel and the output marginal; with a
    label ``S`` (``S - X - Xhat``) the classification term of Wang et al. 2024 ("Lossy
    compression with data, perception, and classification constraints") is added through

        H(S | Xhat) = H(S | X) + E_{x, xhat} KL(p(s|x) || q(s|xhat)),

    which holds for every channel because of the Markov chain. Minimising the Lagrangian over
    each factor with the others fixed gives the updates (the information-bottleneck iteration
    of Tishby, Pereira & Bialek 1999 plus a distortion term):

        q(xhat | x) ∝ q(xhat) exp(-slope d(x, xhat) - class_slope KL(p(s|x) || q(s|xhat)))
        q(xhat)     = sum_x p(x) q(xhat | x)
        q(s | xhat) = sum_x p(s | x) p(x) q(xhat | x) / q(xhat)

    Each returned channel is a feasible point, so ``(rate, distortion, classification)`` is an
    achievable triple and ``R(D, C) <= rate`` at ``D = distortion, C = classification``. With
    ``class_slope = 0`` the problem is convex and the iteration converges to ``R(D)`` at the
    slope ``-slope`` (Cover & Thomas 2006, Sec. 10.8); with ``class_slope > 0`` it is an IB-type
    problem that converges to a stationary point, so several ``restarts`` from random channels
    (seeded, deterministic) keep the lowest objective.

    Args:
        p_x: source distribution, shape (|X|,), non-negative, summing to 1.
        distortion: distortion matrix ``d(x, xhat)``, shape (|X|, |Xhat|), finite, ``>= 0``.
        slope: Lagrange multiplier ``s >= 0`` on the distortion.
        p_s_given_x: optional label model ``p(s | x)``, shape (|X|, |S|), rows summing to 1.
        class_slope: multiplier ``>= 0`` on ``H(S | Xhat)`` (needs ``p_s_given_x``).
        max_iter: iteration cap per restart.
        tol: stop when the objective improves by less than ``tol`` in one iteration.
        restarts: random initial channels tried (the first is the uniform channel perturbed).
        seed: seed of the initial channels.

    Returns:
        A :class:`BlahutArimotoResult`.

    Raises:
        ValueError: shapes that disagree, negative or non-normalised probabilities, negative
            multipliers or distortions.
    """
    p_x = as_float_array(p_x, "p_x")
    dist = as_float_array(distortion, "distortion")
    if p_x.ndim != 1 or np.any(p_x < 0) or abs(p_x.sum() - 1.0) > 1e-8:
        raise ValueError("p_x must be a 1-D probability vector (entries >= 0 summing to 1)")
    if dist.ndim != 2 or dist.shape[0] != p_x.size:
        raise ValueError(
            f"distortion must have shape (|X|, |Xhat|) = ({p_x.size}, m), got {dist.shape}"
        )
    if np.any(dist < 0):
        raise ValueError("distortion entries must be >= 0")
    slope = float(as_float_array(slope, "slope"))
    class_slope = float(as_float_array(class_slope, "class_slope"))
    if slope < 0 or class_slope < 0:
        raise ValueError(
            f"slope and class_slope must lie in [0, inf), got {slope:g} and {class_slope:g}"
        )
    if p_s_given_x is not None:
        p_s_given_x = as_float_array(p_s_given_x, "p_s_given_x")
        if p_s_given_x.ndim != 2 or p_s_given_x.shape[0] != p_x.size:
            raise ValueError(f"p_s_given_x must have shape (|X|, |S|) = ({p_x.size}, k)")
        if np.any(p_s_given_x < 0) or not np.allclose(p_s_given_x.sum(axis=1), 1.0, atol=1e-8):
            raise ValueError("p_s_given_x rows must be probability vectors (>= 0, summing to 1)")
    elif class_slope > 0:
        raise ValueError("class_slope > 0 needs p_s_given_x (the label model p(s|x))")
    max_iter = check_int(max_iter, "max_iter", 1)
    restarts = check_int(restarts, "restarts", 1)

    support = p_x > 0
    px = p_x[support]
    d = dist[support]
    ps = p_s_given_x[support] if p_s_given_x is not None else None
    # Constant part of KL(p(s|x) || q(s|xhat)) = -H(S|X=x) - sum_s p(s|x) ln q(s|xhat).
    neg_entropy_s = -_entropy_rows(ps) if ps is not None else None
    rng = np.random.default_rng(seed)
    best = None
    for restart in range(restarts):
        noise = rng.uniform(0.0, 1.0, size=d.shape)
        # First restart: nearly uniform (the classical BA start); later ones: random channels.
        logits = (0.01 if restart == 0 else 3.0) * noise
        log_channel = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
        previous = np.inf
        converged = False
        for it in range(1, max_iter + 1):
            channel = np.exp(log_channel)
            joint = px[:, None] * channel
            q_xhat = joint.sum(axis=0)
            log_q_xhat = np.log(np.maximum(q_xhat, 1e-300))
            score = log_q_xhat[None, :] - slope * d
            if ps is not None and class_slope > 0:
                q_s_xhat = (joint.T @ ps) / np.maximum(q_xhat, 1e-300)[:, None]
                kl = neg_entropy_s[:, None] - ps @ np.log(np.maximum(q_s_xhat, 1e-300)).T
                score = score - class_slope * kl
            log_channel = score - scipy.special.logsumexp(score, axis=1, keepdims=True)
            rate, distortion_value, classification, _ = _evaluate(px, d, ps, np.exp(log_channel))
            objective = rate + slope * distortion_value
            if classification is not None:
                objective += class_slope * classification
            if previous - objective < tol and it > 1:
                converged = True
                break
            previous = objective
        if best is None or objective < best[0]:
            best = (objective, np.exp(log_channel), it, converged)
    objective, channel_support, iterations, converged = best
    channel = np.full((p_x.size, dist.shape[1]), 1.0 / dist.shape[1])
    channel[support] = channel_support
    rate, distortion_value, classification, p_xhat = _evaluate(p_x, dist, p_s_given_x, channel)
    return BlahutArimotoResult(
        rate_nats=rate,
        distortion=distortion_value,
        classification_nats=classification,
        channel=channel,
        p_xhat=p_xhat,
        objective=float(objective),
        iterations=iterations,
        converged=converged,
    )
