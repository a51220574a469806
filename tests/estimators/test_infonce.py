import numpy as np
import pytest
from scipy.special import logsumexp

from ibtf._keras import tf
from ibtf.estimators.infonce import infonce_lower_bound


def test_matches_formula():
    scores = np.random.default_rng(0).normal(size=(6, 6)) * 2
    expected = np.mean(np.diag(scores) - logsumexp(scores, axis=1)) + np.log(6)
    np.testing.assert_allclose(infonce_lower_bound(tf.constant(scores)), expected, rtol=1e-10)


@pytest.mark.parametrize("batch", [2, 8, 64])
@pytest.mark.parametrize("scale", [0.1, 10.0, 1e4])
def test_never_exceeds_log_batch(batch, scale):
    # Random critics and near-perfect ones (huge diagonal) all stay <= ln B.
    rng = np.random.default_rng(batch)
    scores = rng.normal(size=(batch, batch)) * scale + np.eye(batch) * scale * 5
    value = float(infonce_lower_bound(tf.constant(scores, tf.float32)))
    assert value <= np.log(batch) + 1e-5


def test_perfect_critic_reaches_log_batch():
    assert float(infonce_lower_bound(tf.eye(16) * 1e3)) == pytest.approx(np.log(16), abs=1e-5)


def test_optimal_critic_below_truth_and_log_batch(gaussian):
    # With the exact pmi critic, E[I_NCE] <= I and <= ln B; for I << ln B it is close to I.
    mi, d, batch = 1.0, 2, 256
    rho = gaussian.rho(mi, d)
    values = []
    for seed in range(10):
        x, y = gaussian.sample(mi, d, batch, seed)
        values.append(float(infonce_lower_bound(tf.constant(gaussian.pmi(x, y, rho)))))
    mean = np.mean(values)
    assert mean <= mi + 3 * np.std(values) / np.sqrt(len(values))
    assert mean > 0.9 * mi


def test_saturates_when_truth_exceeds_log_batch(gaussian):
    # I = 8 nats, B = 16: even the exact critic cannot exceed ln 16 = 2.77.
    x, y = gaussian.sample(8.0, 4, 16, 0)
    value = float(infonce_lower_bound(tf.constant(gaussian.pmi(x, y, gaussian.rho(8.0, 4)))))
    assert 0.8 * np.log(16) < value <= np.log(16)
