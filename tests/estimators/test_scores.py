import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.estimators._scores import (
    check_scores,
    log_mean_exp_off_diagonal,
    mean_diagonal,
    mean_off_diagonal,
)


def test_reductions_match_numpy():
    scores = np.random.default_rng(0).normal(size=(5, 5)) * 3
    off = scores[~np.eye(5, dtype=bool)]
    t = tf.constant(scores)
    np.testing.assert_allclose(mean_diagonal(t), np.mean(np.diag(scores)), rtol=1e-12)
    np.testing.assert_allclose(mean_off_diagonal(t), np.mean(off), rtol=1e-12)
    np.testing.assert_allclose(log_mean_exp_off_diagonal(t), np.log(np.mean(np.exp(off))),
                               rtol=1e-12)


def test_log_mean_exp_is_stable_for_large_scores():
    scores = tf.constant([[0.0, 1000.0], [1000.0, 0.0]])
    assert float(log_mean_exp_off_diagonal(scores)) == pytest.approx(1000.0)


def test_gradient_ignores_diagonal():
    scores = tf.Variable(tf.random.normal([4, 4], seed=1))
    with tf.GradientTape() as tape:
        value = log_mean_exp_off_diagonal(scores)
    grad = tape.gradient(value, scores).numpy()
    assert np.all(np.diag(grad) == 0.0)
    assert np.isclose(grad.sum(), 1.0)   # softmax weights over off-diagonal entries


@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 2, 2), (1, 1)])
def test_bad_shapes_raise(shape):
    with pytest.raises(ValueError, match="scores"):
        check_scores(tf.zeros(shape))


def test_integer_scores_raise():
    with pytest.raises(TypeError, match="floating"):
        check_scores(tf.zeros([3, 3], tf.int32))
