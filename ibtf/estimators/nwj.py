"""NWJ (f-divergence, "MINE-f") lower bound on mutual information."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores, log_mean_exp_off_diagonal, mean_diagonal

__all__ = ["nwj_lower_bound"]


def nwj_lower_bound(scores):
    """Nguyen-Wainwright-Jordan lower bound on I(X; Y), in nats.

    Nguyen, Wainwright & Jordan 2010; Poole et al. 2019, "On Variational Bounds of Mutual
    Information", eq. (6) (I_NWJ, also called MINE-f):

        I_NWJ = E_p(x,y)[f(x, y)] - e^{-1} E_p(x)p(y)[exp f(x, y)]

    The joint expectation is the mean of the diagonal, the marginal one the mean of the
    off-diagonal entries. The bound is tight at ``f* = 1 + log p(y|x)/p(y)`` and is unbiased
    for a fixed critic, but its variance grows like exp(I) because the marginal term averages
    exponentials of large scores.

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.

    Returns:
      Scalar tensor: the bound in nats (also the training objective to maximise).

    Raises:
      ValueError: if ``scores`` is not a square matrix with B >= 2.
      TypeError: if ``scores`` is not floating point.
    """
    scores = check_scores(scores)
    # exp(logmeanexp - 1) rather than mean(exp(f - 1)): the same value, no overflow at large f.
    return mean_diagonal(scores) - tf.exp(log_mean_exp_off_diagonal(scores) - 1.0)
