"""A deterministic, quantized code and its entropy H(T) in nats (the deterministic IB's rate)."""
import tensorflow_compression as tfc

from ibtf._keras import keras, tf
from ibtf.layers.base import Bottleneck

__all__ = ["QuantizedBottleneck"]

QUANTIZED_INFERENCE = ("quantize", "noise")


@keras.utils.register_keras_serializable(package="ibtf")
class QuantizedBottleneck(Bottleneck):
    """T = Q(y(x)) = round(y - o) + o, a deterministic code on a grid of unit bins; rate H(T).

    The deterministic information bottleneck (Strouse & Schwab 2017) replaces I(X; T) by the
    entropy H(T) of a deterministic encoder, with T discrete: for a deterministic T,
    I(X; T) = H(T) - H(T | X) = H(T). A noiseless *continuous* code has no such quantity
    (I(X; Z) is infinite and the differential entropy h(Z) falls without bound as the code
    shrinks), so information costs nothing below any resolution; the bins of width 1 give the
    code a resolution that the encoder's scale is measured against. (Strouse & Schwab 2019
    measure continuous data at a smoothing scale for the same reason.)

    H(T) is estimated as Balle, Laparra & Simoncelli 2017 do for a quantized latent: a learned
    factorized density p per unit (tensorflow-compression's ``NoisyDeepFactorized``, p convolved
    with U(-1/2, 1/2)) and

    * training: T~ = y + u, u ~ U(-1/2, 1/2); rate = -sum_i ln p~(T~_i), differentiable
      (I(X; T~) = h(T~) since h(U) = 0). The code the downstream heads read is T itself with
      the straight-through gradient of y (``straight_through=True``, the default: heads that
      estimate a leakage I(T; S) must see the released T, since s kept in where y sits within
      a bin moves T across a bin edge while T~ blurs it), or T~ (``straight_through=False``,
      Balle et al.'s relaxation);
    * inference (``inference="quantize"``): the deterministic T, rate = -sum_i ln p~(T_i), the
      code length of T under the model (mean >= H(T)). ``o`` is the density's median
      (``tfc.quantization_offset``), the bin centres of ``tfc.ContinuousBatchedEntropyModel``.
      ``inference="noise"`` returns T~ at inference too.

    The median is found by an iterative search over the density (about 70 ms on a CPU, ten
    times a whole CLUB training step), so, as tfc's entropy models do when they compress, the
    layer keeps it in a non-trainable weight: computed at build, refreshed every
    ``offset_refresh_steps`` training calls and by ``refresh_offset()`` (call it once training
    is over, so the released grid is the final density's). Saved with the weights, so an
    exported model quantizes on the grid it was trained and released with.

    ``call(features, training)`` returns ``(code, rate [B] in nats)``.

    Args:
      units: code dimension.
      straight_through: training code T with the gradient of y (True) or T~ (False).
      offset_refresh_steps: training calls between recomputations of the offset (1: every
        call, the exact median at every step).
      rate_weight, seed: as in ``GaussianBottleneck``.
      kernel_initializer: of the dense map features -> y.
    """

    inference_modes = QUANTIZED_INFERENCE

    def __init__(self, units, straight_through=True, inference="quantize", rate_weight=None,
                 seed=None, kernel_initializer="glorot_uniform", offset_refresh_steps=50,
                 **kwargs):
        super().__init__(inference=inference, rate_weight=rate_weight, seed=seed, **kwargs)
        for name, value in (("units", units), ("offset_refresh_steps", offset_refresh_steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        self.units = units
        self.offset_refresh_steps = offset_refresh_steps
        self.straight_through = bool(straight_through)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.dense = keras.layers.Dense(units, kernel_initializer=self.kernel_initializer,
                                        name="code")
        self.density = tfc.NoisyDeepFactorized(batch_shape=[units])

    def build(self, input_shape):
        self.dense.build(input_shape)
        self._offset = self.add_weight("bin_offset", [self.units], trainable=False,
                                       initializer="zeros")
        self._offset_age = self.add_weight("offset_age", [], dtype=tf.int64, trainable=False,
                                           initializer="zeros")
        super().build(input_shape)
        self.refresh_offset()

    def refresh_offset(self):
        """Recomputes the bin offset from the density now (``tfc.quantization_offset``)."""
        self._offset_age.assign(0)
        self._offset.assign(tf.stop_gradient(tfc.quantization_offset(self.density)))
        return tf.identity(self._offset)

    def offset(self):
        """The bin centres' offset o [units] (the learned density's median, as last
        refreshed)."""
        return tf.identity(self._offset)

    def _training_offset(self):
        """The offset, recomputed when ``offset_refresh_steps`` training calls have passed."""
        age = self._offset_age.assign_add(1)
        stale = tf.greater_equal(age, self.offset_refresh_steps)
        return tf.cond(stale, self.refresh_offset, self.offset)

    def quantize(self, y, offset=None):
        """T = round(y - o) + o."""
        offset = self.offset() if offset is None else offset
        return tf.round(y - offset) + offset

    def rate(self, code):
        """-sum_i ln p~(code_i) [B] in nats."""
        return -tf.reduce_sum(self.density.log_prob(code), axis=-1)

    def call(self, features, training=None):
        y = self.dense(features)

        def noisy():
            code = y + self.uniform(tf.shape(y), y.dtype) - 0.5
            return code, self.rate(code)

        def train():
            code, rate = noisy()
            if self.straight_through:
                quantized = self.quantize(y, self._training_offset())
                return y + tf.stop_gradient(quantized - y), rate
            return code, rate

        def infer():
            if self.inference == "noise":
                return noisy()
            code = self.quantize(y)
            return code, self.rate(code)

        if training is None or isinstance(training, (bool, int)):
            code, rate = train() if training else infer()
        else:
            code, rate = tf.cond(tf.cast(training, tf.bool), train, infer)
        return self._output(code, rate)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "straight_through": self.straight_through,
                "offset_refresh_steps": self.offset_refresh_steps,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
