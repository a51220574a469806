"""Perception losses: a critic and the Wasserstein-GAN (gradient penalty) and hinge objectives.

The perception term of the rate-distortion-perception(-classification) problem is a
divergence between the source law p_X and the reconstruction law p_Xhat (Blau & Michaeli 2019;
Wang, Wu, Ma & Zhang 2024, "Lossy compression with data, perception, and classification
constraints", who measure it with the Wasserstein-1 distance estimated by a WGAN-GP critic).
By Kantorovich-Rubinstein duality

    W1(p_X, p_Xhat) = sup_{||f||_L <= 1}  E_{p_X} f(X) - E_{p_Xhat} f(Xhat),

and WGAN-GP (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3) relaxes
the Lipschitz constraint to a penalty on the critic's gradient norm at random interpolates.
Every function returns a scalar: a per-example mean over the batch.
"""
import numpy as np

from ibtf._keras import keras, tf

__all__ = [
    "build_critic",
    "critic_scores",
    "fit_w1_critic",
    "wasserstein_estimate",
    "gradient_penalty",
    "wgan_gp_critic_loss",
    "wgan_generator_loss",
    "hinge_critic_loss",
    "hinge_generator_loss",
]


def _check_units(hidden_units):
    try:
        units = tuple(int(u) for u in hidden_units)
    except (TypeError, ValueError):
        raise TypeError(f"hidden_units={hidden_units!r} must be a sequence of positive "
                        "integers, e.g. (128, 128)") from None
    if not units or min(units) < 1:
        raise ValueError(f"hidden_units={hidden_units!r} must hold at least one positive "
                         "integer, e.g. (128, 128)")
    return units


def build_critic(image_shape, hidden_units=(128, 128), kind="mlp", filters=(32, 64),
                 negative_slope=0.2, seed=0, name="critic"):
    """A critic f: image -> one real score per image (shape ``[batch]``), for WGAN-GP.

    No batch normalization: the gradient penalty is taken per example, and batch statistics
    would couple the examples of a batch (Gulrajani et al. 2017, sec. 4). Leaky-ReLU hidden
    layers, a linear output.

    Args:
        image_shape: shape of one image, e.g. ``(8, 8, 1)`` (or any feature shape for "mlp").
        hidden_units: widths of the dense hidden layers.
        kind: ``"mlp"`` (flatten, dense layers) or ``"conv"`` (stride-2 3x3 convolutions with
            ``filters`` channels, then the dense layers); "conv" needs ``[H, W, C]`` images.
        filters: channels of the convolutions of a "conv" critic.
        negative_slope: slope of the leaky ReLU below zero.
        seed: seeds the initial weights.
        name: the model's name.

    Returns:
        A ``keras.Model`` mapping ``[batch, *image_shape]`` to scores ``[batch]``.

    >>> critic = build_critic((8, 8, 1), hidden_units=(32,))
    >>> critic(tf.zeros([4, 8, 8, 1])).shape
    TensorShape([4])
    """
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise TypeError(f"image_shape={image_shape!r} must be a tuple of positive integers, "
                        "e.g. (8, 8, 1)") from None
    if not shape or min(shape) < 1:
        raise ValueError(f"image_shape={image_shape!r} must be a non-empty tuple of positive "
                         "integers, e.g. (8, 8, 1)")
    if kind not in ("mlp", "conv"):
        raise ValueError(f"kind={kind!r} must be 'mlp' or 'conv'")
    if kind == "conv" and len(shape) != 3:
        raise ValueError(f"a 'conv' critic needs image_shape [height, width, channels], got "
                         f"{shape}; use kind='mlp' for flat features")
    units = _check_units(hidden_units)
    seed = int(seed)
    init = keras.initializers.GlorotUniform

    inputs = keras.Input(shape)
    h = inputs
    if kind == "conv":
        for i, f in enumerate(_check_units(filters)):
            h = keras.layers.Conv2D(f, 3, strides=2, padding="same",
                                    kernel_initializer=init(seed + 100 + i))(h)
            h = keras.layers.LeakyReLU(negative_slope)(h)
    h = keras.layers.Flatten()(h)
    for i, u in enumerate(units):
        h = keras.layers.Dense(u, kernel_initializer=init(seed + i))(h)
        h = keras.layers.LeakyReLU(negative_slope)(h)
    h = keras.layers.Dense(1, kernel_initializer=init(seed + 99))(h)
    outputs = keras.layers.Reshape(())(h)
    return keras.Model(inputs, outputs, name=name)


def critic_scores(critic, images, training=True):
    """The critic's scores as a ``[batch]`` float32 vector (a trailing axis of 1 is dropped)."""
    scores = critic(images, training=training)
    if scores.shape.rank == 2 and scores.shape[-1] == 1:
        scores = tf.squeeze(scores, axis=-1)
    if scores.shape.rank != 1:
        raise ValueError(f"the critic returned scores of shape {scores.shape}; a critic must "
                         "return one score per image, shape [batch] or [batch, 1]")
    return tf.cast(scores, tf.float32)


def wasserstein_estimate(critic, real, fake):
    """The dual estimate ``mean f(real) - mean f(fake)`` of W1(p_real, p_fake).

    A lower bound on W1 for a 1-Lipschitz ``f``; for a critic trained with WGAN-GP it is the
    usual W1 estimate (Gulrajani et al. 2017, sec. 5.3).
    """
    return (tf.reduce_mean(critic_scores(critic, real, training=False))
            - tf.reduce_mean(critic_scores(critic, fake, training=False)))


def _interpolation_weights(batch, rank, seed):
    shape = tf.concat([[batch], tf.ones([rank - 1], tf.int32)], axis=0)
    if seed is None:
        return tf.random.uniform(shape)
    return tf.random.stateless_uniform(shape, seed=tf.cast(seed, tf.int32))


def gradient_penalty(critic, real, fake, seed=None, epsilon=None):
    """WGAN-GP penalty ``E_{x~} (||grad_x f(x~)||_2 - 1)^2`` at random interpolates.

    ``x~ = eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per example (Gulrajani et
    al. 2017, Algorithm 1). ``seed``: ``None`` (stateful random op) or a shape-[2] integer
    tensor for ``tf.random.stateless_uniform`` (deterministic, for tests and seeded models).
    ``epsilon``: the interpolation weights ``[batch]`` themselves, overriding ``seed`` (a
    model that draws its own noise passes them).
    """
    real = tf.convert_to_tensor(real, tf.float32)
    fake = tf.convert_to_tensor(fake, tf.float32)
    if real.shape.rank is not None and fake.shape.rank is not None and \
            real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real has shape {real.shape} and fake {fake.shape}: the critic "
                         "compares examples of one shape; pass images of the same shape")
    if epsilon is None:
        eps = _interpolation_weights(tf.shape(real)[0], len(real.shape), seed)
    else:
        eps = tf.reshape(tf.cast(epsilon, tf.float32), [-1] + [1] * (len(real.shape) - 1))
    mixed = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic_scores(critic, mixed, training=True)
    grads = tape.gradient(scores, mixed)
    axes = list(range(1, len(mixed.shape)))
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def wgan_gp_critic_loss(critic, real, fake, gp_weight=10.0, seed=None, epsilon=None):
    """The critic's WGAN-GP loss (minimized by the critic):

        L_critic = mean_i f(fake_i) - mean_i f(real_i) + gp_weight * gradient_penalty,

    Gulrajani et al. 2017, eq. 3. At the optimum ``-(mean f(fake) - mean f(real))`` estimates
    W1(p_real, p_fake). ``fake`` should be passed through ``tf.stop_gradient`` by the caller
    when only the critic is updated. ``seed``/``epsilon``: see :func:`gradient_penalty`.
    """
    static_weight = gp_weight if isinstance(gp_weight, (int, float)) else None
    if static_weight is not None and static_weight < 0:
        raise ValueError(f"gp_weight={gp_weight!r} must be >= 0 (Gulrajani et al. use 10)")
    real_scores = critic_scores(critic, real, training=True)
    fake_scores = critic_scores(critic, fake, training=True)
    loss = tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)
    if static_weight == 0:
        return loss
    return loss + gp_weight * gradient_penalty(critic, real, fake, seed=seed,
                                                 epsilon=epsilon)


def wgan_generator_loss(critic, fake):
    """The generator's (codec's) WGAN loss ``-mean_i f(fake_i)``: minimizing it moves the
    reconstructions towards higher critic scores, i.e. lowers the W1 estimate (the real
    scores do not depend on the generator)."""
    return -tf.reduce_mean(critic_scores(critic, fake, training=False))


def hinge_critic_loss(critic, real, fake):
    """Hinge critic loss ``mean relu(1 - f(real)) + mean relu(1 + f(fake))``.

    Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018 (SN-GAN), eq. 16.
    """
    return (tf.reduce_mean(tf.nn.relu(1.0 - critic_scores(critic, real, training=True)))
            + tf.reduce_mean(tf.nn.relu(1.0 + critic_scores(critic, fake, training=True))))


def hinge_generator_loss(critic, fake):
    """Hinge generator loss ``-mean_i f(fake_i)`` (Miyato et al. 2018, eq. 16)."""
    return -tf.reduce_mean(critic_scores(critic, fake, training=False))


def fit_w1_critic(real, fake, real_test=None, fake_test=None, steps=1500, batch_size=256,
                  hidden_units=(128, 128), gp_weight=10.0, learning_rate=1e-3, seed=0):
    """Fits a fresh WGAN-GP critic to two samples and returns ``(critic, w1_estimate)``.

    An evaluation critic that does not depend on any model's own critic: it is trained on
    ``(real, fake)`` (each step a random batch of each, drawn from ``seed``) and its dual
    estimate ``mean f(real_test) - mean f(fake_test)`` is taken on held-out samples when
    given (else on the training samples, which biases it upwards). Adam(lr, 0.5, 0.9),
    Gulrajani et al. 2017 Algorithm 1 with one critic per call.

    Args:
        real, fake: arrays ``[N, ...]`` and ``[M, ...]`` of one example shape.
        real_test, fake_test: held-out arrays for the estimate (both or neither).
        steps, batch_size, hidden_units, gp_weight, learning_rate: the critic's training.
        seed: seeds the critic's weights, the batches and the interpolation weights.

    Returns:
        ``(critic, w1)``: the trained critic and the estimate as a float.
    """
    real = np.asarray(real, np.float32)
    fake = np.asarray(fake, np.float32)
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real has example shape {real.shape[1:]} and fake {fake.shape[1:]}; "
                         "pass samples of the same shape")
    if (real_test is None) != (fake_test is None):
        raise ValueError("pass both real_test and fake_test (held-out samples) or neither")
    critic = build_critic(real.shape[1:], hidden_units, seed=seed, name="w1_critic")
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.9)

    @tf.function
    def step(r, f, s):
        with tf.GradientTape() as tape:
            loss = wgan_gp_critic_loss(critic, r, f, gp_weight=gp_weight,
                                       seed=tf.stack([s, seed]))
        optimizer.apply_gradients(zip(tape.gradient(loss, critic.trainable_variables),
                                      critic.trainable_variables))

    rng = np.random.default_rng(seed)
    for s in range(int(steps)):
        step(real[rng.integers(len(real), size=batch_size)],
             fake[rng.integers(len(fake), size=batch_size)], tf.constant(s))
    if real_test is None:
        real_test, fake_test = real, fake
    estimate = wasserstein_estimate(critic, np.asarray(real_test, np.float32),
                                    np.asarray(fake_test, np.float32))
    return critic, float(estimate)
