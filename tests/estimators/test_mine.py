import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.estimators.dv import dv_lower_bound
from ibtf.estimators.mine import MINELowerBound


def _expected_gradient(scores, moving_average):
    """grad of mean_diag(f) - M / m with M = offdiag mean of exp(f), m held fixed."""
    n = scores.shape[0]
    off = ~np.eye(n, dtype=bool)
    grad = np.eye(n) / n
    grad[off] -= np.exp(scores[off]) / (n * (n - 1)) / moving_average
    return grad


def test_value_is_donsker_varadhan_and_gradient_uses_moving_average():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(2, 5, 5))
    decay = 0.8
    mine = MINELowerBound(decay=decay)
    off = ~np.eye(5, dtype=bool)

    s1 = tf.Variable(first)
    with tf.GradientTape() as tape:
        v1 = mine(s1)
    m1 = np.mean(np.exp(first[off]))
    np.testing.assert_allclose(v1, dv_lower_bound(first), rtol=1e-6)
    # Step one starts the average at the batch: the exact DV gradient.
    np.testing.assert_allclose(tape.gradient(v1, s1), _expected_gradient(first, m1), rtol=1e-5)
    np.testing.assert_allclose(np.exp(mine.log_moving_average.numpy()), m1, rtol=1e-5)

    s2 = tf.Variable(second)
    with tf.GradientTape() as tape:
        v2 = mine(s2)
    m2 = decay * m1 + (1 - decay) * np.mean(np.exp(second[off]))
    np.testing.assert_allclose(v2, dv_lower_bound(second), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(v2, s2), _expected_gradient(second, m2), rtol=1e-4)
    np.testing.assert_allclose(np.exp(mine.log_moving_average.numpy()), m2, rtol=1e-5)


def test_reset_and_zero_decay_give_plain_dv_gradient():
    scores = tf.Variable(tf.random.normal([4, 4], seed=5, dtype=tf.float64))
    mine = MINELowerBound(decay=0.0)
    mine(scores * 3.0)
    with tf.GradientTape() as tape:
        value = mine(scores)
    with tf.GradientTape() as tape_dv:
        dv = dv_lower_bound(scores)
    dv_gradient = tape_dv.gradient(dv, scores).numpy()
    np.testing.assert_allclose(tape.gradient(value, scores), dv_gradient, rtol=1e-6)
    mine = MINELowerBound(decay=0.9)
    mine(scores * 3.0)
    mine.reset()
    with tf.GradientTape() as tape:
        value = mine(scores)
    np.testing.assert_allclose(tape.gradient(value, scores), dv_gradient, rtol=1e-6)


def test_works_inside_tf_function():
    mine = MINELowerBound()
    step = tf.function(lambda s: mine(s))
    for k in range(3):
        step(tf.random.normal([4, 4], seed=k))
    assert bool(mine.started.numpy())


@pytest.mark.parametrize("decay", [1.0, -0.1, "0.9"])
def test_bad_decay(decay):
    with pytest.raises(ValueError, match="decay"):
        MINELowerBound(decay=decay)
