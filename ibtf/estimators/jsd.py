"""Jensen-Shannon (Deep InfoMax) training signal, reported through the NWJ bound."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores, mean_diagonal, mean_off_diagonal
from ibtf.estimators.nwj import nwj_lower_bound

__all__ = ["jsd_lower_bound", "jsd_objective"]


def jsd_objective(scores):
    """The f-GAN Jensen-Shannon objective that Deep InfoMax maximises (not in nats of MI).

    Nowozin et al. 2016, "f-GAN", Table 2 (GAN row, up to the constant log 4); Hjelm et al. 2019,
    "Learning deep representations by mutual information estimation and maximization", eq. (4):

        J(f) = E_p(x,y)[-softplus(-f)] - E_p(x)p(y)[softplus(f)]

    maximised at ``f* = log p(x, y) / (p(x) p(y))``, the log density ratio. Its value is a
    monotone function of a Jensen-Shannon divergence, not of the KL that defines MI, so
    it trains critics stably but is not a calibrated MI estimate.

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.

    Returns:
      Scalar tensor.
    """
    scores = check_scores(scores)
    return -mean_diagonal(tf.nn.softplus(-scores)) - mean_off_diagonal(tf.nn.softplus(scores))


def jsd_lower_bound(scores):
    """MI in nats from a critic trained with the Jensen-Shannon objective (Poole's I_JS).

    Poole et al. 2019, "On Variational Bounds of Mutual Information", Sec. 2.4 / eq. (13): the
    JS optimum is ``f* = log p(x,y)/(p(x)p(y))`` while NWJ is tight at ``1 + log ratio``, so the
    reported value is the NWJ bound at the shifted critic,

        I_JS = I_NWJ(1 + f) = 1 + E_p[f] - E_p(x)p(y)[exp f],

    a valid lower bound for any ``f``. The returned tensor has the value of ``I_JS`` and the
    gradient of ``jsd_objective`` (``js + stop(I_JS - js)``), so maximising it trains the
    critic with the low-variance JS signal while logging a number in nats.

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.

    Returns:
      Scalar tensor: the NWJ value in nats, with the JS gradient.
    """
    scores = check_scores(scores)
    js = jsd_objective(scores)
    value = nwj_lower_bound(scores + 1.0)
    return js + tf.stop_gradient(value - js)
