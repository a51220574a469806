"""SMILE: Donsker-Varadhan with a clipped partition function and a Jensen-Shannon gradient."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores, log_mean_exp_off_diagonal, mean_diagonal
from ibtf.estimators.jsd import jsd_objective

__all__ = ["smile_lower_bound"]


def smile_lower_bound(scores, clip=5.0):
    """SMILE estimate of I(X; Y) in nats.

    Song & Ermon 2020, "Understanding the Limitations of Variational Mutual Information
    Estimators", eq. (17):

        I_SMILE = E_p(x,y)[f] - log E_p(x)p(y)[exp clip(f, -tau, tau)]

    Clipping the partition-function term bounds the variance of the estimate (Theorem 2 of
    the paper shows the variance of unclipped DV/NWJ grows exponentially with MI) at the price
    of a bias that vanishes as tau grows. As in the paper's reference code, the critic is trained
    with the Jensen-Shannon objective: the returned tensor has the value of ``I_SMILE`` and the
    gradient of ``jsd_objective`` (so the critic converges to the log density ratio, which DV
    accepts up to an additive constant).

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.
      clip: tau > 0, or None for no clipping (then the value is the DV bound).

    Returns:
      Scalar tensor in nats, with the JS gradient.

    Raises:
      ValueError: if ``clip`` is not positive, or ``scores`` is not a square matrix, B >= 2.
    """
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float))
                             or not clip > 0):
        raise ValueError(f"clip must be a positive number or None, got {clip!r}; tau = 5 is usual.")
    scores = check_scores(scores)
    clipped = scores if clip is None else tf.clip_by_value(scores, -float(clip), float(clip))
    value = mean_diagonal(scores) - log_mean_exp_off_diagonal(clipped)
    js = jsd_objective(scores)
    return js + tf.stop_gradient(value - js)
