"""A modality of a multimodal VAE: its encoder to a Gaussian expert, its decoder, its likelihood."""
import math
import re

import numpy as np
import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers.gaussian import SCALE_PARAMS, GaussianBottleneck

tfd = tfp.distributions

__all__ = ["Modality", "LIKELIHOODS"]

LIKELIHOODS = ("gaussian", "laplace", "bernoulli", "categorical")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED = ("mask",)
INITS = ("glorot", "fan_in_uniform")


def _mlp(units, name):
    return keras.Sequential([keras.layers.Dense(u, activation="relu") for u in units], name=name)


@keras.utils.register_keras_serializable(package="ibtf")
class Modality(keras.layers.Layer):
    """One modality x_m: an encoder to the expert q(z|x_m), a decoder and a TFP likelihood.

    q(z|x_m) = N(mu_m(x), diag sigma_m(x)^2) (a ``GaussianBottleneck`` on the encoder's
    features); p(x_m|z) is, per feature, Normal(loc, s), Laplace(loc, s), Bernoulli(logits)
    or, for ``categorical``, OneHotCategorical(logits) over the last axis (x one-hot). The
    scale s is fixed (``scale``) or learned per feature (``learn_scale=True``).

    Args:
      shape: the shape of one example, e.g. (64,) or (28, 28, 1).
      likelihood: one of ``LIKELIHOODS``.
      hidden_units: sizes of the default MLP encoder; the default decoder mirrors them and
        ends with a linear layer of prod(shape) units. ``()`` makes both affine.
      encoder: any Keras layer mapping [B, *shape] to [B, n] features; replaces the default.
      decoder: any Keras layer mapping [B, latent_dim] to [B, *shape] likelihood parameters
        (loc or logits); replaces the default.
      scale: the fixed, or initial learned, scale of a Gaussian/Laplace likelihood.
      learn_scale: learn one log-scale per feature.
      likelihood_weight: lambda_m, the weight of ln p(x_m|z) in every objective (Wu & Goodman
        2018 and Shi et al. 2019 rescale likelihoods of modalities of different sizes).
      latent_dim: set by the model.
      seed: seed of the expert's noise.
      expert_scale: how the expert's scale is parameterized, "softplus", "log_variance"
        (the encoder outputs ln sigma^2, as MultiVae's encoders do) or "softmax" (d times a
        softmax, as Shi et al.'s MMVAE): ``GaussianBottleneck``'s ``scale_param``. The
        expert's family (Gaussian, or Laplace for an MMVAE with ``family="laplace"``) is the
        model's: the modality gives its location and scale.
      init: the initialisation of the default encoder's, decoder's and expert's Dense layers:
        "glorot" (Keras's default: Glorot-uniform kernels, zero biases) or "fan_in_uniform"
        (PyTorch's ``nn.Linear`` default, kernels and biases U(-1/sqrt(n_in), 1/sqrt(n_in)):
        the networks of MultiVae and most multimodal VAE code). A custom ``encoder`` or
        ``decoder`` keeps its own.
      name: the modality's name: letters, digits, underscores; it keys the input dict.
      expert_min_scale: the floor added to the expert's scale (None: ``GaussianBottleneck``'s
        default 1e-4). Shi et al.'s and MultiVae's softmax-scaled Laplace experts add 1e-6.
    """

    def __init__(self, shape, likelihood="gaussian", hidden_units=(128,), encoder=None,
                 decoder=None, scale=1.0, learn_scale=False, likelihood_weight=1.0,
                 latent_dim=None, seed=0, expert_scale="softplus", init="glorot", name=None,
                 expert_min_scale=None, **kwargs):
        if name is None or not isinstance(name, str) or not _NAME.match(name) or \
                name in RESERVED:
            raise ValueError(f"modality name={name!r} must be an identifier (letters, digits, "
                             f"underscores, starting with a letter) other than {RESERVED}, "
                             "e.g. Modality((64,), name='image')")
        super().__init__(name=name, **kwargs)
        try:
            self.event_shape = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(f"modality {name!r}: shape={shape!r} must be a tuple of ints, "
                            "e.g. (64,)") from None
        if not self.event_shape or min(self.event_shape) < 1:
            raise ValueError(f"modality {name!r}: shape={shape!r} must be non-empty with "
                             "positive sizes")
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"modality {name!r}: likelihood={likelihood!r} must be one of "
                             f"{LIKELIHOODS}")
        if not (scale > 0):
            raise ValueError(f"modality {name!r}: scale={scale!r} must be > 0")
        self.likelihood = likelihood
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.scale = float(scale)
        self.learn_scale = bool(learn_scale)
        self.likelihood_weight = float(likelihood_weight)
        self.seed = int(seed)
        if expert_scale not in SCALE_PARAMS:
            raise ValueError(f"modality {name!r}: expert_scale={expert_scale!r} must be one of "
                             f"{SCALE_PARAMS}")
        self.expert_scale = expert_scale
        if expert_min_scale is not None and not expert_min_scale > 0:
            raise ValueError(f"modality {name!r}: expert_min_scale={expert_min_scale!r} must be "
                             "> 0 (or None for the bottleneck's default)")
        self.expert_min_scale = None if expert_min_scale is None else float(expert_min_scale)
        if init not in INITS:
            raise ValueError(f"modality {name!r}: init={init!r} must be one of {INITS}")
        self.init = init
        self.size = int(np.prod(self.event_shape))
        if isinstance(encoder, dict):
            encoder = keras.layers.deserialize(encoder)
        if isinstance(decoder, dict):
            decoder = keras.layers.deserialize(decoder)
        self._custom_encoder, self._custom_decoder = encoder is not None, decoder is not None
        self.encoder = encoder if encoder is not None else keras.Sequential(
            [keras.layers.Flatten(), *_mlp(self.hidden_units, "enc").layers], name="encoder")
        if decoder is None:
            decoder = keras.Sequential(
                [*_mlp(self.hidden_units[::-1], "dec").layers, keras.layers.Dense(self.size),
                 keras.layers.Reshape(self.event_shape)], name="decoder")
        self.decoder = decoder
        self.latent_dim = None
        if latent_dim is not None:
            self.set_latent_dim(latent_dim)

    def set_latent_dim(self, latent_dim):
        if self.latent_dim is not None:
            if self.latent_dim != latent_dim:
                raise ValueError(f"modality {self.name!r} was made for latent_dim="
                                 f"{self.latent_dim}, not {latent_dim}")
            return
        self.latent_dim = int(latent_dim)
        floor = {} if self.expert_min_scale is None else {"min_scale": self.expert_min_scale}
        self.expert = GaussianBottleneck(self.latent_dim, seed=self.seed, name="expert",
                                         scale_param=self.expert_scale, **floor)

    def build(self, input_shape=None):
        if self.latent_dim is None:
            raise ValueError(f"modality {self.name!r} has no latent_dim: give it to a model")
        with tf.name_scope(self.name):  # weight names "<modality>/..." even outside a call
            features = self.encoder(tf.zeros([1, *self.event_shape]))
            self.expert.build(features.shape)
            out = self.decoder(tf.zeros([1, self.latent_dim]))
        if self.init == "fan_in_uniform":
            self._fan_in_uniform_init()
        if tuple(out.shape[1:]) != self.event_shape:
            raise ValueError(f"modality {self.name!r}: the decoder maps a code to shape "
                             f"{tuple(out.shape[1:])}, not the modality's {self.event_shape}; "
                             "end it with Dense(prod(shape)) and Reshape(shape)")
        if self.likelihood in ("gaussian", "laplace"):
            self.log_scale = self.add_weight(
                f"{self.name}_log_scale", self.event_shape, trainable=self.learn_scale,
                initializer=keras.initializers.Constant(math.log(self.scale)))
        super().build(input_shape)

    def _fan_in_uniform_init(self):
        """Kernels and biases of the default networks' Dense layers ~ U(-1/sqrt(n_in),
        1/sqrt(n_in)), seeded by the modality's seed (PyTorch's ``nn.Linear.reset_parameters``:
        kaiming_uniform(a=sqrt(5)) for the kernel)."""
        layers = [self.expert.params]
        for net, custom in ((self.encoder, self._custom_encoder),
                            (self.decoder, self._custom_decoder)):
            if not custom:
                layers += [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]
        for i, layer in enumerate(layers):
            bound = 1.0 / math.sqrt(int(layer.kernel.shape[0]))
            seed = self.seed * 1000 + 2 * i
            layer.kernel.assign(keras.initializers.RandomUniform(-bound, bound, seed=seed)(
                layer.kernel.shape))
            layer.bias.assign(keras.initializers.RandomUniform(-bound, bound, seed=seed + 1)(
                layer.bias.shape))

    def expert_params(self, x, training=False):
        """(loc, scale) of q(z|x_m), each [B, latent_dim]."""
        posterior = self.expert.posterior(self.encoder(x, training=training))
        return posterior.distribution.loc, posterior.distribution.scale

    def decode(self, z):
        """Likelihood parameters [..., B, *shape] for codes z [..., B, latent_dim]."""
        lead = tf.shape(z)[:-1]
        flat = tf.reshape(z, [-1, self.latent_dim])
        out = self.decoder(flat)
        return tf.reshape(out, tf.concat([lead, self.event_shape], 0))

    def distribution(self, params):
        """p(x_m|z) with event shape = the modality's shape."""
        ndims = len(self.event_shape)
        if self.likelihood == "categorical":
            return tfd.Independent(tfd.OneHotCategorical(logits=params, dtype=tf.float32),
                                   ndims - 1)
        if self.likelihood == "bernoulli":
            return tfd.Independent(tfd.Bernoulli(logits=params, dtype=tf.float32), ndims)
        scale = tf.exp(self.log_scale)
        family = tfd.Normal if self.likelihood == "gaussian" else tfd.Laplace
        return tfd.Independent(family(params, tf.broadcast_to(scale, tf.shape(params))), ndims)

    def log_likelihood(self, params, x):
        """ln p(x_m|z), summed over the modality's features: [..., B] nats."""
        return self.distribution(params).log_prob(x)

    def mean(self, params):
        if self.likelihood == "categorical":
            return tf.nn.softmax(params, axis=-1)
        if self.likelihood == "bernoulli":
            return tf.sigmoid(params)
        return params

    def get_config(self):
        config = {**super().get_config(), "shape": list(self.event_shape),
                  "likelihood": self.likelihood, "hidden_units": list(self.hidden_units),
                  "scale": self.scale, "learn_scale": self.learn_scale,
                  "likelihood_weight": self.likelihood_weight, "latent_dim": self.latent_dim,
                  "seed": self.seed, "expert_scale": self.expert_scale, "init": self.init,
                  "expert_min_scale": self.expert_min_scale}
        if self._custom_encoder:
            config["encoder"] = keras.layers.serialize(self.encoder)
        if self._custom_decoder:
            config["decoder"] = keras.layers.serialize(self.decoder)
        return config
