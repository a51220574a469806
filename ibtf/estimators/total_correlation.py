"""Total correlation by a discriminator between samples and dimension-wise permuted samples."""
import dataclasses

import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators._data import array_batches, as_matrix, check_int, dataset_batches
from ibtf.xla import resolve_jit_compile
from ibtf.estimators.critics import _apply, _check_seed, _check_units, mlp_layers

__all__ = ["PermutationDiscriminator", "TCEstimate", "estimate_total_correlation",
           "permute_dims"]


def permute_dims(z, seed):
    """Permutes every column of ``z`` independently across the batch.

    Kim & Mnih 2018, "Disentangling by Factorising" (FactorVAE), Algorithm 1: if the rows of z
    are draws from q(z), the permuted rows are (approximately, for a large batch) draws from
    the product of its marginals prod_k q(z_k).

    Args:
      z: [B, d] tensor.
      seed: stateless seed, a shape-[2] int tensor (e.g. ``[seed, step]``).

    Returns:
      [B, d] tensor with column k a permutation of ``z[:, k]``.
    """
    z = tf.convert_to_tensor(z)
    if z.shape.rank != 2:
        raise ValueError(f"z must be a [batch, dims] matrix, got shape {z.shape}.")
    keys = tf.random.stateless_uniform(tf.shape(z), seed=seed)
    order = tf.argsort(keys, axis=0)           # one independent permutation per column
    return tf.experimental.numpy.take_along_axis(z, order, axis=0)


@keras.utils.register_keras_serializable(package="ibtf")
def leaky_relu(x):
    """Leaky ReLU with slope 0.2 (Kim & Mnih's discriminator; Keras 2.14 has no such string)."""
    return tf.nn.leaky_relu(x, alpha=0.2)


def _activation(activation):
    return leaky_relu if activation == "leaky_relu" else keras.activations.get(activation)


@keras.utils.register_keras_serializable(package="ibtf")
class PermutationDiscriminator(keras.Model):
    """MLP logit D(z) telling samples of q(z) from samples of prod_k q(z_k).

    Args:
      hidden_units: hidden widths.
      activation: hidden activation; ``"leaky_relu"`` is slope 0.2, as in Kim & Mnih.
      seed: int seed of the initialisers.
      **kwargs: Keras Model arguments.

    Call arguments:
      z: [B, d] tensor.

    Returns:
      [B] logits, ~ log q(z) / prod_k q(z_k) once trained with the balanced logistic loss.
    """

    def __init__(self, hidden_units=(256, 256), activation="relu", seed=0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = _check_units(hidden_units)
        self.activation = keras.activations.serialize(_activation(activation))
        self.seed = _check_seed(seed)
        self.mlp_layers = mlp_layers(self.hidden_units, 1, _activation(activation), seed, "d")

    def call(self, z):
        return _apply(self.mlp_layers, z)[:, 0]

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), activation=self.activation,
                      seed=self.seed)
        return config


@dataclasses.dataclass(frozen=True)
class TCEstimate:
    """Result of ``estimate_total_correlation``.

    Attributes:
      tc_nats: the estimate in nats (mean logit on ``eval_batches`` batches, no updates).
      history: float64 [steps], the estimate on each training batch before its update.
      discriminator: the trained ``PermutationDiscriminator``.
    """

    tc_nats: float
    history: np.ndarray
    discriminator: keras.Model = dataclasses.field(repr=False, compare=False)


def estimate_total_correlation(z, steps=2000, batch_size=128, seed=0, hidden_units=(256, 256),
                               learning_rate=1e-3, eval_batches=20, jit_compile="auto"):
    """Estimates the total correlation TC(z) = KL(q(z) || prod_k q(z_k)) in nats.

    Watanabe 1960 (total correlation); Kim & Mnih 2018, "Disentangling by Factorising", eq. (3)
    and Sec. 3: a discriminator D is trained to separate rows of z (class 1) from rows whose
    columns were permuted independently across the batch (class 0, ``permute_dims``). With
    balanced classes its logit is the density ratio, so

        TC(z) = E_q(z)[log q(z) / prod_k q(z_k)] ~= mean over real rows of D(z).

    For a Gaussian with correlation matrix R the truth is ``-1/2 ln det R``.

    Args:
      z: [n, d] array (d >= 2), or a ``tf.data.Dataset`` of vectors or batches.
      steps: Adam steps.
      batch_size: rows per step; each is permuted to make the same number of negatives.
      seed: seeds the initialisers, the shuffling and the permutations.
      hidden_units: discriminator widths.
      learning_rate: Adam's learning rate.
      eval_batches: batches averaged for ``tc_nats``.
      jit_compile: "auto" (XLA only on GPU/TPU), True or False.

    Returns:
      ``TCEstimate``.

    Raises:
      ValueError / TypeError: naming the argument that is wrong.
    """
    steps = check_int(steps, "steps", 1, "a few thousand steps are typical.")
    batch_size = check_int(batch_size, "batch_size", 2, "permutations need B >= 2.")
    seed = check_int(seed, "seed", 0, "pass a non-negative int.")
    eval_batches = check_int(eval_batches, "eval_batches", 1, "20 is the default.")
    if isinstance(z, tf.data.Dataset):
        batches = dataset_batches(z, batch_size, arity=1)
        dims = z.element_spec.shape[-1]
    else:
        matrix = as_matrix(z, "z")
        dims = matrix.shape[1]
    if dims is not None and dims < 2:
        raise ValueError(f"z must have at least 2 dimensions for a total correlation, got {dims}.")
    if not isinstance(z, tf.data.Dataset):
        batches = array_batches((matrix,), batch_size, seed, ("z",))

    model = PermutationDiscriminator(hidden_units=hidden_units, seed=seed)
    optimizer = keras.optimizers.Adam(learning_rate, jit_compile=False)
    jit = resolve_jit_compile(jit_compile)

    def step(real, permutation_seed):
        fake = permute_dims(real, permutation_seed)
        with tf.GradientTape() as tape:
            logits_real = model(real, training=True)
            logits_fake = model(fake, training=True)
            loss = 0.5 * (tf.reduce_mean(tf.nn.softplus(-logits_real))
                          + tf.reduce_mean(tf.nn.softplus(logits_fake)))
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return tf.reduce_mean(logits_real)

    train_step = tf.function(step, jit_compile=jit)
    evaluate = tf.function(lambda real: tf.reduce_mean(model(real, training=False)),
                           jit_compile=jit)
    history = [train_step(next(batches)[0], tf.constant([seed, k], tf.int64))
               for k in range(steps)]
    final = [evaluate(next(batches)[0]) for _ in range(eval_batches)]
    return TCEstimate(
        tc_nats=float(np.mean(np.asarray(final, dtype=np.float64))),
        history=np.asarray(history, dtype=np.float64),
        discriminator=model,
    )
