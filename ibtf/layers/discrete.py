"""Discrete codes: independent bits and one-hot categorical variables, relaxed for training."""
import math

import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers.base import Bottleneck

tfd = tfp.distributions

__all__ = ["BernoulliBottleneck", "RelaxedCategoricalBottleneck"]

DISCRETE_INFERENCE = ("mode", "sample")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return value


def _temperature(value):
    if not value > 0:
        raise ValueError(f"temperature={value!r} must be > 0 (the relaxation sharpens as it "
                         "goes to 0; 0.5 to 1 is common)")
    return float(value)


def _straight_through(hard, soft):
    """Forward pass: the hard code; backward pass: the gradient of the relaxed code."""
    return soft + tf.stop_gradient(hard - soft)


@keras.utils.register_keras_serializable(package="ibtf")
class BernoulliBottleneck(Bottleneck):
    """z in {0, 1}^units, q(z_i = 1 | x) = sigmoid(l_i(x)); rate = KL(q || Bern(p0)^units).

    The rate is analytic, sum_i [q_i ln(q_i/p0) + (1 - q_i) ln((1 - q_i)/(1 - p0))], and at most
    units * ln 2 nats when p0 = 1/2. Training draws the binary-concrete relaxation
    (Maddison et al. 2017; Jang et al. 2017) at ``temperature``; with ``straight_through`` the
    forward pass uses the rounded bits and the backward pass the relaxed gradient.

    Args:
      units: number of bits.
      prior_probability: p0 of the factorized Bernoulli prior.
      temperature: relaxation temperature.
      straight_through: hard bits in the forward pass while training.
      inference: "mode" (bits of the most likely code) or "sample".
      rate_weight, seed: as in ``GaussianBottleneck``.
    """

    inference_modes = DISCRETE_INFERENCE

    def __init__(self, units, prior_probability=0.5, temperature=0.5, straight_through=True,
                 inference="mode", rate_weight=None, seed=None, **kwargs):
        super().__init__(inference=inference, rate_weight=rate_weight, seed=seed, **kwargs)
        self.units = _positive_int("units", units)
        if not 0.0 < prior_probability < 1.0:
            raise ValueError(f"prior_probability={prior_probability!r} must be in (0, 1)")
        self.prior_probability = float(prior_probability)
        self.temperature = _temperature(temperature)
        self.straight_through = bool(straight_through)

    def build(self, input_shape):
        self.logits = keras.layers.Dense(self.units, name="logits")
        self.logits.build(input_shape)
        super().build(input_shape)

    def posterior(self, features):
        return tfd.Independent(tfd.Bernoulli(logits=self.logits(features),
                                             dtype=self.compute_dtype), 1)

    def call(self, features, training=None):
        logits = self.logits(features)
        posterior = tfd.Independent(tfd.Bernoulli(logits=logits, dtype=self.compute_dtype), 1)
        prior = tfd.Independent(tfd.Bernoulli(
            probs=tf.fill([self.units], tf.constant(self.prior_probability, self.compute_dtype)),
            dtype=self.compute_dtype), 1)
        # Binary concrete: sigmoid((l + ln u - ln(1 - u)) / T), u ~ U(0, 1).
        u = self.uniform(tf.shape(logits), logits.dtype)
        soft = tf.sigmoid((logits + tf.math.log(u) - tf.math.log1p(-u)) / self.temperature)
        sample = _straight_through(tf.round(soft), soft) if self.straight_through else soft
        mode = tf.cast(logits > 0, self.compute_dtype)
        code = self._select(training, sample, mode)
        return self._output(code, tfd.kl_divergence(posterior, prior))

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "prior_probability": self.prior_probability, "temperature": self.temperature,
                "straight_through": self.straight_through}


@keras.utils.register_keras_serializable(package="ibtf")
class RelaxedCategoricalBottleneck(Bottleneck):
    """num_variables one-hot codes of num_categories each; rate = KL(q || uniform) in nats.

    Per variable, KL(Cat(pi) || Uniform(K)) = ln K - H(pi), so the rate is at most
    num_variables * ln(num_categories). Training draws Gumbel-softmax samples (Jang et al. 2017,
    "Categorical Reparameterization with Gumbel-Softmax"; Maddison et al. 2017) at
    ``temperature``, optionally straight-through. The code is flattened to
    [batch, num_variables * num_categories].

    Args:
      num_variables: number of categorical variables.
      num_categories: K, categories per variable.
      temperature, straight_through, inference, rate_weight, seed: as in
        ``BernoulliBottleneck``.
    """

    inference_modes = DISCRETE_INFERENCE

    def __init__(self, num_variables, num_categories, temperature=0.5, straight_through=False,
                 inference="mode", rate_weight=None, seed=None, **kwargs):
        super().__init__(inference=inference, rate_weight=rate_weight, seed=seed, **kwargs)
        self.num_variables = _positive_int("num_variables", num_variables)
        self.num_categories = _positive_int("num_categories", num_categories)
        if num_categories < 2:
            raise ValueError("num_categories must be >= 2: a 1-category code carries nothing")
        self.temperature = _temperature(temperature)
        self.straight_through = bool(straight_through)

    def build(self, input_shape):
        self.logits = keras.layers.Dense(self.num_variables * self.num_categories, name="logits")
        self.logits.build(input_shape)
        super().build(input_shape)

    def _logits(self, features):
        return tf.reshape(self.logits(features),
                          [-1, self.num_variables, self.num_categories])

    def posterior(self, features):
        return tfd.Independent(tfd.Categorical(logits=self._logits(features)), 1)

    def call(self, features, training=None):
        logits = self._logits(features)
        posterior = tfd.Independent(tfd.Categorical(logits=logits), 1)
        uniform = tfd.Independent(tfd.Categorical(
            logits=tf.zeros([self.num_variables, self.num_categories], logits.dtype)), 1)
        # Gumbel-softmax: softmax((l + g) / T), g = -ln(-ln u), u ~ U(0, 1).
        gumbel = -tf.math.log(-tf.math.log(self.uniform(tf.shape(logits), logits.dtype)))
        soft = tf.nn.softmax((logits + gumbel) / self.temperature, axis=-1)
        hard = tf.one_hot(tf.argmax(soft, axis=-1), self.num_categories, dtype=soft.dtype)
        sample = _straight_through(hard, soft) if self.straight_through else soft
        mode = tf.one_hot(tf.argmax(logits, axis=-1), self.num_categories, dtype=soft.dtype)
        code = self._select(training, sample, mode)
        flat = tf.reshape(code, [-1, self.num_variables * self.num_categories])
        return self._output(flat, tfd.kl_divergence(posterior, uniform))

    @property
    def max_rate_nats(self):
        return self.num_variables * math.log(self.num_categories)

    def get_config(self):
        return {**super().get_config(), "num_variables": self.num_variables,
                "num_categories": self.num_categories, "temperature": self.temperature,
                "straight_through": self.straight_through}
