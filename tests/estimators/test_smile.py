import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.estimators.dv import dv_lower_bound
from ibtf.estimators.jsd import jsd_objective
from ibtf.estimators.smile import smile_lower_bound


def test_value_is_clipped_dv():
    scores = np.random.default_rng(0).normal(size=(6, 6)) * 6
    off = ~np.eye(6, dtype=bool)
    clipped = np.clip(scores, -5, 5)
    expected = np.mean(np.diag(scores)) - np.log(np.mean(np.exp(clipped[off])))
    np.testing.assert_allclose(smile_lower_bound(tf.constant(scores), clip=5.0), expected,
                               rtol=1e-10)


def test_no_clip_is_dv():
    scores = tf.random.normal([5, 5], seed=2) * 10
    np.testing.assert_allclose(smile_lower_bound(scores, clip=None), dv_lower_bound(scores),
                               rtol=1e-6)


def test_gradient_is_jensen_shannon():
    variable = tf.Variable(tf.random.normal([5, 5], seed=3, dtype=tf.float64) * 8)
    with tf.GradientTape(persistent=True) as tape:
        value = smile_lower_bound(variable, clip=5.0)
        js = jsd_objective(variable)
    np.testing.assert_allclose(tape.gradient(value, variable), tape.gradient(js, variable),
                               rtol=1e-12)


def test_clipping_lowers_partition_term_for_large_scores():
    # Clipping can only lower the log-partition term, so SMILE >= DV on any matrix.
    scores = tf.random.normal([8, 8], seed=4) * 10
    assert float(smile_lower_bound(scores, clip=5.0)) >= float(dv_lower_bound(scores))


def test_log_ratio_critic_gives_truth(gaussian):
    # At I = 1 nat, d = 2 the pmi rarely exceeds tau = 5, so SMILE ~ DV ~ I.
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)
    values = [float(smile_lower_bound(tf.constant(gaussian.pmi(*gaussian.sample(
        mi, d, 256, seed), rho)), clip=5.0)) for seed in range(10)]
    assert abs(np.mean(values) - mi) < 0.05 * mi


@pytest.mark.parametrize("clip", [0, -1.0, "5", True])
def test_bad_clip(clip):
    with pytest.raises(ValueError, match="clip"):
        smile_lower_bound(tf.zeros([3, 3]), clip=clip)
