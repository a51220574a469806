"""The Gaussian bottleneck of Deep VIB: features -> q(z|x) = N(mu(x), diag sigma(x)^2)."""
import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers.base import Bottleneck
from ibtf.layers.kl import kl_nats
from ibtf.layers.priors import get_prior

tfd = tfp.distributions

__all__ = ["GaussianBottleneck", "SCALE_PARAMS"]

SCALE_PARAMS = ("softplus", "log_variance", "softmax")


@keras.utils.register_keras_serializable(package="ibtf")
class GaussianBottleneck(Bottleneck):
    """z ~ q(z|x) = N(mu(x), diag sigma(x)^2); rate = KL(q(z|x) || p(z)) in nats per example.

    mu and sigma are affine in the features: [mu, rho] = W x + b, and
    sigma = softplus(rho + scale_shift) + min_scale (``scale_param="softplus"``), or
    sigma = exp((rho + scale_shift) / 2) + min_scale (``"log_variance"``: rho is ln sigma^2, the
    parameterization of Kingma & Welling 2014 and of most multimodal VAE code, e.g. MultiVae's
    encoders), or sigma = units * softmax(rho + scale_shift) + min_scale (``"softmax"``: the
    scales sum to ``units``, as Shi et al.'s MMVAE and MultiVae's ``laplace_with_softmax``),
    so the scale never reaches 0 and the rate is never NaN. The rate is the analytic
    KL for Gaussian priors (standard, learned, conditional) and the single-sample estimate
    ln q(z|x) - ln p(z) otherwise (mixture priors); its mean
    over data upper-bounds I(X; Z) (Alemi et al. 2017, "Deep Variational Information
    Bottleneck", eq. 13), or I(X; Z | C) with a conditional prior r(z|c).

    Args:
      units: size of the code z.
      prior: "standard_normal", "learned_gaussian", "mixture", "conditional" or a Prior layer.
        A conditional prior needs ``context`` at call time.
      scale_shift: added to rho before the softplus. Alemi et al. use -5, which starts the
        scales near 0.007 (a nearly deterministic code); 0 starts them near 0.7.
      min_scale: the floor on sigma.
      scale_param: "softplus", "log_variance" or "softmax" (above).
      inference: the code when not training: "mean" (mu) or "sample".
      rate_weight: None to return ``(code, rate)``; a float to add ``rate_weight * mean(rate)``
        as a layer loss and return the code alone (drop-in use in Sequential models).
      seed: integer seed of the reparameterization noise.

    Call args:
      features: [batch, n] (or [batch, ..., n]) float tensor.
      context: [batch, c] tensor for a conditional prior r(z|c).
      training: sample a reparameterized code if True.

    Returns:
      ``(code [batch, units], rate [batch])``, or the code alone when ``rate_weight`` is set.

    >>> layer = GaussianBottleneck(8, seed=1)
    >>> code, rate = layer(tf.zeros([4, 16]), training=True)
    >>> code.shape, rate.shape
    (TensorShape([4, 8]), TensorShape([4]))
    """

    def __init__(self, units, prior="standard_normal", scale_shift=0.0, min_scale=1e-4,
                 inference="mean", rate_weight=None, seed=None,
                 kernel_initializer="glorot_uniform", scale_param="softplus", **kwargs):
        super().__init__(inference=inference, rate_weight=rate_weight, seed=seed, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"units={units!r} must be a positive integer (the code size)")
        if not min_scale > 0:
            raise ValueError(f"min_scale={min_scale!r} must be > 0 so the rate stays finite")
        if scale_param not in SCALE_PARAMS:
            raise ValueError(f"scale_param={scale_param!r} must be one of {SCALE_PARAMS}")
        self.scale_param = scale_param
        self.units = units
        self.scale_shift = float(scale_shift)
        self.min_scale = float(min_scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.prior = get_prior(prior, latent_dim=units)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank is None or input_shape.rank < 2 or input_shape[-1] is None:
            raise ValueError(f"GaussianBottleneck expects features [batch, ..., n] with a known "
                             f"last dimension n, got {input_shape}; give the input a fixed "
                             "feature size (e.g. keras.Input([n]))")
        self.params = keras.layers.Dense(2 * self.units, kernel_initializer=self.kernel_initializer,
                                         name="params")
        self.params.build(input_shape)
        if not self.prior.conditional:
            self.prior.build(None)
        super().build(input_shape)

    def posterior(self, features):
        """q(z|x) as a TFP distribution with batch shape [batch] and event shape [units]."""
        loc, raw = tf.split(self.params(features), 2, axis=-1)
        if self.scale_param == "log_variance":
            scale = tf.exp(0.5 * (raw + self.scale_shift)) + self.min_scale
        elif self.scale_param == "softmax":
            scale = self.units * tf.nn.softmax(raw + self.scale_shift, axis=-1) + self.min_scale
        else:
            scale = tf.nn.softplus(raw + self.scale_shift) + self.min_scale
        return tfd.Independent(tfd.Normal(loc, scale), 1)

    def sample(self, posterior, num_samples=None, seed=None):
        """Reparameterized draws mu + sigma * eps, shape [num_samples?, batch, units]."""
        normal = posterior.distribution
        shape = tf.shape(normal.loc)
        if num_samples is not None:
            # Common random numbers: one eps per draw, shared by every example.
            shape = [num_samples] + [1] * (normal.loc.shape.rank - 1) + [self.units]
        return normal.loc + normal.scale * self.standard_normal(shape, normal.loc.dtype, seed)

    def call(self, features, context=None, training=None):
        posterior = self.posterior(features)
        prior = self.prior.distribution(context)
        python_training = training is None or isinstance(training, (bool, int))
        if self.inference == "mean" and python_training and not training:
            # No draw unless a Monte Carlo rate needs one: keeps serving graphs lean.
            return self._output(posterior.mean(),
                                kl_nats(posterior, prior, lambda: self.sample(posterior)))
        sample = self.sample(posterior)
        code = self._select(training, sample, posterior.mean())
        return self._output(code, kl_nats(posterior, prior, sample))

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "prior": keras.layers.serialize(self.prior),
                "scale_shift": self.scale_shift, "min_scale": self.min_scale,
                "scale_param": self.scale_param,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
