"""The Variational Wyner model: a common code W and private codes U, V for two modalities."""
import math

import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.critics import mlp_layers
from ibtf.layers.fusion import MixtureOfExperts
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.models.multimodal.base import MultimodalVAE

__all__ = ["VariationalWyner"]

_LOG_2PI = math.log(2 * math.pi)


def _kl_std(loc, scale):
    return tf.reduce_sum(0.5 * (tf.square(loc) + tf.square(scale) - 1.0) - tf.math.log(scale), -1)


def _kl(loc_q, scale_q, loc_p, scale_p):
    return tf.reduce_sum(tf.math.log(scale_p / scale_q) + (tf.square(scale_q) + tf.square(
        loc_q - loc_p)) / (2.0 * tf.square(scale_p)) - 0.5, -1)


def _log_normal(z, loc, scale):
    u = (z - loc) / scale
    return tf.reduce_sum(-0.5 * tf.square(u) - tf.math.log(scale) - 0.5 * _LOG_2PI, -1)


@keras.utils.register_keras_serializable(package="ibtf")
class VariationalWyner(MultimodalVAE):
    """Two modalities a, b generated from a common W and private U (of a) and V (of b):
    p(a, b) = E_{p(w) p(u) p(v)}[p(a|w, u) p(b|w, v)], so a and b are independent given W.

    Wyner's common information C(A; B) = min I(A, B; W) over such models (Wyner 1975); the
    variational Wyner model (Ryu, Choi, Kim, El-Khamy, Lee 2022, "Learning with Succinct Common
    Representation Based on Wyner's Common Information") learns it with a joint encoder
    q(w|a, b), private encoders q(u|a), q(v|b) and conditional encoders q(w|a), q(w|b). Per
    paired example (loss = -mean):

        L = E_q[ln p(a|w, u) + ln p(b|w, v)] - beta KL(q(w|a,b) || p(w))
            - KL(q(u|a) || p(u)) - KL(q(v|b) || p(v))                    (the joint model)
            - KL(sg q(w|a,b) || q(w|a)) - KL(sg q(w|a,b) || q(w|b))       (conditional matching)
            - gamma E_{q(w)}[T(w)]                                          (marginal matching)

    beta is the Lagrange weight on I(A, B; W) (slightly above 1 selects, among models that fit
    the data equally well, the one with the smallest common rate). The conditional encoders
    fit the conditional q(w|a) = E_{b|a} q(w|a, b) (the stop-gradient keeps them from pulling
    the joint code); cross generation a -> b draws w ~ q(w|a), v ~ p(v). T is a density-ratio
    critic trained by balanced logistic regression between codes of q(w) (the aggregate
    posterior) and draws of p(w), so T(w) ~ ln q(w)/p(w) (Sugiyama et al. 2012, Ch. 4): its
    mean estimates KL(q(w) || p(w)), and E KL(q(w|a,b) || p(w)) - KL(q(w) || p(w)) estimates
    I(A, B; W). An example with one modality m has the ELBO with q(w, u|x_m).

    The modalities' experts output (w, private) of size common_dim + private_dim; their
    decoders take [w, private].

    Args:
      common_dim, private_dim: sizes of W and of each private code.
      marginal_weight: gamma, weight of the density-ratio marginal matching term.
      critic_units: hidden widths of T.
    """

    max_modalities = 2
    term_names = ("recon_nats", "rate_nats", "private_nats", "match_nats", "marginal_kl_nats")

    def __init__(self, modalities, common_dim=8, private_dim=8, beta=1.0, marginal_weight=1.0,
                 critic_units=(64, 64), seed=0, **kwargs):
        for name, value in (("common_dim", common_dim), ("private_dim", private_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        kwargs.pop("latent_dim", None)
        super().__init__(modalities, latent_dim=common_dim + private_dim, beta=beta, seed=seed,
                         **kwargs)
        self.common_dim, self.private_dim = common_dim, private_dim
        self.marginal_weight = float(marginal_weight)
        self.critic_units = tuple(int(u) for u in critic_units)
        self.critic_optimizer = None

    def _make_fusion(self):
        return MixtureOfExperts(seed=self.seed, name="fusion")  # seeded noise only

    def _build_extra(self):
        units = self.modality_layers[0].hidden_units or (64,)
        self.joint_encoder = keras.Sequential(
            [keras.layers.Dense(u, activation="relu",
                                kernel_initializer=keras.initializers.GlorotUniform(
                                    self.seed + 7 + i)) for i, u in enumerate(units)],
            name="joint_encoder")
        width = sum(int(np.prod(m.event_shape)) for m in self.modality_layers)
        features = self.joint_encoder(tf.zeros([1, width]))
        self.joint_expert = GaussianBottleneck(self.common_dim, seed=self.seed + 11,
                                               name="joint_expert")
        self.joint_expert.build(features.shape)
        self.ratio_layers = mlp_layers(self.critic_units, 1, "relu", self.seed + 13, "ratio")
        shape = tf.TensorShape([None, self.common_dim])
        for layer in self.ratio_layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def compile(self, optimizer="adam", critic_optimizer=None, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.critic_optimizer = critic_optimizer or keras.optimizers.Adam(1e-3)

    # -- pieces ---------------------------------------------------------------------------
    def _ratio(self, w):
        for layer in self.ratio_layers:
            w = layer(w)
        return w[..., 0]

    def _joint_params(self, xs, training=False):
        flat = tf.concat([tf.reshape(x, [tf.shape(x)[0], -1]) for x in xs], -1)
        posterior = self.joint_expert.posterior(self.joint_encoder(flat, training=training))
        return posterior.distribution.loc, posterior.distribution.scale

    def _split(self, locs, scales):
        d = self.common_dim
        return (locs[..., :d], scales[..., :d]), (locs[..., d:], scales[..., d:])

    def common_posterior(self, xs, mask, training=False):
        """(loc, scale) [B, common_dim] of q(w|observed): joint if both, else unimodal."""
        locs, scales = self.experts(xs, training=training)
        (wl, ws), _ = self._split(locs, scales)
        jl, js = self._joint_params(xs, training=training)
        paired = (mask[:, 0] * mask[:, 1])[:, None]
        only = [(mask[:, i] * (1.0 - mask[:, 1 - i]))[:, None] for i in range(2)]
        loc = paired * jl + only[0] * wl[0] + only[1] * wl[1]
        scale = paired * js + only[0] * ws[0] + only[1] * ws[1] + (1.0 - paired - only[0]
                                                                    - only[1])
        return loc, scale, (locs, scales)

    def _decode(self, index, w, private):
        return self.modality_layers[index].decode(tf.concat([w, private], -1))

    # -- objective ------------------------------------------------------------------------
    def objective(self, xs, mask):
        loc, scale, (locs, scales) = self.common_posterior(xs, mask, training=True)
        (wl, ws), (pl, ps) = self._split(locs, scales)
        w = self.fusion.gaussian_sample(loc, scale)
        recon = private = 0.0
        for m, mod in enumerate(self.modality_layers):
            u = self.fusion.gaussian_sample(pl[m], ps[m])
            recon += mask[:, m] * mod.likelihood_weight * mod.log_likelihood(
                self._decode(m, w, u), xs[m])
            private += mask[:, m] * _kl_std(pl[m], ps[m])
        rate = _kl_std(loc, scale)
        paired = mask[:, 0] * mask[:, 1]
        jl, js = tf.stop_gradient(loc), tf.stop_gradient(scale)
        match = paired * (_kl(jl, js, wl[0], ws[0]) + _kl(jl, js, wl[1], ws[1]))
        marginal = self._ratio(w)
        value = recon - self._beta * rate - private - match - self.marginal_weight * marginal
        return -tf.reduce_mean(value), {"recon_nats": -recon, "rate_nats": rate,
                                        "private_nats": private, "match_nats": match,
                                        "marginal_kl_nats": marginal}, w

    def train_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        critic_vars = [v for layer in self.ratio_layers for v in layer.trainable_variables]
        ids = {id(v) for v in critic_vars}
        model_vars = [v for v in self.trainable_variables if id(v) not in ids]
        with tf.GradientTape() as tape:
            loss, terms, w = self.objective(xs, mask)
        self.minimize(loss, tape, model_vars)
        prior = tf.random.stateless_normal(tf.shape(w), self.fusion.next_seed())
        with tf.GradientTape() as tape:
            critic_loss = 0.5 * (tf.reduce_mean(tf.nn.softplus(-self._ratio(
                tf.stop_gradient(w)))) + tf.reduce_mean(tf.nn.softplus(self._ratio(prior))))
        grads = tape.gradient(critic_loss, critic_vars)
        self.critic_optimizer.apply_gradients(zip(grads, critic_vars))
        return self._track(loss, terms)

    def test_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        loss, terms, _ = self.objective(xs, mask)
        return self._track(loss, terms)

    # -- measurement and generation -------------------------------------------------------
    def common_information(self, inputs, batch_size=256):
        """(rate, marginal_kl, information) in nats on paired ``inputs``: the mean
        KL(q(w|a,b) || p(w)), the critic's estimate of KL(q(w) || p(w)), and their difference,
        an estimate of I(A, B; W) (equal to Wyner's C at the optimum)."""
        rates, margins = [], []
        for xs, m in self._batches(inputs, None, batch_size):
            loc, scale, _ = self.common_posterior(xs, m)
            rates.append(_kl_std(loc, scale).numpy())
            w = loc + scale * tf.random.stateless_normal(tf.shape(loc), [self.seed, 3])
            margins.append(self._ratio(w).numpy())
        rate, marginal = float(np.mean(np.concatenate(rates))), float(
            np.mean(np.concatenate(margins)))
        return rate, marginal, rate - marginal

    @tf.function(reduce_retracing=True)
    def _encode(self, xs, mask):
        return self.common_posterior(xs, mask)[0]

    def posterior_mean(self, locs, scales, mask):
        raise NotImplementedError("VariationalWyner encodes with common_posterior (it needs "
                                  "the joint encoder)")

    def _generate(self, xs, mask, index, draws, sample_private):
        loc, scale, _ = self.common_posterior(xs, mask)
        if draws is None:
            w = loc
            private = tf.zeros([tf.shape(loc)[0], self.private_dim])
        else:
            w = self.fusion.gaussian_sample(loc, scale, draws)
            private = (tf.random.stateless_normal([draws, tf.shape(loc)[0], self.private_dim],
                                                  self.fusion.next_seed())
                       if sample_private else tf.zeros([draws, tf.shape(loc)[0],
                                                        self.private_dim]))
        return self._decode(index, w, private)

    def generate(self, inputs, target, mask=None, num_samples=None, sample_outputs=False,
                 batch_size=256, sample_private=True):
        """Cross generation: w from q(w|observed) (its mean if ``num_samples`` is None, else
        draws), the target's private code from p (zeros, its mean, when ``num_samples`` is None
        or ``sample_private`` is False). Decoder means ([N, ...] or [K, N, ...]), or draws with
        ``sample_outputs``."""
        index = self._target(target)
        modality = self.modality_layers[index]
        out = []
        for xs, m in self._batches(inputs, mask, batch_size):
            params = self._generate(xs, m, index, num_samples, sample_private)
            if sample_outputs:
                out.append(modality.distribution(params).sample(
                    seed=self.fusion.next_seed()).numpy())
            else:
                out.append(modality.mean(params).numpy())
        return np.concatenate(out, axis=0 if num_samples is None else 1)

    def swap(self, content, style, modality):
        """Style/content swap in ``modality``: w (content) from q(w|content), the private code
        (style) from q(u|style), both posterior means; returns decoder means [N, ...]."""
        index = self._target(modality)
        c, _ = self.check_inputs({modality: content})
        s, _ = self.check_inputs({modality: style})
        self._ensure_built()
        mod = self.modality_layers[index]
        return mod.mean(self._swap(index, tf.constant(c[modality]),
                                   tf.constant(s[modality]))).numpy()

    def _swap(self, index, content, style):
        mod = self.modality_layers[index]
        w_loc = mod.expert_params(content)[0][:, :self.common_dim]
        u_loc = mod.expert_params(style)[0][:, self.common_dim:]
        return self._decode(index, w_loc, u_loc)

    def _joint_from_noise(self, noise):
        d, p = self.common_dim, self.private_dim
        w = noise[:, :d]
        return {m.name: m.mean(self._decode(i, w, noise[:, d + i * p:d + (i + 1) * p]))
                for i, m in enumerate(self.modality_layers)}

    def sample(self, num_samples, seed=0):
        """Joint samples: w, u, v from their priors; every modality's mean. {name: [K, ...]}."""
        self._ensure_built()
        noise = np.random.default_rng(seed).normal(
            size=(num_samples, self.common_dim + 2 * self.private_dim))
        return {k: v.numpy() for k, v in self._joint_from_noise(
            tf.constant(noise, tf.float32)).items()}

    @tf.function(reduce_retracing=True)
    def _log_likelihood(self, xs, mask, num_samples):
        loc, scale, (locs, scales) = self.common_posterior(xs, mask)
        _, (pl, ps) = self._split(locs, scales)
        w = self.fusion.gaussian_sample(loc, scale, num_samples)               # [K, B, d]
        log_w = _log_normal(w, 0.0, 1.0) - _log_normal(w, loc, scale)
        for m, mod in enumerate(self.modality_layers):
            u = self.fusion.gaussian_sample(pl[m], ps[m], num_samples)
            term = (mod.log_likelihood(self._decode(m, w, u), xs[m]) + _log_normal(u, 0.0, 1.0)
                    - _log_normal(u, pl[m], ps[m]))
            log_w += mask[:, m] * term
        return tf.reduce_logsumexp(log_w, 0) - tf.math.log(tf.cast(num_samples, tf.float32))

    # -- serving --------------------------------------------------------------------------
    def _direction_fn(self, sources, target):
        specs = [tf.TensorSpec([None, *self.modality_layers[self.names.index(s)].event_shape],
                               tf.float32, name=s) for s in sources]
        index = self.names.index(target)

        def fn(*arrays):
            xs, mask = self._unpack(dict(zip(sources, arrays)))
            params = self._generate(xs, mask, index, None, False)
            return {target: self.modality_layers[index].mean(params)}

        return tf.function(fn, input_signature=specs)

    def serving_signatures(self):
        """``generate_<target>_from_<source>`` (w at its posterior mean, the target's private
        code at its prior mean), ``sample_joint`` (``noise`` [N, common + 2 private] standard
        normal: w, u, v) and ``swap_<m>`` (``content``, ``style`` -> ``<m>``)."""
        if not self.built:
            raise ValueError("the model is not built: fit or call it once before exporting")
        signatures = {}
        for sources, target in self.generation_directions():
            signatures[f"generate_{target}_from_{'_'.join(sources)}"] = self._direction_fn(
                sources, target)
        width = self.common_dim + 2 * self.private_dim
        signatures["sample_joint"] = tf.function(
            self._joint_from_noise,
            input_signature=[tf.TensorSpec([None, width], tf.float32, name="noise")])
        for i, m in enumerate(self.modality_layers):
            signatures[f"swap_{m.name}"] = self._swap_fn(i)
        signatures["serving_default"] = next(iter(signatures.values()))
        return signatures

    def _swap_fn(self, index):
        mod = self.modality_layers[index]
        spec = [tf.TensorSpec([None, *mod.event_shape], tf.float32, name="content"),
                tf.TensorSpec([None, *mod.event_shape], tf.float32, name="style")]

        def swap(content, style):
            return {mod.name: mod.mean(self._swap(index, content, style))}

        return tf.function(swap, input_signature=spec)

    def get_config(self):
        config = super().get_config()
        config.pop("latent_dim", None)
        return {**config, "common_dim": self.common_dim, "private_dim": self.private_dim,
                "marginal_weight": self.marginal_weight,
                "critic_units": list(self.critic_units)}
