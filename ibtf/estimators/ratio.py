"""Density-ratio (probabilistic classifier) estimate of mutual information."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores, mean_diagonal, mean_off_diagonal

__all__ = ["classifier_loss", "classifier_mi_estimate"]


def classifier_loss(logits):
    """Class-balanced logistic loss of a joint-vs-marginal classifier on a score matrix.

    Sugiyama, Suzuki & Kanamori 2012, "Density Ratio Estimation in Machine Learning", Ch. 4
    (probabilistic classification); Mukherjee, Asnani & Kannan 2019, "CCMI: Classifier based
    Conditional Mutual Information Estimation", Sec. 3:

        L = 1/2 E_p(x,y)[softplus(-f)] + 1/2 E_p(x)p(y)[softplus(f)]

    The diagonal entries are the positive (joint) class, the off-diagonal ones the negative
    (product of marginals) class. Weighting both classes equally makes the Bayes-optimal logit
    equal to the log density ratio ``log p(x, y) / (p(x) p(y))``.

    Args:
      logits: [B, B] float tensor, ``logits[i, j] = critic(x_j, y_i)``.

    Returns:
      Scalar loss to minimise.
    """
    logits = check_scores(logits, name="logits")
    return 0.5 * (mean_diagonal(tf.nn.softplus(-logits))
                  + mean_off_diagonal(tf.nn.softplus(logits)))


def classifier_mi_estimate(logits):
    """MI in nats as the mean classifier logit on joint pairs.

    With the optimal balanced classifier the logit is the pointwise mutual information, so

        I(X; Y) = E_p(x,y)[log p(x, y) / (p(x) p(y))] ~= mean_i logits[i, i].

    This is a plug-in estimate, not a bound: it errs in whichever direction the classifier does.

    Args:
      logits: [B, B] float tensor from a critic trained with ``classifier_loss``.

    Returns:
      Scalar tensor in nats.
    """
    logits = check_scores(logits, name="logits")
    return mean_diagonal(logits)
