"""St-RKM: the Stiefel-restricted kernel machine autoencoder (Pandey et al. 2021)."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.models.base import check_array, check_beta
from ibtf.models.disentangle.cayley_adam import CayleyAdam, orthogonality_error
from ibtf.models.disentangle.factorvae import image_shape_of, mlp

__all__ = ["StRKM"]


@keras.utils.register_keras_serializable(package="ibtf")
class StRKM(keras.Model):
    """An autoencoder whose latent map is a projection onto an orthonormal frame U.

    Pandey, Fanuel, Schreurs & Suykens 2021, "Disentangled Representation Learning and
    Generation with Manifold Optimization" (St-RKM), eq. (5): with an encoder phi: x -> R^d, a
    decoder psi, and U in St(d, m) (U^T U = I_m),

        h = U^T phi(x)                                       (the m-dim latent code)
        L = mean_i [ lambda ||phi(x_i) - U U^T phi(x_i)||^2   (feature-space PCA error)
                     + ||x_i - psi(U (h_i + sigma eps_i))||^2 ]  (reconstruction)

    U is updated with Cayley Adam (``CayleyAdam``, Li et al. 2020), which keeps it exactly on
    the Stiefel manifold; the networks with Adam. The PCA term makes U span the principal
    subspace of the features; sigma > 0 gives the stochastic variant (the decoder sees noisy
    codes, which the paper links to disentanglement). ``compile(stiefel_optimizer=Adam(...))``
    trains U as an unconstrained matrix, and with ``pca_weight=0`` that is a plain
    autoencoder with a linear m-dim bottleneck: the baseline the check compares against.

    Args:
      image_shape: shape of one input, e.g. (24, 24, 1); pixels in [0, 1].
      latent_dim: m (the paper's h_dim, 10).
      feature_dim: d, the encoder's output width.
      hidden_units: encoder widths before the feature layer (the decoder mirrors them).
      pca_weight: lambda.
      noise_std: sigma.
      seed: seeds initialisers, U's initial frame and the noise.

    Metrics: ``loss``, ``pca_error``, ``recon``, ``orthogonality_error`` (max |U^T U - I| after
    the step) and ``max_orthogonality_error`` (its maximum over all steps so far).
    """

    def __init__(self, image_shape, latent_dim=10, feature_dim=64, hidden_units=(256,),
                 pca_weight=1.0, noise_std=0.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = image_shape_of(image_shape)
        for name, value in (("latent_dim", latent_dim), ("feature_dim", feature_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        if latent_dim > feature_dim:
            raise ValueError(f"latent_dim={latent_dim} exceeds feature_dim={feature_dim}: U is a "
                             "[feature_dim, latent_dim] orthonormal frame; lower latent_dim")
        self.latent_dim, self.feature_dim = latent_dim, feature_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.pca_weight = check_beta(pca_weight)
        self.noise_std = check_beta(noise_std)
        self.seed = int(seed)
        self.encoder = mlp(self.hidden_units, feature_dim, self.seed, "encoder", flatten=True)
        self.decoder = mlp(self.hidden_units[::-1], int(np.prod(self.image_shape)),
                           self.seed + 100, "decoder", out_shape=self.image_shape)
        self.frame = None
        self.stiefel_optimizer = None
        self.trackers = {n: keras.metrics.Mean(name=n) for n in
                         ("loss", "pca_error", "recon", "orthogonality_error")}
        self.max_error = tf.Variable(0.0, trainable=False, name="max_orthogonality_error")

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        shape = tf.TensorShape([None, *self.image_shape])
        self.encoder.build(shape)
        self.decoder.build(tf.TensorShape([None, self.feature_dim]))
        start = np.linalg.qr(np.random.default_rng(self.seed).normal(
            size=(self.feature_dim, self.latent_dim)))[0]
        self.frame = self.add_weight(name="U", shape=[self.feature_dim, self.latent_dim],
                                     initializer=keras.initializers.Constant(start))
        self._build_input_shape = shape
        self.built = True

    def compile(self, optimizer=None, stiefel_optimizer=None, **kwargs):
        """Adam(2e-4) for the networks and CayleyAdam(1e-4) for U (the paper's rates)."""
        super().compile(optimizer=optimizer or keras.optimizers.Adam(2e-4), **kwargs)
        self.stiefel_optimizer = stiefel_optimizer or CayleyAdam(1e-4)

    def network_variables(self):
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    def call(self, images, training=False):
        features = self.encoder(images, training=training)
        return tf.sigmoid(self.decoder(tf.matmul(self.code(features), self.frame,
                                                 transpose_b=True)))

    def code(self, features):
        """h = U^T phi(x), [B, latent_dim]."""
        return tf.matmul(features, self.frame)

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        step = tf.cast(self.optimizer.iterations, tf.int32)
        with tf.GradientTape() as tape:
            features = self.encoder(images, training=True)
            code = self.code(features)
            projected = tf.matmul(code, self.frame, transpose_b=True)       # U U^T phi(x)
            pca_error = tf.reduce_sum(tf.square(features - projected), axis=-1)
            noise = self.noise_std * tf.random.stateless_normal(tf.shape(code),
                                                                seed=tf.stack([self.seed, step]))
            decoded = tf.sigmoid(self.decoder(
                tf.matmul(code + noise, self.frame, transpose_b=True), training=True))
            recon = tf.reduce_sum(tf.reshape(tf.square(images - decoded),
                                             [tf.shape(images)[0], -1]), axis=-1)
            loss = self.pca_weight * tf.reduce_mean(pca_error) + tf.reduce_mean(recon)
        networks = self.network_variables()
        grads = tape.gradient(loss, networks + [self.frame])
        self.optimizer.apply_gradients(zip(grads[:-1], networks))
        self.stiefel_optimizer.apply_gradients([(grads[-1], self.frame)])
        error = orthogonality_error(self.frame)
        self.max_error.assign(tf.maximum(self.max_error, error))
        for name, value in (("loss", loss), ("pca_error", pca_error), ("recon", recon),
                            ("orthogonality_error", error)):
            self.trackers[name].update_state(value)
        return {**{name: t.result() for name, t in self.trackers.items()},
                "max_orthogonality_error": tf.identity(self.max_error)}

    def encode(self, images):
        """Codes h = U^T phi(x) [n, latent_dim] (numpy), in batches."""
        images = check_array("images", images, self.image_shape)
        if not self.built:
            self.build()
        return np.concatenate([self._encode(tf.constant(images[i:i + 1024])).numpy()
                               for i in range(0, len(images), 1024)])

    @tf.function(reduce_retracing=True)
    def _encode(self, images):
        return self.code(self.encoder(images))

    def fit(self, x=None, y=None, *args, **kwargs):
        if not self.built:
            self.build()
        return super().fit(check_array("x", x, self.image_shape), y, *args, **kwargs)

    def serving_signatures(self):
        """``encode``/``serving_default``: images -> code; ``generate``: code -> images."""
        image_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="code")

        @tf.function(input_signature=[image_spec])
        def encode(images):
            return {"code": self.code(self.encoder(images))}

        @tf.function(input_signature=[code_spec])
        def generate(code):
            return {"images": tf.sigmoid(self.decoder(tf.matmul(code, self.frame,
                                                                transpose_b=True)))}

        return {"serving_default": encode, "encode": encode, "generate": generate}

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim, "feature_dim": self.feature_dim,
                "hidden_units": list(self.hidden_units), "pca_weight": self.pca_weight,
                "noise_std": self.noise_std, "seed": self.seed}
