import math

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.layers import BernoulliBottleneck, RelaxedCategoricalBottleneck
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip


def _features(n=8, d=5, seed=0):
    return tf.constant(np.random.default_rng(seed).normal(size=(n, d)) * 2, tf.float32)


def test_bernoulli_rate_is_the_closed_form_kl():
    layer = BernoulliBottleneck(6, prior_probability=0.3, seed=1)
    x = _features()
    code, rate = layer(x)
    q = tf.sigmoid(layer.logits(x)).numpy().astype(np.float64)
    p = 0.3
    expected = np.sum(q * np.log(q / p) + (1 - q) * np.log((1 - q) / (1 - p)), axis=-1)
    np.testing.assert_allclose(rate.numpy(), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(code.numpy(), (q > 0.5).astype(np.float32))


def test_bernoulli_training_codes_are_bits_with_gradients_and_right_frequencies():
    layer = BernoulliBottleneck(3, temperature=0.5, straight_through=True, seed=2)
    x = tf.tile(_features(1, 4), [20000, 1])
    with tf.GradientTape() as tape:
        code, _ = layer(x, training=True)
        total = tf.reduce_sum(code * tf.constant([1.0, 2.0, 3.0]))
    values = code.numpy()
    assert set(np.unique(values)) <= {0.0, 1.0}
    grads = tape.gradient(total, layer.trainable_variables)
    assert all(np.any(g.numpy() != 0) for g in grads)
    # Rounding a binary-concrete sample at any temperature gives an exact Bernoulli(q) draw.
    q = tf.sigmoid(layer.logits(x[:1])).numpy()[0]
    np.testing.assert_allclose(values.mean(0), q, atol=4 * 0.5 / math.sqrt(20000))


def test_categorical_rate_is_log_k_minus_entropy_and_bounded():
    layer = RelaxedCategoricalBottleneck(num_variables=3, num_categories=4, seed=3)
    x = _features()
    code, rate = layer(x)
    logits = tf.reshape(layer.logits(x), [-1, 3, 4]).numpy().astype(np.float64)
    pi = np.exp(logits - logits.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    expected = np.sum(math.log(4) + np.sum(pi * np.log(pi), -1), -1)
    np.testing.assert_allclose(rate.numpy(), expected, rtol=1e-4, atol=1e-6)
    assert np.all(rate.numpy() <= layer.max_rate_nats + 1e-6)
    onehots = code.numpy().reshape(-1, 3, 4)
    np.testing.assert_array_equal(onehots.sum(-1), 1.0)
    np.testing.assert_array_equal(onehots.argmax(-1), logits.argmax(-1))


def test_gumbel_softmax_argmax_follows_the_categorical():
    layer = RelaxedCategoricalBottleneck(1, 3, temperature=1.0, seed=4)
    x = tf.tile(_features(1, 4, seed=5), [30000, 1])
    code, _ = layer(x, training=True)
    freq = np.bincount(code.numpy().argmax(-1), minlength=3) / 30000
    pi = tf.nn.softmax(layer.logits(x[:1])).numpy()[0]
    np.testing.assert_allclose(freq, pi, atol=0.015)


@pytest.mark.parametrize("layer_fn", [
    lambda: BernoulliBottleneck(4, seed=6),
    lambda: RelaxedCategoricalBottleneck(2, 3, straight_through=True, seed=7)])
def test_jit_agrees_and_round_trip(tmp_path, layer_fn):
    layer = layer_fn()
    x = _features()
    layer(x)
    with fixed_noise():
        a = tf.function(lambda v: layer(v, training=True), jit_compile=False)(x)
        b = tf.function(lambda v: layer(v, training=True), jit_compile=True)(x)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-5, atol=1e-5)
    inputs = keras.Input([5])
    model = keras.Model(inputs, list(layer_fn()(inputs)))
    restored = keras_roundtrip(model, tmp_path / "m")
    assert_same_weights(model, restored)
    for u, v in zip(model.predict(x, verbose=0), restored.predict(x, verbose=0)):
        np.testing.assert_allclose(u, v, rtol=1e-6)


def test_bad_discrete_arguments():
    with pytest.raises(ValueError, match="temperature"):
        BernoulliBottleneck(3, temperature=0.0)
    with pytest.raises(ValueError, match="prior_probability"):
        BernoulliBottleneck(3, prior_probability=1.0)
    with pytest.raises(ValueError, match="num_categories"):
        RelaxedCategoricalBottleneck(2, 1)
    with pytest.raises(ValueError, match="inference"):
        BernoulliBottleneck(3, inference="mean")
