"""The fixed-quantizer codec: quantizer laws, coding, objective signs, jit, round trip."""
from unittest import mock

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.losses import load_digits_split, pretrained_digits_classifier, wgan_gp_critic_loss
from ibtf.models.codecs import DitheredQuantizer, QuantizedCodec
from ibtf.testing import assert_same_weights, keras_roundtrip


def _pattern_uniform(self, shape, stream):
    """Deterministic stand-in for the codec's noise (XLA draws other numbers than plain TF)."""
    n = tf.reduce_prod(shape)
    index = tf.cast(tf.range(n), tf.float32) + tf.cast(stream, tf.float32) * 7.0
    values = tf.math.floormod(tf.sin(index * 12.9898 + 78.233) * 43758.5453, 1.0)
    return tf.reshape(0.02 + 0.96 * values, shape)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def _codec(**kwargs):
    args = dict(latent_dim=3, levels=4, hidden_units=(32,), critic_hidden_units=(32,), seed=1,
                critic_steps=1)
    args.update(kwargs)
    codec = QuantizedCodec(**args)
    codec.build()
    return codec


@pytest.mark.parametrize("levels", [2, 3, 5])
def test_codes_take_exactly_l_levels(levels):
    quantizer = DitheredQuantizer(levels, seed=3)
    z = quantizer.squash(tf.linspace(-6.0, 6.0, 400))[:, None] * tf.ones([1, 3])
    quantizer.build(z.shape)
    u0 = quantizer.test_dither.numpy()
    codes = quantizer.indices(z, u0).numpy()
    for j in range(3):
        assert sorted(np.unique(codes[:, j])) == list(range(levels))
    zhat = quantizer(z, training=False).numpy()
    centers = -1 + 2 / (levels - 1) * np.arange(levels)
    np.testing.assert_allclose(zhat, centers[codes] - u0, atol=1e-6)
    for j in range(3):
        assert len(np.unique(np.round(zhat[:, j], 5))) == levels
    assert np.abs(zhat - z.numpy()).max() <= 1 / (levels - 1) + 1e-6  # |error| <= delta / 2


def test_dithered_error_is_uniform_and_independent_of_the_input():
    # Subtractive dither (Schuchman 1964): zhat - z ~ U(-delta/2, delta/2) for every z,
    # so mean 0 and variance delta^2 / 12, whatever the position of z inside its bin.
    levels, n = 4, 20000
    delta = 2 / (levels - 1)
    quantizer = DitheredQuantizer(levels)
    rng = np.random.default_rng(0)
    for value in (-0.61, 0.0, 0.2, 0.5):
        z = tf.fill([n, 1], value)
        zhat = quantizer(z, training=True, noise=tf.constant(rng.uniform(size=(n, 1)),
                                                             tf.float32))
        err = zhat.numpy() - value
        assert abs(err.mean()) < 0.01
        assert err.var() == pytest.approx(delta**2 / 12, rel=0.05)
        assert np.abs(err).max() <= delta / 2 + 1e-6


@pytest.mark.parametrize("mode", ["straight_through", "noise"])
def test_training_quantizer_passes_identity_gradients(mode):
    quantizer = DitheredQuantizer(3, training_mode=mode)
    z = tf.constant([[0.1, -0.4], [0.3, 0.0]])
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = quantizer(z, training=True, noise=tf.fill([2, 2], 0.3))
        weighted = tf.reduce_sum(out * [[1.0, 2.0]])
    np.testing.assert_allclose(tape.gradient(weighted, z), [[1.0, 2.0], [1.0, 2.0]])
    if mode == "straight_through":  # values on the dithered grid: (c_k - u)
        u = (0.3 - 0.5) * 1.0
        np.testing.assert_allclose(np.round((out.numpy() + u + 1) / 1.0),
                                   (out.numpy() + u + 1) / 1.0, atol=1e-6)


def test_compress_decompress_is_deterministic_and_matches_call(digits):
    x, _, x_test, _ = digits
    codec = _codec(latent_dim=4, levels=3)
    codes = codec.compress(x_test[:50])
    assert codes.dtype == tf.int32 and codes.shape == (50, 4)
    assert codes.numpy().min() >= 0 and codes.numpy().max() <= 2
    first, second = codec.decompress(codes).numpy(), codec.decompress(codes).numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, codec(x_test[:50], training=False).numpy(), atol=1e-6)
    assert codec.rate_bits == pytest.approx(4 * np.log2(3))
    assert codec.rate_nats == pytest.approx(4 * np.log(3))
    assert codec.bpp == pytest.approx(4 * np.log2(3) / 64)


def test_classifier_frozen_critic_and_codec_updated(digits):
    x, y, _, _ = digits
    clf = pretrained_digits_classifier()
    codec = _codec(lambda_p=0.1, lambda_c=1.0, classifier=clf, critic_steps=1)
    codec.compile(keras.optimizers.Adam(1e-2))
    clf_before = [w.copy() for w in clf.get_weights()]
    critic_before = [w.copy() for w in codec.critic.get_weights()]
    codec_before = [v.numpy().copy() for v in codec.codec_variables]
    logs = codec.train_on_batch(x[:64], y[:64], return_dict=True)
    assert {"distortion_mse", "perception_w1", "critic_loss", "classification_nats",
            "classification_accuracy"} <= set(logs)
    for a, b in zip(clf_before, clf.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(critic_before, codec.critic.get_weights()))
    assert all(not np.allclose(a, v.numpy()) for a, v in zip(codec_before,
                                                             codec.codec_variables))
    names = {v.name for v in codec.codec_variables}
    assert not names & {v.name for v in clf.weights + codec.critic.weights}


def test_perception_step_raises_critic_scores_of_reconstructions(digits):
    # The codec's train_step with only the perception term must move reconstructions towards
    # higher critic scores (a lower W1 estimate under a fixed critic); a sign error in the
    # objective would lower them. critic_learning_rate=0 keeps the critic fixed in the step.
    x, _, _, _ = digits
    codec = _codec(lambda_d=0.0, lambda_p=1.0, critic_learning_rate=0.0)
    batch = tf.constant(x[:128])
    opt = keras.optimizers.Adam(1e-3)
    for s in range(30):  # give the critic some shape first, with its own optimizer
        with tf.GradientTape() as tape:
            loss = wgan_gp_critic_loss(codec.critic, batch, codec(batch), seed=tf.constant([s, 0]))
        opt.apply_gradients(zip(tape.gradient(loss, codec.critic.trainable_variables),
                                codec.critic.trainable_variables))
    critic_before = [w.copy() for w in codec.critic.get_weights()]
    before = float(tf.reduce_mean(codec.critic(codec(batch))))
    codec.compile(keras.optimizers.SGD(0.05))
    for _ in range(5):
        codec.train_on_batch(batch)
    for a, b in zip(critic_before, codec.critic.get_weights()):
        np.testing.assert_allclose(a, b)
    assert float(tf.reduce_mean(codec.critic(codec(batch)))) > before + 1e-3


def test_jit_and_plain_train_steps_agree(digits):
    x, y, _, _ = digits
    clf = pretrained_digits_classifier()
    models = []
    for jit in (False, True):
        codec = _codec(lambda_p=0.5, lambda_c=0.5, classifier=clf, critic_steps=1)
        if models:
            codec.set_weights(models[0].get_weights())
        codec.compile(keras.optimizers.SGD(0.05), jit_compile=jit)
        models.append(codec)
    with mock.patch.object(QuantizedCodec, "uniform", _pattern_uniform):
        logs = [m.train_on_batch(x[:64], y[:64], return_dict=True) for m in models]
    for key in logs[0]:
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-4, atol=1e-5,
                                   err_msg=key)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_save_and_reload_round_trip(digits, tmp_path):
    x, y, x_test, y_test = digits
    codec = _codec(lambda_c=0.5, classifier=pretrained_digits_classifier(),
                   training_mode="noise")
    codec.compile(keras.optimizers.Adam(1e-3))
    codec.fit(x[:128], y[:128], batch_size=64, epochs=1, verbose=0)
    restored = keras_roundtrip(codec, tmp_path / "codec")
    assert isinstance(restored, QuantizedCodec)
    assert_same_weights(codec, restored)
    config, restored_config = codec.get_config(), restored.get_config()
    # The loader restores sub-layers' trainable flags from its metadata; the classifier
    # itself stays frozen, which is what matters (checked below).
    assert config.pop("classifier")["config"]["name"] == \
        restored_config.pop("classifier")["config"]["name"]
    assert restored_config == config
    np.testing.assert_array_equal(codec.compress(x_test), restored.compress(x_test))
    np.testing.assert_allclose(codec(x_test).numpy(), restored(x_test).numpy(), rtol=1e-6)
    assert not restored.classifier.trainable and not restored.classifier.trainable_variables


def test_bad_input_raises_clear_errors(digits):
    x, y, _, _ = digits
    with pytest.raises(ValueError, match="needs a classifier"):
        QuantizedCodec(lambda_c=1.0)
    with pytest.raises(ValueError, match="levels"):
        QuantizedCodec(levels=1)
    with pytest.raises(ValueError, match="lambda_p"):
        QuantizedCodec(lambda_p=-1.0)
    with pytest.raises(ValueError, match="image_shape"):
        QuantizedCodec(image_shape=(8, 8))
    codec = _codec()
    codec.compile()
    with pytest.raises(ValueError, match="reshape"):
        codec.fit(x.reshape(-1, 64), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        codec.fit(x * 16, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="compress"):
        codec.decompress(np.zeros((2, 5), np.int32))
    with pytest.raises(TypeError, match="integer"):
        codec.decompress(np.zeros((2, 3), np.float32))


def test_low_rate_codec_learns_beyond_the_mean_image(digits):
    # Regression: at 2 latents x 4 levels an MSE-only codec once sent every latent to one
    # saturated corner and decoded the mean image (MSE = pixel variance, 1 code in use).
    x, _, x_test, _ = digits
    codec = _codec(latent_dim=2, levels=4, hidden_units=(64,), critic_steps=1)
    codec.compile(keras.optimizers.Adam(2e-3))
    codec.fit(x, epochs=6, batch_size=64, verbose=0)
    mean_image_mse = float(np.mean((x_test - x.mean(0)) ** 2))
    mse = float(np.mean((codec(x_test).numpy() - x_test) ** 2))
    assert mse < 0.85 * mean_image_mse
    assert len(np.unique(codec.compress(x_test).numpy(), axis=0)) >= 8
