"""Perception losses against closed forms: W1 of 1-D Gaussians, the penalty of linear critics."""
import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.losses import (build_critic, fit_w1_critic, gradient_penalty, hinge_critic_loss,
                         hinge_generator_loss, wasserstein_estimate, wgan_generator_loss,
                         wgan_gp_critic_loss)


def _linear_critic(weights, bias=0.0):
    weights = np.asarray(weights, np.float32).reshape(-1, 1)
    critic = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    critic.layers[-1].set_weights([weights, np.array([bias], np.float32)])
    return critic


def _train_w1(sample_real, sample_fake, steps, seed=0):
    """Fits a WGAN-GP critic on fresh batches and returns its W1 estimate on held-out draws."""
    critic = build_critic((1,), hidden_units=(64, 64), seed=seed)
    opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    rng = np.random.default_rng(seed)

    @tf.function
    def step(real, fake, s):
        with tf.GradientTape() as tape:
            loss = wgan_gp_critic_loss(critic, real, fake, seed=tf.stack([s, 7]))
        opt.apply_gradients(zip(tape.gradient(loss, critic.trainable_variables),
                                critic.trainable_variables))

    for s in range(steps):
        step(sample_real(rng, 256), sample_fake(rng, 256), tf.constant(s))
    held = np.random.default_rng(seed + 1)
    return float(wasserstein_estimate(critic, sample_real(held, 20000),
                                      sample_fake(held, 20000)))


def _normal(loc, scale):
    return lambda rng, n: rng.normal(loc, scale, size=(n, 1)).astype(np.float32)


def test_critic_estimates_w1_of_shifted_gaussians():
    # W1(N(0,1), N(mu,1)) = |mu| (a translation); closed form, not from the code.
    estimate = _train_w1(_normal(0.0, 1.0), _normal(1.5, 1.0), steps=400)
    assert estimate == pytest.approx(1.5, rel=0.1)


def test_critic_estimates_w1_of_gaussians_with_different_scales():
    # In 1-D, W1 = int |F^-1 - G^-1| = E|Z| |s1 - s2| = sqrt(2/pi) for N(0,1) vs N(0,4).
    estimate = _train_w1(_normal(0.0, 1.0), _normal(0.0, 2.0), steps=600)
    assert estimate == pytest.approx(np.sqrt(2 / np.pi), rel=0.15)


def test_untrained_critic_does_not_estimate_w1():
    # The estimate comes from training: an untrained critic is far from |mu| = 3.
    critic = build_critic((1,), hidden_units=(64, 64), seed=0)
    rng = np.random.default_rng(0)
    est = float(wasserstein_estimate(critic, _normal(0, 1)(rng, 5000), _normal(3, 1)(rng, 5000)))
    assert abs(est - 3.0) > 0.5


@pytest.mark.parametrize("norm,expected", [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_gradient_penalty_of_linear_critics(norm, expected):
    # f(x) = w.x has grad w everywhere: penalty = (||w|| - 1)^2 exactly.
    direction = np.array([3.0, -4.0, 0.0, 12.0]) / 13.0
    critic = _linear_critic(norm * direction, bias=0.3)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(32, 4)).astype(np.float32)
    fake = rng.normal(2.0, 3.0, size=(32, 4)).astype(np.float32)
    gp = float(gradient_penalty(critic, real, fake, seed=tf.constant([1, 2])))
    assert gp == pytest.approx(expected, abs=1e-5)


def test_wgan_losses_by_hand():
    critic = _linear_critic([2.0, 0.0], bias=1.0)  # ||w|| = 2: penalty 1 everywhere
    real = np.array([[1.0, 5.0], [3.0, -1.0]], np.float32)   # scores 3, 7
    fake = np.array([[0.0, 0.0], [-2.0, 9.0]], np.float32)   # scores 1, -3
    assert float(wgan_gp_critic_loss(critic, real, fake, gp_weight=10.0,
                                     seed=tf.constant([0, 0]))) == pytest.approx(-1 - 5 + 10)
    assert float(wgan_gp_critic_loss(critic, real, fake, gp_weight=0.0)) == pytest.approx(-6)
    assert float(wgan_generator_loss(critic, fake)) == pytest.approx(1.0)
    assert float(wasserstein_estimate(critic, real, fake)) == pytest.approx(6.0)


def test_hinge_losses_by_hand():
    critic = _linear_critic([1.0], bias=0.0)
    real = np.array([[0.5], [2.0]], np.float32)
    fake = np.array([[-0.5], [0.25]], np.float32)
    # mean relu(1 - [0.5, 2]) = 0.25; mean relu(1 + [-0.5, 0.25]) = (0.5 + 1.25) / 2
    assert float(hinge_critic_loss(critic, real, fake)) == pytest.approx(0.25 + 0.875)
    assert float(hinge_generator_loss(critic, fake)) == pytest.approx(0.125)


def test_build_critic_shapes_and_validation():
    for kind in ("mlp", "conv"):
        critic = build_critic((8, 8, 1), hidden_units=(16,), kind=kind)
        assert critic(tf.zeros([3, 8, 8, 1])).shape == (3,)
        assert not any("batch_norm" in layer.name for layer in critic.layers)
    with pytest.raises(ValueError, match="image_shape"):
        build_critic((0, 8))
    with pytest.raises(ValueError, match="conv"):
        build_critic((64,), kind="conv")
    with pytest.raises(ValueError, match="kind"):
        build_critic((8, 8, 1), kind="resnet")
    with pytest.raises(ValueError, match="gp_weight"):
        wgan_gp_critic_loss(_linear_critic([1.0]), np.zeros((2, 1)), np.zeros((2, 1)), -1.0)
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(_linear_critic([1.0]), np.zeros((2, 1)), np.zeros((2, 2)))


def test_critic_is_seeded():
    a = build_critic((8, 8, 1), seed=3)(tf.ones([2, 8, 8, 1]))
    b = build_critic((8, 8, 1), seed=3)(tf.ones([2, 8, 8, 1]))
    c = build_critic((8, 8, 1), seed=4)(tf.ones([2, 8, 8, 1]))
    np.testing.assert_allclose(a, b)
    assert not np.allclose(a, c)


def test_fit_w1_critic_on_a_2d_shift():
    # W1 of a translation is the length of the shift: |(0.6, 0.8)| = 1.
    rng = np.random.default_rng(0)
    shift = np.array([0.6, 0.8], np.float32)
    real, real_test = rng.normal(size=(2, 4000, 2)).astype(np.float32)
    fake, fake_test = rng.normal(size=(2, 4000, 2)).astype(np.float32) + shift
    _, w1 = fit_w1_critic(real, fake, real_test, fake_test, steps=300, hidden_units=(64, 64))
    assert w1 == pytest.approx(1.0, rel=0.15)
    with pytest.raises(ValueError, match="both"):
        fit_w1_critic(real, fake, real_test=real_test)
