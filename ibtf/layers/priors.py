"""Priors over codes: p(z) unconditional, or r(z|c) conditioned on a context.

A prior is a Keras layer whose ``distribution(context)`` returns a TFP distribution with event
shape [latent_dim]. Bottlenecks take a prior by name or instance and tell it the latent size.
"""
import math

import tensorflow_probability as tfp

from ibtf._keras import keras, tf

tfd = tfp.distributions

__all__ = ["Prior", "StandardNormalPrior", "LearnedGaussianPrior", "MixturePrior",
           "ConditionalGaussianPrior", "get_prior", "PRIOR_NAMES"]


def _check_dim(latent_dim):
    if latent_dim is not None and (isinstance(latent_dim, bool) or not isinstance(latent_dim, int)
                                   or latent_dim < 1):
        raise ValueError(f"latent_dim={latent_dim!r} must be a positive integer")
    return latent_dim


def _softplus_inverse(x):
    return math.log(math.expm1(x))


class Prior(keras.layers.Layer):
    """Base class. Subclasses create weights in ``build`` and implement ``distribution``."""

    conditional = False

    def __init__(self, latent_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = _check_dim(latent_dim)

    def set_latent_dim(self, latent_dim):
        """Called by a bottleneck with its code size; an explicit mismatch is an error."""
        _check_dim(latent_dim)
        if self.latent_dim is not None and self.latent_dim != latent_dim:
            raise ValueError(f"{type(self).__name__} has latent_dim={self.latent_dim} but the "
                             f"bottleneck has units={latent_dim}: make them equal or leave the "
                             "prior's latent_dim unset")
        self.latent_dim = latent_dim

    def build(self, input_shape=None):
        if self.latent_dim is None:
            raise ValueError(f"{type(self).__name__} needs latent_dim: pass it, or give the "
                             "prior to a bottleneck, which sets it to its units")
        super().build(input_shape)

    def _ensure_built(self):
        if not self.built:
            self.build(None)

    def distribution(self, context=None):
        raise NotImplementedError

    def call(self, context):
        return self.distribution(context)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.utils.register_keras_serializable(package="ibtf")
class StandardNormalPrior(Prior):
    """p(z) = N(0, I): the prior of Deep VIB (Alemi et al. 2017) and the VAE."""

    def distribution(self, context=None):
        self._ensure_built()
        zeros = tf.zeros([self.latent_dim], self.compute_dtype)
        return tfd.Independent(tfd.Normal(zeros, tf.ones_like(zeros)), 1)


@keras.utils.register_keras_serializable(package="ibtf")
class LearnedGaussianPrior(Prior):
    """p(z) = N(m, diag s^2) with trainable m and s = softplus(rho) (initialised at N(0, I))."""

    def build(self, input_shape=None):
        super().build(input_shape)
        self.loc = self.add_weight("loc", [self.latent_dim], initializer="zeros")
        self.raw_scale = self.add_weight(
            "raw_scale", [self.latent_dim],
            initializer=keras.initializers.Constant(_softplus_inverse(1.0)))

    def distribution(self, context=None):
        self._ensure_built()
        return tfd.Independent(tfd.Normal(self.loc, tf.nn.softplus(self.raw_scale) + 1e-5), 1)


@keras.utils.register_keras_serializable(package="ibtf")
class MixturePrior(Prior):
    """p(z) = sum_k pi_k N(m_k, diag s_k^2), all trainable (as in VampPrior-style learned priors).

    KL to a mixture has no closed form: bottlenecks use the Monte Carlo estimate.

    Args:
      num_components: K.
      seed: seeds the spread of the initial component means (N(0, 1) draws).
      learn_weights: train the mixture weights pi (the default); False keeps them uniform,
        pi_k = 1/K, which stops one component from absorbing its neighbours' codes while the
        others' weights decay to zero (seen in GMM-prior VAEs trained on separated clusters).
    """

    def __init__(self, num_components=10, latent_dim=None, seed=None, learn_weights=True,
                 **kwargs):
        super().__init__(latent_dim=latent_dim, **kwargs)
        if isinstance(num_components, bool) or not isinstance(num_components, int) \
                or num_components < 1:
            raise ValueError(f"num_components={num_components!r} must be a positive integer")
        self.num_components = num_components
        self.seed = seed
        self.learn_weights = bool(learn_weights)

    def build(self, input_shape=None):
        super().build(input_shape)
        k, d = self.num_components, self.latent_dim
        self.logits = self.add_weight("logits", [k], initializer="zeros",
                                      trainable=self.learn_weights)
        self.locs = self.add_weight("locs", [k, d],
                                    initializer=keras.initializers.RandomNormal(seed=self.seed))
        self.raw_scales = self.add_weight(
            "raw_scales", [k, d], initializer=keras.initializers.Constant(_softplus_inverse(1.0)))

    def distribution(self, context=None):
        self._ensure_built()
        components = tfd.Independent(
            tfd.Normal(self.locs, tf.nn.softplus(self.raw_scales) + 1e-5), 1)
        return tfd.MixtureSameFamily(tfd.Categorical(logits=self.logits), components)

    def get_config(self):
        return {**super().get_config(), "num_components": self.num_components,
                "seed": self.seed, "learn_weights": self.learn_weights}


@keras.utils.register_keras_serializable(package="ibtf")
class ConditionalGaussianPrior(Prior):
    """r(z|c) = N(m(c), diag s(c)^2) with m, s affine in the context c.

    The conditional prior of TEB (r(z|c), c the target history's code) and CEB's backward
    encoder b(z|y) (c a one-hot label). With ``learn_scale=False`` the scale is 1.

    Args:
      learn_scale: learn s(c) = softplus(W c + b) + min_scale, else s = 1.
      min_scale: the scale floor, so the density never degenerates.
    """

    conditional = True

    def __init__(self, latent_dim=None, learn_scale=True, min_scale=1e-4, **kwargs):
        super().__init__(latent_dim=latent_dim, **kwargs)
        if not min_scale > 0:
            raise ValueError(f"min_scale={min_scale!r} must be > 0")
        self.learn_scale = bool(learn_scale)
        self.min_scale = float(min_scale)

    def build(self, input_shape=None):
        super().build(input_shape)
        width = 2 * self.latent_dim if self.learn_scale else self.latent_dim
        self.params = keras.layers.Dense(width, name="params")
        if input_shape is not None:
            self.params.build(input_shape)

    def distribution(self, context=None):
        if context is None:
            raise ValueError("ConditionalGaussianPrior needs a context tensor [batch, c]: pass "
                             "context=... to the bottleneck (e.g. a one-hot label for CEB)")
        if not self.built:
            self.build(context.shape)
        params = self.params(context)
        if self.learn_scale:
            loc, raw = tf.split(params, 2, axis=-1)
            scale = tf.nn.softplus(raw) + self.min_scale
        else:
            loc, scale = params, tf.ones_like(params)
        return tfd.Independent(tfd.Normal(loc, scale), 1)

    def get_config(self):
        return {**super().get_config(), "learn_scale": self.learn_scale,
                "min_scale": self.min_scale}


PRIOR_NAMES = {
    "standard_normal": StandardNormalPrior,
    "learned_gaussian": LearnedGaussianPrior,
    "mixture": MixturePrior,
    "conditional": ConditionalGaussianPrior,
}


def get_prior(identifier, latent_dim=None):
    """Returns a prior layer from a name, a config dict or an instance."""
    if isinstance(identifier, Prior):
        prior = identifier
    elif isinstance(identifier, str):
        if identifier not in PRIOR_NAMES:
            raise ValueError(f"prior={identifier!r} is not a known prior; use one of "
                             f"{sorted(PRIOR_NAMES)} or a Prior layer instance")
        prior = PRIOR_NAMES[identifier]()
    elif isinstance(identifier, dict):
        prior = keras.layers.deserialize(identifier)
        if not isinstance(prior, Prior):
            raise TypeError(f"prior config deserialised to {type(prior).__name__}, not a Prior")
    else:
        raise TypeError(f"prior must be a name in {sorted(PRIOR_NAMES)} or a Prior layer, got "
                        f"{type(identifier).__name__}")
    if latent_dim is not None:
        prior.set_latent_dim(latent_dim)
    return prior
