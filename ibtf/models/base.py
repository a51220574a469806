"""What every ibtf model shares: the XLA policy, a schedulable beta, checked array inputs."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.xla import resolve_jit_compile

__all__ = ["IBModel", "check_beta", "check_array"]


def check_beta(beta):
    """beta must be a finite float >= 0; returns it as a float."""
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise TypeError(f"beta={beta!r} must be a number >= 0 (the weight on the rate)") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"beta={beta!r} must be finite and >= 0: it multiplies the rate in "
                         "nats; use 0 for no bottleneck pressure")
    return value


def check_array(name, value, trailing_shape=None):
    """Checks a numpy-convertible input: numeric, finite, with the expected trailing shape.

    Tensors and tf.data datasets pass through unchecked (their shapes are checked by the
    graph). Returns the input as float32 numpy when it was array-like.
    """
    if value is None or isinstance(value, (tf.data.Dataset, tf.Tensor, dict)):
        return value
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric (array-like of floats), got "
                        f"{type(value).__name__}; convert categorical columns first") from None
    if array.ndim < 2:
        raise ValueError(f"{name} has shape {array.shape}; expected [examples, features...]: "
                         "reshape a single example with x[None] or a 1-D feature with x[:, None]")
    bad = ~np.isfinite(array).reshape(len(array), -1).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(f"{name} has non-finite values (NaN or inf) in {len(rows)} rows, first "
                         f"{rows[:5].tolist()}; drop or impute them before fitting")
    if trailing_shape is not None and tuple(array.shape[1:]) != tuple(trailing_shape):
        raise ValueError(f"{name} has feature shape {tuple(array.shape[1:])} but the model was "
                         f"built for {tuple(trailing_shape)}; pass features of that shape")
    return array


class IBModel(keras.Model):
    """Base of ibtf's Keras models.

    ``compile(jit_compile="auto")`` applies the XLA policy (XLA on GPU/TPU, plain graph
    execution on CPU). ``beta`` is a non-trainable variable so ``BetaSchedule`` can change it
    between steps of a compiled train function.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = tf.Variable(check_beta(beta), trainable=False, dtype=tf.float32,
                                 name="beta")

    @property
    def beta(self):
        return float(self._beta.numpy())

    @beta.setter
    def beta(self, value):
        self._beta.assign(check_beta(value))

    def minimize(self, loss, tape, variables=None, optimizer=None):
        """One optimizer step on ``loss``, a per-example mean over this replica's batch.

        Under a tf.distribute strategy the optimizer sums gradients over replicas, so the loss
        gradients are divided by their number, as Keras does for compiled losses: the step is
        then the gradient of the mean over the global batch. ``variables`` defaults to all
        trainable variables (a model with a second optimizer, e.g. a critic's, passes its
        variables and ``optimizer``; the tape must then be persistent).
        """
        variables = self.trainable_variables if variables is None else variables
        grads = tape.gradient(loss, variables)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            grads = [None if g is None else g / replicas for g in grads]
        (optimizer or self.optimizer).apply_gradients(zip(grads, variables))

    def _build_for(self, x):
        """Builds before Keras starts its step function: variables created inside a
        distributed step would be per-replica."""
        if self.built or x is None:
            return
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            shape = spec.shape
        else:
            shape = tf.TensorShape([None, *np.shape(x)[1:]])
        with self.distribute_strategy.scope():
            self.build(shape)

    def compile(self, optimizer="adam", jit_compile="auto", **kwargs):
        super().compile(optimizer=optimizer, jit_compile=resolve_jit_compile(jit_compile),
                        **kwargs)
