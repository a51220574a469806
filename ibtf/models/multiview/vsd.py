"""Variational self-distillation (VSD), cross-distillation (VCD) and mutual learning (VML)."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.critics import mlp_layers
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.models.base import IBModel, check_array

__all__ = ["MultiViewVSD", "distillation_kl"]


def distillation_kl(teacher_logits, student_logits):
    """KL(p_teacher || p_student) per example, in nats, from logits.

        KL = sum_y p_t(y) [log p_t(y) - log p_s(y)],  log p = log_softmax(logits)

    Written on log-probabilities. (The VSD reference code passes *probabilities* where
    ``torch.nn.functional.kl_div`` expects log-probabilities, so it computes
    sum_y p_t (log p_t - p_s), which is not a KL; the unit test checks this function against
    the closed form and shows the difference.)
    """
    log_t = tf.nn.log_softmax(teacher_logits, axis=-1)
    log_s = tf.nn.log_softmax(student_logits, axis=-1)
    return tf.reduce_sum(tf.exp(log_t) * (log_t - log_s), axis=-1)


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


@keras.utils.register_keras_serializable(package="ibtf")
class MultiViewVSD(IBModel):
    """Two views, each encoded to an observation v and a bottlenecked code z, distilled.

    Tian, Liu, Li et al. 2021, "Farewell to Mutual Information: Variational Distillation for
    Cross-Modal Person Re-Identification" (CVPR), eqs. (6), (9), (11). For views k = 1, 2 with
    observations v_k = E_k(x_k), codes z_k ~ q(z | v_k) (a ``GaussianBottleneck``) and one shared
    classifier p(y | .), the objective is

        L = sum_k [CE(y | v_k) + CE(y | z_k)]
            + w_vsd sum_k KL(p(y|v_k) || p(y|z_k))                   (VSD: z_k sufficient for v_k)
            + w_vcd [KL(p(y|v_1) || p(y|z_2)) + KL(p(y|v_2) || p(y|z_1))]   (VCD: across views)
            + w_vml [KL(p(y|z_1) || p(y|z_2)) + KL(p(y|z_2) || p(y|z_1))]   (VML: views agree)
            + beta sum_k KL(q(z|v_k) || N(0, I))                     (the bottleneck's rate)

    with every teacher (the first argument of a distillation KL) held fixed (stop-gradient), as in
    the paper; VML's two terms each detach their teacher. The KLs are on log-probabilities (see
    `distillation_kl`). The paper's triplet term (re-identification ranking) is left out: the
    views here share a class label, not an identity ranking.

    Data: ``fit((view1, view2), y)``.

    Metrics: ``loss``, ``ce``, ``vsd_nats``, ``vcd_nats``, ``vml_nats``, ``rate_nats``,
    ``accuracy`` (of p(y|z_1), p(y|z_2) averaged).
    """

    def __init__(self, view_dims, num_classes, latent_dim=8, hidden_units=(64, 64), beta=1e-2,
                 vsd_weight=1.0, vcd_weight=1.0, vml_weight=1.0, seed=0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        view_dims = tuple(view_dims) if isinstance(view_dims, (list, tuple)) else ()
        if len(view_dims) != 2 or not all(isinstance(d, int) and d > 0 for d in view_dims):
            raise ValueError(f"view_dims={view_dims!r} must be two positive ints (the views' "
                             "feature sizes)")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
        for name, value in (("vsd_weight", vsd_weight), ("vcd_weight", vcd_weight),
                            ("vml_weight", vml_weight)):
            if not float(value) >= 0:
                raise ValueError(f"{name}={value!r} must be a number >= 0")
        self.view_dims, self.num_classes, self.latent_dim = view_dims, num_classes, latent_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.vsd_weight, self.vcd_weight, self.vml_weight = (float(vsd_weight),
                                                             float(vcd_weight), float(vml_weight))
        self.seed = int(seed)
        self.encoders = [mlp_layers(self.hidden_units[:-1], self.hidden_units[-1], "relu",
                                    seed + 10 * k, f"view{k + 1}") for k in range(2)]
        self.bottlenecks = [GaussianBottleneck(
            latent_dim, seed=seed + k, name=f"bottleneck{k + 1}",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 40 + k))
            for k in range(2)]
        # One classifier for observations and codes would need equal sizes; the observation
        # head and the code head are separate layers, shared across the two views.
        self.observation_head = keras.layers.Dense(
            num_classes, name="observation_head",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 50))
        self.code_head = keras.layers.Dense(
            num_classes, name="code_head",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 51))
        self.trackers = {n: keras.metrics.Mean(name=n) for n in
                         ("loss", "ce", "vsd_nats", "vcd_nats", "vml_nats", "rate_nats")}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return list(self.trackers.values()) + [self.accuracy]

    def build(self, input_shape=None):
        for k in range(2):
            v = self.observe(k, tf.zeros([1, self.view_dims[k]]))
            self.bottlenecks[k].build(v.shape)
            self.observation_head.build(v.shape)
        self.code_head.build(tf.TensorShape([None, self.latent_dim]))
        # what Keras's loader rebuilds the model with (build ignores it: sizes are known)
        self._build_input_shape = tf.TensorShape([None, self.view_dims[0]])
        self.built = True

    def observe(self, k, x):
        """v_k = E_k(x_k), the observation of view k."""
        return tf.nn.relu(_apply(self.encoders[k], x))

    def encode(self, k, x):
        """The mean code of view k, [B, latent_dim]."""
        return self.bottlenecks[k].posterior(self.observe(k, x)).mean()

    def sample_codes(self, k, x, seed=0):
        """One draw z_k ~ q(z | v_k) per example."""
        posterior = self.bottlenecks[k].posterior(self.observe(k, x))
        return self.bottlenecks[k].sample(posterior, seed=tf.constant([self.seed + k, seed]))

    def call(self, inputs, training=False):
        """p(y | z_k) for both views, averaged."""
        return 0.5 * sum(tf.nn.softmax(self.code_head(self.encode(k, inputs[k])))
                         for k in range(2))

    def train_step(self, data):
        (x1, x2), y = data
        y = tf.reshape(tf.cast(y, tf.int32), [-1])
        with tf.GradientTape() as tape:
            obs_logits, code_logits, rates = [], [], []
            for k, x in enumerate((x1, x2)):
                v = self.observe(k, x)
                z, rate = self.bottlenecks[k](v, training=True)
                obs_logits.append(self.observation_head(v))
                code_logits.append(self.code_head(z))
                rates.append(rate)
            ce = sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
                     for logits in obs_logits + code_logits)
            teacher = [tf.stop_gradient(logits) for logits in obs_logits]
            vsd = distillation_kl(teacher[0], code_logits[0]) + \
                distillation_kl(teacher[1], code_logits[1])
            vcd = distillation_kl(teacher[0], code_logits[1]) + \
                distillation_kl(teacher[1], code_logits[0])
            vml = distillation_kl(tf.stop_gradient(code_logits[0]), code_logits[1]) + \
                distillation_kl(tf.stop_gradient(code_logits[1]), code_logits[0])
            rate = rates[0] + rates[1]
            loss = tf.reduce_mean(ce + self.vsd_weight * vsd + self.vcd_weight * vcd
                                  + self.vml_weight * vml + self._beta * rate)
        self.minimize(loss, tape)
        for name, value in zip(self.trackers, (loss, ce, vsd, vcd, vml, rate)):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y, 0.5 * (tf.nn.softmax(code_logits[0])
                                             + tf.nn.softmax(code_logits[1])))
        return {m.name: m.result() for m in self.metrics}

    def fit(self, x=None, y=None, *args, **kwargs):
        if not isinstance(x, (list, tuple)) or len(x) != 2:
            raise ValueError("x must be a pair (view1, view2) of [n, dim] arrays")
        x = tuple(check_array(f"view{k + 1}", v, (self.view_dims[k],)) for k, v in enumerate(x))
        y = np.asarray(y, np.int32).reshape(-1)
        if not self.built:
            self.build()
        return super().fit(x, y, *args, **kwargs)

    def serving_signatures(self):
        """``serving_default``: view1, view2 -> probabilities [B, C], code1, code2."""
        specs = [tf.TensorSpec([None, d], tf.float32, name=f"view{k + 1}")
                 for k, d in enumerate(self.view_dims)]

        @tf.function(input_signature=specs)
        def serve(view1, view2):
            return {"probabilities": self((view1, view2)), "code1": self.encode(0, view1),
                    "code2": self.encode(1, view2)}

        return {"serving_default": serve}

    def get_config(self):
        config = super().get_config()
        config.update(view_dims=list(self.view_dims), num_classes=self.num_classes,
                      latent_dim=self.latent_dim, hidden_units=list(self.hidden_units),
                      beta=self.beta, vsd_weight=self.vsd_weight, vcd_weight=self.vcd_weight,
                      vml_weight=self.vml_weight, seed=self.seed)
        return config
