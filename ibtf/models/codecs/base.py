"""What the learned image codecs share: padding, the objective, metrics, coders, signatures.

A codec maps an image x in [0, 1] (float32, [batch, height, width, channels]) to a latent y,
quantizes it, and maps the quantized latent back. Training replaces rounding by additive
uniform noise (Balle et al. 2017, sec. 2), and minimizes

    loss = beta * bpp + lambda_d * D(x, x_hat)  [+ lambda_p * P + lambda_c * C]

with bpp the per-example bits of the code divided by the example's pixel count, and D the
per-example mean squared error of [0, 1] pixels (or 1 - MS-SSIM). Both terms are per-example
means over the batch. ``lambda_d = 650`` on [0, 1] pixels equals tensorflow-compression's
``lmbda = 0.01`` on [0, 255] pixels (0.01 * 255**2 = 650).

Images of any size are padded (edge replication) to a multiple of the codec's total stride
and the reconstruction is cropped back; the rate is divided by the unpadded pixel count.
"""
import hashlib
import json

import numpy as np

from ibtf._keras import keras, tf
from ibtf.metrics.image import ms_ssim, psnr_from_mse
from ibtf.models.base import IBModel

__all__ = ["CodecModel", "DISTORTIONS", "edge_pad"]

DISTORTIONS = ("mse", "ms-ssim")
_LN2 = float(np.log(2.0))


def _positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def _weight(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r} must be a number >= 0") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}={value!r} must be finite and >= 0 (a weight in the loss)")
    return value


def edge_pad(images, multiple):
    """Pads [B, H, W, C] at the bottom and right, repeating the last row/column, to sizes
    divisible by ``multiple``. Works for any size, unlike reflect padding."""
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    padded_h = (height + multiple - 1) // multiple * multiple
    padded_w = (width + multiple - 1) // multiple * multiple
    rows = tf.minimum(tf.range(padded_h), height - 1)
    cols = tf.minimum(tf.range(padded_w), width - 1)
    return tf.gather(tf.gather(images, rows, axis=1), cols, axis=2)


class CodecModel(IBModel):
    """Base of the learned codecs; subclasses define the entropy model.

    Subclasses implement ``_noisy_forward`` (training: noise instead of rounding),
    ``_quantized_latents`` (the latents the bitstream carries), ``_estimated_bits``,
    ``make_coders``, ``_encode`` and ``_decode``.
    """

    kind = None
    num_strings = 1

    def __init__(self, channels=3, filters=128, latent_filters=None, stages=4,
                 lambda_d=650.0, distortion="mse", lambda_p=0.0, lambda_c=0.0, seed=0,
                 beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.channels = _positive_int("channels", channels)
        if self.channels not in (1, 3):
            raise ValueError(f"channels={channels!r} must be 1 (grayscale) or 3 (RGB)")
        self.filters = _positive_int("filters", filters)
        self.latent_filters = _positive_int("latent_filters", latent_filters or filters)
        self.stages = _positive_int("stages", stages)
        if distortion not in DISTORTIONS:
            raise ValueError(f"distortion={distortion!r} must be one of {DISTORTIONS}")
        self.distortion = distortion
        self.lambda_d = _weight("lambda_d", lambda_d)
        self.lambda_p = _weight("lambda_p", lambda_p)
        self.lambda_c = _weight("lambda_c", lambda_c)
        if self.lambda_p or self.lambda_c:
            raise ValueError("lambda_p and lambda_c need a critic and a classifier "
                             "(ibtf.losses.perception / classification), which this codec "
                             "does not have yet: pass 0")
        self.seed = int(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.bpp_tracker = keras.metrics.Mean(name="bpp")
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.psnr_tracker = keras.metrics.Mean(name="psnr")
        self.ms_ssim_tracker = keras.metrics.Mean(name="ms_ssim")
        self._coders = None
        self._coders_key = None
        self._functions = None

    # -- geometry -------------------------------------------------------------------------
    @property
    def stride(self):
        """Total downsampling: image sizes are padded to a multiple of it."""
        return 2 ** self.stages

    def latent_shapes(self, height, width):
        """[(h, w)] of each coded tensor for an image of ``height`` x ``width``."""
        padded = [-(-int(height) // self.stride) * self.stride,
                  -(-int(width) // self.stride) * self.stride]
        return [(padded[0] // s, padded[1] // s) for s in self._string_strides()]

    def _string_strides(self):
        return [2 ** self.stages]

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.bpp_tracker, self.mse_tracker, self.psnr_tracker]
        if self.distortion == "ms-ssim":
            trackers.append(self.ms_ssim_tracker)
        return trackers

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank != 4 or input_shape[-1] != self.channels:
            raise ValueError(f"inputs have shape {input_shape}; expected [batch, height, "
                             f"width, {self.channels}] images in [0, 1]")
        self._noise_counter = self.add_weight(
            "noise_counter", [], dtype=tf.int64, initializer="zeros", trainable=False,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self._build_transforms(tf.zeros([1, self.stride, self.stride, self.channels]))
        self._build_input_shape = input_shape
        self.built = True

    def _ensure_built(self, x):
        if not self.built:
            self.build(x.shape)

    # -- noise (ibtf.testing.fixed_noise replaces ``uniform``) -----------------------------
    def uniform(self, shape, dtype=tf.float32):
        """U(0, 1) noise from this codec's seed stream."""
        count = self._noise_counter.assign_add(1)
        seed = tf.stack([tf.constant(self.seed, tf.int32), tf.cast(count, tf.int32)])
        return tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)

    def _perturb(self, values):
        return values + self.uniform(tf.shape(values), values.dtype) - 0.5

    # -- the objective ----------------------------------------------------------------------
    @staticmethod
    def _split(data):
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    def _pixels(self, x):
        shape = tf.shape(x)
        return tf.cast(shape[1] * shape[2], tf.float32)

    def _crop(self, x_hat, x):
        shape = tf.shape(x)
        return x_hat[:, :shape[1], :shape[2], :]

    def distortion_terms(self, x, x_hat):
        """Per-example (mse, ms_ssim or None) of [0, 1] images."""
        mse = tf.reduce_mean(tf.math.squared_difference(x, x_hat), axis=[1, 2, 3])
        similarity = ms_ssim(x, tf.clip_by_value(x_hat, 0.0, 1.0)) \
            if self.distortion == "ms-ssim" else None
        return mse, similarity

    def _objective(self, bits, x, x_hat):
        bpp = bits / self._pixels(x)
        mse, similarity = self.distortion_terms(x, x_hat)
        distortion = mse if similarity is None else 1.0 - similarity
        loss = self._beta * tf.reduce_mean(bpp) + self.lambda_d * tf.reduce_mean(distortion)
        return loss, bpp, mse, similarity

    def train_step(self, data):
        x, _ = self._split(data)
        self._ensure_built(x)
        x = tf.cast(x, tf.float32)
        with tf.GradientTape() as tape:
            x_tilde, bits = self._noisy_forward(edge_pad(x, self.stride))
            loss, bpp, mse, similarity = self._objective(bits, x, self._crop(x_tilde, x))
        self.minimize(loss, tape)
        return self._update_metrics(loss, bpp, mse, similarity)

    def test_step(self, data):
        """Evaluates the coded model: rounding, not noise; the rate is the estimated size of
        the bitstream (Shannon information of the quantized latents under the prior)."""
        x, _ = self._split(data)
        self._ensure_built(x)
        x = tf.cast(x, tf.float32)
        x_hat, bits = self._quantized_forward(edge_pad(x, self.stride))
        x_hat = tf.clip_by_value(self._crop(x_hat, x), 0.0, 1.0)
        loss, bpp, mse, similarity = self._objective(bits, x, x_hat)
        return self._update_metrics(loss, bpp, mse, similarity)

    def _update_metrics(self, loss, bpp, mse, similarity):
        self.loss_tracker.update_state(loss)
        self.bpp_tracker.update_state(bpp)
        self.mse_tracker.update_state(mse)
        self.psnr_tracker.update_state(psnr_from_mse(mse))
        if similarity is not None:
            self.ms_ssim_tracker.update_state(similarity)
        return {m.name: m.result() for m in self.metrics}

    def call(self, inputs, training=False):
        """The reconstruction in [0, 1]: quantized latents (training: noisy ones)."""
        x = tf.cast(inputs, tf.float32)
        padded = edge_pad(x, self.stride)
        if training:
            x_hat, _ = self._noisy_forward(padded)
        else:
            x_hat, _ = self._quantized_forward(padded)
            x_hat = tf.clip_by_value(x_hat, 0.0, 1.0)
        return self._crop(x_hat, x)

    # -- checked inputs ---------------------------------------------------------------------
    def check_images(self, images, name="images"):
        """Float images [N, H, W, C] in [0, 1]; tensors and datasets pass through."""
        if isinstance(images, (tf.data.Dataset, tf.Tensor)) or images is None:
            return images
        try:
            array = np.asarray(images, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric array [N, H, W, C]") from None
        if array.ndim != 4 or array.shape[-1] != self.channels:
            raise ValueError(f"{name} has shape {array.shape}; expected [N, height, width, "
                             f"{self.channels}] images in [0, 1] (see ibtf.data.images)")
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ValueError(f"{name} must hold finite values in [0, 1]; divide 8-bit "
                             "pixels by 255")
        return array

    def _build_for(self, x):
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

    def fit(self, x=None, y=None, *args, **kwargs):
        x = self.check_images(x, "x")
        self._build_for(x)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = self.check_images(x, "x")
        self._build_for(x)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        x = self.check_images(x, "x")
        self._build_for(x)
        return super().predict(x, *args, **kwargs)

    # -- coding -----------------------------------------------------------------------------
    def _prior_variables(self):
        raise NotImplementedError

    def coders(self):
        """The entropy models in compression mode (range-coding tables), rebuilt whenever the
        prior's weights changed since they were last made."""
        if not self.built:
            raise ValueError("the codec is not built: fit or call it once before coding")
        digest = hashlib.sha256()
        for variable in self._prior_variables():
            digest.update(np.ascontiguousarray(variable.numpy()).tobytes())
        if self._coders is None or self._coders_key != digest.hexdigest():
            self._coders = self.make_coders()
            self._coders_key = digest.hexdigest()
            self._functions = None
        return self._coders

    def model_id(self):
        """8 bytes identifying this codec: a hash of its config and every weight."""
        if not self.built:
            raise ValueError("the codec is not built: fit or call it once before coding")
        digest = hashlib.sha256(json.dumps(self.codec_config(), sort_keys=True).encode())
        for weight in sorted(self.weights, key=lambda w: w.name):
            if "noise_counter" in weight.name:
                continue
            digest.update(weight.name.encode())
            digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
        return digest.digest()[:8]

    def codec_config(self):
        """The hyperparameters that define the codec's bitstream (no training weights)."""
        return {"kind": self.kind, "channels": self.channels, "filters": self.filters,
                "latent_filters": self.latent_filters, "stages": self.stages}

    def reconstruct(self, images):
        """The decoder's output for images [B, H, W, C] in [0, 1]: quantized latents through
        the synthesis transform, clipped and rounded to 8-bit levels (returned in [0, 1]).
        ``decompress(compress(x))`` equals this exactly."""
        x = tf.convert_to_tensor(self.check_images(images), tf.float32)
        self._ensure_built(x)
        coders = self.coders()
        latents = self._quantized_latents(edge_pad(x, self.stride), coders)
        x_hat = self._crop(self._synthesize(latents, coders), x)
        return tf.round(tf.clip_by_value(x_hat, 0.0, 1.0) * 255.0) / 255.0

    def estimated_bits(self, images):
        """Per-image estimated size of the coded latents in bits (compression-mode tables):
        the information content of the quantized latents under the prior."""
        x = tf.convert_to_tensor(self.check_images(images), tf.float32)
        self._ensure_built(x)
        return self._estimated_bits(edge_pad(x, self.stride), self.coders())

    def coding_functions(self):
        """{"compress", "decompress"} tf.functions with explicit input signatures.

        compress(image float32 [H, W, C], 0..255) -> {"strings": string [k]}
        decompress(strings string [k], image_shape int32 [2]) -> {"image": float32
        [H, W, C] with integer values in 0..255}
        """
        coders = self.coders()
        if self._functions is not None:
            return self._functions

        @tf.function(input_signature=[tf.TensorSpec([None, None, self.channels], tf.float32,
                                                    name="image")])
        def compress(image):
            x = edge_pad(image[None] / 255.0, self.stride)
            strings = self._encode(x, coders)
            return {"strings": tf.stack([tf.reshape(s, []) for s in strings])}

        @tf.function(input_signature=[
            tf.TensorSpec([self.num_strings], tf.string, name="strings"),
            tf.TensorSpec([2], tf.int32, name="image_shape")])
        def decompress(strings, image_shape):
            stride = self.stride
            padded = (image_shape + stride - 1) // stride * stride
            latents = self._decode(strings, padded, coders)
            x_hat = self._synthesize(latents, coders)[0, :image_shape[0], :image_shape[1], :]
            return {"image": tf.round(tf.clip_by_value(x_hat, 0.0, 1.0) * 255.0)}

        self._functions = {"compress": compress, "decompress": decompress}
        return self._functions

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "filters": self.filters,
                "latent_filters": self.latent_filters, "stages": self.stages,
                "lambda_d": self.lambda_d, "distortion": self.distortion,
                "lambda_p": self.lambda_p, "lambda_c": self.lambda_c, "seed": self.seed,
                "beta": self.beta}

