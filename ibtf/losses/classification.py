"""Classification losses: the cross-entropy of a frozen classifier on reconstructions.

Wang, Wu, Ma & Zhang 2024 ("Lossy compression with data, perception, and classification
constraints") constrain the classification loss ``H(S | Xhat)`` of a label ``S`` given the
reconstruction. A pretrained classifier ``q(s | xhat)`` that is kept frozen gives the
variational upper bound

    H(S | Xhat) <= E[-ln q(S | Xhat)]  (nats),

the cross-entropy term ``lambda_c * CE`` of their training loss. The classifier's weights are
never updated by the codec: it is built with ``trainable = False`` and always called with
``training=False``; gradients flow through it to the reconstruction only.

Also here: the scikit-learn digits split and a small pretrained digits classifier.
"""
import numpy as np

from ibtf._keras import keras, tf

__all__ = [
    "classification_nats",
    "load_digits_split",
    "pretrained_digits_classifier",
    "DIGITS_SHAPE",
]

DIGITS_SHAPE = (8, 8, 1)


def classification_nats(classifier, images, labels):
    """Per-example cross-entropy ``-ln softmax(classifier(images))[label]`` in nats, ``[batch]``.

    ``classifier`` maps images to logits ``[batch, classes]`` and is called with
    ``training=False`` (frozen: its weights must not be among the variables the caller
    optimizes; :func:`pretrained_digits_classifier` returns a model with ``trainable =
    False``). ``labels`` are integer class ids ``[batch]`` (or ``[batch, 1]``).
    """
    logits = classifier(images, training=False)
    if logits.shape.rank != 2:
        raise ValueError(f"the classifier returned shape {logits.shape}; it must return logits "
                         "[batch, classes] (no softmax)")
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                          logits=tf.cast(logits, tf.float32))


def load_digits_split(test_fraction=0.3, split_seed=0):
    """scikit-learn's 8x8 digits (1797 images, 10 classes) as a stratified train/test split.

    Pixels are scaled from 0..16 to [0, 1]; images have shape ``[N, 8, 8, 1]`` float32, labels
    int32. Returns ``(x_train, y_train, x_test, y_test)``.
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction={test_fraction!r} must lie in (0, 1), e.g. 0.3")
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:  # pragma: no cover - the data extra is missing
        raise ImportError("the digits data need scikit-learn: pip install 'ibtf[data]'") from None
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., None]
    y = digits.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=float(test_fraction),
                                              random_state=int(split_seed), stratify=y)
    return x_tr, y_tr, x_te, y_te


def _digits_cnn(seed, filters, hidden):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input(DIGITS_SHAPE),
        keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu",
                            kernel_initializer=init(seed)),
        keras.layers.Conv2D(filters[1], 3, strides=2, padding="same", activation="relu",
                            kernel_initializer=init(seed + 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(hidden, activation="relu", kernel_initializer=init(seed + 2)),
        keras.layers.Dense(10, kernel_initializer=init(seed + 3)),
    ], name="digits_classifier")


_TRAINED = {}  # (seed, epochs, ...) -> trained weights, so repeated calls train once


def pretrained_digits_classifier(seed=0, epochs=40, batch_size=64, learning_rate=2e-3,
                                 filters=(16, 32), hidden=64, test_fraction=0.3, split_seed=0,
                                 return_accuracy=False):
    """A small CNN trained on the digits train split; returns it frozen (logits out).

    Conv3x3(16) - Conv3x3/2(32) - Dense(64) - Dense(10), Adam, cross-entropy, ``epochs``
    passes over the train split of :func:`load_digits_split` in an order drawn from ``seed``.
    Deterministic for a seed (on one machine); the trained weights are cached per argument
    set, so later calls return a fresh model with the same weights without retraining.

    Args:
        seed: seeds the initial weights and the batch order.
        epochs, batch_size, learning_rate: the training run.
        filters, hidden: the architecture's widths.
        test_fraction, split_seed: the split (see :func:`load_digits_split`).
        return_accuracy: also return the test-split accuracy.

    Returns:
        The frozen ``keras.Model`` (``trainable = False``) mapping ``[B, 8, 8, 1]`` images in
        [0, 1] to logits ``[B, 10]``; with ``return_accuracy``, ``(model, test_accuracy)``.
    """
    if int(epochs) < 1 or int(batch_size) < 1:
        raise ValueError(f"epochs={epochs!r} and batch_size={batch_size!r} must be positive")
    key = (int(seed), int(epochs), int(batch_size), float(learning_rate), tuple(filters),
           int(hidden), float(test_fraction), int(split_seed))
    x_tr, y_tr, x_te, y_te = load_digits_split(test_fraction, split_seed)
    model = _digits_cnn(int(seed), tuple(int(f) for f in filters), int(hidden))
    if key in _TRAINED:
        model.set_weights(_TRAINED[key])
    else:
        optimizer = keras.optimizers.Adam(float(learning_rate))

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=logits))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                          model.trainable_variables))

        rng = np.random.default_rng(int(seed))
        n = len(x_tr) - len(x_tr) % int(batch_size)  # static batch shape: one trace
        for _ in range(int(epochs)):
            order = rng.permutation(len(x_tr))[:n].reshape(-1, int(batch_size))
            for idx in order:
                step(tf.constant(x_tr[idx]), tf.constant(y_tr[idx]))
        _TRAINED[key] = model.get_weights()
    model.trainable = False
    if not return_accuracy:
        return model
    logits = model(x_te, training=False).numpy()
    return model, float(np.mean(logits.argmax(-1) == y_te))
