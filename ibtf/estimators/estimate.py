"""``estimate_mi``: train a critic on paired samples and report a mutual-information estimate."""
import dataclasses

import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators._data import array_batches, as_matrix, check_int, dataset_batches
from ibtf.xla import resolve_jit_compile
from ibtf.estimators.copula import gaussian_copula_transform
from ibtf.estimators.critics import ConcatCritic, SeparableCritic
from ibtf.estimators.gaussian_conditional import GaussianConditionalCritic
from ibtf.estimators.objectives import METHODS, make_objective

__all__ = ["MIEstimate", "estimate_mi"]


@dataclasses.dataclass(frozen=True)
class MIEstimate:
    """Result of ``estimate_mi``.

    Attributes:
      mi_nats: the estimate in nats: the method's value averaged over ``eval_batches`` batches
        with the trained critic (no updates).
      history: float64 array [steps], the estimate on each training batch before its update.
      evaluations: float64 array [eval_batches], the estimate on each evaluation batch; its
        standard deviation is the estimator's per-batch spread.
      method: the method used.
      batch_size: pairs per batch (bounds such as InfoNCE depend on it).
      critic: the trained critic (a Keras model returning the [B, B] score matrix).
    """

    mi_nats: float
    history: np.ndarray
    evaluations: np.ndarray
    method: str
    batch_size: int
    critic: keras.Model = dataclasses.field(repr=False, compare=False)


def _build_critic(critic, kind, seed):
    if isinstance(critic, keras.Model):
        return critic
    if critic == "default":
        critic = "gaussian" if kind == "gaussian" else "separable"
    builders = {"separable": SeparableCritic, "concat": ConcatCritic,
                "gaussian": GaussianConditionalCritic}
    if critic not in builders:
        raise ValueError(
            f"critic must be 'default', 'separable', 'concat', 'gaussian' or a keras.Model "
            f"mapping (x, y) to a [B, B] matrix, got {critic!r}."
        )
    if (critic == "gaussian") != (kind == "gaussian"):
        raise ValueError(
            f"critic={critic!r} does not fit this method: vclub needs critic='gaussian' (log "
            "q(y|x) scores) and the other methods need 'separable' or 'concat'."
        )
    return builders[critic](seed=seed)


def make_train_step(critic, objective, optimizer, jit_compile):
    """A tf.function step: scores -> loss -> one optimizer update; returns the estimate."""

    def step(x, y):
        with tf.GradientTape() as tape:
            scores = critic((x, y), training=True)
            loss, estimate = objective.train(scores)
        variables = critic.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return estimate

    return tf.function(step, jit_compile=jit_compile)


def estimate_mi(x, y=None, method="smile", steps=3000, batch_size=64, seed=0,
                critic="default", learning_rate=5e-4, clip=5.0, mine_decay=0.9,
                eval_batches=20, copula=False, jit_compile="auto"):
    """Estimates I(X; Y) in nats by training a critic on a variational bound.

    Poole et al. 2019, "On Variational Bounds of Mutual Information"; Song & Ermon 2020,
    "Understanding the Limitations of Variational Mutual Information Estimators". Each step
    draws B pairs, scores all B^2 combinations ``scores[i, j] = critic(x_j, y_i)`` (diagonal =
    joint), and takes an Adam step on the method's objective (see ``make_objective``):

    - "infonce": I_NCE, capped at ln(batch_size); low variance.
    - "nwj", "dv": unbiased / plain DV bounds; variance grows like exp(I).
    - "mine": DV value with MINE's moving-average gradient (Belghazi et al. 2018).
    - "jsd": NWJ value of a critic trained with the JS objective (Deep InfoMax).
    - "smile": DV with clipped partition term (tau = ``clip``), JS gradient; the default,
      because it is the least biased at high MI for the batch sizes used in practice.
    - "ratio": balanced joint-vs-marginal classifier; mean logit on joint pairs.
    - "vclub": CLUB upper bound with a Gaussian q(y|x) fitted by maximum likelihood.

    Args:
      x: [n, dx] array (a 1-D array is one feature), or a ``tf.data.Dataset`` of (x, y) pairs
        (single examples or batches; re-batched to ``batch_size``) with ``y=None``.
      y: [n, dy] array paired row by row with x, or None when x is a dataset.
      method: one of ``METHODS``.
      steps: training steps (Adam updates).
      batch_size: pairs per step; >= 2.
      seed: seeds the critic's initialisers and the shuffling of arrays.
      critic: "default" (separable; Gaussian q(y|x) for vclub), "separable", "concat",
        "gaussian", or a Keras model mapping ``(x, y)`` to a [B, B] matrix.
      learning_rate: Adam's learning rate.
      clip: SMILE's tau.
      mine_decay: MINE's moving-average decay.
      eval_batches: batches averaged (without updates) for ``mi_nats``.
      copula: if True, replace every column of x and y by normal scores of its ranks first
        (``gaussian_copula_transform``; arrays only). MI is unchanged, and estimates become
        exactly invariant to increasing per-coordinate maps such as y -> y^3.
      jit_compile: "auto" (XLA only on GPU/TPU), True or False.

    Returns:
      ``MIEstimate`` with ``mi_nats`` and the per-step ``history``.

    Raises:
      ValueError / TypeError: naming the argument that is wrong.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4096, 2)); y = 0.9 * x + np.sqrt(1 - 0.81) * rng.normal(size=x.shape)
    >>> estimate_mi(x, y, steps=500).mi_nats   # truth: -ln(1 - 0.81) = 1.66  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    steps = check_int(steps, "steps", 1, "a few thousand steps are typical.")
    batch_size = check_int(batch_size, "batch_size", 2, "64 is typical; bounds need B >= 2.")
    seed = check_int(seed, "seed", 0, "pass a non-negative int.")
    eval_batches = check_int(eval_batches, "eval_batches", 1, "20 is the default.")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not learning_rate > 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}.")
    objective = make_objective(method, clip=clip, mine_decay=mine_decay)
    jit = resolve_jit_compile(jit_compile)

    if not isinstance(copula, bool):
        raise TypeError(f"copula must be True or False, got {copula!r}.")
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise TypeError("y must be None when x is a tf.data.Dataset of (x, y) pairs.")
        if copula:
            raise ValueError("copula=True needs the whole sample to rank: pass numpy arrays, "
                             "or transform the data before building the dataset.")
        batches = dataset_batches(x, batch_size, arity=2)
    else:
        if y is None:
            raise TypeError("y is missing: pass arrays x and y, or a tf.data.Dataset of pairs.")
        x, y = as_matrix(x, "x"), as_matrix(y, "y")
        if copula:
            x, y = gaussian_copula_transform(x), gaussian_copula_transform(y)
        batches = array_batches((x, y), batch_size, seed, ("x", "y"))

    model = _build_critic(critic, objective.critic_kind, seed)
    optimizer = keras.optimizers.Adam(learning_rate, jit_compile=False)
    train_step = make_train_step(model, objective, optimizer, jit)
    evaluate = tf.function(lambda a, b: objective.evaluate(model((a, b), training=False)),
                           jit_compile=jit)

    # Arrays are consumed epoch by epoch, so with n = batch_size * (steps + eval_batches) the
    # evaluation batches are exactly the examples the critic never trained on.
    history = [train_step(*next(batches)) for _ in range(steps)]
    final = [evaluate(*next(batches)) for _ in range(eval_batches)]
    evaluations = np.asarray(final, dtype=np.float64)
    return MIEstimate(
        mi_nats=float(np.mean(evaluations)),
        history=np.asarray(history, dtype=np.float64),
        evaluations=evaluations,
        method=method,
        batch_size=batch_size,
        critic=model,
    )
