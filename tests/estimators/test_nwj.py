import numpy as np

from ibtf._keras import tf
from ibtf.estimators.nwj import nwj_lower_bound


def test_matches_formula():
    scores = np.random.default_rng(1).normal(size=(5, 5))
    off = scores[~np.eye(5, dtype=bool)]
    expected = np.mean(np.diag(scores)) - np.exp(-1) * np.mean(np.exp(off))
    np.testing.assert_allclose(nwj_lower_bound(tf.constant(scores)), expected, rtol=1e-10)


def test_optimal_critic_is_unbiased(gaussian):
    # f* = 1 + pmi makes I_NWJ an unbiased estimate of I.
    mi, d, batch = 1.0, 2, 256
    rho = gaussian.rho(mi, d)
    values = [float(nwj_lower_bound(tf.constant(1.0 + gaussian.pmi(*gaussian.sample(
        mi, d, batch, seed), rho)))) for seed in range(10)]
    assert abs(np.mean(values) - mi) < 0.05 * mi


def test_suboptimal_critic_is_lower(gaussian):
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)
    x, y = gaussian.sample(mi, d, 512, 3)
    pmi = gaussian.pmi(x, y, rho)
    best = float(nwj_lower_bound(tf.constant(1.0 + pmi)))
    for worse in (0.5 * pmi + 1.0, pmi, 1.5 * pmi + 1.0):
        assert float(nwj_lower_bound(tf.constant(worse))) < best
