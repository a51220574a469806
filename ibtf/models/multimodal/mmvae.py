"""MMVAE: a mixture of experts trained with importance-weighted bounds (Shi et al. 2019)."""
import math

from ibtf._keras import keras, tf
from ibtf.layers.fusion import FAMILIES, MixtureOfExperts, laplace_from_uniform
from ibtf.models.multimodal.base import MultimodalVAE

__all__ = ["MMVAE", "BOUNDS"]

BOUNDS = ("looser", "iwae")


@keras.utils.register_keras_serializable(package="ibtf")
class MMVAE(MultimodalVAE):
    """Mixture-of-experts multimodal VAE (Shi, Siddharth, Paige, Torr 2019, "Variational
    Mixture-of-Experts Autoencoders for Multi-Modal Deep Generative Models", NeurIPS).

    q(z|X_O) = (1/|O|) sum_{m in O} q(z|x_m). K draws z_{m,k} ~ q(z|x_m) from every observed
    expert (stratified sampling) give the log-weights

        ln w_{m,k} = ln p(z_{m,k}) + sum_{d in O} lambda_d ln p(x_d|z_{m,k})
                     - ln (1/|O|) sum_{m'} q(z_{m,k}|x_{m'})

    and the bounds (per example; loss = -mean_i)
      ``iwae``:   ln (1/(K|O|)) sum_{m,k} w_{m,k}                       (their eq. 4)
      ``looser``: (1/|O|) sum_m ln (1/K) sum_k w_{m,k}  (their released models' "looser"
                  bound: a lower bound on the iwae one, which trains better-balanced experts).
    With ``dreg=True`` the encoder gradients are the doubly-reparameterized estimator (Tucker
    et al. 2019, "Doubly Reparameterized Gradient Estimators", eq. 6):
    grad_phi = sum w~^2 d ln w / dz dz/dphi with w~ the self-normalised weights (within each
    stratum for ``looser``) and q's parameters held fixed inside ln w; decoder gradients are
    the usual sum w~ grad_theta ln w. beta weighs the ln p(z) - ln q terms (1 = the bound).

    Experts and prior are Gaussian (``family="normal"``) or, as in Shi et al.'s released code
    and MultiVae's default MMVAE, Laplace (``"laplace"``, usually with the modalities'
    ``expert_scale="softmax"``). With ``learn_prior=True`` the prior p(z) = family(0, s) has
    a learned scale s (MultiVae's ``learn_prior``): s = d softmax(r) + 1e-6 for Laplace,
    s = exp(r / 2) for Gaussian, r in R^d starting at 0 (s = 1).

    Args:
      num_samples: K per expert.
      bound: "looser" or "iwae".
      dreg: use DReG gradients.
      family: "normal" or "laplace": the experts' and the prior's distribution.
      learn_prior: learn the prior's scale.
      batch_sum: None (the step's loss is the batch mean, Keras's convention) or an int N: the
        step's gradient is that of the batch *sum* of per-example losses divided by N, which is
        MultiVae's MMVAE (its loss, which its trainer steps on, is the batch sum) up to the
        constant N. The two differ only
        on a short batch of B < N examples (``fit`` keeps the last partial batch of an epoch):
        it then takes a step from a gradient B/N as large instead of a full-sized one.
    """

    def __init__(self, modalities, latent_dim=16, beta=1.0, num_samples=8, bound="looser",
                 dreg=True, family="normal", learn_prior=False, seed=0, batch_sum=None,
                 **kwargs):
        self.family = family      # validated by the fusion layer MultimodalVAE.__init__ builds
        self.learn_prior = bool(learn_prior)
        super().__init__(modalities, latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)
        if bound not in BOUNDS:
            raise ValueError(f"bound={bound!r} must be one of {BOUNDS}")
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples={num_samples!r} must be a positive integer (K)")
        self.num_samples = num_samples
        self.bound = bound
        self.dreg = bool(dreg)
        if batch_sum is not None and (isinstance(batch_sum, bool) or
                                      not isinstance(batch_sum, int) or batch_sum < 1):
            raise ValueError(f"batch_sum={batch_sum!r} must be None or a positive integer")
        self.batch_sum = batch_sum

    term_names = ("recon_nats", "rate_nats")

    def _make_fusion(self):
        return MixtureOfExperts(family=self.family, seed=self.seed, name="fusion")

    def _build_extra(self):
        if self.learn_prior:
            self.prior_raw_scale = self.add_weight("prior_raw_scale", [self.latent_dim],
                                                   initializer="zeros")

    def prior_scale(self):
        """The prior's scale [d] (1 unless ``learn_prior``)."""
        if not self.learn_prior:
            return tf.ones([self.latent_dim])
        if self.family == "laplace":
            return self.latent_dim * tf.nn.softmax(self.prior_raw_scale) + 1e-6
        return tf.exp(0.5 * self.prior_raw_scale)

    def prior_log_prob(self, z):
        if self.family == "normal" and not self.learn_prior:
            return super().prior_log_prob(z)
        return FAMILIES[self.family](z, tf.zeros_like(z), self.prior_scale())

    def prior_from_noise(self, noise, uniform):
        """A prior draw from standard-normal ``noise``: scaled, and for Laplace mapped through
        the normal CDF and the Laplace inverse CDF."""
        del uniform
        if self.family == "laplace":
            u = tf.clip_by_value(0.5 * tf.math.erfc(-noise / math.sqrt(2.0)), 1e-6, 1 - 1e-6)
            noise = laplace_from_uniform(u)
        return noise * self.prior_scale()

    def _log_weights(self, xs, mask, with_codes=False):
        """ln w [K, M, B], recon [K, M, B], rate [K, M, B] (rate = ln q - ln p); and the
        draws z [K, M, B, d] with ``with_codes``."""
        locs, scales = self.experts(xs, training=True)
        z = self.fusion.stratified_sample(locs, scales, self.num_samples)      # [K, M, B, d]
        out = self._log_weights_at(z, locs, scales, xs, mask)
        return (*out, z) if with_codes else out

    def _log_weights_at(self, z, locs, scales, xs, mask):
        if self.dreg:
            locs, scales = tf.stop_gradient(locs), tf.stop_gradient(scales)
        recon = tf.reduce_sum(self.log_likelihoods(z, xs)
                              * tf.transpose(mask)[:, None, None, :], axis=0)   # [K, M, B]
        rate = self.fusion.log_prob(z, locs, scales, mask) - self.prior_log_prob(z)
        return recon - self._beta * rate, recon, rate

    def _bound(self, log_w, mask):
        """The bound per example [B] and the normalised weights (for DReG)."""
        observed = tf.transpose(mask)[None]                                     # [1, M, B]
        k = float(self.num_samples)
        masked = tf.where(observed > 0, log_w, -1e30 * tf.ones_like(log_w))
        count = tf.reduce_sum(mask, -1)
        if self.bound == "looser":
            per_expert = tf.reduce_logsumexp(masked, 0) - math.log(k)           # [M, B]
            value = tf.reduce_sum(per_expert * observed[0], 0) / count
            weights = tf.nn.softmax(masked, axis=0) * observed / count
        else:
            flat = tf.reduce_logsumexp(masked, axis=[0, 1])
            value = flat - tf.math.log(k * count)
            weights = tf.exp(masked - flat) * observed
        return value, tf.stop_gradient(weights)

    def objective(self, xs, mask):
        log_w, recon, rate = self._log_weights(xs, mask)
        value, weights = self._bound(log_w, mask)
        terms = {"recon_nats": -tf.reduce_sum(weights * recon, [0, 1]),
                 "rate_nats": tf.reduce_sum(weights * rate, [0, 1])}
        return -tf.reduce_mean(value), terms

    def _step_scale(self, mask):
        """1, or B / N with ``batch_sum`` N: the step's loss as a batch sum over N."""
        if self.batch_sum is None:
            return 1.0
        return tf.cast(tf.shape(mask)[0], tf.float32) / float(self.batch_sum)

    def train_step(self, data):
        if not self.dreg:
            return super().train_step(data)
        self._ensure_built()
        xs, mask = self._unpack(data)
        with tf.GradientTape(persistent=True) as tape:
            log_w, recon, rate, z = self._log_weights(xs, mask, with_codes=True)
            value, weights = self._bound(log_w, mask)
            loss = -tf.reduce_mean(value)
            # DReG's gradients: decoders see the surrogate -sum w~ ln w; encoders (which reach
            # ln w only through z: q's parameters are stopped inside it) see w~^2 per draw
            # (iwae), or (1/|O|) w~^2 with w~ normalised per stratum (looser).
            decoder_surrogate = -tf.reduce_mean(tf.reduce_sum(weights * log_w, [0, 1])) \
                * self._step_scale(mask)
        encoder_vars, decoder_vars = self._split_variables()
        *decoder_grads, grad_z = tape.gradient(decoder_surrogate, decoder_vars + [z])
        # One pass through the decoders: the encoder surrogate's gradient at z is the decoder
        # surrogate's times w~ (iwae) or weights * |O| = w~ (looser), then back through
        # z = loc + scale * eps only (the hook of Shi et al.'s and MultiVae's code).
        factor = weights if self.bound == "iwae" else \
            weights * tf.reduce_sum(mask, -1)[None, None, :]
        grads = tape.gradient(z, encoder_vars, output_gradients=factor[..., None] * grad_z) + \
            decoder_grads
        del tape
        variables = encoder_vars + decoder_vars
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            grads = [None if g is None else g / replicas for g in grads]
        self.optimizer.apply_gradients(
            [(g, v) for g, v in zip(grads, variables) if g is not None])
        terms = {"recon_nats": -tf.reduce_sum(weights * recon, [0, 1]),
                 "rate_nats": tf.reduce_sum(weights * rate, [0, 1])}
        return self._track(loss, terms)

    def _split_variables(self):
        encoder, decoder = [], []
        for m in self.modality_layers:
            encoder += m.encoder.trainable_variables + m.expert.trainable_variables
            decoder += m.decoder.trainable_variables + [
                v for v in m.trainable_variables if "log_scale" in v.name]
        seen = {id(v) for v in encoder + decoder}
        decoder += [v for v in self.trainable_variables if id(v) not in seen]
        return encoder, decoder

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples, "bound": self.bound,
                "dreg": self.dreg, "family": self.family, "learn_prior": self.learn_prior,
                "batch_sum": self.batch_sum}
