"""Deep InfoMax: representations that maximise MI with the input's local features."""
from ibtf._keras import keras, tf
from ibtf.estimators.critics import SeparableCritic
from ibtf.estimators.jsd import jsd_lower_bound
from ibtf.estimators.total_correlation import PermutationDiscriminator
from ibtf.models.base import IBModel, check_array
from ibtf.models.disentangle._parts import check_positive_int, check_units

__all__ = ["DeepInfoMax"]


def _weights(alpha, beta, gamma):
    values = {"alpha": alpha, "beta": beta, "gamma": gamma}
    for name, value in values.items():
        if not float(value) >= 0:
            raise ValueError(f"{name}={value!r} must be >= 0 (a weight of the DIM objective)")
    return float(alpha), float(beta), float(gamma)


@keras.utils.register_keras_serializable(package="ibtf")
class DeepInfoMax(IBModel):
    """Deep InfoMax with local and global JSD terms and prior matching (Hjelm et al. 2019).

    A convolutional encoder maps x to local features M(x) (one vector per position p) and a
    global code y = E(x) = sigmoid(W flatten(M(x)) + b). With JSD(T) = E_P[-softplus(-T)] -
    E_{P x P}[softplus(T)] (``ibtf.estimators.jsd_objective``), the encoder and critics maximise

        alpha * JSD(T_g; M(x), E(x)) + beta * mean_p JSD(T_l; M_p(x), E(x))
            - gamma * E_x[ -ln D(E(x)) ]

    while the discriminator D learns to tell codes from prior draws V ~ U(0, 1)^k by minimising
    -E_V[ln D(V)] - E_x[ln(1 - D(E(x)))] (Hjelm et al. 2019, "Learning deep representations by
    mutual information estimation and maximization", eqs. 4-8; negatives are the other
    examples of the batch). Both critics are separable, T(u, y) = g(u)^T h(y)
    (``SeparableCritic``). The reported ``global_mi_nats`` and ``local_mi_nats`` are the NWJ
    values of the JS-trained critics (``jsd_lower_bound``): lower bounds in nats, not
    calibrated MI values (DIM's JSD orders MI; it does not measure it).

    Given pairs ``(x, x_view)``, the local features (and the global critic's input) come from
    the second view and the code from the first: the multi-view form (Bachman et al. 2019),
    whose estimate bounds I(E(X); X_view).

    Args:
      input_shape: shape of one example: [length, channels] (1-D convolutions) or
        [height, width, channels] (2-D convolutions).
      code_dim: size of the global code y.
      filters: channels of the convolutions (the last is the local feature size).
      kernel_size: convolution window.
      strides: stride of each convolution.
      critic_units, embed_dim: the critics' MLP widths and embedding size.
      alpha, beta, gamma: weights of the global, local and prior terms (the paper: 0.5, 1.0,
        0.1). The default gamma is 0: trained from scratch with gamma = 0.1, the sigmoid code
        saturated before the critics learned and both MI terms stalled at 0 (digits, and the
        unit test's toy images); the zoo checks run with gamma = 0.
      seed: seeds initialisers and prior draws.

    Metrics: ``loss``, ``global_mi_nats``, ``local_mi_nats``, ``prior_loss``.
    """

    def __init__(self, input_shape, code_dim=32, filters=(32, 64), kernel_size=3, strides=None,
                 critic_units=(128,), embed_dim=32, alpha=0.5, beta=1.0, gamma=0.0, seed=0,
                 **kwargs):
        super().__init__(beta=0.0, **kwargs)
        shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else ()
        if len(shape) not in (2, 3) or not all(isinstance(s, int) and s > 0 for s in shape):
            raise ValueError(f"input_shape={input_shape!r} must be [length, channels] or "
                             "[height, width, channels] of positive ints, e.g. [8, 8, 1]")
        self.example_shape = shape
        self.code_dim = check_positive_int(code_dim, "code_dim", "e.g. 32")
        self.filters = check_units(filters, "filters")
        self.kernel_size = check_positive_int(kernel_size, "kernel_size", "e.g. 3")
        self.strides = check_units(strides or [1] * len(self.filters), "strides")
        if len(self.strides) != len(self.filters):
            raise ValueError(f"strides={strides!r} needs one entry per filters entry "
                             f"({len(self.filters)})")
        self.critic_units = check_units(critic_units, "critic_units")
        self.embed_dim = check_positive_int(embed_dim, "embed_dim", "e.g. 32")
        self.alpha, self.local_weight, self.gamma = _weights(alpha, beta, gamma)
        self.seed = check_positive_int(seed, "seed", "a non-negative int", minimum=0)
        conv = keras.layers.Conv1D if len(shape) == 2 else keras.layers.Conv2D
        init = keras.initializers.GlorotUniform
        self.local_encoder = keras.Sequential(
            [conv(f, self.kernel_size, strides=s, padding="same", activation="relu",
                  kernel_initializer=init(seed + k), name=f"conv_{k}")
             for k, (f, s) in enumerate(zip(self.filters, self.strides))], name="local_encoder")
        self.global_encoder = keras.Sequential(
            [keras.layers.Flatten(),
             keras.layers.Dense(256, activation="relu", kernel_initializer=init(seed + 20)),
             keras.layers.Dense(self.code_dim, activation="sigmoid",
                                kernel_initializer=init(seed + 21))], name="global_encoder")
        self.global_critic = SeparableCritic(self.critic_units, self.embed_dim, seed=seed + 100,
                                             name="global_critic")
        self.local_critic = SeparableCritic(self.critic_units, self.embed_dim, seed=seed + 200,
                                            name="local_critic")
        self.prior_discriminator = PermutationDiscriminator(
            (64, 64), seed=seed + 300, name="prior_discriminator")
        self._step = tf.Variable(0, dtype=tf.int32, trainable=False, name="step")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.global_tracker = keras.metrics.Mean(name="global_mi_nats")
        self.local_tracker = keras.metrics.Mean(name="local_mi_nats")
        self.prior_tracker = keras.metrics.Mean(name="prior_loss")
        self.build(tf.TensorShape([None, *shape]))

    def build(self, input_shape):
        local = self.local_encoder(tf.zeros([2, *self.example_shape]))
        code = self.global_encoder(local)
        flat = tf.reshape(local, [2, -1])
        self.global_critic((flat, code))
        self.local_critic((local[:, 0] if local.shape.rank == 3 else local[:, 0, 0], code))
        self.prior_discriminator(code)
        self._build_input_shape = tf.TensorShape([None, *self.example_shape])
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.global_tracker, self.local_tracker, self.prior_tracker]

    def compile(self, optimizer="adam", discriminator_optimizer=None, **kwargs):
        """``discriminator_optimizer`` trains the prior discriminator (default Adam(1e-3))."""
        super().compile(optimizer=optimizer, **kwargs)
        self.discriminator_optimizer = keras.optimizers.get(
            discriminator_optimizer or keras.optimizers.Adam(1e-3))

    def local_features(self, x, training=False):
        """M(x) as [batch, positions, features]."""
        local = self.local_encoder(x, training=training)
        return tf.reshape(local, [tf.shape(local)[0], -1, local.shape[-1]])

    def _terms(self, x, view, training):
        local = self.local_encoder(view, training=training)
        code = self.global_encoder(self.local_encoder(x, training=training)
                                   if view is not x else local, training=training)
        batch = tf.shape(local)[0]
        positions = local.shape[1] if local.shape.rank == 3 else local.shape[1] * local.shape[2]
        flat = tf.reshape(local, [batch, -1])
        global_mi = jsd_lower_bound(self.global_critic((flat, code)))
        # One critic call scores every position: scores[i, j * P + p] = g(M_p(x_j))^T h(y_i).
        per_position = tf.reshape(local, [-1, local.shape[-1]])
        scores = tf.reshape(self.local_critic((per_position, code)), [batch, batch, positions])
        local_mi = tf.add_n([jsd_lower_bound(scores[:, :, p])
                             for p in range(positions)]) / float(positions)
        return code, global_mi, local_mi

    @staticmethod
    def _views(data):
        if isinstance(data, tuple):
            return data[0], data[1] if len(data) > 1 and data[1] is not None else data[0]
        return data, data

    def train_step(self, data):
        x, view = self._views(data)
        seed = tf.stack([tf.constant(self.seed, tf.int32), self._step.assign_add(1)])
        with tf.GradientTape(persistent=True) as tape:
            code, global_mi, local_mi = self._terms(x, view, training=True)
            prior = tf.random.stateless_uniform(tf.shape(code), seed=seed)
            fake_logit = self.prior_discriminator(code)
            # Encoder: the non-saturating generator loss -E ln D(E(x)).
            prior_loss = tf.reduce_mean(tf.nn.softplus(-fake_logit))
            loss = -(self.alpha * global_mi + self.local_weight * local_mi) \
                + self.gamma * prior_loss
            disc_loss = (tf.reduce_mean(tf.nn.softplus(-self.prior_discriminator(prior)))
                         + tf.reduce_mean(tf.nn.softplus(self.prior_discriminator(
                             tf.stop_gradient(code)))))
        main_vars = (self.local_encoder.trainable_variables
                     + self.global_encoder.trainable_variables
                     + self.global_critic.trainable_variables
                     + self.local_critic.trainable_variables)
        self.minimize(loss, tape, main_vars)
        if self.gamma > 0:
            self.minimize(disc_loss, tape, self.prior_discriminator.trainable_variables,
                          optimizer=self.discriminator_optimizer)
        del tape
        return self._track(loss, global_mi, local_mi, prior_loss)

    def test_step(self, data):
        x, view = self._views(data)
        code, global_mi, local_mi = self._terms(x, view, training=False)
        prior_loss = tf.reduce_mean(tf.nn.softplus(-self.prior_discriminator(code)))
        loss = -(self.alpha * global_mi + self.local_weight * local_mi) + self.gamma * prior_loss
        return self._track(loss, global_mi, local_mi, prior_loss)

    def _track(self, loss, global_mi, local_mi, prior_loss):
        self.loss_tracker.update_state(loss)
        self.global_tracker.update_state(global_mi)
        self.local_tracker.update_state(local_mi)
        self.prior_tracker.update_state(prior_loss)
        return {m.name: m.result() for m in self.metrics}

    def call(self, inputs, training=False):
        """The global code E(x) in (0, 1)^code_dim."""
        return self.global_encoder(self.local_encoder(inputs, training=training),
                                   training=training)

    def encode(self, x, mask=None):
        """E(x) for an array [batch, *input_shape] (``mask`` is ignored: it lets
        ``ibtf.metrics.latent_probe_accuracy`` probe this model)."""
        return self(tf.convert_to_tensor(check_array("x", x, self.example_shape))).numpy()

    def fit(self, x=None, y=None, *args, **kwargs):
        return super().fit(check_array("x", x, self.example_shape),
                           check_array("y", y, self.example_shape), *args, **kwargs)

    def serving_signatures(self):
        """``encode`` (the default): ``x`` -> ``code`` E(x) and ``local_features`` M(x)."""
        @tf.function(input_signature=[tf.TensorSpec([None, *self.example_shape], tf.float32,
                                                    name="x")])
        def encode(x):
            local = self.local_encoder(x)
            return {"code": self.global_encoder(local),
                    "local_features": tf.reshape(local, [tf.shape(local)[0], -1,
                                                         local.shape[-1]])}

        return {"serving_default": encode, "encode": encode}

    def get_config(self):
        return {**super().get_config(), "input_shape": list(self.example_shape),
                "code_dim": self.code_dim, "filters": list(self.filters),
                "kernel_size": self.kernel_size, "strides": list(self.strides),
                "critic_units": list(self.critic_units), "embed_dim": self.embed_dim,
                "alpha": self.alpha, "beta": self.local_weight, "gamma": self.gamma,
                "seed": self.seed}
