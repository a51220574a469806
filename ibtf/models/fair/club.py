"""CLUB bottlenecks: one model for IB, privacy funnel, deterministic IB, CEB and conditional PF."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.critics import mlp_layers
from ibtf.estimators.jsd import jsd_lower_bound, jsd_objective
from ibtf.estimators.ratio import classifier_loss, classifier_mi_estimate
from ibtf.estimators.vclub import vclub_upper_bound
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.models.base import IBModel, check_array

__all__ = ["CLUBModel", "EncoderCosineAnnealing", "MODES", "batch_whiten",
           "categorical_critic_scores", "categorical_log_likelihoods", "conditional_vclub"]

UTILITIES = ("classify", "reconstruct")
COMPLEXITIES = ("kl", "conditional_kl", "deterministic")
LEAKAGES = ("vclub", "jsd", "ratio", "adversary", "none")
ADVERSARY_INPUTS = ("raw", "whitened")
ENCODER_ANNEALINGS = ("cosine", "none")
_LN2 = float(np.log(2.0))

# The named special cases of the CLUB family (Razeghi et al. 2023, Table 1), as configurations.
MODES = {
    "ib": dict(utility="classify", complexity="kl", leakage="none"),
    "privacy_funnel": dict(utility="reconstruct", complexity="kl", leakage="vclub"),
    "deterministic_ib": dict(utility="classify", complexity="deterministic", leakage="none"),
    "ceb": dict(utility="classify", complexity="conditional_kl", leakage="none"),
    "conditional_pf": dict(utility="classify", complexity="kl", leakage="vclub",
                           conditional_leakage=True),
    "club": dict(utility="classify", complexity="kl", leakage="vclub"),
}


def categorical_log_likelihoods(logits, labels):
    """[B, B] matrix ``log q(s_i | z_j)`` from logits [B, K] of q(s | z_j) and labels s [B]."""
    log_q = tf.nn.log_softmax(logits, axis=-1)                         # [B_z, K]
    return tf.matmul(tf.one_hot(labels, logits.shape[-1], dtype=log_q.dtype), log_q,
                     transpose_b=True)


def categorical_critic_scores(logits, labels):
    """[B, B] critic scores ``f(z_j, s_i) = logits[j, s_i]`` from logits [B, K] and labels [B].

    The package's score-matrix convention (``ibtf.estimators``: diagonal = joint pairs): a head
    with one output per value of a categorical s is a critic f(z, s) that can represent any
    function of (z, s), the log density ratio log p(z, s) / (p(z) p(s)) included.
    """
    return tf.matmul(tf.one_hot(labels, logits.shape[-1], dtype=logits.dtype), logits,
                     transpose_b=True)


def batch_whiten(z, floor=1e-6):
    """PCA-whitens codes [B, d] with the batch's own mean and covariance (held fixed).

    ``(z - m) V diag(w)^-1/2`` with ``cov = V diag(w) V^T`` of the batch; eigenvalues below
    ``floor`` times the largest are raised to it. The statistics are stop-gradient constants, so
    a head on whitened codes is an affine change of its input: it reads a direction of small
    variance as well as a large one (what a deterministic encoder otherwise hides s in).
    """
    stats = tf.stop_gradient(z)
    mean = tf.reduce_mean(stats, axis=0)
    centred = stats - mean
    n = tf.cast(tf.maximum(tf.shape(z)[0] - 1, 1), z.dtype)
    w, v = tf.linalg.eigh(tf.matmul(centred, centred, transpose_a=True) / n)
    w = tf.maximum(w, floor * tf.reduce_max(w) + 1e-12)
    return tf.matmul(z - mean, v) * tf.math.rsqrt(w)


def conditional_vclub(log_likelihoods, groups):
    """vCLUB of I(Z; S | U): negatives are pairs (s_i, z_j) with i != j in the same group u.

    Cheng et al. 2020 (CLUB), eq. (8), with the product of marginals replaced by the product of
    conditionals p(z|u) p(s|u) (pairs sharing u). Without groups this is ``vclub_upper_bound``.
    """
    same = tf.cast(tf.equal(groups[:, None], groups[None, :]), log_likelihoods.dtype)
    negatives = same * (1.0 - tf.eye(tf.shape(groups)[0], dtype=log_likelihoods.dtype))
    off = tf.reduce_sum(negatives * log_likelihoods) / tf.maximum(tf.reduce_sum(negatives), 1.0)
    return tf.reduce_mean(tf.linalg.diag_part(log_likelihoods)) - off


class EncoderCosineAnnealing(keras.callbacks.Callback):
    """Anneals the encoder optimizer's learning rate to 0 along a cosine over one ``fit``.

    At batch t of T = steps x epochs the encoder steps at ``eta_t = eta * (1 + cos(pi t / T)) / 2``
    (the cosine schedule of Loshchilov & Hutter 2017, SGDR, without restarts); ``eta`` is restored
    when ``fit`` ends. The sensitive head keeps its own constant rate, so near the end it is on
    the faster timescale (Heusel et al. 2017, two time-scale updates): it converges to the best
    response to an almost still encoder, and the encoder's last, small steps remove what that
    converged head reads. With a constant encoder rate the released code is a snapshot of the
    adversarial chase: the online head is fooled at the last step, while a probe fitted
    afterwards still reads s (benchmarks/results/zoo_part2.md: CEB, seeds 1-2, lambda = 10, three
    batch orders each, s-probe excess over chance +0.010 to +0.030 constant, +0.000 to +0.006
    annealed).
    """

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        schedule = keras.optimizers.schedules.LearningRateSchedule
        if isinstance(getattr(optimizer, "_learning_rate", None), schedule) or \
                not isinstance(optimizer.learning_rate, tf.Variable):
            raise ValueError("encoder_annealing='cosine' sets the encoder optimizer's learning "
                             "rate itself; compile with a constant learning rate, or pass "
                             "encoder_annealing='none' to use a schedule of your own")
        steps = self.params.get("steps")
        if not steps:
            raise ValueError("encoder_annealing='cosine' needs the number of steps per epoch; "
                             "pass steps_per_epoch= to fit (or a dataset of known length)")
        self._total = float(steps * self.params["epochs"])
        self._steps = steps
        self._base = float(optimizer.learning_rate.numpy())
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        t = self._epoch * self._steps + batch
        self.model.optimizer.learning_rate.assign(
            self._base * 0.5 * (1.0 + np.cos(np.pi * min(t / self._total, 1.0))))

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self._base)


def _choice(value, options, name):
    if value not in options:
        raise ValueError(f"{name}={value!r} must be one of {options}")
    return value


@keras.utils.register_keras_serializable(package="ibtf")
class CLUBModel(IBModel):
    """A stochastic encoder trained on CLUB's complexity-leakage-utility trade-off.

    Razeghi, Calmon, Gunduz & Voloshynovskiy 2023, "Bottlenecks CLUB: Unifying
    Information-Theoretic Trade-offs Among Complexity, Leakage, and Utility" (the deep
    variational form, DVCLUB). With z ~ q(z|x) = N(mu(x), diag sigma(x)^2), the encoder minimises

        L = beta * C(z) + gamma * U(z) + lambda * I_vCLUB(Z; S [| U])

    * C, the complexity, upper-bounds I(X; Z): ``kl`` = KL(q(z|x) || N(0, I)) (IB, PF);
      ``conditional_kl`` = KL(q(z|x) || r(z|u)) bounds I(X; Z | U) (CEB, Fischer 2020);
      ``deterministic`` is the deterministic IB (Strouse & Schwab 2017): C = H(T), the
      entropy of a deterministic *discrete* code T = Q(y(x)) on unit bins
      (``ibtf.layers.QuantizedBottleneck``; trained through T~ = y + U(-1/2, 1/2) with a
      learned density, Balle et al. 2017). A noiseless continuous code has no finite
      I(X; Z) or bounded-below h(Z), so an earlier form (z = mu(x), C = ||mu||^2 / 2) let the
      encoder keep s in directions far below any resolution, where neither C nor the leakage
      head saw it (s-probe 0.54-0.63 at lambda = 10, chance 0.50).
    * U, the utility loss: ``classify`` = cross-entropy of u from z (so -U lower-bounds
      I(U; Z) - H(U)); ``reconstruct`` = squared error of x from z (the privacy funnel's
      utility is I(X; Z) itself, here through a Gaussian decoder).
    * The leakage is vCLUB (Cheng et al. 2020) with a categorical q(s|z) (the sensitive decoder),
      fitted by maximum likelihood in the same step with its own optimiser. ``jsd`` and
      ``ratio`` estimate I(Z; S) instead with the package's lower-bound estimators on the
      critic f(z, s) = head(z)[s] (``categorical_critic_scores``), the head trained in the same
      step on the estimator's own objective: ``jsd`` (Deep InfoMax, Hjelm et al. 2019) maximises
      ``jsd_objective`` and the encoder minimises ``jsd_lower_bound`` (value: I_JS in nats);
      ``ratio`` (density-ratio classifier, Sugiyama et al. 2012) minimises ``classifier_loss``
      and the encoder minimises ln 2 - classifier_loss, the Jensen-Shannon divergence between
      joint and product pairs that the classifier attains (value reported:
      ``classifier_mi_estimate``, the plug-in MI). ``adversary``
      instead maximises that decoder's cross-entropy (gradient-reversal style, Edwards & Storkey
      2016). ``adversary_input="whitened"`` feeds the head batch-whitened codes
      (``batch_whiten``), a head that reads directions of small variance as well as large
      ones; tried against the earlier noiseless deterministic code, it did not remove its
      leak reliably (benchmarks/results/zoo_part2.md), so it is an option, not a default.
      ``conditional_leakage`` gives the decoder u and takes negatives within u, i.e.
      I(Z; S | U) (the conditional privacy funnel).
    * ``encoder_annealing="cosine"`` (the default) anneals the encoder's learning rate to 0 over
      each ``fit`` while the head keeps its rate (``EncoderCosineAnnealing``): the released code
      is then one the head has caught up with, not a snapshot of the adversarial chase. ``none``
      keeps the compiled rate (or schedule) as it is.

    ``MODES`` maps the named cases (ib, privacy_funnel, deterministic_ib, ceb, conditional_pf,
    club) to these settings; ``CLUBModel.from_mode("ceb", ...)`` builds one.

    Data: ``fit(x, {"u": u, "s": s})`` with integer u in [0, num_utility) and s in
    [0, num_sensitive).

    Metrics: ``loss``, ``complexity_nats``, ``utility_loss``, ``leakage_nats``, ``s_ce``.
    """

    def __init__(self, input_dim, num_utility=2, num_sensitive=2, latent_dim=4,
                 hidden_units=(64, 64), beta=1e-2, gamma=1.0, leakage_weight=1.0,
                 utility="classify", complexity="kl", leakage="vclub",
                 conditional_leakage=False, adversary_units=(64, 64), adversary_steps=5,
                 adversary_learning_rate=3e-3, adversary_input="raw",
                 encoder_annealing="cosine", seed=0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        for name, value, low in (("input_dim", input_dim, 1), ("num_utility", num_utility, 2),
                                 ("num_sensitive", num_sensitive, 2),
                                 ("latent_dim", latent_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        for name, value in (("gamma", gamma), ("leakage_weight", leakage_weight)):
            if not float(value) >= 0:
                raise ValueError(f"{name}={value!r} must be a number >= 0")
        self.input_dim, self.num_utility, self.num_sensitive = input_dim, num_utility, \
            num_sensitive
        self.latent_dim = latent_dim
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.adversary_units = tuple(int(u) for u in adversary_units)
        self.gamma = float(gamma)
        self.leakage_weight = float(leakage_weight)
        self.utility = _choice(utility, UTILITIES, "utility")
        self.complexity = _choice(complexity, COMPLEXITIES, "complexity")
        self.leakage = _choice(leakage, LEAKAGES, "leakage")
        self.conditional_leakage = bool(conditional_leakage)
        if self.conditional_leakage and self.leakage in ("jsd", "ratio"):
            raise ValueError(f"conditional_leakage=True needs leakage='vclub' (negatives within "
                             f"u); leakage={leakage!r} estimates the unconditional I(Z; S)")
        self.seed = int(seed)
        self.encoder_layers = mlp_layers(self.hidden_units[:-1], self.hidden_units[-1], "relu",
                                         seed, "enc")
        initializer = keras.initializers.GlorotUniform(seed=seed + 5)
        if self.complexity == "deterministic":
            from ibtf.layers.quantized import QuantizedBottleneck   # loads tensorflow-compression
            self.bottleneck = QuantizedBottleneck(latent_dim, seed=seed, name="bottleneck",
                                                  kernel_initializer=initializer)
        else:
            prior = "conditional" if complexity == "conditional_kl" else "standard_normal"
            self.bottleneck = GaussianBottleneck(latent_dim, prior=prior, seed=seed,
                                                 name="bottleneck",
                                                 kernel_initializer=initializer)
        out = num_utility if utility == "classify" else input_dim
        self.utility_layers = mlp_layers(self.hidden_units, out, "relu", seed + 10, "util")
        self.adversary_layers = mlp_layers(self.adversary_units, num_sensitive, "relu",
                                           seed + 20, "adv")
        if isinstance(adversary_steps, bool) or not isinstance(adversary_steps, int) \
                or adversary_steps < 1:
            raise ValueError(f"adversary_steps={adversary_steps!r} must be an integer >= 1")
        self.adversary_steps = adversary_steps
        self.adversary_learning_rate = float(adversary_learning_rate)
        self.adversary_input = _choice(adversary_input, ADVERSARY_INPUTS, "adversary_input")
        self.encoder_annealing = _choice(encoder_annealing, ENCODER_ANNEALINGS,
                                         "encoder_annealing")
        self.adversary_optimizer = keras.optimizers.Adam(self.adversary_learning_rate)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in
                         ("loss", "complexity_nats", "utility_loss", "leakage_nats", "s_ce")}

    @classmethod
    def from_mode(cls, mode, input_dim, **kwargs):
        """A CLUBModel configured as one of ``MODES`` (keyword arguments override)."""
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} must be one of {sorted(MODES)}")
        return cls(input_dim, **{**MODES[mode], **kwargs})

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build(self, input_shape=None):
        features = self._features(tf.zeros([1, self.input_dim]))
        self.bottleneck.build(features.shape)
        if self.complexity == "conditional_kl":
            self.bottleneck.prior.build(tf.TensorShape([None, self.num_utility]))
        self._apply(self.utility_layers, tf.zeros([1, self.latent_dim]))
        self._adversary(tf.zeros([1, self.latent_dim]), tf.zeros([1], tf.int32))
        self.adversary_optimizer.build(self._adversary_variables())
        # what Keras's loader rebuilds the model with (build ignores it: sizes are known)
        self._build_input_shape = tf.TensorShape([None, self.input_dim])
        self.built = True

    @staticmethod
    def _apply(layers, x):
        for layer in layers:
            x = layer(x)
        return x

    def _features(self, x):
        return tf.nn.relu(self._apply(self.encoder_layers, x))

    def _adversary(self, z, u):
        if self.adversary_input == "whitened":
            z = batch_whiten(z)
        if self.conditional_leakage:
            z = tf.concat([z, tf.one_hot(u, self.num_utility, dtype=z.dtype)], axis=-1)
        return self._apply(self.adversary_layers, z)

    def _adversary_variables(self):
        return [v for layer in self.adversary_layers for v in layer.trainable_variables]

    def _encoder_variables(self):
        adversary = {id(v) for v in self._adversary_variables()}
        return [v for v in self.trainable_variables if id(v) not in adversary]

    def encode(self, x, training=False):
        """(code, complexity [B]): the posterior mean (or a sample when training); for the
        deterministic IB the quantized code T and its code length in nats."""
        features = self._features(x)
        if self.complexity == "deterministic":
            return self.bottleneck(features, training=training)
        posterior = self.bottleneck.posterior(features)
        mean = posterior.mean()
        return (self.bottleneck.sample(posterior) if training else mean), None

    def sample_codes(self, x, seed=0):
        """One draw z ~ q(z|x) per example (the released code of the stochastic encoder);
        the deterministic IB releases its quantized code T."""
        if self.complexity == "deterministic":
            return self.encode(x)[0]
        posterior = self.bottleneck.posterior(self._features(x))
        return self.bottleneck.sample(posterior, seed=tf.constant([self.seed, seed], tf.int32))

    def call(self, x, training=False):
        code, _ = self.encode(x, training=training)
        return code

    def predict_utility(self, x):
        """p(u | x) (``classify``) or the reconstruction of x (``reconstruct``)."""
        out = self._apply(self.utility_layers, self.encode(x)[0])
        return tf.nn.softmax(out) if self.utility == "classify" else out

    def leakage_terms(self, s_logits, s, u):
        """(reported leakage in nats, the encoder's penalty) from the head's logits [B, K].

        vCLUB (and the ``adversary`` / ``none`` settings, which report it): both are
        ``vclub_upper_bound`` (``conditional_vclub`` with ``conditional_leakage``). ``jsd``:
        both are ``jsd_lower_bound`` (I_JS, with the JS objective's gradient). ``ratio``:
        ``classifier_mi_estimate`` and ln 2 - ``classifier_loss``, the Jensen-Shannon
        divergence in nats between joint and product pairs that the critic attains (f-GAN:
        sup J = 2 JS - ln 4). Since ``jsd_objective`` = -2 ``classifier_loss``, ``jsd`` at
        lambda trains exactly as ``ratio`` at 2 lambda.
        """
        if self.leakage == "jsd":
            value = jsd_lower_bound(categorical_critic_scores(s_logits, s))
            return value, value
        if self.leakage == "ratio":
            scores = categorical_critic_scores(s_logits, s)
            return classifier_mi_estimate(scores), _LN2 - classifier_loss(scores)
        log_lik = categorical_log_likelihoods(s_logits, s)
        value = conditional_vclub(log_lik, u) if self.conditional_leakage \
            else vclub_upper_bound(log_lik)
        return value, (value if self.leakage == "vclub" else 0.0)

    def critic_loss(self, s_logits, s):
        """What the sensitive head minimises: the cross-entropy of s (q(s|z) by maximum
        likelihood, for vCLUB), -``jsd_objective`` (``jsd``) or ``classifier_loss``
        (``ratio``)."""
        if self.leakage == "jsd":
            return -jsd_objective(categorical_critic_scores(s_logits, s))
        if self.leakage == "ratio":
            return classifier_loss(categorical_critic_scores(s_logits, s))
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(s, s_logits))

    def train_step(self, data):
        x, labels = data
        u = tf.reshape(tf.cast(labels["u"], tf.int32), [-1])
        s = tf.reshape(tf.cast(labels["s"], tf.int32), [-1])
        with tf.GradientTape() as tape:
            features = self._features(x)
            if self.complexity == "deterministic":
                code, rate = self.bottleneck(features, training=True)
            else:
                context = tf.one_hot(u, self.num_utility) \
                    if self.complexity == "conditional_kl" else None
                code, rate = self.bottleneck(features, context=context, training=True)
            out = self._apply(self.utility_layers, code)
            if self.utility == "classify":
                utility_loss = tf.nn.sparse_softmax_cross_entropy_with_logits(u, out)
            else:
                utility_loss = tf.reduce_sum(tf.square(out - x), axis=-1)
            s_logits = self._adversary(code, u)
            s_ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(s, s_logits))
            leakage, penalty = self.leakage_terms(s_logits, s, u)
            penalty = -s_ce if self.leakage == "adversary" else penalty
            loss = (self._beta * tf.reduce_mean(rate) + self.gamma * tf.reduce_mean(utility_loss)
                    + self.leakage_weight * penalty)
        self.minimize(loss, tape, self._encoder_variables())
        # The sensitive decoder q(s | z): maximum likelihood on the (fixed) codes; several steps
        # so that it keeps up with the encoder (a stale decoder under-reports the leakage).
        code = tf.stop_gradient(code)
        variables = self._adversary_variables()
        for _ in range(self.adversary_steps):
            with tf.GradientTape() as tape:
                critic_loss = self.critic_loss(self._adversary(code, u), s)
            self.adversary_optimizer.apply_gradients(zip(tape.gradient(critic_loss, variables),
                                                         variables))
        for name, value in zip(self.trackers, (loss, rate, utility_loss, leakage, s_ce)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def fit(self, x=None, y=None, *args, **kwargs):
        x = check_array("x", x, (self.input_dim,))
        if isinstance(y, dict):
            if set(y) != {"u", "s"}:
                raise ValueError(f"y has keys {sorted(y)}; pass y={{'u': utility labels, "
                                 "'s': sensitive labels}}")
            y = {k: np.asarray(v, np.int32).reshape(-1) for k, v in y.items()}
        if not self.built:
            self.build()
        if self.encoder_annealing == "cosine":
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [EncoderCosineAnnealing()]
        history = super().fit(x, y, *args, **kwargs)
        if self.complexity == "deterministic":     # release T on the final density's grid
            self.bottleneck.refresh_offset()
        return history

    def serving_signatures(self):
        """``serving_default``: features [B, input_dim] -> code [B, d] and ``utility``
        (class probabilities of u, or the reconstruction of x)."""
        spec = tf.TensorSpec([None, self.input_dim], tf.float32, name="features")

        @tf.function(input_signature=[spec])
        def serve(features):
            return {"code": self.encode(features)[0], "utility": self.predict_utility(features)}

        return {"serving_default": serve}

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, num_utility=self.num_utility,
                      num_sensitive=self.num_sensitive, latent_dim=self.latent_dim,
                      hidden_units=list(self.hidden_units), beta=self.beta, gamma=self.gamma,
                      leakage_weight=self.leakage_weight, utility=self.utility,
                      complexity=self.complexity, leakage=self.leakage,
                      conditional_leakage=self.conditional_leakage,
                      adversary_units=list(self.adversary_units),
                      adversary_steps=self.adversary_steps,
                      adversary_learning_rate=self.adversary_learning_rate,
                      adversary_input=self.adversary_input,
                      encoder_annealing=self.encoder_annealing, seed=self.seed)
        return config
