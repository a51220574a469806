"""CTRL: closed-loop transcription to a linear discriminative representation (LDR)."""
from ibtf._keras import keras, tf
from ibtf.estimators.critics import mlp_layers
from ibtf.models.base import IBModel, check_array
from ibtf.models.ratereduction.rate import pairwise_rate_reduction, rate_reduction

__all__ = ["CTRL"]


def _units(value, name):
    units = tuple(value) if isinstance(value, (list, tuple)) else None
    if not units or not all(isinstance(u, int) and not isinstance(u, bool) and u > 0
                            for u in units):
        raise ValueError(f"{name}={value!r} must be a non-empty list of positive ints")
    return units


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


@keras.utils.register_keras_serializable(package="ibtf")
class CTRL(IBModel):
    """Encoder f and decoder g playing CTRL's rate-reduction game (Dai et al. 2022).

    Dai, Tong, Liao, Wright, Ma et al. 2022, "CTRL: Closed-Loop Transcription to an LDR via
    Minimaxing Rate Reduction", eq. (11). With Z = f(X) on the unit sphere, X_hat = g(Z) and
    Z_hat = f(X_hat), both sides share one utility

        T(f, g) = Delta R(Z) + Delta R(Z_hat) + sum_j Delta R(Z_j, Z_hat_j)

    (``ratereduction.rate``; Delta R in nats with the paper's eps, squared inside). The encoder
    f *maximises* T: it expands the classes (Delta R(Z)) and, as a discriminator, tells each
    class's data codes from its reconstructions' codes; the decoder g *minimises* T: it makes
    each class's reconstructions indistinguishable from the class in code space. (The paper's
    max over the encoder and min over the decoder; ``train_step`` takes one step of each, the
    encoder's first.) The labels only form the class memberships Pi.

    Args:
      input_dim: size of the (flattened) data vector.
      num_classes: J.
      latent_dim: d, the code size (the codes are normalised to the unit sphere).
      hidden_units: hidden widths of the encoder (the decoder mirrors them).
      eps: the paper's epsilon (the reference code's default eps=0.5 is eps^2: eps ~ 0.707).
      output_activation: the decoder's last activation ("sigmoid" for data in [0, 1]).
      decoder_steps: decoder (min) steps per encoder (max) step.
      decoder_learning_rate: Adam rate of the decoder's own optimiser (the encoder uses the
        optimiser given to ``compile``).
      seed: initialiser seed.

    Metrics: ``objective`` (T), ``delta_r_z``, ``delta_r_zhat``, ``classwise_nats``.
    """

    def __init__(self, input_dim, num_classes, latent_dim=32, hidden_units=(256, 256),
                 eps=0.5**0.5, output_activation="sigmoid", decoder_steps=1,
                 decoder_learning_rate=1e-3, seed=0, **kwargs):
        kwargs.pop("beta", None)
        super().__init__(beta=0.0, **kwargs)
        for name, value, low in (("input_dim", input_dim, 1), ("num_classes", num_classes, 2),
                                 ("latent_dim", latent_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"eps={eps!r} must be > 0 (the paper's epsilon, squared inside)")
        self.input_dim, self.num_classes, self.latent_dim = input_dim, num_classes, latent_dim
        self.hidden_units = _units(hidden_units, "hidden_units")
        self.eps = float(eps)
        if isinstance(decoder_steps, bool) or not isinstance(decoder_steps, int) \
                or decoder_steps < 1:
            raise ValueError(f"decoder_steps={decoder_steps!r} must be an integer >= 1")
        self.decoder_steps = decoder_steps
        self.decoder_learning_rate = float(decoder_learning_rate)
        self.decoder_optimizer = keras.optimizers.Adam(self.decoder_learning_rate, beta_1=0.5)
        self.output_activation = output_activation
        self.seed = int(seed)
        self.encoder_layers = mlp_layers(self.hidden_units, latent_dim, "relu", seed, "enc")
        self.decoder_layers = mlp_layers(self.hidden_units[::-1], input_dim, "relu", seed + 50,
                                         "dec")
        self.output_layer = keras.layers.Activation(output_activation, name="dec_out")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in
                         ("objective", "delta_r_z", "delta_r_zhat", "classwise_nats")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        self.decode(self.encode(tf.zeros([1, self.input_dim])))
        self.decoder_optimizer.build(self._decoder_variables())
        # what Keras's loader rebuilds the model with (build ignores it: sizes are known)
        self._build_input_shape = tf.TensorShape([None, self.input_dim])
        self.built = True

    def _encoder_variables(self):
        return [v for layer in self.encoder_layers for v in layer.trainable_variables]

    def _decoder_variables(self):
        return [v for layer in self.decoder_layers for v in layer.trainable_variables]

    def encode(self, x):
        """f(x): codes on the unit sphere, [B, latent_dim]."""
        return tf.math.l2_normalize(_apply(self.encoder_layers, x), axis=-1)

    def decode(self, z):
        """g(z): reconstructions, [B, input_dim]."""
        return self.output_layer(_apply(self.decoder_layers, z))

    def call(self, x, training=False):
        return self.decode(self.encode(x))

    def game(self, x, memberships):
        """T(f, g) and its three parts, all in nats."""
        z = self.encode(x)
        z_hat = self.encode(self.decode(z))
        parts = (rate_reduction(z, memberships, self.eps),
                 rate_reduction(z_hat, memberships, self.eps),
                 pairwise_rate_reduction(z, z_hat, memberships, self.eps))
        return parts[0] + parts[1] + parts[2], parts

    def train_step(self, data):
        x, y = data
        pi = tf.one_hot(tf.reshape(tf.cast(y, tf.int32), [-1]), self.num_classes)
        encoder_vars, decoder_vars = self._encoder_variables(), self._decoder_variables()
        with tf.GradientTape() as tape:                      # max over the encoder f
            objective, _ = self.game(x, pi)
            loss = -objective
        self.minimize(loss, tape, encoder_vars)
        for _ in range(self.decoder_steps):                  # min over the decoder g
            with tf.GradientTape() as tape:
                objective, parts = self.game(x, pi)
            self.decoder_optimizer.apply_gradients(
                zip(tape.gradient(objective, decoder_vars), decoder_vars))
        for name, value in zip(self.trackers, (objective,) + parts):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def fit(self, x=None, y=None, *args, **kwargs):
        x = check_array("x", x, (self.input_dim,))
        if not self.built:
            self.build()
        return super().fit(x, y, *args, **kwargs)

    def serving_signatures(self):
        """``serving_default``: features [B, input_dim] -> code [B, d], reconstruction."""
        spec = tf.TensorSpec([None, self.input_dim], tf.float32, name="features")

        @tf.function(input_signature=[spec])
        def serve(features):
            code = self.encode(features)
            return {"code": code, "reconstruction": self.decode(code)}

        return {"serving_default": serve}

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, num_classes=self.num_classes,
                      latent_dim=self.latent_dim, hidden_units=list(self.hidden_units),
                      eps=self.eps, output_activation=self.output_activation,
                      decoder_steps=self.decoder_steps,
                      decoder_learning_rate=self.decoder_learning_rate, seed=self.seed)
        return config
