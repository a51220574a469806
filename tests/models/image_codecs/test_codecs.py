import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.models.codecs import FactorizedPriorCodec, ScaleHyperpriorCodec, make_codec
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip

from .conftest import TINY, smooth_images


@pytest.mark.parametrize("kwargs, match", [
    ({"channels": 2}, "channels"),
    ({"distortion": "l1"}, "distortion"),
    ({"lambda_d": -1.0}, "lambda_d"),
    ({"stages": 0}, "stages"),
    ({"critic_steps": 0}, "critic_steps"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FactorizedPriorCodec(**kwargs)


def test_make_codec_names_the_kinds():
    assert isinstance(make_codec("hyperprior", channels=1), ScaleHyperpriorCodec)
    with pytest.raises(ValueError, match="factorized"):
        make_codec("jpeg")


@pytest.mark.parametrize("fixture", ["factorized", "hyperprior"])
def test_training_lowers_the_loss_and_reports_metrics(fixture, request):
    model, history = request.getfixturevalue(fixture)
    loss = history.history["loss"]
    assert loss[-1] < 0.8 * loss[0]
    assert set(history.history) >= {"loss", "bpp", "mse", "psnr"}
    # psnr is the per-example mean of 10 log10(1 / mse): Jensen puts it above the psnr of
    # the mean mse
    assert history.history["psnr"][-1] >= 10 * np.log10(1 / history.history["mse"][-1]) - 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["factorized", "hyperprior"])
def test_evaluate_rate_is_the_estimated_bits(fixture, request, images):
    model, _ = request.getfixturevalue(fixture)
    result = model.evaluate(images[:16], batch_size=16, verbose=0, return_dict=True)
    bits = model.estimated_bits(images[:16]).numpy()
    np.testing.assert_allclose(result["bpp"], bits.mean() / (16 * 16), rtol=1e-3)
    reconstruction = model.predict(images[:16], batch_size=16, verbose=0)
    mse = np.mean((reconstruction - images[:16]) ** 2)
    np.testing.assert_allclose(result["mse"], mse, rtol=1e-3)


def test_any_image_size_is_padded_and_cropped(factorized):
    model, _ = factorized
    x = smooth_images(2, size=16)[:, :13, :11]
    out = model(tf.constant(x))
    assert out.shape == (2, 13, 11, 1)
    assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 1.0


def test_wrong_inputs_raise(factorized):
    model, _ = factorized
    with pytest.raises(ValueError, match="1\\]"):
        model.predict(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="255"):
        model.evaluate(np.full((2, 8, 8, 1), 200.0, np.float32))


def test_serialization_round_trip(factorized, images, tmp_path):
    model, _ = factorized
    restored = keras_roundtrip(model, tmp_path / "codec")
    assert isinstance(restored, FactorizedPriorCodec)
    assert restored.get_config() == model.get_config()
    assert_same_weights(model, restored)
    np.testing.assert_allclose(restored(images[:4]), model(images[:4]), atol=1e-6)
    assert restored.model_id() == model.model_id()


@pytest.mark.slow
def test_hyperprior_serialization_round_trip(hyperprior, images, tmp_path):
    model, _ = hyperprior
    restored = keras_roundtrip(model, tmp_path / "codec")
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored(images[:4]), model(images[:4]), atol=1e-6)


def _one_step(kind, jit, images, reference):
    model = make_codec(kind, **TINY, **({"hyper_filters": 4, "hyper_stages": 1}
                                        if kind == "hyperprior" else {}))
    model.build([None, 16, 16, 1])
    model.set_weights(reference.get_weights())
    model.compile(keras.optimizers.SGD(0.05), jit_compile=jit)
    step = tf.function(model.train_step, jit_compile=jit)
    with fixed_noise():
        logs = step(tf.constant(images[:8]))
    return model, float(logs["loss"])


@pytest.mark.slow  # XLA compilation alone takes ~30 s on the shared 2-core CPU
@pytest.mark.parametrize("kind", ["factorized", "hyperprior"])
def test_jit_and_plain_steps_agree(kind, images):
    reference = make_codec(kind, **TINY, **({"hyper_filters": 4, "hyper_stages": 1}
                                            if kind == "hyperprior" else {}))
    reference.build([None, 16, 16, 1])
    plain, plain_loss = _one_step(kind, False, images, reference)
    jit, jit_loss = _one_step(kind, True, images, reference)
    np.testing.assert_allclose(jit_loss, plain_loss, rtol=1e-4)
    moved = 0
    for a, b, r in zip(plain.trainable_weights, jit.trainable_weights,
                       reference.trainable_weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-5, err_msg=a.name)
        moved += int(not np.array_equal(a.numpy(), r.numpy()))
    assert moved > len(plain.trainable_weights) // 2  # the step really updated the weights


def test_noise_follows_the_seed(images):
    def loss(seed):
        tf.random.set_seed(0)
        model = FactorizedPriorCodec(**{**TINY, "seed": seed})
        model.build([None, 16, 16, 1])
        model.set_weights(reference.get_weights())
        model.compile("sgd")
        return model.train_step(tf.constant(images[:4]))["loss"].numpy()
    reference = FactorizedPriorCodec(**TINY)
    reference.build([None, 16, 16, 1])
    assert loss(1) == loss(1)
    assert loss(1) != loss(2)


@pytest.mark.slow
def test_ms_ssim_distortion_trains(images):
    model = FactorizedPriorCodec(**{**TINY, "distortion": "ms-ssim", "lambda_d": 10.0})
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    history = model.fit(images[:16], epochs=1, batch_size=16, verbose=0)
    assert 0.0 < history.history["ms_ssim"][0] <= 1.0
    assert np.isfinite(history.history["loss"][0])


def _tiny_classifier():
    classifier = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(3)])
    classifier.build([None, 16, 16, 1])
    return classifier


@pytest.mark.slow
def test_perception_and_classification_terms(images):
    """lambda_p trains a critic alternately (own optimizer); lambda_c adds the frozen
    classifier's cross-entropy; the loss is the sum of the weighted terms."""
    classifier = _tiny_classifier()
    frozen = [w.numpy().copy() for w in classifier.weights]
    model = FactorizedPriorCodec(**{**TINY, "lambda_p": 0.5, "lambda_c": 2.0},
                                 classifier=classifier)
    labels = np.arange(8) % 3
    model.build([None, 16, 16, 1])
    critic_before = [w.numpy().copy() for w in model.critic.trainable_weights]
    assert not {id(v) for v in model.critic.trainable_variables} & \
        {id(v) for v in model.codec_variables}
    assert not {id(v) for v in classifier.weights} & {id(v) for v in model.codec_variables}
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    logs = model.fit(images[:8], labels, epochs=1, batch_size=8, verbose=0).history
    assert {"perception_w1", "critic_loss", "ce_nats", "accuracy"} <= set(logs)
    for before, after in zip(frozen, classifier.weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert any(not np.array_equal(b, a.numpy())
               for b, a in zip(critic_before, model.critic.trainable_weights))
    with pytest.raises(ValueError, match="labels"):
        model.fit(images[:8], epochs=1, batch_size=8, verbose=0)


def test_classification_term_enters_the_loss(images):
    classifier = _tiny_classifier()
    model = FactorizedPriorCodec(**{**TINY, "lambda_c": 3.0}, classifier=classifier)
    model.compile(keras.optimizers.SGD(0.0), jit_compile=False)
    logs = model.fit(images[:8], np.zeros(8), epochs=1, batch_size=8, verbose=0).history
    expected = logs["bpp"][0] + TINY["lambda_d"] * logs["mse"][0] + 3.0 * logs["ce_nats"][0]
    np.testing.assert_allclose(logs["loss"][0], expected, rtol=1e-4)
    config = model.get_config()
    assert config["classifier"]["class_name"] == "Sequential"
    with pytest.raises(ValueError, match="classifier"):
        FactorizedPriorCodec(lambda_c=1.0)
