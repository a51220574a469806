"""Donsker-Varadhan lower bound on mutual information (the value MINE reports)."""
from ibtf.estimators._scores import check_scores, log_mean_exp_off_diagonal, mean_diagonal

__all__ = ["dv_lower_bound"]


def dv_lower_bound(scores):
    """Donsker-Varadhan bound on I(X; Y), in nats, with plain (biased) minibatch gradients.

    Donsker & Varadhan 1983; Belghazi et al. 2018, "MINE: Mutual Information Neural
    Estimation", eq. (5); Poole et al. 2019, eq. (9):

        I_DV = E_p(x,y)[f] - log E_p(x)p(y)[exp f]

    estimated with the diagonal (joint) and off-diagonal (marginal) entries. On a finite batch
    the log of a sample mean is biased, so this is a lower bound only in the limit of large
    batches; ``MINELowerBound`` corrects its gradient with a moving average.

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.

    Returns:
      Scalar tensor in nats.

    Raises:
      ValueError: if ``scores`` is not a square matrix with B >= 2.
      TypeError: if ``scores`` is not floating point.
    """
    scores = check_scores(scores)
    return mean_diagonal(scores) - log_mean_exp_off_diagonal(scores)
