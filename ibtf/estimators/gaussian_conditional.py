"""A Gaussian variational conditional q(y|x), the network vCLUB needs."""
import math

from ibtf._keras import keras, tf
from ibtf.estimators.critics import (
    _apply,
    _check_seed,
    _check_units,
    _split_pair,
    _split_pair_shape,
)

__all__ = ["GaussianConditionalCritic"]


@keras.utils.register_keras_serializable(package="ibtf")
class GaussianConditionalCritic(keras.Model):
    """``q(y|x) = N(mu(x), diag exp(log_var(x)))``, scored on all pairs of a batch.

    Cheng et al. 2020, "CLUB: A Contrastive Log-ratio Upper Bound of Mutual Information",
    Sec. 3.2: vCLUB replaces the unknown p(y|x) by a variational Gaussian q(y|x) fitted by
    maximum likelihood. The log variance goes through ``tanh`` scaled by ``max_log_var`` as in
    the paper's code, which keeps early training from collapsing a variance.

    The [B, B] matrix ``log q(y_i | x_j)`` costs three matrix products instead of B^2 network
    passes, because the Gaussian log density expands as
    ``sum_k -1/2 [log 2 pi + s_jk + (y_ik^2 - 2 y_ik mu_jk + mu_jk^2) e^{-s_jk}]``.

    Args:
      hidden_units: hidden widths of the MLP that outputs (mu, log_var).
      activation: Keras activation of the hidden layers.
      max_log_var: bound on |log_var|, > 0.
      seed: int seed of the initialisers.
      **kwargs: Keras Model arguments.

    Call arguments:
      inputs: pair ``(x, y)`` of [B, dx] and [B, dy] tensors.

    Returns:
      [B, B] tensor ``log q(y_i | x_j)`` in nats.
    """

    def __init__(self, hidden_units=(256, 256), activation="relu", max_log_var=10.0, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = _check_units(hidden_units)
        self.activation = keras.activations.serialize(keras.activations.get(activation))
        if isinstance(max_log_var, bool) or not isinstance(max_log_var, (int, float)) \
                or not max_log_var > 0:
            raise ValueError(f"max_log_var must be a positive number, got {max_log_var!r}.")
        self.max_log_var = float(max_log_var)
        self.seed = _check_seed(seed)
        self.trunk = [
            keras.layers.Dense(units, activation=activation, name=f"trunk_{k}",
                               kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k))
            for k, units in enumerate(self.hidden_units)
        ]
        # The heads' width is dy, known only in build.
        self.loc_layer = None
        self.log_var_layer = None

    def build(self, input_shape):
        x_shape, y_shape = _split_pair_shape(input_shape)
        y_dim = int(y_shape[-1])
        self.loc_layer = keras.layers.Dense(
            y_dim, kernel_initializer=keras.initializers.GlorotUniform(seed=self.seed + 50),
            name="loc")
        self.log_var_layer = keras.layers.Dense(
            y_dim, kernel_initializer=keras.initializers.GlorotUniform(seed=self.seed + 51),
            name="log_var")
        shape = x_shape
        for layer in self.trunk:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.loc_layer.build(shape)
        self.log_var_layer.build(shape)
        # Model.build would try to trace the call from one shape; a pair needs the Layer one.
        keras.layers.Layer.build(self, input_shape)

    def conditional_params(self, x):
        """Returns (loc, log_var) of q(y|x), each [B, dy]."""
        features = _apply(self.trunk, x)
        loc = self.loc_layer(features)
        log_var = self.max_log_var * tf.tanh(self.log_var_layer(features) / self.max_log_var)
        return loc, log_var

    def call(self, inputs):
        x, y = _split_pair(inputs)
        loc, log_var = self.conditional_params(x)
        precision = tf.exp(-log_var)                                       # [Bx, d]
        quadratic = (tf.matmul(tf.square(y), precision, transpose_b=True)  # [By, Bx]
                     - 2.0 * tf.matmul(y, loc * precision, transpose_b=True)
                     + tf.reduce_sum(tf.square(loc) * precision, axis=-1)[None, :])
        log_norm = tf.reduce_sum(log_var, axis=-1)[None, :] + y.shape[-1] * math.log(2 * math.pi)
        return -0.5 * (quadratic + log_norm)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), activation=self.activation,
                      max_log_var=self.max_log_var, seed=self.seed)
        return config
