import numpy as np

from ibtf._keras import tf
from ibtf.estimators.ratio import classifier_loss, classifier_mi_estimate


def test_loss_matches_formula():
    logits = np.random.default_rng(0).normal(size=(5, 5)) * 3
    off = ~np.eye(5, dtype=bool)
    expected = 0.5 * (np.mean(np.logaddexp(0, -np.diag(logits)))
                      + np.mean(np.logaddexp(0, logits[off])))
    np.testing.assert_allclose(classifier_loss(tf.constant(logits)), expected, rtol=1e-10)
    np.testing.assert_allclose(classifier_mi_estimate(tf.constant(logits)),
                               np.mean(np.diag(logits)), rtol=1e-12)


def test_log_ratio_minimises_balanced_loss_and_gives_truth(gaussian):
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)
    losses, estimates = [], []
    for seed in range(10):
        pmi = gaussian.pmi(*gaussian.sample(mi, d, 256, seed), rho)
        losses.append([float(classifier_loss(tf.constant(a * pmi + c)))
                       for a, c in ((1, 0), (1, 0.5), (1, -0.5), (0.7, 0), (1.3, 0))])
        estimates.append(float(classifier_mi_estimate(tf.constant(pmi))))
    mean_losses = np.mean(losses, axis=0)
    assert np.argmin(mean_losses) == 0
    assert abs(np.mean(estimates) - mi) < 0.05 * mi
