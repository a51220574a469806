import numpy as np

from ibtf._keras import tf
from ibtf.estimators.jsd import jsd_lower_bound, jsd_objective


def _softplus(v):
    return np.logaddexp(0.0, v)


def test_objective_matches_formula():
    scores = np.random.default_rng(0).normal(size=(5, 5)) * 2
    off = ~np.eye(5, dtype=bool)
    expected = -np.mean(_softplus(-np.diag(scores))) - np.mean(_softplus(scores[off]))
    np.testing.assert_allclose(jsd_objective(tf.constant(scores)), expected, rtol=1e-10)


def test_value_is_nwj_of_shifted_critic_and_gradient_is_js():
    scores = np.random.default_rng(1).normal(size=(6, 6))
    off = ~np.eye(6, dtype=bool)
    variable = tf.Variable(scores)
    with tf.GradientTape(persistent=True) as tape:
        value = jsd_lower_bound(variable)
        js = jsd_objective(variable)
    # I_JS = 1 + E_p[f] - E_q[exp f]
    expected = 1 + np.mean(np.diag(scores)) - np.mean(np.exp(scores[off]))
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(tape.gradient(value, variable), tape.gradient(js, variable),
                               rtol=1e-12)


def test_log_ratio_maximises_objective_and_gives_truth(gaussian):
    # The JS optimum is the log density ratio; plugged into I_JS it recovers I.
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)
    objectives, values = [], []
    for seed in range(10):
        pmi = gaussian.pmi(*gaussian.sample(mi, d, 256, seed), rho)
        objectives.append([float(jsd_objective(tf.constant(pmi + c))) for c in (-0.5, 0, 0.5)])
        values.append(float(jsd_lower_bound(tf.constant(pmi))))
    mean_objective = np.mean(objectives, axis=0)
    assert mean_objective[1] > mean_objective[0] and mean_objective[1] > mean_objective[2]
    assert abs(np.mean(values) - mi) < 0.05 * mi
