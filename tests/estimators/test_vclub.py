import numpy as np

from ibtf._keras import tf
from ibtf.estimators.vclub import vclub_upper_bound


def test_matches_formula():
    log_q = np.random.default_rng(0).normal(size=(5, 5))
    off = ~np.eye(5, dtype=bool)
    expected = np.mean(np.diag(log_q)) - np.mean(log_q[off])
    np.testing.assert_allclose(vclub_upper_bound(tf.constant(log_q)), expected, rtol=1e-10)


def test_true_conditional_gives_closed_form_upper_bound(gaussian):
    # With q = p(y|x): CLUB = E_p[log p(y|x)] - E_p(x)p(y)[log p(y|x)] = d rho^2 / (1 - rho^2),
    # which is >= I = -d/2 ln(1 - rho^2) (ln(1/(1-t)) <= t/(1-t)).
    for mi, d in [(1.0, 2), (2.0, 5)]:
        rho = gaussian.rho(mi, d)
        closed_form = d * rho ** 2 / (1 - rho ** 2)
        values = [float(vclub_upper_bound(tf.constant(gaussian.log_conditional(
            *gaussian.sample(mi, d, 256, seed), rho)))) for seed in range(10)]
        assert abs(np.mean(values) - closed_form) < 0.05 * closed_form
        assert np.mean(values) > gaussian.mi(rho, d)


def test_independent_pairs_give_zero():
    rng = np.random.default_rng(1)
    # log q(y_i | x_j) that does not depend on x_j: every column is the same.
    log_q = np.repeat(rng.normal(size=(6, 1)), 6, axis=1)
    np.testing.assert_allclose(vclub_upper_bound(tf.constant(log_q)),
                               np.mean(log_q[:, 0]) - np.mean(log_q[~np.eye(6, dtype=bool)]),
                               atol=1e-12)
