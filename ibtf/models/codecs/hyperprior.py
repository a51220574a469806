"""Scale-hyperprior image codec (Balle, Minnen, Singh, Hwang, Johnston 2018, "Variational
image compression with a scale hyperprior", ICLR; tensorflow-compression's ``bmshj2018``)."""
import math

import numpy as np
import tensorflow_compression as tfc

from ibtf._keras import keras, tf
from ibtf.models.codecs.base import CodecModel, _positive_int
from ibtf.models.codecs.transforms import (analysis_transform, hyper_analysis_transform,
                                           hyper_synthesis_transform, synthesis_transform)

__all__ = ["ScaleHyperpriorCodec"]


@keras.utils.register_keras_serializable(package="ibtf")
class ScaleHyperpriorCodec(CodecModel):
    """y = g_a(x), z = h_a(|y|); z_hat coded with a factorized prior, y_hat with
    N(0, sigma^2) * U(-1/2, 1/2), sigma = h_s(z_hat) (eq. 9-10 of the paper). The scales are
    quantized to ``num_scales`` values log-spaced in [scale_min, scale_max] (tfc's indexed
    entropy model); the side information z_hat is the second string of the bitstream.

    rate = -log2 p(y_tilde | z_tilde) - log2 p(z_tilde), per example; the rest as in
    ``CodecModel``.

    Args (beyond FactorizedPriorCodec's):
      hyper_filters: channels of the hyper-transforms (default: ``filters``).
      hyper_stages: downsampling stages of h_a (the paper: 2); images are padded to
        multiples of 2**(stages + hyper_stages).
      num_scales, scale_min, scale_max: the scale table (tfc defaults 64, 0.11, 256).
    """

    kind = "hyperprior"
    num_strings = 2

    def __init__(self, channels=3, filters=128, latent_filters=None, stages=4,
                 hyper_filters=None, hyper_stages=2, num_scales=64, scale_min=0.11,
                 scale_max=256.0, **kwargs):
        super().__init__(channels=channels, filters=filters, latent_filters=latent_filters,
                         stages=stages, **kwargs)
        self.hyper_filters = _positive_int("hyper_filters", hyper_filters or self.filters)
        self.hyper_stages = _positive_int("hyper_stages", hyper_stages)
        self.num_scales = _positive_int("num_scales", num_scales, minimum=2)
        if not 0 < float(scale_min) < float(scale_max):
            raise ValueError(f"scale_min={scale_min!r}, scale_max={scale_max!r} must satisfy "
                             "0 < scale_min < scale_max")
        self.scale_min, self.scale_max = float(scale_min), float(scale_max)
        self.analysis = analysis_transform(self.filters, self.latent_filters, self.stages)
        self.synthesis = synthesis_transform(self.filters, self.channels, self.stages)
        self.hyper_analysis = hyper_analysis_transform(self.hyper_filters, self.hyper_stages)
        self.hyper_synthesis = hyper_synthesis_transform(self.hyper_filters,
                                                         self.latent_filters,
                                                         self.hyper_stages)
        self.hyperprior = tfc.NoisyDeepFactorized(batch_shape=[self.hyper_filters])

    @property
    def stride(self):
        return 2 ** (self.stages + self.hyper_stages)

    def _string_strides(self):
        return [2 ** self.stages, 2 ** (self.stages + self.hyper_stages)]

    def scale_fn(self, index):
        """sigma(i) = exp(ln scale_min + i (ln scale_max - ln scale_min) / (num_scales - 1))."""
        offset = np.log(self.scale_min)
        factor = (np.log(self.scale_max) - offset) / (self.num_scales - 1)
        return tf.math.exp(offset + factor * tf.cast(index, tf.float32))

    def _build_transforms(self, x):
        y = self.analysis(x)
        self.synthesis(y)
        self.hyper_synthesis(self.hyper_analysis(tf.abs(y)))

    def _coding_modules(self):
        return [self.analysis, self.synthesis, self.hyper_analysis, self.hyper_synthesis,
                self.hyperprior]

    def _prior_variables(self):
        return self.hyperprior.variables

    def _indexes(self, z):
        """Scale indexes in [0, num_scales - 1]; the range coder uses their floor (tfc casts
        them to int32), so estimates evaluate the floor too."""
        index = self.hyper_synthesis(z)
        index = tfc.lower_bound(index, 0.0)
        return tfc.upper_bound(index, float(self.num_scales - 1))

    def _noisy_forward(self, x):
        y = self.analysis(x)
        z_tilde = self._perturb(self.hyper_analysis(tf.abs(y)))
        side_log_prob = self.hyperprior.log_prob(z_tilde)
        y_tilde = self._perturb(y)
        scales = self.scale_fn(self._indexes(z_tilde))
        log_prob = tfc.NoisyNormal(loc=0.0, scale=scales).log_prob(y_tilde)
        bits = -(tf.reduce_sum(log_prob, axis=[1, 2, 3])
                 + tf.reduce_sum(side_log_prob, axis=[1, 2, 3])) / math.log(2.0)
        return self.synthesis(y_tilde), bits

    def _entropy_models(self, compression):
        side = tfc.ContinuousBatchedEntropyModel(self.hyperprior, coding_rank=3,
                                                 compression=compression,
                                                 stateless=compression)
        main = tfc.LocationScaleIndexedEntropyModel(tfc.NoisyNormal, self.num_scales,
                                                    self.scale_fn, coding_rank=3,
                                                    compression=compression,
                                                    stateless=compression)
        return [main, side]

    def _quantized_forward(self, x):
        main, side = self._entropy_models(compression=False)
        y = self.analysis(x)
        z_hat, side_bits = side(self.hyper_analysis(tf.abs(y)), training=False)
        y_hat, bits = main(y, tf.floor(self._indexes(z_hat)), training=False)
        return self.synthesis(y_hat), bits + side_bits

    def make_coders(self):
        return self._entropy_models(compression=True)

    def _quantized_latents(self, x, coders):
        main, side = coders
        y = self.analysis(x)
        return [main.quantize(y), side.quantize(self.hyper_analysis(tf.abs(y)))]

    def _synthesize(self, latents, coders):
        return self.synthesis(latents[0])

    def _estimated_bits(self, x, coders):
        main, side = coders
        y = self.analysis(x)
        z_hat, side_bits = side(self.hyper_analysis(tf.abs(y)), training=False)
        return main(y, tf.floor(self._indexes(z_hat)), training=False)[1] + side_bits

    def _encode(self, x, coders):
        main, side = coders
        y = self.analysis(x)
        z = self.hyper_analysis(tf.abs(y))
        side_string = side.compress(z)
        indexes = self._indexes(side.quantize(z))
        return [main.compress(y, indexes), side_string]

    def _decode(self, strings, padded_shape, coders):
        main, side = coders
        z_hat = side.decompress(strings[1:2], padded_shape // self.stride)
        return [main.decompress(strings[:1], self._indexes(z_hat)), z_hat]

    def codec_config(self):
        return {**super().codec_config(), "hyper_filters": self.hyper_filters,
                "hyper_stages": self.hyper_stages, "num_scales": self.num_scales,
                "scale_min": self.scale_min, "scale_max": self.scale_max}

    def get_config(self):
        return {**super().get_config(), "hyper_filters": self.hyper_filters,
                "hyper_stages": self.hyper_stages, "num_scales": self.num_scales,
                "scale_min": self.scale_min, "scale_max": self.scale_max}
