"""Rate-distortion lower bound from Csiszar's dual with a neural ``log u`` (Yang & Mandt 2022).

Needs TensorFlow; import this module explicitly (``ibtf.theory`` itself stays numpy/scipy).
"""

import dataclasses
import numpy as np

from ibtf._keras import keras, tf
from ibtf.theory._checks import as_float_array, check_int, check_lam

__all__ = ["DualPotential", "RDLowerBound", "fit_rd_lower_bound", "sup_kernel_mean"]


@keras.utils.register_keras_serializable(package="ibtf")
class DualPotential(keras.Model):
    """The dual potential ``f(x) = -log u(x)`` of Csiszar's R(D) dual, an MLP ``R^d -> R``.

    Args:
        hidden_units: widths of the hidden layers (softplus activations).
    """

    def __init__(self, hidden_units=(64, 64), **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.body = [keras.layers.Dense(u, activation="softplus") for u in self.hidden_units]
        self.head = keras.layers.Dense(1)

    def call(self, x):
        h = tf.convert_to_tensor(x, tf.float32)
        for layer in self.body:
            h = layer(h)
        return tf.squeeze(self.head(h), -1)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def sup_kernel_mean(x, f, lam, iterations=60, starts=32):
    """``log max_y (1/k) sum_i exp(f(x_i) - lam ||x_i - y||^2)`` and its maximiser.

    The objective is a weighted Gaussian-kernel mixture in ``y``; each fixed-point step
    ``y <- sum_i w_i(y) x_i / sum_i w_i(y)``, ``w_i(y) = exp(f(x_i) - lam ||x_i - y||^2)``
    (mean shift, Cheng 1995) never decreases it. The objective is evaluated at every sample
    point and the ``starts`` best ones start a run; the best end point is kept, so the global
    maximum is missed only if none of them lies in its basin (a miss would make the bound
    optimistic, hence many starts in evaluation).

    Args:
        x: (k, d) float32 tensor of samples.
        f: (k,) tensor ``f(x_i) = -log u(x_i)``.
        lam: multiplier ``> 0``.
        iterations: mean-shift steps.
        starts: number of starting points (at most ``k``).

    Returns:
        ``(log_sup, y_star)``.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    f = tf.convert_to_tensor(f, tf.float32)
    k = tf.shape(x)[0]
    x_sq = tf.reduce_sum(tf.square(x), -1)

    def scores(y):  # (m, k): f(x_i) - lam ||x_i - y_j||^2, via matmul (no (m, k, d) tensor)
        sq = tf.reduce_sum(tf.square(y), -1)[:, None] - 2.0 * y @ tf.transpose(x) + x_sq[None, :]
        return f[None, :] - lam * tf.maximum(sq, 0.0)

    log_k = tf.math.log(tf.cast(k, tf.float32))
    at_samples = tf.reduce_logsumexp(scores(x), axis=1) - log_k
    top = tf.math.top_k(at_samples, k=tf.minimum(starts, k)).indices
    y = tf.gather(x, top)
    for _ in range(iterations):
        y = tf.nn.softmax(scores(y), axis=1) @ x
    values = tf.reduce_logsumexp(scores(y), axis=1) - log_k
    best = tf.argmax(values)
    return values[best], y[best]


@dataclasses.dataclass(frozen=True)
class RDLowerBound:
    """A trained dual at one ``lam``: ``R(D) >= intercept - lam * D`` for every ``D``.

    Attributes:
        lam: the multiplier (slope of the supporting line).
        intercept_nats: the plain estimate ``E f(X) - log E[C_k]``.
        conservative_intercept_nats: ``E f`` lowered and ``E[C_k]`` raised by
            ``z`` standard errors each (a finite-sample conservative estimate).
        mean_f, mean_f_se: ``E f(X)`` estimate and its standard error.
        log_mean_sup, log_mean_sup_se: ``log E[C_k]`` over batches and the delta-method SE.
        batch_size: ``k``.
        model: the trained :class:`DualPotential`.
    """

    lam: float
    intercept_nats: float
    conservative_intercept_nats: float
    mean_f: float
    mean_f_se: float
    log_mean_sup: float
    log_mean_sup_se: float
    batch_size: int
    model: object = None

    def rate_at(self, distortion, conservative=True):
        """The lower bound ``max(0, intercept - lam * D)`` on ``R(D)`` (nats)."""
        b = self.conservative_intercept_nats if conservative else self.intercept_nats
        return np.maximum(0.0, b - self.lam * np.asarray(distortion, dtype=np.float64))


def fit_rd_lower_bound(
    samples,
    lam,
    eval_samples=None,
    hidden_units=(64, 64),
    steps=1500,
    batch_size=512,
    eval_batch_size=None,
    eval_batches=64,
    learning_rate=3e-3,
    z=2.0,
    seed=0,
):
    """Trains a dual potential at ``lam`` and estimates the supporting line of ``R(D)``.

    Csiszar 1974 (Yang & Mandt 2022, Theorem 3.1): for ``lam >= 0`` and every positive ``u``
    with ``sup_y E_X[exp(-lam rho(X, y)) / u(X)] <= 1``, ``R(D) >= E[-log u(X)] - lam D``.
    Proof: for any channel ``P_{Y|X}`` with ``E rho <= D`` and ``g = exp(-lam rho)/u``,
    ``E log g(X, Y) - I(X; Y) <= log E_{P_X x P_Y} g <= 0`` (Jensen), so
    ``I >= -lam E rho + E[-log u] >= E[-log u] - lam D``. Any ``u`` is made feasible by
    scaling with ``c* = sup_y E_X[exp(-lam rho(X, y)) / u(X)]``, which gives, with
    ``f = -log u`` and squared error ``rho``,

        R(D) >= E f(X) - log c* - lam D,  c* = sup_y E_X exp(f(X) - lam ||X - y||^2).

    ``c*`` is estimated from batches of ``k`` samples: ``C_k = sup_y (1/k) sum_i
    exp(f(x_i) - lam ||x_i - y||^2)`` (:func:`sup_kernel_mean`). Since the mean of a sup is
    at least the sup of the mean, ``E[C_k] >= c*``, so ``E f - log E[C_k]`` is still a valid
    lower bound (Yang & Mandt's estimator). Training maximises ``mean f - log C_k`` per batch
    (gradient at the maximiser ``y*``, by the envelope theorem). The conservative estimate
    also moves ``E f`` down and ``E[C_k]`` up by ``z`` standard errors over the evaluation
    batches, guarding against the remaining sampling error (the log of a sample mean is
    biased upward as an estimate of ``-log E[C_k]``).

    Args:
        samples: training data (n, d).
        lam: multiplier ``> 0``; the line touches ``R(D)`` where its slope is ``-lam``.
        eval_samples: held-out data for the estimate (default ``samples``); needs at least
            ``batch_size * eval_batches`` rows for independent batches, else batches reuse rows.
        hidden_units: MLP widths of the potential.
        steps: optimizer steps.
        batch_size: samples per training batch.
        eval_batch_size: ``k`` of the estimate (default ``batch_size``). ``E[C_k]`` decreases
            with ``k`` (the sup of an average is at most the average of sups), so a larger
            ``k`` is tighter and remains a valid bound; at large ``lam`` the empirical sup is
            dominated by a few heavily weighted samples and ``k`` must grow.
        eval_batches: independent batches averaged for ``E[C_k]``.
        learning_rate: Adam learning rate.
        z: standard errors of the conservative estimate.
        seed: seeds initialisation and batching.

    Returns:
        An :class:`RDLowerBound`.
    """
    x = as_float_array(samples, "samples").astype(np.float32)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"samples must have shape (n, d) with n >= 2, got {x.shape}")
    lam = check_lam(lam)
    steps = check_int(steps, "steps", 1)
    batch_size = check_int(batch_size, "batch_size", 2)
    eval_k = check_int(eval_batch_size or batch_size, "eval_batch_size", 2)
    eval_batches = check_int(eval_batches, "eval_batches", 2)
    keras.utils.set_random_seed(seed)
    model = DualPotential(hidden_units)
    model(x[:1])
    optimizer = keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.01)
    )

    @tf.function
    def step(batch):
        f_const = model(batch)
        _, y_star = sup_kernel_mean(batch, f_const, lam, iterations=20, starts=8)
        y_star = tf.stop_gradient(y_star)
        with tf.GradientTape() as tape:
            f = model(batch)
            sq = tf.reduce_sum(tf.square(batch - y_star[None, :]), -1)
            log_c = tf.reduce_logsumexp(f - lam * sq) - tf.math.log(
                tf.cast(tf.shape(f)[0], tf.float32)
            )
            objective = tf.reduce_mean(f) - log_c
            loss = -objective
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return objective

    rng = np.random.default_rng(seed)
    for _ in range(steps):
        step(tf.constant(x[rng.choice(len(x), batch_size, replace=False)]))

    held = (
        x
        if eval_samples is None
        else as_float_array(eval_samples, "eval_samples").astype(np.float32)
    )
    f_all = model.predict(held, batch_size=8192, verbose=0).astype(np.float64)
    mean_f = float(f_all.mean())
    mean_f_se = float(f_all.std(ddof=1) / np.sqrt(len(f_all)))
    order = rng.permutation(len(held))
    eval_sup = tf.function(lambda xb, fb: sup_kernel_mean(xb, fb, lam, iterations=100, starts=64))
    sups = []
    for b in range(eval_batches):
        idx = order[(np.arange(eval_k) + b * eval_k) % len(held)]
        log_sup, _ = eval_sup(held[idx], f_all[idx].astype(np.float32))
        sups.append(float(log_sup))
    sups = np.array(sups)
    shift = sups.max()  # E[C_k] = e^shift * mean(exp(log C_k - shift)), stable
    scaled = np.exp(sups - shift)
    mean_c = scaled.mean()
    se_c = scaled.std(ddof=1) / np.sqrt(len(scaled))
    log_mean_sup = float(shift + np.log(mean_c))
    log_mean_sup_se = float(se_c / mean_c)
    intercept = mean_f - log_mean_sup
    conservative = (mean_f - z * mean_f_se) - float(shift + np.log(mean_c + z * se_c))
    return RDLowerBound(
        lam=lam,
        intercept_nats=float(intercept),
        conservative_intercept_nats=float(conservative),
        mean_f=mean_f,
        mean_f_se=mean_f_se,
        log_mean_sup=log_mean_sup,
        log_mean_sup_se=log_mean_sup_se,
        batch_size=eval_k,
        model=model,
    )
