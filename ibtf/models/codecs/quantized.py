"""A low-rate codec with a fixed latent quantizer, trained for distortion, perception and
classification (the experiments of Wang, Wu, Ma & Zhang 2024).

Wang, Wu, Ma & Zhang 2024, "Lossy compression with data, perception, and classification
constraints" (arXiv 2405.04144), fix the rate of a learned codec by its quantizer -- ``dim``
latents with ``L`` levels each, ``dim * log2(L)`` bits per image -- and trace
distortion-perception-classification trade-offs at that rate by training

    loss = lambda_d * MSE(x, xhat) + lambda_p * W1(p_X, p_Xhat) + lambda_c * CE(s, q(s | xhat)),

with W1 estimated by a WGAN-GP critic (alternating updates) and the CE of a frozen pretrained
classifier on the reconstruction. This module is our TensorFlow implementation of that set-up.
"""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.losses.classification import classification_nats
from ibtf.losses.perception import build_critic, critic_scores, wgan_gp_critic_loss
from ibtf.models.codecs.base import _positive_int, _weight
from ibtf.xla import resolve_jit_compile

__all__ = ["DitheredQuantizer", "QuantizedCodec"]

_TRAIN_STREAM, _CRITIC_STREAM, _TEST_STREAM = 1, 2, 3


@keras.utils.register_keras_serializable(package="ibtf")
class DitheredQuantizer(keras.layers.Layer):
    """Uniform scalar quantizer with ``L`` levels on [-1, 1] and subtractive (universal) dither.

    Levels ``c_k = -1 + k * delta``, ``delta = 2 / (L - 1)``, ``k = 0..L-1``. A latent ``h`` is
    first squashed to ``z = tanh(h)`` in (-1, 1); for every dither ``u`` in
    ``[-delta/2, delta/2]``, ``(z + u + 1) / delta`` lies in ``(-1/2, L - 1/2)``, so the
    rounding below always lands on one of the L levels (the clip is never active). Then

        k(z) = round((z + u + 1) / delta)   (the code, one of L integers),
        zhat = c_k - u                       (the decoder subtracts the shared dither).

    With ``u ~ U(-delta/2, delta/2)`` the error ``zhat - z`` is uniform on
    ``[-delta/2, delta/2]`` and independent of ``z`` (Schuchman 1964; Ziv 1985, universal
    quantization; used with a shared dither by Zhang et al. 2021 and Wang et al. 2024). The
    rate is fixed: ``dim * log2(L)`` bits per example whatever the data.

    Training (``training=True``): ``"straight_through"`` quantizes with a fresh dither and
    passes the gradient of the identity (Bengio et al. 2013); ``"noise"`` adds uniform noise
    ``zhat = z + u'``, which has exactly the error law of dithered quantization (Balle et al.
    2017). Test (``training=False``): one dither vector ``u0`` drawn once from ``seed`` and
    shared by encoder and decoder (``dither=False`` uses ``u0 = 0``: plain rounding), so
    ``compress``/``decompress`` are deterministic.

    Args:
        levels: L >= 2.
        training_mode: ``"straight_through"`` or ``"noise"``.
        dither: use a shared dither at test (else ``u0 = 0``).
        seed: seeds the shared test dither.
    """

    def __init__(self, levels, training_mode="straight_through", dither=True, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        self.levels = _positive_int("levels", levels, minimum=2)
        if training_mode not in ("straight_through", "noise"):
            raise ValueError(f"training_mode={training_mode!r} must be 'straight_through' or "
                             "'noise'")
        self.training_mode = training_mode
        self.dither = bool(dither)
        self.seed = int(seed)
        self.delta = 2.0 / (self.levels - 1)

    def build(self, input_shape):
        dim = int(input_shape[-1])
        if self.dither:
            rng = np.random.default_rng([self.seed, _TEST_STREAM])
            u0 = rng.uniform(-self.delta / 2, self.delta / 2, size=dim)
        else:
            u0 = np.zeros(dim)
        # A constant of the model, stored as a (non-trainable) weight so it is saved with it.
        self.test_dither = self.add_weight("test_dither", shape=[dim], trainable=False,
                                           initializer=keras.initializers.Constant(u0))
        super().build(input_shape)

    @property
    def centers(self):
        """The L reconstruction levels ``c_k`` (before the dither is subtracted)."""
        return -1.0 + self.delta * np.arange(self.levels)

    def squash(self, h):
        """``z = tanh(h)``: the quantizer's input range (-1, 1)."""
        return tf.tanh(h)

    def indices(self, z, dither):
        """The codes ``k = round((z + u + 1) / delta)`` clipped to [0, L-1], int32."""
        k = tf.round((z + dither + 1.0) / self.delta)
        return tf.cast(tf.clip_by_value(k, 0.0, self.levels - 1.0), tf.int32)

    def dequantize(self, indices, dither):
        """``zhat = c_k - u``."""
        return -1.0 + self.delta * tf.cast(indices, tf.float32) - dither

    def call(self, z, training=False, noise=None):
        """Quantizes squashed latents ``z``. ``noise``: a uniform [0, 1) tensor shaped like
        ``z`` (the training dither), drawn by the caller so a model controls its randomness."""
        if not training:
            return self.dequantize(self.indices(z, self.test_dither), self.test_dither)
        if noise is None:
            noise = tf.random.uniform(tf.shape(z))
        u = (noise - 0.5) * self.delta
        if self.training_mode == "noise":
            return z + u
        hard = self.dequantize(self.indices(z, u), u)
        return z + tf.stop_gradient(hard - z)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels,
                "training_mode": self.training_mode, "dither": self.dither, "seed": self.seed}


def _mlp(units, name, seed):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([keras.layers.Dense(u, activation="relu",
                                                kernel_initializer=init(seed + i))
                             for i, u in enumerate(units)], name=name)


@keras.utils.register_keras_serializable(package="ibtf")
class QuantizedCodec(keras.Model):
    """Encoder -> ``dim`` latents -> dithered L-level quantizer -> decoder, trained on

        loss = lambda_d * mean_i MSE(x_i, xhat_i)
             + lambda_p * (-mean_i f(xhat_i))                 (WGAN generator term)
             + lambda_c * mean_i -ln q(s_i | xhat_i)          (frozen classifier, nats)

    (Wang, Wu, Ma & Zhang 2024, sec. "Experimental results": lambda_d MSE + lambda_p W1 +
    lambda_c CE at a rate fixed by the quantizer). ``-mean f(xhat)`` is the part of the W1
    estimate ``mean f(x) - mean f(xhat)`` that depends on the codec. Each ``train_step`` first
    updates the critic ``critic_steps`` times on the WGAN-GP loss (Gulrajani et al. 2017,
    eq. 3) with its own optimizer, then takes one codec step; the classifier is never updated.
    The critic is trained even when ``lambda_p = 0`` so that the perception metric is
    comparable across a sweep. For a W1 figure that does not depend on the model's own critic,
    fit a fresh critic on held-out data (:func:`ibtf.losses.fit_w1_critic`).

    Encoder: pixels centred to [-1, 1], a ReLU MLP, ``dim`` linear outputs normalized by a
    non-learned batch normalization (unit variance per latent; moving statistics at test),
    then the quantizer's ``tanh``. Decoder: the mirrored MLP and a sigmoid.

    Rate: ``rate_bits = dim * log2(L)`` per image (``rate_nats = dim * ln L``), ``bpp`` =
    rate_bits / (height * width). No entropy coding: the codes are fixed-length.

    Args:
        image_shape: ``(height, width, channels)``; pixels in [0, 1] (the decoder ends in a
            sigmoid).
        latent_dim: ``dim``, the number of quantized latents.
        levels: ``L`` >= 2.
        lambda_d, lambda_p, lambda_c: weights of distortion, perception, classification.
        classifier: a frozen Keras model mapping images to logits (e.g.
            :func:`ibtf.losses.pretrained_digits_classifier`); needed for ``lambda_c > 0`` and
            for the classification metrics. It is set ``trainable = False``.
        hidden_units: widths of the encoder MLP (the decoder mirrors them).
        critic_hidden_units: widths of the critic MLP.
        critic_steps: critic updates per codec step (5, as Gulrajani et al.'s n_critic).
            Measured on the digits at 8 bits, lambda_p = 1: with 2 steps at lr 2e-4 the codec
            drove its own critic's W1 estimate to 1.0 while a fresh critic measured 2.15 (the
            codec exploited an under-trained critic); 5 steps at lr 1e-3 gave 1.06 vs 1.27.
        gp_weight: WGAN-GP penalty weight (10 in Gulrajani et al.).
        critic_learning_rate: Adam(lr, beta_1=0.5, beta_2=0.9) for the critic (1e-3, higher
            than the paper's 1e-4 for these small nets and short runs; see above).
        training_mode, dither: see :class:`DitheredQuantizer`.
        seed: seeds initial weights, the test dither and the training noise.

    Metrics: ``loss``, ``distortion_mse``, ``perception_w1`` (the critic's ``mean f(x) -
    mean f(xhat)``), ``critic_loss`` (train only), ``classification_nats``,
    ``classification_accuracy`` (the last two when a classifier is given).

    >>> codec = QuantizedCodec((8, 8, 1), latent_dim=4, levels=4, lambda_c=0.0)
    >>> codec.rate_bits
    8.0
    """

    def __init__(self, image_shape=(8, 8, 1), latent_dim=4, levels=4, lambda_d=1.0,
                 lambda_p=0.0, lambda_c=0.0, classifier=None, hidden_units=(128, 128),
                 critic_hidden_units=(128, 128), critic_steps=5, gp_weight=10.0,
                 critic_learning_rate=1e-3, training_mode="straight_through", dither=True,
                 seed=0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.image_shape = tuple(int(d) for d in image_shape)
        except (TypeError, ValueError):
            raise TypeError(f"image_shape={image_shape!r} must be (height, width, channels)") \
                from None
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape={image_shape!r} must be (height, width, channels) "
                             "of positive integers, e.g. (8, 8, 1)")
        self.latent_dim = _positive_int("latent_dim", latent_dim)
        self.lambda_d = _weight("lambda_d", lambda_d)
        self.lambda_p = _weight("lambda_p", lambda_p)
        self.lambda_c = _weight("lambda_c", lambda_c)
        if isinstance(classifier, dict):
            classifier = keras.layers.deserialize(classifier)
        if self.lambda_c > 0 and classifier is None:
            raise ValueError(f"lambda_c={lambda_c} needs a classifier (a frozen model mapping "
                             "images to logits), e.g. "
                             "ibtf.losses.pretrained_digits_classifier()")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.critic_hidden_units = tuple(int(u) for u in critic_hidden_units)
        self.critic_steps = _positive_int("critic_steps", critic_steps)
        self.gp_weight = _weight("gp_weight", gp_weight)
        self.critic_learning_rate = _weight("critic_learning_rate", critic_learning_rate)
        self.seed = int(seed)

        pixels = int(np.prod(self.image_shape))
        init = keras.initializers.GlorotUniform
        # Pixels in [0, 1] are centred to [-1, 1]: with raw inputs the initial latents
        # spread over a small fraction of one quantizer bin, and training stalls at the mean.
        self.encoder = keras.Sequential([
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Flatten(),
            _mlp(self.hidden_units, "encoder_mlp", self.seed),
            keras.layers.Dense(self.latent_dim, kernel_initializer=init(self.seed + 40)),
            # Unit-variance latents before tanh. Without it (measured on the digits at 2 x 4
            # levels, also with a lower learning rate or a clipped straight-through squash)
            # every image's latent ran to one saturated corner within a few epochs and the
            # codec decoded the mean image; with it all L^dim cells stay in use.
            keras.layers.BatchNormalization(center=False, scale=False, name="latent_norm")],
            name="encoder")
        self.quantizer = DitheredQuantizer(levels, training_mode=training_mode, dither=dither,
                                           seed=self.seed, name="quantizer")
        self.decoder = keras.Sequential([
            _mlp(self.hidden_units[::-1], "decoder_mlp", self.seed + 50),
            keras.layers.Dense(pixels, activation="sigmoid",
                               kernel_initializer=init(self.seed + 90)),
            keras.layers.Reshape(self.image_shape)], name="decoder")
        self.critic = build_critic(self.image_shape, self.critic_hidden_units,
                                   seed=self.seed + 1000, name="critic")
        self.classifier = classifier
        if classifier is not None:
            classifier.trainable = False
        self.critic_optimizer = keras.optimizers.Adam(self.critic_learning_rate, beta_1=0.5,
                                                      beta_2=0.9)
        self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="distortion_mse")
        self.w1_tracker = keras.metrics.Mean(name="perception_w1")
        self.critic_tracker = keras.metrics.Mean(name="critic_loss")
        self.ce_tracker = keras.metrics.Mean(name="classification_nats")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(
            name="classification_accuracy")

    # -- rate -------------------------------------------------------------------------------
    @property
    def levels(self):
        return self.quantizer.levels

    @property
    def rate_bits(self):
        """``dim * log2(L)`` bits per image (fixed-length codes)."""
        return float(self.latent_dim * np.log2(self.levels))

    @property
    def rate_nats(self):
        return float(self.latent_dim * np.log(self.levels))

    @property
    def bpp(self):
        """Bits per pixel: ``rate_bits / (height * width)``."""
        return self.rate_bits / (self.image_shape[0] * self.image_shape[1])

    # -- structure --------------------------------------------------------------------------
    @property
    def metrics(self):
        metrics = [self.loss_tracker, self.mse_tracker, self.w1_tracker, self.critic_tracker]
        if self.classifier is not None:
            metrics += [self.ce_tracker, self.acc_tracker]
        return metrics

    def build(self, input_shape=None):
        shape = (None, *self.image_shape)
        images = tf.zeros([1, *self.image_shape])
        z = self.quantizer.squash(self.encoder(images))
        self.quantizer.build(z.shape)
        self.decoder(z)
        self.critic(images)
        if self.classifier is not None:
            self.classifier(images)
        self.critic_optimizer.build(self.critic.trainable_variables)
        self._build_input_shape = shape
        self.built = True

    def _ensure_built(self):
        if not self.built:
            self.build()

    def compile(self, optimizer="adam", jit_compile="auto", **kwargs):
        """Keras compile with the XLA policy (``"auto"``: XLA on GPU/TPU only)."""
        super().compile(optimizer=optimizer, jit_compile=resolve_jit_compile(jit_compile),
                        **kwargs)

    def uniform(self, shape, stream):
        """Uniform [0, 1) noise from ``(seed, step, stream)``; one place tests can replace
        (XLA draws different numbers than plain execution from the same seed)."""
        seed = tf.stack([tf.cast(self.seed, tf.int64) * 1009 + stream, self.step_counter])
        return tf.random.stateless_uniform(shape, seed=tf.cast(seed, tf.int32))

    # -- coding -----------------------------------------------------------------------------
    def latents(self, images, training=False):
        """Squashed latents ``z`` in the quantizer's range, ``[B, dim]``."""
        return self.quantizer.squash(self.encoder(images, training=training))

    def compress(self, images):
        """Images ``[B, H, W, C]`` -> codes ``[B, dim]`` int32 in [0, L-1] (shared dither)."""
        self._ensure_built()
        images = self._check_images(images)
        return self.quantizer.indices(self.latents(images), self.quantizer.test_dither)

    def decompress(self, codes):
        """Codes ``[B, dim]`` -> reconstructions ``[B, H, W, C]``; deterministic."""
        self._ensure_built()
        codes = tf.convert_to_tensor(codes)
        if codes.shape.rank != 2 or codes.shape[-1] != self.latent_dim:
            raise ValueError(f"codes have shape {codes.shape}; expected [batch, "
                             f"{self.latent_dim}] integers from compress()")
        if not codes.dtype.is_integer:
            raise TypeError(f"codes have dtype {codes.dtype.name}; pass the integer codes "
                            "returned by compress()")
        zhat = self.quantizer.dequantize(codes, self.quantizer.test_dither)
        return self.decoder(zhat, training=False)

    def call(self, images, training=False):
        """Reconstructions; with ``training=True`` the quantizer uses its training mode."""
        z = self.latents(images, training=training)
        noise = self.uniform(tf.shape(z), _TRAIN_STREAM) if training else None
        return self.decoder(self.quantizer(z, training=training, noise=noise),
                            training=training)

    # -- objective --------------------------------------------------------------------------
    @property
    def codec_variables(self):
        """What the codec step updates: encoder and decoder (never critic or classifier)."""
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    def _split(self, data):
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images, labels = data, None
        if self.classifier is not None and labels is None:
            raise ValueError("this codec has a classifier: pass (images, labels) so the "
                             "classification term and metrics can be computed")
        images = tf.cast(images, tf.float32)
        labels = None if labels is None else tf.reshape(tf.cast(labels, tf.int32), [-1])
        return images, labels

    def _critic_step(self, images, fakes, stream):
        eps = self.uniform(tf.shape(images)[:1], stream)
        with tf.GradientTape() as tape:
            critic_loss = wgan_gp_critic_loss(self.critic, images, fakes,
                                              gp_weight=self.gp_weight, epsilon=eps)
        variables = self.critic.trainable_variables
        self.critic_optimizer.apply_gradients(zip(tape.gradient(critic_loss, variables),
                                                  variables))
        return critic_loss

    def train_step(self, data):
        self._ensure_built()
        images, labels = self._split(data)
        fakes = tf.stop_gradient(self(images, training=True))
        critic_loss = tf.constant(0.0)
        for i in range(self.critic_steps):
            critic_loss = self._critic_step(images, fakes, _CRITIC_STREAM + 10 * i)
        with tf.GradientTape() as tape:
            recon = self(images, training=True)
            mse = tf.reduce_mean(tf.square(images - recon), axis=[1, 2, 3])
            fake_scores = critic_scores(self.critic, recon, training=False)
            perception = -tf.reduce_mean(fake_scores)
            loss = self.lambda_d * tf.reduce_mean(mse) + self.lambda_p * perception
            if self.classifier is not None:
                ce = classification_nats(self.classifier, recon, labels)
                loss += self.lambda_c * tf.reduce_mean(ce)
        variables = self.codec_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.step_counter.assign_add(1)
        self.critic_tracker.update_state(critic_loss)
        real_scores = critic_scores(self.critic, images, training=False)
        w1 = tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores)
        return self._update(loss, mse, w1, recon, labels, train=True)

    def test_step(self, data):
        self._ensure_built()
        images, labels = self._split(data)
        recon = self(images, training=False)
        mse = tf.reduce_mean(tf.square(images - recon), axis=[1, 2, 3])
        fake_scores = critic_scores(self.critic, recon, training=False)
        real_scores = critic_scores(self.critic, images, training=False)
        w1 = tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores)
        loss = self.lambda_d * tf.reduce_mean(mse) - self.lambda_p * tf.reduce_mean(fake_scores)
        if self.classifier is not None:
            loss += self.lambda_c * tf.reduce_mean(
                classification_nats(self.classifier, recon, labels))
        return self._update(loss, mse, w1, recon, labels, train=False)

    def _update(self, loss, mse, w1, recon, labels, train):
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        self.w1_tracker.update_state(w1)
        if self.classifier is not None:
            logits = self.classifier(recon, training=False)
            self.ce_tracker.update_state(classification_nats(self.classifier, recon, labels))
            self.acc_tracker.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics
                if train or m is not self.critic_tracker}

    # -- checked inputs ---------------------------------------------------------------------
    def _check_images(self, images):
        if isinstance(images, (tf.Tensor, tf.Variable)):
            if images.shape.rank is not None and tuple(images.shape[1:]) != self.image_shape:
                raise ValueError(f"images have shape {images.shape}; the codec was built for "
                                 f"[batch, {', '.join(map(str, self.image_shape))}]")
            return tf.cast(images, tf.float32)
        array = np.asarray(images, dtype=np.float32)
        if array.shape[1:] != self.image_shape:
            raise ValueError(f"images have shape {array.shape}; the codec was built for "
                             f"[batch, {', '.join(map(str, self.image_shape))}]: reshape them, "
                             "e.g. x.reshape(-1, 8, 8, 1) for the digits")
        if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
            raise ValueError("images must be finite with pixels in [0, 1] (the decoder ends in "
                             "a sigmoid): scale them, e.g. digits.images / 16")
        return array

    def fit(self, x=None, y=None, *args, **kwargs):
        if x is not None and not isinstance(x, tf.data.Dataset):
            x = self._check_images(x)
        self._ensure_built()
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if x is not None and not isinstance(x, tf.data.Dataset):
            x = self._check_images(x)
        self._ensure_built()
        return super().evaluate(x, y, *args, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "image_shape": list(self.image_shape),
                  "latent_dim": self.latent_dim, "levels": self.levels,
                  "lambda_d": self.lambda_d, "lambda_p": self.lambda_p,
                  "lambda_c": self.lambda_c, "hidden_units": list(self.hidden_units),
                  "critic_hidden_units": list(self.critic_hidden_units),
                  "critic_steps": self.critic_steps, "gp_weight": self.gp_weight,
                  "critic_learning_rate": self.critic_learning_rate,
                  "training_mode": self.quantizer.training_mode,
                  "dither": self.quantizer.dither, "seed": self.seed}
        if self.classifier is not None:
            config["classifier"] = keras.layers.serialize(self.classifier)
        return config
