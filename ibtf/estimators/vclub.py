"""vCLUB: the variational contrastive log-ratio upper bound on mutual information."""
from ibtf.estimators._scores import check_scores, mean_diagonal, mean_off_diagonal

__all__ = ["vclub_upper_bound"]


def vclub_upper_bound(log_likelihoods):
    """vCLUB estimate of I(X; Y) in nats (an upper bound when q(y|x) is good enough).

    Cheng et al. 2020, "CLUB: A Contrastive Log-ratio Upper Bound of Mutual Information",
    eqs. (4) and (8):

        I_vCLUB = E_p(x,y)[log q(y|x)] - E_p(x)p(y)[log q(y|x)]

    with ``log_likelihoods[i, j] = log q(y_i | x_j)``: the diagonal mean estimates the first
    term and the off-diagonal mean the second (the paper's minibatch form averages all B^2
    pairs; excluding the diagonal keeps the second term an unbiased estimate of the expectation
    under p(x)p(y)). With the true conditional ``q = p(y|x)`` it is an upper bound (Theorem 3.1);
    with a learned q it stays one whenever KL(p(x,y) || q(y|x)p(x)) <= KL(p(x)p(y) || q(y|x)p(x))
    (Theorem 3.2). q is trained by maximum likelihood on the diagonal; the bound is not
    differentiated for that.

    Args:
      log_likelihoods: [B, B] float tensor, ``log q(y_i | x_j)``, e.g. from
        ``ibtf.estimators.GaussianConditionalCritic``.

    Returns:
      Scalar tensor in nats.

    Raises:
      ValueError: if the input is not a square matrix with B >= 2.
      TypeError: if it is not floating point.
    """
    log_likelihoods = check_scores(log_likelihoods, name="log_likelihoods")
    return mean_diagonal(log_likelihoods) - mean_off_diagonal(log_likelihoods)
