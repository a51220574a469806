"""InfoNCE (contrastive predictive coding) lower bound on mutual information."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores

__all__ = ["infonce_lower_bound"]


def infonce_lower_bound(scores):
    """InfoNCE lower bound on I(X; Y), in nats.

    van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding";
    Poole et al. 2019, "On Variational Bounds of Mutual Information", eq. (12):

        I_NCE = 1/B sum_i [ f(x_i, y_i) - log 1/B sum_j exp f(x_j, y_i) ]
              = ln B + 1/B sum_i log softmax_j(scores[i, :])[i]

    Every log-softmax term is <= 0, so ``I_NCE <= ln B`` for any critic: the bound saturates at
    the log of the batch size and is badly biased once I(X; Y) approaches ln B. Its variance is
    low, which is why it is the usual training signal for representations.

    Args:
      scores: [B, B] float tensor, ``scores[i, j] = critic(x_j, y_i)``; diagonal = joint pairs.

    Returns:
      Scalar tensor: the bound in nats (also the training objective to maximise).

    Raises:
      ValueError: if ``scores`` is not a square matrix with B >= 2.
      TypeError: if ``scores`` is not floating point.

    >>> float(infonce_lower_bound(tf.eye(4) * 100.0))  # a perfect critic reaches ln 4
    1.386...
    """
    scores = check_scores(scores)
    n = tf.cast(tf.shape(scores)[0], scores.dtype)
    log_softmax_joint = tf.linalg.diag_part(scores) - tf.reduce_logsumexp(scores, axis=1)
    return tf.math.log(n) + tf.reduce_mean(log_softmax_joint)
