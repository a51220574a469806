"""Gromov-Wasserstein autoencoder (Nakagawa et al. 2023)."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.losses.perception import build_critic, wgan_generator_loss, wgan_gp_critic_loss
from ibtf.models.base import check_array, check_beta
from ibtf.models.disentangle.factorvae import mlp

__all__ = ["GWAE", "pairwise_distances"]


def pairwise_distances(points):
    """Euclidean distance matrix [B, B] of the rows of ``points`` (zero-safe gradient)."""
    squared = tf.reduce_sum(tf.square(points[:, None, :] - points[None, :, :]), axis=-1)
    return tf.sqrt(squared + 1e-12) - 1e-6


@keras.utils.register_keras_serializable(package="ibtf")
class GWAE(keras.Model):
    """An autoencoder whose latent space keeps the data's metric structure.

    Nakagawa, Yamada, Sakai et al. 2023, "Gromov-Wasserstein Autoencoders" (ICLR), eq. (8)-(10):
    the GW objective between the data and the prior is relaxed to, per batch,

        L = E ||x - G(z)||^2,                          z ~ q(z|x)        (reconstruction)
          + lambda_GW  mean_ij | c ||z_i - z_j|| - ||G(z_i) - G(z_j)|| |,  z_i ~ p(z)  (GW)
          + lambda_W   W1(q(z), p(z))                 (critic, WGAN-GP)
          - lambda_H   E H(q(z|x))                    (entropy of the encoder)

    with a learned scale c > 0. The GW term asks the decoder to map prior distances to data
    distances up to the scale c, so latent geometry mirrors data geometry; the Wasserstein term
    (a WGAN-GP critic on codes, ``ibtf.losses.perception``) keeps the aggregate posterior on the
    prior, and the entropy term keeps the stochastic encoder from collapsing to a point mass.
    The paper's critic compares the joint laws q(x, z) and p(x, z); this one compares the codes
    only, the part that matters for the latent geometry.

    Args:
      data_dim: dimension of the data vectors.
      latent_dim: dimension of z (prior N(0, I)).
      hidden_units: encoder widths (the decoder mirrors them); the critic uses them too.
      gw_weight, critic_weight, entropy_weight: lambda_GW, lambda_W, lambda_H.
      gp_weight: the critic's gradient-penalty weight.
      seed: seeds initialisers and draws.

    Metrics: ``loss``, ``recon``, ``gw``, ``w1`` (the critic's estimate), ``entropy_nats``,
    ``scale`` (c).
    """

    def __init__(self, data_dim, latent_dim=2, hidden_units=(128, 128), gw_weight=1.0,
                 critic_weight=1.0, entropy_weight=0.01, gp_weight=10.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("data_dim", data_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        self.data_dim, self.latent_dim = data_dim, latent_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.gw_weight = check_beta(gw_weight)
        self.critic_weight = check_beta(critic_weight)
        self.entropy_weight = check_beta(entropy_weight)
        self.gp_weight = check_beta(gp_weight)
        self.seed = int(seed)
        self.encoder = mlp(self.hidden_units, None, self.seed, "encoder")
        self.bottleneck = GaussianBottleneck(latent_dim, seed=self.seed, name="bottleneck")
        self.decoder = mlp(self.hidden_units[::-1], data_dim, self.seed + 100, "decoder")
        self.critic = build_critic((latent_dim,), hidden_units=self.hidden_units,
                                   seed=self.seed + 200, name="critic")
        self.log_scale = None
        self.trackers = {n: keras.metrics.Mean(name=n) for n in
                         ("loss", "recon", "gw", "w1", "entropy_nats", "scale")}
        self.critic_optimizer = None

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        self.encoder.build(tf.TensorShape([None, self.data_dim]))
        self.bottleneck.build(self.encoder.compute_output_shape([None, self.data_dim]))
        self.decoder.build(tf.TensorShape([None, self.latent_dim]))
        self.log_scale = self.add_weight(name="log_scale", shape=[], initializer="zeros")
        self._build_input_shape = tf.TensorShape([None, self.data_dim])
        self.built = True

    def compile(self, optimizer=None, critic_optimizer=None, **kwargs):
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)
        self.critic_optimizer = critic_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.5,
                                                                         beta_2=0.9)

    def autoencoder_variables(self):
        return (self.encoder.trainable_variables + self.bottleneck.trainable_variables
                + self.decoder.trainable_variables + [self.log_scale])

    def call(self, inputs, training=False):
        code, _ = self.bottleneck(self.encoder(inputs), training=training)
        return self.decoder(code)

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        batch = tf.shape(x)[0]
        step = tf.cast(self.optimizer.iterations, tf.int32)
        prior = tf.random.stateless_normal([batch, self.latent_dim],
                                           seed=tf.stack([self.seed, 2 * step]))
        with tf.GradientTape() as tape:
            posterior = self.bottleneck.posterior(self.encoder(x, training=True))
            code = self.bottleneck.sample(posterior)
            recon = tf.reduce_sum(tf.square(x - self.decoder(code, training=True)), axis=-1)
            scale = tf.exp(self.log_scale)
            gw = tf.abs(scale * pairwise_distances(prior)
                        - pairwise_distances(self.decoder(prior, training=True)))
            entropy = posterior.entropy()
            w1 = wgan_generator_loss(self.critic, code)   # -mean f(z_q): lowers the W1 estimate
            loss = (tf.reduce_mean(recon) + self.gw_weight * tf.reduce_mean(gw)
                    + self.critic_weight * w1 - self.entropy_weight * tf.reduce_mean(entropy))
        variables = self.autoencoder_variables()
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

        codes = tf.stop_gradient(code)
        with tf.GradientTape() as tape:
            critic_loss = wgan_gp_critic_loss(self.critic, prior, codes, gp_weight=self.gp_weight,
                                              seed=tf.stack([self.seed, 2 * step + 1]))
        c_vars = self.critic.trainable_variables
        self.critic_optimizer.apply_gradients(zip(tape.gradient(critic_loss, c_vars), c_vars))
        w1_estimate = (tf.reduce_mean(self.critic(prior)) - tf.reduce_mean(self.critic(codes)))
        for name, value in (("loss", loss), ("recon", recon), ("gw", gw), ("w1", w1_estimate),
                            ("entropy_nats", entropy), ("scale", scale)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def encode(self, x):
        """Posterior means [n, latent_dim] (numpy)."""
        x = check_array("x", x, (self.data_dim,))
        if not self.built:
            self.build()
        return self.bottleneck.posterior(self.encoder(tf.constant(x))).mean().numpy()

    def fit(self, x=None, y=None, *args, **kwargs):
        if not self.built:
            self.build()
        return super().fit(check_array("x", x, (self.data_dim,)), y, *args, **kwargs)

    def serving_signatures(self):
        """``encode``/``serving_default``: x -> code (mean), scale; ``generate``: code -> x."""
        x_spec = tf.TensorSpec([None, self.data_dim], tf.float32, name="x")
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="code")

        @tf.function(input_signature=[x_spec])
        def encode(x):
            posterior = self.bottleneck.posterior(self.encoder(x))
            return {"code": posterior.mean(), "scale": posterior.stddev()}

        @tf.function(input_signature=[code_spec])
        def generate(code):
            return {"x": self.decoder(code)}

        return {"serving_default": encode, "encode": encode, "generate": generate}

    def get_config(self):
        return {**super().get_config(), "data_dim": self.data_dim, "latent_dim": self.latent_dim,
                "hidden_units": list(self.hidden_units), "gw_weight": self.gw_weight,
                "critic_weight": self.critic_weight, "entropy_weight": self.entropy_weight,
                "gp_weight": self.gp_weight, "seed": self.seed}


def spearman_latent_geodesic(codes, geodesic):
    """Spearman rank correlation between latent and geodesic distances over all pairs i < j."""
    from scipy.stats import spearmanr
    codes = np.asarray(codes, np.float64)
    latent = np.sqrt(((codes[:, None] - codes[None]) ** 2).sum(-1))
    upper = np.triu_indices(len(codes), 1)
    return float(spearmanr(latent[upper], np.asarray(geodesic)[upper]).correlation)


__all__ += ["spearman_latent_geodesic"]
