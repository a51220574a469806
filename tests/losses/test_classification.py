"""Classification loss by hand; the pretrained digits classifier: accurate and frozen."""
import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.losses import classification_nats, load_digits_split, pretrained_digits_classifier


def test_classification_nats_is_minus_log_softmax_by_hand():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=3).astype(np.float32)
    classifier = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    classifier.layers[-1].set_weights([w, b])
    x = rng.normal(size=(5, 4)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    logits = x.astype(np.float64) @ w + b
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -log_softmax[np.arange(5), y]
    got = classification_nats(classifier, x, y).numpy()
    assert got.shape == (5,)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(classification_nats(classifier, x, y[:, None]), expected,
                               rtol=1e-5)


def test_classification_nats_rejects_non_logits():
    classifier = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1),
                                   keras.layers.Reshape(())])
    with pytest.raises(ValueError, match="logits"):
        classification_nats(classifier, np.zeros((2, 4), np.float32), [0, 1])


def test_digits_split():
    x_tr, y_tr, x_te, y_te = load_digits_split()
    assert x_tr.shape[1:] == (8, 8, 1) and x_tr.dtype == np.float32
    assert len(x_tr) + len(x_te) == 1797
    assert x_tr.min() >= 0.0 and x_tr.max() == 1.0
    assert set(np.unique(y_te)) == set(range(10))
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_split(test_fraction=1.5)


def test_pretrained_digits_classifier_accuracy_and_determinism():
    model, accuracy = pretrained_digits_classifier(seed=0, return_accuracy=True)
    assert accuracy >= 0.95
    assert not model.trainable and not model.trainable_variables
    again = pretrained_digits_classifier(seed=0)  # cached weights, a fresh model
    assert again is not model
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_classifier_stays_frozen_through_a_codec_step():
    classifier = pretrained_digits_classifier(seed=0)
    before = [w.copy() for w in classifier.get_weights()]

    class TinyCodec(keras.Model):
        def __init__(self):
            super().__init__()
            self.net = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(64),
                                         keras.layers.Reshape((8, 8, 1))])
            self.classifier = classifier

        def call(self, x):
            return self.net(x)

    codec = TinyCodec()
    x_tr, y_tr, _, _ = load_digits_split()
    x, y = tf.constant(x_tr[:32]), tf.constant(y_tr[:32])
    codec(x)
    codec_before = [w.numpy().copy() for w in codec.net.weights]
    assert len(codec.trainable_variables) == len(codec.net.trainable_variables)
    opt = keras.optimizers.Adam(1e-2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(classification_nats(codec.classifier, codec(x), y))
    grads = tape.gradient(loss, codec.trainable_variables)
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)
    opt.apply_gradients(zip(grads, codec.trainable_variables))
    for a, b in zip(before, classifier.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(codec_before, codec.net.weights))
