"""What the learned image codecs share: padding, the objective, metrics, coders, signatures.

A codec maps an image x in [0, 1] (float32, [batch, height, width, channels]) to a latent y,
quantizes it, and maps the quantized latent back. Training replaces rounding by additive
uniform noise (Balle et al. 2017, sec. 2), and minimizes

    loss = beta * bpp + lambda_d * D(x, x_hat) + lambda_p * P(x_hat) + lambda_c * C(x_hat, s)

with bpp the per-example bits of the code divided by the example's pixel count, D the
per-example mean squared error of [0, 1] pixels (or 1 - MS-SSIM), P the WGAN generator loss
-mean f(x_hat) of a critic f trained alternately on the WGAN-GP loss with its own optimizer
(perception, Gulrajani et al. 2017), and C the cross-entropy in nats of a frozen pretrained
classifier on the reconstruction given the label s (classification; Wang et al. 2024, the
generalized IB of the RDC/RPC papers). Every term is a per-example mean over the batch; the
critic exists only when lambda_p > 0, the classifier only when given. The critic defaults
(5 steps per codec step, Adam 1e-3, beta_1 0.5, beta_2 0.9) follow the low-rate codec of
``ibtf.models.codecs.quantized``, where a weaker critic was measured to be exploited.

``lambda_d = 650`` on [0, 1] pixels equals tensorflow-compression's ``lmbda = 0.01`` on
[0, 255] pixels (0.01 * 255**2 = 650).

Images of any size are padded (edge replication) to a multiple of the codec's total stride
and the reconstruction is cropped back; the rate is divided by the unpadded pixel count.
"""
import hashlib
import json

import numpy as np

from ibtf._keras import keras, tf
from ibtf.losses.classification import classification_nats, pretrained_digits_classifier
from ibtf.losses.perception import (build_critic, critic_scores, wgan_generator_loss,
                                    wgan_gp_critic_loss)
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
                 lambda_d=650.0, distortion="mse", lambda_p=0.0, lambda_c=0.0, classifier=None,
                 critic_steps=5, gp_weight=10.0, critic_learning_rate=1e-3, seed=0,
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
        self.seed = int(seed)
        self.critic_steps = _positive_int("critic_steps", critic_steps)
        self.gp_weight = _weight("gp_weight", gp_weight)
        self.critic_learning_rate = _weight("critic_learning_rate", critic_learning_rate)
        self._classifier_spec = classifier
        if isinstance(classifier, dict):
            classifier = keras.layers.deserialize(classifier)
        elif classifier == "digits":
            classifier = pretrained_digits_classifier(seed=0)
        elif classifier is not None and not isinstance(classifier, keras.layers.Layer):
            raise TypeError(f"classifier={classifier!r} must be None, 'digits' (ibtf.losses."
                            "pretrained_digits_classifier) or a Keras model giving logits")
        if self.lambda_c > 0 and classifier is None:
            raise ValueError(f"lambda_c={lambda_c} needs a classifier: pass classifier="
                             "'digits' or a frozen Keras model mapping images to logits")
        self.classifier = classifier
        if classifier is not None:
            classifier.trainable = False
        self.critic = None
        self.critic_optimizer = None
        self.w1_tracker = keras.metrics.Mean(name="perception_w1")
        self.critic_tracker = keras.metrics.Mean(name="critic_loss")
        self.ce_tracker = keras.metrics.Mean(name="ce_nats")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
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
        if self.lambda_p > 0:
            trackers += [self.w1_tracker, self.critic_tracker]
        if self.classifier is not None:
            trackers += [self.ce_tracker, self.accuracy_tracker]
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
        if self.lambda_p > 0:
            if None in input_shape[1:3].as_list():
                raise ValueError("lambda_p > 0 needs a critic over images of one size: train "
                                 "on fixed-size crops (ibtf.data.images.random_crops)")
            image_shape = tuple(input_shape[1:].as_list())
            self.critic = build_critic(image_shape, hidden_units=(64,),
                                       kind="conv" if min(image_shape[:2]) >= 16 else "mlp",
                                       seed=self.seed + 1000, name="critic")
            self.critic_optimizer = keras.optimizers.Adam(self.critic_learning_rate,
                                                          beta_1=0.5, beta_2=0.9)
            self.critic_optimizer.build(self.critic.trainable_variables)
        if self.classifier is not None and None not in input_shape[1:].as_list():
            self.classifier(tf.zeros([1, *input_shape[1:].as_list()]))
        self._build_input_shape = input_shape
        self.built = True

    def _ensure_built(self, x):
        if not self.built:
            self.build(x.shape)

    # -- noise (ibtf.testing.fixed_noise replaces ``uniform``) -----------------------------
    def uniform(self, shape, dtype=tf.float32):
        """U(0, 1) noise [batch, ...] from this codec's seed stream.

        Under a tf.distribute strategy with R replicas, each holding rows r*B..(r+1)*B-1 of
        the global batch, every replica draws the noise of the whole global batch [R*B, ...]
        from the same seed and keeps its own rows: the step sees exactly the noise of the
        single-device step on the global batch (so the two trainings agree), and no two
        replicas share noise."""
        count = self._noise_counter.assign_add(1)
        seed = tf.stack([tf.constant(self.seed, tf.int32), tf.cast(count, tf.int32)])
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        if replicas == 1:
            return tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)
        shape = tf.cast(shape, tf.int32)
        noise = tf.random.stateless_uniform(
            tf.concat([shape[:1] * replicas, shape[1:]], 0), seed=seed, dtype=dtype)
        start = shape[0] * tf.cast(context.replica_id_in_sync_group, tf.int32)
        return noise[start:start + shape[0]]

    def _perturb(self, values):
        return values + self.uniform(tf.shape(values), values.dtype) - 0.5

    # -- the objective ----------------------------------------------------------------------
    @staticmethod
    def _split(data):
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    def _labels(self, labels):
        if self.classifier is None:
            return None
        if labels is None:
            raise ValueError("this codec has a classifier: pass (images, labels) so the "
                             "classification term can be computed")
        return tf.reshape(tf.cast(labels, tf.int32), [-1])

    @property
    def codec_variables(self):
        """What the codec step updates: everything trainable but the critic."""
        critic = {id(v) for v in (self.critic.trainable_variables if self.critic else [])}
        return [v for v in self.trainable_variables if id(v) not in critic]

    def _critic_step(self, x, fakes):
        """One WGAN-GP update of the critic (its own optimizer), fakes held fixed."""
        epsilon = self.uniform(tf.shape(x)[:1])
        with tf.GradientTape() as tape:
            critic_loss = wgan_gp_critic_loss(self.critic, x, fakes, gp_weight=self.gp_weight,
                                              epsilon=epsilon)
        # minimize scales the replicas' gradients like the codec's (a global-batch mean)
        self.minimize(critic_loss, tape, self.critic.trainable_variables,
                      optimizer=self.critic_optimizer)
        return critic_loss

    def _extra_terms(self, x, x_hat, labels):
        """(perception, classification nats per example) or zeros where not enabled."""
        perception = wgan_generator_loss(self.critic, x_hat) if self.critic is not None \
            else tf.constant(0.0)
        ce = classification_nats(self.classifier, x_hat, labels) \
            if self.classifier is not None else tf.zeros([1])
        return perception, ce

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
        x, labels = self._split(data)
        self._ensure_built(x)
        x = tf.cast(x, tf.float32)
        labels = self._labels(labels)
        padded = edge_pad(x, self.stride)
        critic_loss = None
        if self.critic is not None:  # alternating updates: critic first, then the codec
            fakes = tf.stop_gradient(self._crop(self._noisy_forward(padded)[0], x))
            for _ in range(self.critic_steps):
                critic_loss = self._critic_step(x, fakes)
        with tf.GradientTape() as tape:
            x_tilde, bits = self._noisy_forward(padded)
            x_tilde = self._crop(x_tilde, x)
            rd_loss, bpp, mse, similarity = self._objective(bits, x, x_tilde)
            perception, ce = self._extra_terms(x, x_tilde, labels)
            loss = rd_loss + self.lambda_p * perception + self.lambda_c * tf.reduce_mean(ce)
        self.minimize(loss, tape, self.codec_variables)
        return self._update_metrics(loss, bpp, mse, similarity, x, x_tilde, labels, ce,
                                    critic_loss)

    def test_step(self, data):
        """Evaluates the coded model: rounding, not noise; the rate is the estimated size of
        the bitstream (Shannon information of the quantized latents under the prior)."""
        x, labels = self._split(data)
        self._ensure_built(x)
        x = tf.cast(x, tf.float32)
        x_hat, bits = self._quantized_forward(edge_pad(x, self.stride))
        x_hat = tf.clip_by_value(self._crop(x_hat, x), 0.0, 1.0)
        labels = self._labels(labels)
        rd_loss, bpp, mse, similarity = self._objective(bits, x, x_hat)
        perception, ce = self._extra_terms(x, x_hat, labels)
        loss = rd_loss + self.lambda_p * perception + self.lambda_c * tf.reduce_mean(ce)
        return self._update_metrics(loss, bpp, mse, similarity, x, x_hat, labels, ce)

    def _update_metrics(self, loss, bpp, mse, similarity, x=None, x_hat=None, labels=None,
                        ce=None, critic_loss=None):
        self.loss_tracker.update_state(loss)
        self.bpp_tracker.update_state(bpp)
        self.mse_tracker.update_state(mse)
        self.psnr_tracker.update_state(psnr_from_mse(mse))
        if similarity is not None:
            self.ms_ssim_tracker.update_state(similarity)
        if self.critic is not None:
            self.w1_tracker.update_state(
                tf.reduce_mean(critic_scores(self.critic, x, training=False))
                - tf.reduce_mean(critic_scores(self.critic, x_hat, training=False)))
            if critic_loss is not None:
                self.critic_tracker.update_state(critic_loss)
        if self.classifier is not None:
            self.ce_tracker.update_state(ce)
            self.accuracy_tracker.update_state(labels,
                                               self.classifier(x_hat, training=False))
        return {m.name: m.result() for m in self.metrics
                if critic_loss is not None or m is not self.critic_tracker}

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
        variables = [v for module in self._coding_modules() for v in module.variables]
        for weight in sorted(variables, key=lambda w: w.name):
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

    def training_bits(self, images):
        """Per-image bits of the training-time rate estimate (uniform noise in place of
        rounding, the rate term the objective minimizes) for images [B, H, W, C] in [0, 1]:
        the figure a training log reports, here on images of the caller's choosing."""
        x = tf.convert_to_tensor(self.check_images(images), tf.float32)
        self._ensure_built(x)
        return self._noisy_forward(edge_pad(x, self.stride))[1]

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
                "beta": self.beta, "critic_steps": self.critic_steps,
                "gp_weight": self.gp_weight, "critic_learning_rate": self.critic_learning_rate,
                "classifier": self._classifier_config()}

    def _classifier_config(self):
        if self.classifier is None or isinstance(self._classifier_spec, str):
            return self._classifier_spec
        return keras.layers.serialize(self.classifier)

