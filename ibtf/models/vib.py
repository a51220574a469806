"""Deep Variational Information Bottleneck classifier (Alemi et al. 2017)."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.layers.kl import kl_nats
from ibtf.models.base import IBModel, check_array

__all__ = ["VIBClassifier"]

_PREDICT_STREAM = 2**31 - 1  # the stateless-seed counter reserved for predictive sampling


def _mlp(hidden_units, name):
    return keras.Sequential([keras.layers.Dense(u, activation="relu") for u in hidden_units],
                            name=name)


@keras.utils.register_keras_serializable(package="ibtf")
class VIBClassifier(IBModel):
    """Encoder -> GaussianBottleneck -> softmax classifier, trained on the Deep VIB objective.

    loss = mean_i [ -ln q(y_i | z_i) ] + beta * mean_i KL(p(z | x_i) || r(z)),  z_i ~ p(z|x_i)

    (Alemi, Fischer, Dillon, Murphy 2017, "Deep Variational Information Bottleneck", eq. 7; both
    terms per-example means, in nats). The rate term upper-bounds I(Z; X); H(Y) minus the
    cross-entropy lower-bounds I(Z; Y) (evaluate reports both). Predictions average the softmax
    over ``num_samples`` posterior samples (the paper's 12-sample averaging). The predictive
    noise uses common random numbers: the same ``num_samples`` standard-normal draws for every
    example, so a prediction is a deterministic function of its own input, whatever the batch.

    Args:
      num_classes: number of classes; labels are integer ids in [0, num_classes).
      latent_dim: K, the size of the code (the paper uses 256).
      beta: weight of the rate (the paper's best MNIST figures use 1e-3).
      hidden_units: the default encoder, an MLP (the paper: 1024-1024 ReLU).
      encoder: any Keras layer mapping inputs to a [batch, n] feature vector; overrides
        ``hidden_units``.
      prior: an unconditional prior (name or layer); see ``ibtf.layers.get_prior``.
      scale_shift: sigma = softplus(rho + scale_shift); the paper's -5.
      num_samples: S, posterior samples averaged at prediction.
      seed: seeds sampling (training noise and the predictive draws).

    Metrics: ``loss``, ``ce_nats``, ``rate_nats``, ``accuracy``.

    >>> model = VIBClassifier(num_classes=10, latent_dim=32, hidden_units=(64,), seed=0)
    >>> model.compile(keras.optimizers.Adam(1e-3))
    >>> history = model.fit(x, y, epochs=5, batch_size=100)   # doctest: +SKIP
    """

    rate_metric_name = "rate_nats"

    def __init__(self, num_classes, latent_dim=256, beta=1e-3, hidden_units=(1024, 1024),
                 encoder=None, prior="standard_normal", scale_shift=-5.0, num_samples=12,
                 seed=None, **kwargs):
        super().__init__(beta=beta, **kwargs)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples={num_samples!r} must be a positive integer")
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.num_samples = num_samples
        if isinstance(encoder, dict):
            encoder = keras.layers.deserialize(encoder)
        self._custom_encoder = encoder is not None
        self.encoder = encoder if encoder is not None else _mlp(self.hidden_units, "encoder")
        self.bottleneck = GaussianBottleneck(latent_dim, prior=prior, scale_shift=scale_shift,
                                             seed=seed, name="bottleneck")
        self._check_prior(self.bottleneck.prior)
        self.head = keras.layers.Dense(num_classes, name="head")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="ce_nats")
        self.rate_tracker = keras.metrics.Mean(name=self.rate_metric_name)
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.feature_shape = None

    def _check_prior(self, prior):
        if prior.conditional:
            raise ValueError("VIBClassifier takes an unconditional prior r(z); for a "
                             "label-conditional b(z|y) use CEBClassifier")

    def _context(self, labels):
        """The context of the bottleneck's prior: none for VIB (CEB: the one-hot label)."""
        return None

    @property
    def metrics(self):
        return [self.loss_tracker, self.ce_tracker, self.rate_tracker, self.accuracy_tracker]

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank is None or input_shape.rank < 2 or \
                None in input_shape[1:].as_list():
            raise ValueError(f"inputs have shape {input_shape}; expected [batch, features...] "
                             "with every feature dimension known")
        self.feature_shape = tuple(input_shape[1:].as_list())
        # One forward pass on a zero example builds every sublayer, whatever the encoder.
        features = self.encoder(tf.zeros([1, *self.feature_shape]))
        self.bottleneck.build(features.shape)
        self.head.build(tf.TensorShape([None, self.latent_dim]))
        self._build_input_shape = input_shape  # what Keras's loader rebuilds the model with
        self.built = True

    def _ensure_built(self, x):
        if not self.built:
            self.build(x.shape)

    def predictive_probabilities(self, features):
        """mean_s softmax(head(mu + sigma * eps_s)), with eps_s ~ N(0, I) fixed per model."""
        posterior = self.bottleneck.posterior(features)
        codes = self.bottleneck.sample(posterior, self.num_samples, seed=self._predict_seed())
        return tf.reduce_mean(tf.nn.softmax(self.head(codes), axis=-1), axis=0)

    def _predict_seed(self):
        return tf.constant([self.bottleneck.seed, _PREDICT_STREAM], tf.int32)

    def call(self, inputs, training=False):
        features = self.encoder(inputs, training=training)
        if training:
            code = self.bottleneck.sample(self.bottleneck.posterior(features))
            return tf.nn.softmax(self.head(code), axis=-1)
        return self.predictive_probabilities(features)

    @staticmethod
    def _labels(y):
        return tf.reshape(tf.cast(y, tf.int32), [-1])

    def train_step(self, data):
        x, y = data
        self._ensure_built(x)
        labels = self._labels(y)
        with tf.GradientTape() as tape:
            features = self.encoder(x, training=True)
            code, rate = self.bottleneck(features, context=self._context(labels), training=True)
            logits = self.head(code)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            loss = tf.reduce_mean(ce) + self._beta * tf.reduce_mean(rate)
        self.minimize(loss, tape)
        return self._update_metrics(loss, ce, rate, labels, tf.nn.softmax(logits))

    def test_step(self, data):
        x, y = data
        self._ensure_built(x)
        labels = self._labels(y)
        features = self.encoder(x, training=False)
        _, rate = self.bottleneck(features, context=self._context(labels), training=False)
        # ce is the objective's E_z[-ln q(y|z)], averaged over the S predictive draws (so
        # H(Y) - ce lower-bounds I(Z;Y)); accuracy scores the S-sample averaged prediction.
        posterior = self.bottleneck.posterior(features)
        codes = self.bottleneck.sample(posterior, self.num_samples, seed=self._predict_seed())
        logits = self.head(codes)
        ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.broadcast_to(labels, tf.shape(logits)[:-1]), logits=logits), axis=0)
        probs = tf.reduce_mean(tf.nn.softmax(logits, axis=-1), axis=0)
        loss = tf.reduce_mean(ce) + self._beta * tf.reduce_mean(rate)
        return self._update_metrics(loss, ce, rate, labels, probs)

    def _update_metrics(self, loss, ce, rate, labels, probs):
        self.loss_tracker.update_state(loss)
        self.ce_tracker.update_state(ce)
        self.rate_tracker.update_state(rate)
        self.accuracy_tracker.update_state(labels, probs)
        return {m.name: m.result() for m in self.metrics}

    # -- checked inputs ---------------------------------------------------------------------
    def _check_x(self, x):
        return check_array("x", x, self.feature_shape)

    def _check_y(self, y):
        if y is None or isinstance(y, (tf.Tensor, tf.data.Dataset)):
            return y
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == self.num_classes and self.num_classes > 1:
            raise ValueError(f"y has shape {labels.shape}, which looks one-hot; pass integer "
                             "class ids instead, e.g. y.argmax(axis=-1)")
        labels = labels.reshape(-1)
        if not np.issubdtype(labels.dtype, np.number) or not np.all(np.isfinite(labels)) \
                or np.any(labels != np.round(labels)):
            raise ValueError("y must hold integer class ids in [0, num_classes); convert string "
                             "labels with e.g. sklearn.preprocessing.LabelEncoder")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"y has class ids in [{labels.min()}, {labels.max()}] but "
                             f"num_classes={self.num_classes}: ids must lie in "
                             f"[0, {self.num_classes - 1}]")
        return labels.astype(np.int32)

    def fit(self, x=None, y=None, *args, **kwargs):
        x, y = self._check_x(x), self._check_y(y)
        self._build_for(x)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x, y = self._check_x(x), self._check_y(y)
        self._build_for(x)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        x = self._check_x(x)
        self._build_for(x)
        return super().predict(x, *args, **kwargs)

    # -- serving ----------------------------------------------------------------------------
    def serving_signatures(self):
        """``serving_default``: features [B, ...] -> probabilities [B, C], class_ids [B]
        (int64) and, for VIB, rate_nats [B] (the code's KL to the prior, an information
        budget per request)."""
        if self.feature_shape is None:
            raise ValueError("the model is not built: fit or call it once before exporting")
        spec = tf.TensorSpec([None, *self.feature_shape], tf.float32, name="features")

        @tf.function(input_signature=[spec])
        def serve(features):
            hidden = self.encoder(features, training=False)
            probs = self.predictive_probabilities(hidden)
            outputs = {"probabilities": probs, "class_ids": tf.argmax(probs, axis=-1)}
            if not self.bottleneck.prior.conditional:
                posterior = self.bottleneck.posterior(hidden)
                code = self.bottleneck.sample(posterior, seed=self._predict_seed())
                outputs["rate_nats"] = kl_nats(posterior,
                                               self.bottleneck.prior.distribution(None), code)
            return outputs

        return {"serving_default": serve}

    def get_config(self):
        config = {**super().get_config(), "num_classes": self.num_classes,
                  "latent_dim": self.latent_dim, "beta": self.beta,
                  "hidden_units": list(self.hidden_units),
                  "prior": keras.layers.serialize(self.bottleneck.prior),
                  "scale_shift": self.bottleneck.scale_shift, "num_samples": self.num_samples,
                  "seed": self.bottleneck.seed}
        if self._custom_encoder:
            config["encoder"] = keras.layers.serialize(self.encoder)
        return config
