"""Factorized-prior image codec (Balle, Laparra, Simoncelli 2017, "End-to-end optimized image
compression", ICLR; the ``bls2017`` model of tensorflow-compression)."""
import math

import tensorflow_compression as tfc

from ibtf._keras import keras, tf
from ibtf.models.codecs.base import CodecModel
from ibtf.models.codecs.transforms import analysis_transform, synthesis_transform

__all__ = ["FactorizedPriorCodec"]


@keras.utils.register_keras_serializable(package="ibtf")
class FactorizedPriorCodec(CodecModel):
    """x -> y = g_a(x) -> y_hat = round(y) -> x_hat = g_s(y_hat), y_hat coded with a learned
    factorized density p(y_hat) = prod_i (p_i * U(-1/2, 1/2))(y_hat_i) (eq. 7 of the paper,
    a NoisyDeepFactorized prior per channel).

    Training: y_tilde = y + u, u ~ U(-1/2, 1/2); rate = -log2 p(y_tilde) summed over the
    latent, per example; loss = beta * bpp + lambda_d * D (see ``CodecModel``).

    Args:
      channels: 1 (grayscale) or 3 (RGB).
      filters: channels of the hidden layers (the paper: 128 low rates, 192 high).
      latent_filters: channels of y (default: ``filters``).
      stages: downsampling stages of 2 each; images are padded to multiples of 2**stages.
      lambda_d: weight of the distortion; distortion: "mse" or "ms-ssim".
      seed: seeds the training noise.

    >>> codec = FactorizedPriorCodec(channels=1, filters=32, stages=2, lambda_d=500.0)
    >>> codec.compile(keras.optimizers.Adam(1e-3))
    >>> codec.fit(images, epochs=10, batch_size=32)   # doctest: +SKIP
    """

    kind = "factorized"
    num_strings = 1

    def __init__(self, channels=3, filters=128, latent_filters=None, stages=4, **kwargs):
        super().__init__(channels=channels, filters=filters, latent_filters=latent_filters,
                         stages=stages, **kwargs)
        self.analysis = analysis_transform(self.filters, self.latent_filters, self.stages)
        self.synthesis = synthesis_transform(self.filters, self.channels, self.stages)
        self.prior = tfc.NoisyDeepFactorized(batch_shape=[self.latent_filters])

    def _build_transforms(self, x):
        self.synthesis(self.analysis(x))

    def _coding_modules(self):
        return [self.analysis, self.synthesis, self.prior]

    def _prior_variables(self):
        return self.prior.variables

    def _noisy_forward(self, x):
        y_tilde = self._perturb(self.analysis(x))
        bits = -tf.reduce_sum(self.prior.log_prob(y_tilde), axis=[1, 2, 3]) / math.log(2.0)
        return self.synthesis(y_tilde), bits

    def _quantized_forward(self, x):
        entropy_model = tfc.ContinuousBatchedEntropyModel(self.prior, coding_rank=3,
                                                          compression=False)
        y_hat, bits = entropy_model(self.analysis(x), training=False)
        return self.synthesis(y_hat), bits

    def make_coders(self):
        return [tfc.ContinuousBatchedEntropyModel(self.prior, coding_rank=3, compression=True,
                                                  stateless=True)]

    def _quantized_latents(self, x, coders):
        return [coders[0].quantize(self.analysis(x))]

    def _synthesize(self, latents, coders):
        return self.synthesis(latents[0])

    def _estimated_bits(self, x, coders):
        return coders[0](self.analysis(x), training=False)[1]

    def _encode(self, x, coders):
        return [coders[0].compress(self.analysis(x))]

    def _decode(self, strings, padded_shape, coders):
        latent_shape = padded_shape // self.stride
        return [coders[0].decompress(strings[:1], latent_shape)]
