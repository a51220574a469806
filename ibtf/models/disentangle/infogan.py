"""InfoGAN (Chen et al. 2016) with a categorical code."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.losses.perception import build_critic, hinge_critic_loss, hinge_generator_loss
from ibtf.models.base import check_beta
from ibtf.models.disentangle.factorvae import mlp

__all__ = ["InfoGAN"]


@keras.utils.register_keras_serializable(package="ibtf")
class InfoGAN(keras.Model):
    """A GAN whose generator input carries a categorical code that must stay recoverable.

    Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information Maximizing
    Generative Adversarial Nets", eq. (5): with x = G(z, c), z ~ N(0, I), c ~ Cat(K) uniform,

        min_{G,Q} max_D  V(D, G) - lambda L_I(G, Q),
        L_I = E_{c, z}[ln Q(c | G(z, c))] + H(c)  <=  I(c; G(z, c)),   H(c) = ln K.

    ``L_I`` is a variational lower bound on the code's mutual information with the sample; it
    reaches ``ln K`` exactly when Q recovers c from every sample, i.e. when the K code values
    generate disjoint parts of the data. V(D, G) is the hinge GAN objective
    (``ibtf.losses.perception``; Lim & Ye 2017) rather than the paper's log loss. Q is its own
    MLP (the paper shares D's trunk); G and Q take one Adam step on
    ``hinge_G + lambda (-L_I)``, D one on ``hinge_D``.

    Args:
      data_dim: dimension of the data vectors.
      num_codes: K, the categories of the code.
      noise_dim: dimension of the incompressible noise z.
      hidden_units: widths of G, D and Q.
      info_weight: lambda (the paper: 1 for discrete codes).
      seed: seeds initialisers and the training draws.

    Metrics: ``d_loss``, ``g_loss``, ``info_nats`` (L_I, in nats; at most ln K).
    """

    def __init__(self, data_dim=2, num_codes=8, noise_dim=4, hidden_units=(128, 128),
                 info_weight=1.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        for name, value, low in (("data_dim", data_dim, 1), ("num_codes", num_codes, 2),
                                 ("noise_dim", noise_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        self.data_dim, self.num_codes, self.noise_dim = data_dim, num_codes, noise_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.info_weight = check_beta(info_weight)
        self.seed = int(seed)
        self.generator = mlp(self.hidden_units, data_dim, self.seed, "generator")
        self.discriminator = build_critic((data_dim,), hidden_units=self.hidden_units,
                                          seed=self.seed + 100, name="discriminator")
        self.q_network = mlp(self.hidden_units, num_codes, self.seed + 200, "q_network",
                             activation="relu")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ("d_loss", "g_loss", "info_nats")}
        self.discriminator_optimizer = None

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        self.generator.build(tf.TensorShape([None, self.noise_dim + self.num_codes]))
        self.q_network.build(tf.TensorShape([None, self.data_dim]))
        self._build_input_shape = tf.TensorShape([None, self.data_dim])
        self.built = True

    def compile(self, optimizer=None, discriminator_optimizer=None, **kwargs):
        """Adam(1e-3, 0.5) for G and Q, Adam(2e-4, 0.5) for D (the paper's rates)."""
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3, beta_1=0.5),
                        **kwargs)
        self.discriminator_optimizer = discriminator_optimizer or keras.optimizers.Adam(
            2e-4, beta_1=0.5)

    def call(self, inputs, training=False):
        """``inputs = (noise [B, noise_dim], code one-hot [B, K])`` -> samples [B, data_dim]."""
        noise, code = inputs
        return self.generator(tf.concat([noise, code], axis=-1), training=training)

    def draw_inputs(self, batch, seed):
        """Noise z ~ N(0, I) and uniform one-hot codes for ``batch`` samples (stateless)."""
        noise = tf.random.stateless_normal([batch, self.noise_dim], seed=seed)
        ids = tf.random.stateless_uniform([batch], seed=seed + 1, maxval=self.num_codes,
                                          dtype=tf.int32)
        return noise, ids

    def info_nats(self, samples, ids):
        """Per-example ``ln Q(c | x) + ln K`` (its mean is L_I)."""
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids,
                                                            logits=self.q_network(samples))
        return np.log(self.num_codes) - ce

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch = tf.shape(real)[0]
        step = tf.cast(self.optimizer.iterations, tf.int32)
        noise, ids = self.draw_inputs(batch, tf.stack([self.seed, 2 * step]))
        code = tf.one_hot(ids, self.num_codes)

        fake = tf.stop_gradient(self((noise, code), training=True))
        with tf.GradientTape() as tape:
            d_loss = hinge_critic_loss(self.discriminator, real, fake)
        d_vars = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        with tf.GradientTape() as tape:
            fake = self((noise, code), training=True)
            info = tf.reduce_mean(self.info_nats(fake, ids))
            g_loss = hinge_generator_loss(self.discriminator, fake) - self.info_weight * info
        variables = self.generator.trainable_variables + self.q_network.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("info_nats", info)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def generate(self, noise, ids):
        """Samples for given noise [n, noise_dim] and integer code ids [n] (numpy)."""
        code = tf.one_hot(np.asarray(ids, np.int32), self.num_codes)
        return self((tf.constant(noise, tf.float32), code)).numpy()

    def serving_signatures(self):
        """``generate``/``serving_default``: noise, code (one-hot) -> samples; ``encode``:
        samples -> code_probabilities Q(c|x) and code_ids."""
        noise_spec = tf.TensorSpec([None, self.noise_dim], tf.float32, name="noise")
        code_spec = tf.TensorSpec([None, self.num_codes], tf.float32, name="code")
        sample_spec = tf.TensorSpec([None, self.data_dim], tf.float32, name="samples")

        @tf.function(input_signature=[noise_spec, code_spec])
        def generate(noise, code):
            return {"samples": self((noise, code))}

        @tf.function(input_signature=[sample_spec])
        def encode(samples):
            probs = tf.nn.softmax(self.q_network(samples), axis=-1)
            return {"code_probabilities": probs, "code_ids": tf.argmax(probs, axis=-1)}

        return {"serving_default": generate, "generate": generate, "encode": encode}

    def get_config(self):
        return {**super().get_config(), "data_dim": self.data_dim, "num_codes": self.num_codes,
                "noise_dim": self.noise_dim, "hidden_units": list(self.hidden_units),
                "info_weight": self.info_weight, "seed": self.seed}
