"""Rate-distortion upper bound from a trained beta-VAE-style model (Yang & Mandt, ICLR 2022).

Needs TensorFlow; import this module explicitly (``ibtf.theory`` itself stays numpy/scipy).
"""

import dataclasses
import numpy as np

from ibtf._keras import keras, tf
from ibtf.theory._checks import as_float_array, check_int, check_lam

__all__ = ["RDUpperBoundVAE", "RDUpperBound", "fit_rd_upper_bound", "evaluate_rd_upper_bound"]


def _mlp(units, out, name):
    # A plain list of layers, not keras.Sequential: a subclassed model reloaded with
    # save_traces=False cannot rebuild a nested Sequential without an input shape.
    layers = [
        keras.layers.Dense(u, activation="softplus", name=f"{name}_{i}")
        for i, u in enumerate(units)
    ]
    layers.append(keras.layers.Dense(out, name=f"{name}_out"))
    return layers


def _apply(layers, h):
    for layer in layers:
        h = layer(h)
    return h


@keras.utils.register_keras_serializable(package="ibtf")
class RDUpperBoundVAE(keras.Model):
    """A beta-VAE whose (distortion, rate) points upper-bound ``R(D)``.

    Yang & Mandt 2022 ("Towards empirical sandwich bounds on the rate-distortion function"),
    Sec. 3.1: for an encoder ``q(z|x)``, any prior (marginal) ``m(z)`` and a decoder ``g``,

        R(D) <= I(X; g(Z)) <= I(X; Z) <= E_X KL(q(Z|X) || m(Z)) =: rate,
        D = E ||X - g(Z)||^2,  Z ~ q(z|x),

    because ``I(X; Z) = E KL(q(Z|X) || q(Z)) <= E KL(q(Z|X) || m(Z))`` for every ``m`` and
    data processing. Training minimises the Lagrangian ``rate + lam * D`` (per-example means),
    which traces the upper-bound curve as ``lam`` varies; at the optimum ``-lam`` is the slope.

    Here ``q(z|x) = N(mu(x), diag sigma(x)^2)`` from an MLP, ``m(z) = N(m, diag s^2)`` with
    learned ``m, s`` (so the rate is an analytic KL in nats per example), and ``g`` an MLP.
    Distortion is the squared error summed over data dimensions, averaged over examples.

    Args:
        data_dim: dimension of ``x``.
        latent_dim: dimension of ``z``.
        lam: Lagrange multiplier on the distortion (``> 0``).
        hidden_units: widths of the encoder and decoder hidden layers.
    """

    def __init__(self, data_dim, latent_dim, lam, hidden_units=(64, 64), **kwargs):
        super().__init__(**kwargs)
        self.data_dim = check_int(data_dim, "data_dim", 1)
        self.latent_dim = check_int(latent_dim, "latent_dim", 1)
        self.lam = check_lam(lam)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.encoder_layers = _mlp(self.hidden_units, 2 * self.latent_dim, "encoder")
        self.decoder_layers = _mlp(self.hidden_units, self.data_dim, "decoder")
        self.prior_loc = self.add_weight(
            name="prior_loc", shape=(self.latent_dim,), initializer="zeros"
        )
        self.prior_log_scale = self.add_weight(
            name="prior_log_scale", shape=(self.latent_dim,), initializer="zeros"
        )
        self.rate_tracker = keras.metrics.Mean(name="rate")
        self.distortion_tracker = keras.metrics.Mean(name="distortion")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker, self.rate_tracker, self.distortion_tracker]

    def _posterior(self, x):
        params = _apply(self.encoder_layers, x)
        loc, raw = params[:, : self.latent_dim], params[:, self.latent_dim :]
        scale = tf.nn.softplus(raw - 2.0) + 1e-5  # starts narrow so the code is informative
        return loc, scale

    def rate_and_distortion(self, x, training=False):
        """Per-example rate (nats) and squared error of a sampled reconstruction."""
        x = tf.convert_to_tensor(x, tf.float32)
        loc, scale = self._posterior(x)
        z = loc + scale * tf.random.normal(tf.shape(loc))
        prior_scale = tf.exp(self.prior_log_scale)
        # KL(N(loc, scale^2) || N(m, s^2)) per dimension, summed: nats per example.
        kl = (
            self.prior_log_scale
            - tf.math.log(scale)
            + (scale**2 + (loc - self.prior_loc) ** 2) / (2.0 * prior_scale**2)
            - 0.5
        )
        rate = tf.reduce_sum(kl, axis=-1)
        xhat = _apply(self.decoder_layers, z)
        distortion = tf.reduce_sum(tf.square(x - xhat), axis=-1)
        return rate, distortion

    def call(self, x, training=False):
        loc, _ = self._posterior(tf.convert_to_tensor(x, tf.float32))
        return _apply(self.decoder_layers, loc)

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            rate, distortion = self.rate_and_distortion(x, training=True)
            loss = tf.reduce_mean(rate) + self.lam * tf.reduce_mean(distortion)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.rate_tracker.update_state(rate)
        self.distortion_tracker.update_state(distortion)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        config = super().get_config()
        config.update(
            data_dim=self.data_dim,
            latent_dim=self.latent_dim,
            lam=self.lam,
            hidden_units=list(self.hidden_units),
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@dataclasses.dataclass(frozen=True)
class RDUpperBound:
    """An evaluated upper-bound point (nats, squared error).

    Attributes:
        rate_nats: mean ``KL(q(z|x) || m(z))`` over the evaluation samples.
        distortion: mean ``||x - g(z)||^2`` with ``z ~ q(z|x)``.
        rate_se, distortion_se: their Monte Carlo standard errors.
        lam: the multiplier the model was trained with.
        model: the trained :class:`RDUpperBoundVAE` (``None`` once serialised away).
    """

    rate_nats: float
    distortion: float
    rate_se: float
    distortion_se: float
    lam: float
    model: object = None


def evaluate_rd_upper_bound(model, samples, seed=0, batch_size=4096):
    """Monte Carlo estimate of a trained model's upper-bound point on held-out samples.

    Yang & Mandt 2022, Sec. 3.1: ``R(D) <= E KL(q(Z|X) || m(Z))`` at
    ``D = E ||X - g(Z)||^2``; both expectations are estimated by per-example means (one code
    sample per example) with their standard errors.

    Args:
        model: a trained :class:`RDUpperBoundVAE`.
        samples: held-out data, shape (n, d).
        seed: seeds the code samples.
        batch_size: examples per evaluation batch.

    Returns:
        An :class:`RDUpperBound`.
    """
    x = as_float_array(samples, "samples").astype(np.float32)
    tf.random.set_seed(seed)
    rates, dists = [], []
    for start in range(0, len(x), batch_size):
        r, d = model.rate_and_distortion(x[start : start + batch_size])
        rates.append(r.numpy())
        dists.append(d.numpy())
    rates = np.concatenate(rates).astype(np.float64)
    dists = np.concatenate(dists).astype(np.float64)
    n = len(rates)
    return RDUpperBound(
        rate_nats=float(rates.mean()),
        distortion=float(dists.mean()),
        rate_se=float(rates.std(ddof=1) / np.sqrt(n)),
        distortion_se=float(dists.std(ddof=1) / np.sqrt(n)),
        lam=model.lam,
        model=model,
    )


def fit_rd_upper_bound(
    samples,
    lam,
    eval_samples=None,
    latent_dim=None,
    hidden_units=(64, 64),
    steps=3000,
    batch_size=256,
    learning_rate=3e-3,
    seed=0,
):
    """Trains an :class:`RDUpperBoundVAE` at multiplier ``lam`` and evaluates its point.

    Args:
        samples: training data, shape (n, d).
        lam: distortion multiplier ``> 0`` (the slope of ``R(D)`` is ``-lam`` at the point).
        eval_samples: held-out data for the reported point (default: ``samples``).
        latent_dim: code dimension (default ``d``).
        hidden_units: MLP widths.
        steps: optimizer steps.
        batch_size: examples per step.
        learning_rate: Adam learning rate (cosine-decayed to 1% over ``steps``).
        seed: seeds initialisation, batching and sampling.

    Returns:
        An :class:`RDUpperBound`.

    Raises:
        ValueError: samples not 2-D, non-positive ``lam`` or sizes.
    """
    x = as_float_array(samples, "samples").astype(np.float32)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"samples must have shape (n, d) with n >= 2, got {x.shape}")
    steps = check_int(steps, "steps", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    keras.utils.set_random_seed(seed)
    model = RDUpperBoundVAE(x.shape[1], latent_dim or x.shape[1], lam, hidden_units)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    data = (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=True)
    )
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return evaluate_rd_upper_bound(
        model, x if eval_samples is None else eval_samples, seed=seed + 1
    )
