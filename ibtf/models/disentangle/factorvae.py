"""FactorVAE (Kim & Mnih 2018) and its beta-VAE baseline (Higgins et al. 2017)."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.total_correlation import PermutationDiscriminator, permute_dims
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.models.base import IBModel, check_array, check_beta

__all__ = ["FactorVAE", "beta_vae", "mlp", "image_shape_of"]


def image_shape_of(image_shape):
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise TypeError(f"image_shape={image_shape!r} must be a tuple of positive integers, "
                        "e.g. (24, 24, 1)") from None
    if not shape or min(shape) < 1:
        raise ValueError(f"image_shape={image_shape!r} must be a non-empty tuple of positive "
                         "integers, e.g. (24, 24, 1)")
    return shape


def conv_encoder(filters, hidden_units, seed, name):
    """Stride-2 4x4 ReLU convolutions, then the dense hidden layers."""
    init = keras.initializers.GlorotUniform
    layers = [keras.layers.Conv2D(f, 4, strides=2, padding="same", activation="relu",
                                  kernel_initializer=init(seed + 20 + i))
              for i, f in enumerate(filters)]
    layers.append(keras.layers.Flatten())
    layers += [keras.layers.Dense(u, activation="relu", kernel_initializer=init(seed + i))
               for i, u in enumerate(hidden_units)]
    return keras.Sequential(layers, name=name)


def conv_decoder(filters, hidden_units, image_shape, seed, name):
    """The mirror of ``conv_encoder``: dense layers, then stride-2 transposed convolutions
    ending in ``image_shape[-1]`` linear channels (logits)."""
    init = keras.initializers.GlorotUniform
    factor = 2 ** len(filters)
    height, width, channels = image_shape
    if height % factor or width % factor:
        raise ValueError(f"image_shape={image_shape} must be divisible by 2**len(conv_filters)"
                         f" = {factor}; use fewer conv_filters or another image size")
    start = (height // factor, width // factor, filters[-1])
    layers = [keras.layers.Dense(u, activation="relu", kernel_initializer=init(seed + i))
              for i, u in enumerate(hidden_units)]
    layers += [keras.layers.Dense(int(np.prod(start)), activation="relu",
                                  kernel_initializer=init(seed + 10)),
               keras.layers.Reshape(start)]
    outs = list(filters[::-1][1:]) + [channels]
    for i, f in enumerate(outs):
        layers.append(keras.layers.Conv2DTranspose(
            f, 4, strides=2, padding="same", activation=None if i == len(outs) - 1 else "relu",
            kernel_initializer=init(seed + 20 + i)))
    return keras.Sequential(layers, name=name)


def mlp(hidden_units, out_units, seed, name, flatten=False, out_shape=None,
        activation="relu"):
    """A seeded MLP: [Flatten] -> Dense(relu)* -> Dense(out_units) [-> Reshape(out_shape)]."""
    layers = [keras.layers.Flatten()] if flatten else []
    init = keras.initializers.GlorotUniform
    layers += [keras.layers.Dense(u, activation=activation, kernel_initializer=init(seed + i))
               for i, u in enumerate(hidden_units)]
    if out_units is not None:
        layers.append(keras.layers.Dense(out_units, kernel_initializer=init(seed + 50)))
    if out_shape is not None:
        layers.append(keras.layers.Reshape(out_shape))
    return keras.Sequential(layers, name=name)


@keras.utils.register_keras_serializable(package="ibtf")
class FactorVAE(IBModel):
    """A VAE whose aggregate posterior is pushed towards independent dimensions.

    Kim & Mnih 2018, "Disentangling by Factorising", eq. (2) and Algorithm 1. Per example,

        L_VAE = -E_q(z|x)[ln p(x|z)] + beta KL(q(z|x) || N(0, I)) + gamma * D_logit(z),

    where ``D_logit(z) = ln D(z) / (1 - D(z))`` is the logit of a discriminator trained to tell
    codes z ~ q(z) from codes whose dimensions were permuted independently across the batch
    (samples of prod_j q(z_j)). At the discriminator's optimum its logit is the density ratio, so
    ``mean D_logit(z)`` estimates the total correlation TC(z) = KL(q(z) || prod_j q(z_j)) in
    nats. The discriminator minimises the balanced logistic loss

        L_D = 1/2 E_q[softplus(-D_logit(z))] + 1/2 E_perm[softplus(D_logit(z_perm))].

    The paper draws the permuted codes from a second batch; here the batch's own codes (with
    stopped gradients) are permuted, so one batch serves both steps. ``gamma = 0`` with
    ``beta > 1`` is beta-VAE (``beta_vae``); the discriminator then only reports TC.
    ``p(x|z)`` is Bernoulli on pixel intensities in [0, 1] (summed over pixels, nats).

    Args:
      image_shape: shape of one image, e.g. (24, 24, 1).
      latent_dim: size of z (the paper uses 10).
      beta: weight of the KL term (1 in FactorVAE).
      gamma: weight of the TC term (the paper: 10..100).
      hidden_units: encoder widths (the decoder mirrors them).
      discriminator_units: the discriminator's widths (the paper: 6 x 1000).
      conv_filters: channels of stride-2 convolutions before the dense encoder layers (the
        decoder mirrors them with transposed convolutions); () for an MLP.
      discriminator_steps: discriminator updates per VAE update (each on a fresh permutation
        of the batch's codes). With one, at this package's learning rates (1e-3, ten times
        the paper's), D lags behind the encoder, which then games it: after 30 epochs on the
        procedural shapes D reported a TC of 0.04-0.10 nats while a fresh discriminator on the
        frozen codes found 0.87 (and the Gaussian closed form of their correlations 0.51).
      discriminator_activation: the discriminator's hidden activation ("relu"; the paper:
        "leaky_relu", slope 0.2).
      discriminator_pool: if > 0, the discriminator trains on the last ``discriminator_pool``
        sampled codes (a ring buffer of stopped codes) and their permutation, instead of the
        batch's codes alone. It must hold at least one batch (``fit`` raises otherwise).
      vae_batch_size: if > 0, the VAE's loss uses the first ``vae_batch_size`` rows of each
        batch; the other rows are encoded without gradients and only add codes for the
        discriminator (feed batches of k * vae_batch_size for a permutation over more codes).
      seed: seeds initialisers, sampling and permutations.

    Metrics: ``loss``, ``recon_nats``, ``kl_nats``, ``tc_nats`` (the discriminator's estimate),
    ``discriminator_loss``.
    """

    def __init__(self, image_shape, latent_dim=10, beta=1.0, gamma=10.0,
                 hidden_units=(256, 256), discriminator_units=(256, 256), conv_filters=(),
                 discriminator_steps=1, discriminator_activation="relu",
                 discriminator_pool=0, vae_batch_size=0, seed=0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.image_shape = image_shape_of(image_shape)
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 2:
            raise ValueError(f"latent_dim={latent_dim!r} must be an integer >= 2 (total "
                             "correlation needs two dimensions)")
        self.latent_dim = latent_dim
        self._gamma = tf.Variable(check_beta(gamma), trainable=False, dtype=tf.float32,
                                  name="gamma")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.seed = int(seed)
        if (isinstance(discriminator_steps, bool) or not isinstance(discriminator_steps, int)
                or discriminator_steps < 1):
            raise ValueError(f"discriminator_steps={discriminator_steps!r} must be an integer "
                             ">= 1 (discriminator updates per VAE update)")
        self.discriminator_steps = discriminator_steps
        if (isinstance(discriminator_pool, bool) or not isinstance(discriminator_pool, int)
                or discriminator_pool < 0):
            raise ValueError(f"discriminator_pool={discriminator_pool!r} must be an integer "
                             ">= 0 (0: the discriminator sees the batch's codes alone)")
        self.discriminator_pool = discriminator_pool
        self.discriminator_activation = discriminator_activation
        if (isinstance(vae_batch_size, bool) or not isinstance(vae_batch_size, int)
                or vae_batch_size < 0):
            raise ValueError(f"vae_batch_size={vae_batch_size!r} must be an integer >= 0 (0: "
                             "the VAE trains on the whole batch)")
        self.vae_batch_size = vae_batch_size
        self.conv_filters = tuple(int(f) for f in conv_filters)
        if self.conv_filters:
            if len(self.image_shape) != 3:
                raise ValueError(f"conv_filters need image_shape [height, width, channels], "
                                 f"got {self.image_shape}; pass conv_filters=() for an MLP")
            self.encoder = conv_encoder(self.conv_filters, self.hidden_units, self.seed,
                                        "encoder")
            self.decoder = conv_decoder(self.conv_filters, self.hidden_units[::-1],
                                        self.image_shape, self.seed + 100, "decoder")
        else:
            self.encoder = mlp(self.hidden_units, None, self.seed, "encoder", flatten=True)
            self.decoder = mlp(self.hidden_units[::-1], int(np.prod(self.image_shape)),
                               self.seed + 100, "decoder", out_shape=self.image_shape)
        self.bottleneck = GaussianBottleneck(latent_dim, seed=self.seed, name="bottleneck")
        self.discriminator = PermutationDiscriminator(list(self.discriminator_units),
                                                      activation=discriminator_activation,
                                                      seed=self.seed + 200,
                                                      name="discriminator")
        if self.discriminator_pool:
            # The last `discriminator_pool` sampled codes (stopped gradients), a ring buffer.
            self._pool = tf.Variable(tf.zeros([self.discriminator_pool, latent_dim]),
                                     trainable=False, name="discriminator_pool")
            self._pool_count = tf.Variable(0, dtype=tf.int64, trainable=False,
                                           name="discriminator_pool_count")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in
                         ("loss", "recon_nats", "kl_nats", "tc_nats", "discriminator_loss")}
        self.discriminator_optimizer = None

    @property
    def gamma(self):
        """The TC weight; a non-trainable variable, so a schedule (``ibtf.callbacks.BetaSchedule``
        with ``attribute="gamma"``) can warm it up during ``fit``."""
        return float(self._gamma.numpy())

    @gamma.setter
    def gamma(self, value):
        self._gamma.assign(check_beta(value))

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        shape = tf.TensorShape([None, *self.image_shape])
        self.encoder.build(shape)
        self.bottleneck.build(self.encoder.compute_output_shape(shape))
        self.decoder.build(tf.TensorShape([None, self.latent_dim]))
        self.discriminator(tf.zeros([1, self.latent_dim]))
        self._build_input_shape = shape
        self.built = True

    def compile(self, optimizer=None, discriminator_optimizer=None, jit_compile="auto",
                **kwargs):
        """Adam(1e-4, 0.9, 0.999) for the VAE, Adam(1e-4, 0.5, 0.9) for D (the paper's)."""
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-4),
                        jit_compile=jit_compile, **kwargs)
        self.discriminator_optimizer = discriminator_optimizer or keras.optimizers.Adam(
            1e-4, beta_1=0.5, beta_2=0.9)

    def vae_variables(self):
        return (self.encoder.trainable_variables + self.bottleneck.trainable_variables
                + self.decoder.trainable_variables)

    def call(self, images, training=False):
        """Reconstruction probabilities of the (mean) code."""
        code, _ = self.bottleneck(self.encoder(images), training=training)
        return tf.sigmoid(self.decoder(code))

    def encode(self, images):
        """Posterior means [n, latent_dim] (numpy), in batches."""
        images = check_array("images", images, self.image_shape)
        self._build_for(images)
        return np.concatenate([self._encode_mean(tf.constant(images[i:i + 1024])).numpy()
                               for i in range(0, len(images), 1024)])

    @tf.function(reduce_retracing=True)
    def _encode_mean(self, images):
        return self.bottleneck.posterior(self.encoder(images)).mean()

    def _reconstruction_nats(self, images, logits):
        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
        return tf.reduce_sum(tf.reshape(ce, [tf.shape(ce)[0], -1]), axis=-1)

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        extra = None
        if self.vae_batch_size:
            images, extra = images[:self.vae_batch_size], images[self.vae_batch_size:]
        with tf.GradientTape() as tape:
            code, kl = self.bottleneck(self.encoder(images, training=True), training=True)
            recon = self._reconstruction_nats(images, self.decoder(code, training=True))
            tc = self.discriminator(code)          # ln D/(1-D): the density-ratio logit
            loss = (tf.reduce_mean(recon) + self._beta * tf.reduce_mean(kl)
                    + self._gamma * tf.reduce_mean(tc))
        self.minimize(loss, tape, self.vae_variables())

        real = tf.stop_gradient(code)
        if extra is not None:      # more codes for the discriminator, without gradients
            more, _ = self.bottleneck(self.encoder(extra, training=True), training=True)
            real = tf.concat([real, tf.stop_gradient(more)], axis=0)
        if self.discriminator_pool:
            real = self._update_pool(real)
        step = tf.cast(self.optimizer.iterations, tf.int64) * self.discriminator_steps
        variables = self.discriminator.trainable_variables
        for k in range(self.discriminator_steps):
            seed = tf.stack([tf.cast(self.seed, tf.int64), step + k])
            permuted = permute_dims(real, seed)
            with tf.GradientTape() as tape:
                d_loss = 0.5 * (tf.reduce_mean(tf.nn.softplus(-self.discriminator(real)))
                                + tf.reduce_mean(tf.nn.softplus(self.discriminator(permuted))))
            self.discriminator_optimizer.apply_gradients(
                zip(tape.gradient(d_loss, variables), variables))
        for name, value in (("loss", loss), ("recon_nats", recon), ("kl_nats", kl),
                            ("tc_nats", tc), ("discriminator_loss", d_loss)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def _update_pool(self, codes):
        """Writes the batch's codes into the ring buffer; returns the filled part of it."""
        size = self.discriminator_pool
        count = tf.shape(codes, out_type=tf.int64)[0]
        if codes.shape[0] is None:         # fit checked a static batch size already
            tf.debugging.assert_less_equal(count, tf.constant(size, tf.int64), message=(
                f"discriminator_pool={size} is smaller than this batch of codes; pass "
                "discriminator_pool >= the batch size"))
        rows = (self._pool_count + tf.range(count)) % size
        self._pool.scatter_nd_update(rows[:, None], codes)
        self._pool_count.assign_add(count)
        return self._pool[:tf.minimum(self._pool_count, size)]

    def _check_pool(self, x, batch_size):
        """The ring buffer must hold a whole batch of codes: with fewer rows, each step's
        scatter would keep an arbitrary part of the batch (duplicate indices). Arrays: the
        batch is ``batch_size`` rows (Keras' default 32); datasets: their static batch size
        (with an unknown one, ``_update_pool`` asserts it at run time)."""
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            spec = spec[0] if isinstance(spec, (tuple, list)) else spec
            per_step, what = spec.shape[0], "the dataset's batches"
            if per_step is None:
                return
        elif isinstance(x, np.ndarray):
            batch_size = 32 if batch_size is None else int(batch_size)
            per_step, what = min(batch_size, len(x)), f"batch_size={batch_size}"
        else:
            return
        if self.discriminator_pool < per_step:
            raise ValueError(
                f"discriminator_pool={self.discriminator_pool} is smaller than the {per_step} "
                f"codes the discriminator sees each step ({what}); pass discriminator_pool >= "
                f"{per_step} (e.g. a few batches' worth) or smaller batches")

    def test_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        code, kl = self.bottleneck(self.encoder(images), training=False)
        recon = self._reconstruction_nats(images, self.decoder(code))
        tc = self.discriminator(code)
        loss = tf.reduce_mean(recon) + self._beta * tf.reduce_mean(kl) + self._gamma * \
            tf.reduce_mean(tc)
        for name, value in (("loss", loss), ("recon_nats", recon), ("kl_nats", kl),
                            ("tc_nats", tc)):
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in
                ("loss", "recon_nats", "kl_nats", "tc_nats")}

    def fit(self, x=None, y=None, *args, **kwargs):
        x = check_array("x", x, self.image_shape)
        if self.discriminator_pool:
            self._check_pool(x, args[0] if args else kwargs.get("batch_size"))
        self._build_for(x)
        return super().fit(x, y, *args, **kwargs)

    def serving_signatures(self):
        """``encode``/``serving_default``: images -> code (mean), scale; ``generate``: code ->
        images (Bernoulli means)."""
        image_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="code")

        @tf.function(input_signature=[image_spec])
        def encode(images):
            posterior = self.bottleneck.posterior(self.encoder(images))
            return {"code": posterior.mean(), "scale": posterior.stddev()}

        @tf.function(input_signature=[code_spec])
        def generate(code):
            return {"images": tf.sigmoid(self.decoder(code))}

        return {"serving_default": encode, "encode": encode, "generate": generate}

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim, "beta": self.beta, "gamma": self.gamma,
                "hidden_units": list(self.hidden_units),
                "discriminator_units": list(self.discriminator_units),
                "conv_filters": list(self.conv_filters),
                "discriminator_steps": self.discriminator_steps,
                "discriminator_activation": self.discriminator_activation,
                "discriminator_pool": self.discriminator_pool,
                "vae_batch_size": self.vae_batch_size, "seed": self.seed}


def beta_vae(image_shape, beta=4.0, **kwargs):
    """beta-VAE (Higgins et al. 2017, eq. 4): ``FactorVAE`` with ``gamma = 0`` and weight beta on
    the KL; the discriminator still trains, so ``tc_nats`` reports the codes' TC."""
    return FactorVAE(image_shape, beta=beta, gamma=0.0, **kwargs)
