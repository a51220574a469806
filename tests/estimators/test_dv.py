import numpy as np

from ibtf._keras import tf
from ibtf.estimators.dv import dv_lower_bound


def test_matches_formula():
    scores = np.random.default_rng(2).normal(size=(5, 5))
    off = scores[~np.eye(5, dtype=bool)]
    expected = np.mean(np.diag(scores)) - np.log(np.mean(np.exp(off)))
    np.testing.assert_allclose(dv_lower_bound(tf.constant(scores)), expected, rtol=1e-10)


def test_invariant_to_constant_shift():
    scores = tf.random.normal([6, 6], seed=3)
    np.testing.assert_allclose(dv_lower_bound(scores + 7.0), dv_lower_bound(scores), atol=1e-5)


def test_optimal_critic_close_to_truth(gaussian):
    mi, d, batch = 1.0, 2, 256
    rho = gaussian.rho(mi, d)
    values = [float(dv_lower_bound(tf.constant(gaussian.pmi(*gaussian.sample(
        mi, d, batch, seed), rho)))) for seed in range(10)]
    assert abs(np.mean(values) - mi) < 0.05 * mi
