import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.models.disentangle.cayley_adam import CayleyAdam, orthogonality_error


def _symmetric(n, seed):
    a = np.random.default_rng(seed).normal(size=(n, n))
    return ((a + a.T) / 2).astype(np.float32)


def _run(steps, learning_rate, n=12, p=3, seed=0):
    target = tf.constant(_symmetric(n, seed))
    start = np.linalg.qr(np.random.default_rng(seed + 1).normal(size=(n, p)))[0]
    u = tf.Variable(start.astype(np.float32))
    optimizer = CayleyAdam(learning_rate)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = -tf.linalg.trace(tf.matmul(u, tf.matmul(target, u), transpose_a=True))
        optimizer.apply_gradients([(tape.gradient(loss, u), u)])
        return loss, orthogonality_error(u)

    losses, errors = zip(*[[float(t) for t in step()] for _ in range(steps)])
    return u, np.array(losses), np.array(errors), target.numpy()


def test_steps_stay_on_the_stiefel_manifold():
    _, _, errors, _ = _run(200, 0.05)
    assert errors.max() < 1e-5


def test_maximises_a_rayleigh_quotient_to_the_top_eigenvalues():
    # max tr(U^T A U) over U^T U = I is the sum of the p largest eigenvalues (Ky Fan).
    _, losses, errors, target = _run(1500, 0.05)
    truth = np.sort(np.linalg.eigvalsh(target))[-3:].sum()
    assert -losses[-1] == pytest.approx(truth, rel=0.02)
    assert errors.max() < 1e-4


def test_rejects_variables_off_any_stiefel_manifold():
    optimizer = CayleyAdam()
    with pytest.raises(ValueError, match="n >= p"):
        optimizer.build([tf.Variable(tf.zeros([2, 5]))])
