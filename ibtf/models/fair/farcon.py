"""FarconVAE: fair representations by distributional contrastive disentanglement."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.critics import mlp_layers
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.models.base import IBModel, check_array

__all__ = ["FarconVAE", "symmetric_gaussian_kl", "contrastive_pairs"]


def symmetric_gaussian_kl(a, b):
    """d(a, b) = [KL(a || b) + KL(b || a)] / (2 * dim) for diagonal Gaussians (TFP), per example.

    Oh et al. 2022, Sec. 4.2: the distance between two posteriors in the contrastive loss, the
    symmetrised KL divided by the code dimension.
    """
    dim = tf.cast(a.event_shape[-1], a.dtype)
    return (a.kl_divergence(b) + b.kl_divergence(a)) / (2.0 * dim)


def contrastive_pairs(y, s, *, seed=0):
    """Indices (i, j) pairing every example with one that shares y and differs in s.

    Each example i gets a partner j drawn uniformly (seeded) from {j : y_j = y_i, s_j != s_i}.
    Raises ValueError when some label has only one sensitive group (no partner exists).
    """
    y, s = np.asarray(y).reshape(-1), np.asarray(s).reshape(-1)
    rng = np.random.default_rng(seed)
    partner = np.empty(len(y), np.int64)
    for label in np.unique(y):
        for group in np.unique(s[y == label]):
            mine = np.flatnonzero((y == label) & (s == group))
            others = np.flatnonzero((y == label) & (s != group))
            if not others.size:
                raise ValueError(f"label {label} occurs with only one sensitive group; "
                                 "FarconVAE pairs examples that share y and differ in s")
            partner[mine] = rng.choice(others, mine.size)
    return np.arange(len(y)), partner


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


@keras.utils.register_keras_serializable(package="ibtf")
class FarconVAE(IBModel):
    """A VAE with a target code z_x and a sensitive code z_s, disentangled contrastively.

    Oh, Kim, Yoo & Lee 2022, "Learning Fair Representation via Distributional Contrastive
    Disentanglement" (KDD), eqs. (3)-(9). Encoders q(z_x | x, s) and q(z_s | x, s) (Gaussian
    bottlenecks), a decoder p(x, s | z_x, z_s) and a classifier p(y | z_x). On pairs (x, s, y),
    (x', s', y) that share the label and differ in s the objective is

        L = recon(x, s) + recon(x', s') + beta [KL(z_x) + KL(z_s) + KL(z_x') + KL(z_s')]
            + CE(y | z_x) + CE(y | z_x') + alpha DCD + gamma [recon(x | z_x', z_s)
            + recon(x' | z_x, z_s')]

        DCD = d(z_x, z_x') + 1/(1 + d(z_s, z_s')) + 1/(1 + d(z_x, z_s)) + 1/(1 + d(z_x', z_s'))

    with d the symmetrised Gaussian KL per dimension (`symmetric_gaussian_kl`): the target codes
    of the pair are pulled together (they share y and should not see s), the sensitive codes
    pushed apart, and each example's two codes pushed apart. The last term is the swap
    reconstruction: x rebuilt from its partner's z_x and its own z_s. recon(x, s) is the
    squared error of x plus the cross-entropy of s.

    Data: ``fit((x, s), y)``; pairs are drawn anew each epoch (``contrastive_pairs``).

    Metrics: ``loss``, ``recon``, ``rate_nats``, ``ce``, ``dcd``, ``swap``, ``accuracy``.
    """

    def __init__(self, input_dim, num_classes=2, num_sensitive=2, latent_dim=4,
                 sensitive_dim=2, hidden_units=(64, 64), beta=0.1, alpha=1.0, gamma=1.0,
                 seed=0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        for name, value, low in (("input_dim", input_dim, 1), ("num_classes", num_classes, 2),
                                 ("num_sensitive", num_sensitive, 2),
                                 ("latent_dim", latent_dim, 1),
                                 ("sensitive_dim", sensitive_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        for name, value in (("alpha", alpha), ("gamma", gamma)):
            if not float(value) >= 0:
                raise ValueError(f"{name}={value!r} must be a number >= 0")
        self.input_dim, self.num_classes, self.num_sensitive = input_dim, num_classes, \
            num_sensitive
        self.latent_dim, self.sensitive_dim = latent_dim, sensitive_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.seed = int(seed)
        trunk = self.hidden_units[:-1], self.hidden_units[-1]
        self.x_encoder = mlp_layers(*trunk, "relu", seed, "enc_x")
        self.s_encoder = mlp_layers(*trunk, "relu", seed + 10, "enc_s")
        self.zx_bottleneck = GaussianBottleneck(
            latent_dim, seed=seed, name="zx",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 40))
        self.zs_bottleneck = GaussianBottleneck(
            sensitive_dim, seed=seed + 1, name="zs",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 41))
        self.decoder = mlp_layers(self.hidden_units, input_dim + num_sensitive, "relu",
                                  seed + 20, "dec")
        self.classifier = mlp_layers(self.hidden_units[-1:], num_classes, "relu", seed + 30,
                                     "clf")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in
                         ("loss", "recon", "rate_nats", "ce", "dcd", "swap")}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return list(self.trackers.values()) + [self.accuracy]

    def build(self, input_shape=None):
        x, s = tf.zeros([1, self.input_dim]), tf.zeros([1], tf.int32)
        for layers, bottleneck in ((self.x_encoder, self.zx_bottleneck),
                                   (self.s_encoder, self.zs_bottleneck)):
            bottleneck.build(self._trunk(layers, x, s).shape)
        self._decode(tf.zeros([1, self.latent_dim]), tf.zeros([1, self.sensitive_dim]))
        _apply(self.classifier, tf.zeros([1, self.latent_dim]))
        # what Keras's loader rebuilds the model with (build ignores it: sizes are known)
        self._build_input_shape = tf.TensorShape([None, self.input_dim])
        self.built = True

    def _trunk(self, layers, x, s):
        inputs = tf.concat([x, tf.one_hot(s, self.num_sensitive, dtype=x.dtype)], axis=-1)
        return tf.nn.relu(_apply(layers, inputs))

    def posteriors(self, x, s):
        """(q(z_x | x, s), q(z_s | x, s)) as TFP distributions."""
        s = tf.reshape(tf.cast(s, tf.int32), [-1])
        return (self.zx_bottleneck.posterior(self._trunk(self.x_encoder, x, s)),
                self.zs_bottleneck.posterior(self._trunk(self.s_encoder, x, s)))

    def _decode(self, zx, zs):
        out = _apply(self.decoder, tf.concat([zx, zs], axis=-1))
        return out[:, :self.input_dim], out[:, self.input_dim:]

    def encode(self, x, s):
        """The mean target code z_x (the fair representation), [B, latent_dim]."""
        return self.posteriors(x, s)[0].mean()

    def sample_codes(self, x, s, seed=0):
        """One draw z_x ~ q(z_x | x, s) per example."""
        posterior = self.posteriors(x, s)[0]
        return self.zx_bottleneck.sample(posterior, seed=tf.constant([self.seed, seed]))

    def call(self, inputs, training=False):
        """p(y | z_x) from the mean code."""
        x, s = inputs
        return tf.nn.softmax(_apply(self.classifier, self.encode(x, s)))

    def _recon(self, x, s, zx, zs):
        x_hat, s_logits = self._decode(zx, zs)
        return (tf.reduce_sum(tf.square(x_hat - x), axis=-1)
                + tf.nn.sparse_softmax_cross_entropy_with_logits(s, s_logits))

    def train_step(self, data):
        (x, s, x2, s2), y = data
        s, s2 = (tf.reshape(tf.cast(v, tf.int32), [-1]) for v in (s, s2))
        y = tf.reshape(tf.cast(y, tf.int32), [-1])
        with tf.GradientTape() as tape:
            qx, qs = self.posteriors(x, s)
            qx2, qs2 = self.posteriors(x2, s2)
            zx, zs = self.zx_bottleneck.sample(qx), self.zs_bottleneck.sample(qs)
            zx2, zs2 = self.zx_bottleneck.sample(qx2), self.zs_bottleneck.sample(qs2)
            prior_x = self.zx_bottleneck.prior.distribution(None)
            prior_s = self.zs_bottleneck.prior.distribution(None)
            recon = self._recon(x, s, zx, zs) + self._recon(x2, s2, zx2, zs2)
            rate = (qx.kl_divergence(prior_x) + qs.kl_divergence(prior_s)
                    + qx2.kl_divergence(prior_x) + qs2.kl_divergence(prior_s))
            logits = _apply(self.classifier, zx)
            ce = (tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
                  + tf.nn.sparse_softmax_cross_entropy_with_logits(
                      y, _apply(self.classifier, zx2)))
            # d(z_x, z_s) compares codes of different sizes only through their first
            # min(dx, ds) coordinates, as the paper's equal-size codes do in full.
            k = min(self.latent_dim, self.sensitive_dim)
            dcd = (symmetric_gaussian_kl(qx, qx2)
                   + 1.0 / (1.0 + symmetric_gaussian_kl(qs, qs2))
                   + 1.0 / (1.0 + symmetric_gaussian_kl(_first(qx, k), _first(qs, k)))
                   + 1.0 / (1.0 + symmetric_gaussian_kl(_first(qx2, k), _first(qs2, k))))
            swap = self._recon(x, s, zx2, zs) + self._recon(x2, s2, zx, zs2)
            loss = tf.reduce_mean(recon + self._beta * rate + ce + self.alpha * dcd
                                  + self.gamma * swap)
        self.minimize(loss, tape)
        for name, value in zip(self.trackers, (loss, recon, rate, ce, dcd, swap)):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y, tf.nn.softmax(logits))
        return {m.name: m.result() for m in self.metrics}

    def fit(self, x=None, y=None, *args, epochs=1, seed=None, **kwargs):
        """``fit((x, s), y, epochs=...)``: pairs are redrawn every epoch from `seed`."""
        if not isinstance(x, (list, tuple)) or len(x) != 2:
            raise ValueError("x must be a pair (features, sensitive) for FarconVAE.fit")
        features = check_array("x", x[0], (self.input_dim,))
        s = np.asarray(x[1], np.int32).reshape(-1)
        y = np.asarray(y, np.int32).reshape(-1)
        if not self.built:
            self.build()
        seed = self.seed if seed is None else seed
        history = None
        for epoch in range(epochs):
            i, j = contrastive_pairs(y, s, seed=seed + epoch)
            history = super().fit((features[i], s[i], features[j], s[j]), y[i], *args,
                                  epochs=epoch + 1, initial_epoch=epoch, **kwargs)
        return history

    def serving_signatures(self):
        """``serving_default``: features [B, input_dim], sensitive [B] (float ids) ->
        probabilities [B, C] and the fair code z_x."""
        specs = [tf.TensorSpec([None, self.input_dim], tf.float32, name="features"),
                 tf.TensorSpec([None], tf.float32, name="sensitive")]

        @tf.function(input_signature=specs)
        def serve(features, sensitive):
            s = tf.cast(tf.round(sensitive), tf.int32)
            return {"probabilities": self((features, s)), "code": self.encode(features, s)}

        return {"serving_default": serve}

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, num_classes=self.num_classes,
                      num_sensitive=self.num_sensitive, latent_dim=self.latent_dim,
                      sensitive_dim=self.sensitive_dim, hidden_units=list(self.hidden_units),
                      beta=self.beta, alpha=self.alpha, gamma=self.gamma, seed=self.seed)
        return config


def _first(posterior, k):
    """The first k coordinates of a diagonal Gaussian posterior."""
    import tensorflow_probability as tfp
    normal = posterior.distribution
    return tfp.distributions.Independent(
        tfp.distributions.Normal(normal.loc[..., :k], normal.scale[..., :k]), 1)
