import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.layers import GaussianBottleneck, MixturePrior
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip


def _diag_gaussian_kl(mq, sq, mp, sp):
    """KL(N(mq, sq^2) || N(mp, sp^2)) summed over the last axis (closed form)."""
    return np.sum(np.log(sp / sq) + (sq**2 + (mq - mp) ** 2) / (2 * sp**2) - 0.5, axis=-1)


def _posterior_params(layer, x):
    dist = layer.posterior(x).distribution
    return dist.loc.numpy().astype(np.float64), dist.scale.numpy().astype(np.float64)


def test_rate_is_the_closed_form_kl_to_the_standard_normal():
    layer = GaussianBottleneck(6, seed=3)
    x = tf.random.stateless_normal([32, 10], seed=[1, 2]) * 3.0
    code, rate = layer(x, training=False)
    loc, scale = _posterior_params(layer, x)
    expected = _diag_gaussian_kl(loc, scale, 0.0, 1.0)
    np.testing.assert_allclose(rate.numpy(), expected, rtol=1e-4)
    np.testing.assert_allclose(code.numpy(), loc, rtol=1e-6)  # inference="mean"


def test_training_code_is_a_reparameterized_sample_with_the_posterior_moments():
    layer = GaussianBottleneck(3, seed=5)
    x = tf.ones([1, 4])
    layer(x)
    loc, scale = _posterior_params(layer, x)
    codes = layer(tf.ones([4000, 4]), training=True)[0].numpy()
    np.testing.assert_allclose(codes.mean(0), loc[0], atol=float(4 * scale[0].max() / 60) + 1e-6)
    np.testing.assert_allclose(codes.std(0), scale[0], rtol=0.06)
    with tf.GradientTape() as tape:
        code, _ = layer(x, training=True)
        objective = tf.reduce_sum(code)
    grads = tape.gradient(objective, layer.trainable_variables)
    assert all(g is not None and np.any(g.numpy() != 0) for g in grads)


def test_inference_sample_mode_samples():
    layer = GaussianBottleneck(3, inference="sample", seed=1)
    x = tf.ones([2, 4])
    first = layer(x)[0].numpy()
    second = layer(x)[0].numpy()
    assert not np.allclose(first, second)


def test_mixture_prior_rate_is_an_unbiased_monte_carlo_kl():
    """A one-component mixture is a Gaussian: the Monte Carlo rate must average to its KL."""
    prior = MixturePrior(num_components=1, seed=0)
    layer = GaussianBottleneck(4, prior=prior, seed=7)
    x = tf.random.stateless_normal([8, 5], seed=[3, 4])
    layer(x)
    loc, scale = _posterior_params(layer, x)
    mp = prior.locs.numpy()[0].astype(np.float64)
    sp = (tf.nn.softplus(prior.raw_scales).numpy()[0] + 1e-5).astype(np.float64)
    expected = _diag_gaussian_kl(loc, scale, mp, sp)
    draws = 3000
    rates = layer(tf.tile(x, [draws, 1]), training=True)[1].numpy().reshape(draws, 8).mean(0)
    np.testing.assert_allclose(rates, expected, rtol=0.03, atol=0.03)


def test_scale_floor_keeps_the_rate_finite_for_extreme_features():
    layer = GaussianBottleneck(4, seed=0)
    for value in (1e6, -1e6, 0.0):
        code, rate = layer(tf.fill([2, 3], value), training=True)
        assert np.all(np.isfinite(code.numpy())) and np.all(np.isfinite(rate.numpy()))
        assert np.all(rate.numpy() >= -1e-4)


def test_rate_weight_adds_the_loss_and_tracks_rate_nats_in_a_sequential_model():
    layer = GaussianBottleneck(4, rate_weight=0.25, seed=2)
    model = keras.Sequential([keras.Input([5]), keras.layers.Dense(8), layer,
                              keras.layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(64, 5)).astype("float32")
    out = model(x, training=False)
    assert out.shape == (64, 1)
    loc = layer.posterior(model.layers[0](x)).distribution
    expected = np.mean(_diag_gaussian_kl(loc.loc.numpy(), loc.scale.numpy(), 0.0, 1.0))
    np.testing.assert_allclose(float(sum(model.losses)), 0.25 * expected, rtol=1e-4)
    model.compile("adam", "mse")
    history = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert "rate_nats" in history.history


def test_jit_and_plain_execution_agree():
    layer = GaussianBottleneck(5, prior="learned_gaussian", seed=11)
    x = tf.random.stateless_normal([16, 7], seed=[0, 1])
    layer(x)
    with fixed_noise():
        code_a, rate_a = tf.function(lambda v: layer(v, training=True), jit_compile=False)(x)
        code_b, rate_b = tf.function(lambda v: layer(v, training=True), jit_compile=True)(x)
    assert np.std(code_a.numpy() - layer(x)[0].numpy()) > 0.1  # the codes are noisy samples
    np.testing.assert_allclose(code_a.numpy(), code_b.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rate_a.numpy(), rate_b.numpy(), rtol=1e-5, atol=1e-5)


def test_log_variance_parameterization_reads_the_raw_output_as_ln_sigma_squared():
    layer = GaussianBottleneck(4, scale_param="log_variance", min_scale=1e-4, seed=2)
    x = tf.random.stateless_normal([8, 5], seed=[3, 4]) * 2.0
    _, rate = layer(x, training=False)
    loc, scale = _posterior_params(layer, x)
    raw = layer.params(x).numpy()[:, 4:].astype(np.float64)
    np.testing.assert_allclose(scale, np.exp(raw / 2) + 1e-4, rtol=1e-5)
    np.testing.assert_allclose(loc, layer.params(x).numpy()[:, :4], rtol=1e-6)
    np.testing.assert_allclose(rate.numpy(), _diag_gaussian_kl(loc, scale, 0.0, 1.0), rtol=1e-4)
    assert GaussianBottleneck.from_config(layer.get_config()).scale_param == "log_variance"
    with pytest.raises(ValueError, match="scale_param"):
        GaussianBottleneck(4, scale_param="exp")


def test_softmax_parameterization_gives_scales_summing_to_the_code_size():
    # Shi et al.'s MMVAE and MultiVae's "laplace_with_softmax": sigma = d softmax(raw) + floor
    layer = GaussianBottleneck(4, scale_param="softmax", min_scale=1e-4, seed=2)
    x = tf.random.stateless_normal([8, 5], seed=[3, 4]) * 2.0
    layer(x)
    _, scale = _posterior_params(layer, x)
    raw = layer.params(x).numpy()[:, 4:].astype(np.float64)
    softmax = np.exp(raw) / np.exp(raw).sum(-1, keepdims=True)
    np.testing.assert_allclose(scale, 4 * softmax + 1e-4, rtol=1e-5)
    np.testing.assert_allclose(scale.sum(-1), 4 + 4e-4, rtol=1e-5)
    assert GaussianBottleneck.from_config(layer.get_config()).scale_param == "softmax"


@pytest.mark.parametrize("prior", ["standard_normal", "learned_gaussian", "mixture"])
def test_save_and_reload_round_trip(tmp_path, prior):
    inputs = keras.Input([6])
    code, rate = GaussianBottleneck(3, prior=prior, scale_shift=-1.0, seed=4)(inputs)
    model = keras.Model(inputs, [code, rate])
    x = np.random.default_rng(1).normal(size=(10, 6)).astype("float32")
    restored = keras_roundtrip(model, tmp_path / "m")
    assert_same_weights(model, restored)
    layer = restored.layers[1]
    assert isinstance(layer, GaussianBottleneck)
    assert layer.get_config() == model.layers[1].get_config()
    if prior != "mixture":  # the mixture rate is a Monte Carlo draw
        for a, b in zip(model.predict(x, verbose=0), restored.predict(x, verbose=0)):
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="units"):
        GaussianBottleneck(0)
    with pytest.raises(ValueError, match="prior='gamma'.*standard_normal"):
        GaussianBottleneck(3, prior="gamma")
    with pytest.raises(ValueError, match="inference"):
        GaussianBottleneck(3, inference="median")
    with pytest.raises(ValueError, match="rate_weight"):
        GaussianBottleneck(3, rate_weight=-1.0)
    with pytest.raises(ValueError, match="last dimension"):
        GaussianBottleneck(3)(keras.Input([None]))
    with pytest.raises(ValueError, match="context"):
        GaussianBottleneck(3, prior="conditional")(tf.zeros([2, 3]))
