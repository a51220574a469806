"""Fusion of unimodal Gaussian experts q(z|x_m) into a joint posterior, with missing modalities.

Experts arrive stacked: ``locs`` and ``scales`` of shape [M, batch, d] (one row per modality in
a fixed order) and a per-example ``mask`` [batch, M] with 1 where the modality is observed and
0 where it is missing. A missing expert drops out of the fusion exactly: in a product it is an
expert of infinite variance (precision 0); in a mixture it has weight 0.

The layers subclass :class:`ibtf.layers.Bottleneck` for its seeded, stateless noise (so
``ibtf.testing.fixed_noise`` applies); ``call`` returns ``(code, rate)`` like every bottleneck,
with the rate the per-example KL to N(0, I) in nats (analytic for PoE, a one-sample estimate
for the mixtures).
"""
import itertools

import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers.base import Bottleneck

tfd = tfp.distributions

__all__ = ["product_of_experts", "ProductOfExperts", "MixtureOfExperts",
           "MixtureOfProductsOfExperts", "nonempty_subsets", "check_mask", "check_prior_expert"]


def check_mask(mask, num_modalities):
    """Returns ``mask`` as float32 [batch, M]; raises ValueError naming the fix otherwise."""
    mask = tf.cast(tf.convert_to_tensor(mask), tf.float32)
    if mask.shape.rank != 2 or (mask.shape[-1] is not None and mask.shape[-1] != num_modalities):
        raise ValueError(f"mask has shape {mask.shape}; expected [batch, {num_modalities}] with "
                         "1 where a modality is observed and 0 where it is missing")
    return mask


def product_of_experts(locs, scales, mask, prior_expert=True):
    """Precision-weighted product of Gaussian experts, missing experts dropped.

    With precisions T_m = 1 / sigma_m^2 and mask m_m in {0, 1}:
        T = [1] + sum_m m_m T_m,    mu = (sum_m m_m T_m mu_m) / T,    sigma = T^(-1/2)
    (the bracketed 1 is the N(0, I) prior expert). Wu & Goodman 2018, "Multimodal Generative
    Models for Scalable Weakly-Supervised Learning", eq. (3) and Sec. 3.1 (a missing modality's
    expert is left out of the product).

    Args:
      locs, scales: [M, batch, d] expert means and standard deviations.
      mask: [batch, M], 1 = observed.
      prior_expert: include the N(0, I) expert. Without it, an example with no observed
        modality has no defined product (its precision is 0): the result is then N(0, I).

    Returns:
      ``(loc, scale)``, each [batch, d].
    """
    weight = tf.transpose(tf.cast(mask, locs.dtype))[:, :, None]          # [M, B, 1]
    precisions = weight / tf.square(scales)
    total = tf.reduce_sum(precisions, axis=0)
    weighted = tf.reduce_sum(precisions * locs, axis=0)
    if prior_expert:
        total = total + 1.0
    else:
        empty = tf.equal(total, 0.0)
        total = tf.where(empty, tf.ones_like(total), total)
    loc = weighted / total
    return loc, tf.math.rsqrt(total)


def nonempty_subsets(num_modalities):
    """All non-empty subsets of range(M) as tuples, by size then lexicographically."""
    return [s for k in range(1, num_modalities + 1)
            for s in itertools.combinations(range(num_modalities), k)]


def _standard_normal_kl(loc, scale):
    return tf.reduce_sum(0.5 * (tf.square(loc) + tf.square(scale) - 1.0) - tf.math.log(scale),
                         axis=-1)


def _normal_log_prob(z, loc, scale):
    """sum_d ln N(z_d; loc_d, scale_d)."""
    u = (z - loc) / scale
    return tf.reduce_sum(-0.5 * tf.square(u) - tf.math.log(scale) - 0.91893853320467274,
                         axis=-1)


def _laplace_log_prob(z, loc, scale):
    """sum_d ln Laplace(z_d; loc_d, scale_d) = sum_d -|z_d - loc_d| / scale_d - ln(2 scale_d)."""
    return tf.reduce_sum(-tf.abs(z - loc) / scale - tf.math.log(2.0 * scale), axis=-1)


def laplace_from_uniform(u):
    """Standard Laplace draws (scale 1) from U(0, 1) draws by the inverse CDF."""
    centred = u - 0.5
    return -tf.sign(centred) * tf.math.log1p(-2.0 * tf.abs(centred))


FAMILIES = {"normal": _normal_log_prob, "laplace": _laplace_log_prob}


def check_prior_expert(value):
    """``prior_expert`` of a mixture of products: True (every subset), False (none) or "full"."""
    if value not in (True, False, "full"):
        raise ValueError(f"prior_expert={value!r} must be True (every subset), False (none) or "
                         "'full' (only the subset of all modalities)")
    return value if value == "full" else bool(value)


def _log_weights(weights):
    """ln w with a large negative number (not -inf) for w = 0, so gradients stay finite."""
    safe = tf.where(weights > 0, weights, tf.ones_like(weights))
    return tf.where(weights > 0, tf.math.log(safe), -1e30 * tf.ones_like(weights))


class _Fusion(Bottleneck):
    """Shared: the noise source, sampling, and the interface every fusion offers:
    ``sample(locs, scales, mask, K)`` -> [K, B, d], ``log_prob(z, locs, scales, mask)`` ->
    [..., B] and ``mean(locs, scales, mask)`` -> [B, d]."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)

    def build(self, input_shape=None):
        super().build(input_shape)

    def _ensure_built(self):
        if not self.built:
            self.build(None)

    def gaussian_sample(self, loc, scale, num_samples=None):
        """loc + scale * eps, shape [num_samples?, *loc.shape]."""
        self._ensure_built()
        shape = tf.shape(loc) if num_samples is None else \
            tf.concat([[num_samples], tf.shape(loc)], 0)
        return loc + scale * self.location_scale_noise(shape, loc.dtype)

    def mixture_sample(self, locs, scales, weights, num_samples):
        """K draws [K, B, d] from sum_c weights[b, c] N(locs[c, b], scales[c, b]^2): the
        component of each draw is chosen by inverse-CDF on a uniform draw."""
        self._ensure_built()
        batch = tf.shape(weights)[0]
        u = self.uniform(tf.stack([num_samples, batch]), locs.dtype)[..., None]   # [K, B, 1]
        cdf = tf.cumsum(weights, axis=-1)[None]                                   # [1, B, C]
        count = tf.shape(weights)[-1]
        pick = tf.minimum(tf.reduce_sum(tf.cast(cdf < u, tf.int32), -1), count - 1)  # [K, B]
        onehot = tf.one_hot(pick, count, dtype=locs.dtype)                       # [K, B, C]
        loc = tf.einsum("kbc,cbd->kbd", onehot, locs)
        scale = tf.einsum("kbc,cbd->kbd", onehot, scales)
        return loc + scale * self.location_scale_noise(tf.shape(loc), locs.dtype)

    def location_scale_noise(self, shape, dtype):
        """The standardized noise of the experts' family (here N(0, 1))."""
        return self.standard_normal(shape, dtype)

    def call(self, locs, scales, mask, training=None):
        code = self.sample(locs, scales, mask, 1)[0] if training else \
            self.mean(locs, scales, mask)
        return code, self.rate(code, locs, scales, mask)

    def rate(self, code, locs, scales, mask):
        """One-sample ln q(z|X_O) - ln N(z; 0, I) at ``code`` [B, d], nats per example."""
        return self.log_prob(code, locs, scales, mask) - _normal_log_prob(
            code, tf.zeros_like(code), tf.ones_like(code))


@keras.utils.register_keras_serializable(package="ibtf")
class ProductOfExperts(_Fusion):
    """q(z|X_O) proportional to p(z) prod_{m in O} q(z|x_m): see ``product_of_experts``.

    Wu & Goodman 2018, eq. (3). ``call(locs, scales, mask, training)`` returns the code (a
    sample when training, else the mean) and the analytic KL(q(z|X_O) || N(0, I)) in nats.

    >>> poe = ProductOfExperts(seed=0)
    >>> code, rate = poe(tf.zeros([2, 4, 3]), tf.ones([2, 4, 3]), tf.ones([4, 2]))
    >>> code.shape, rate.shape
    (TensorShape([4, 3]), TensorShape([4]))
    """

    def __init__(self, prior_expert=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.prior_expert = bool(prior_expert)

    def fuse(self, locs, scales, mask):
        return product_of_experts(locs, scales, mask, self.prior_expert)

    def sample(self, locs, scales, mask, num_samples=1):
        loc, scale = self.fuse(locs, scales, mask)
        return self.gaussian_sample(loc, scale, num_samples)

    def log_prob(self, z, locs, scales, mask):
        loc, scale = self.fuse(locs, scales, mask)
        return _normal_log_prob(z, loc, scale)

    def mean(self, locs, scales, mask):
        return self.fuse(locs, scales, mask)[0]

    def rate(self, code, locs, scales, mask):
        """The analytic KL(q(z|X_O) || N(0, I)) in nats."""
        return _standard_normal_kl(*self.fuse(locs, scales, mask))

    def get_config(self):
        return {**super().get_config(), "prior_expert": self.prior_expert}


@keras.utils.register_keras_serializable(package="ibtf")
class MixtureOfExperts(_Fusion):
    """q(z|X_O) = (1/|O|) sum_{m in O} q(z|x_m), a uniform mixture of the observed experts.

    Shi, Siddharth, Paige, Torr 2019, "Variational Mixture-of-Experts Autoencoders for
    Multi-Modal Deep Generative Models", eq. (2). ``stratified_sample`` draws K samples from
    every expert (their Sec. 3: stratified sampling, one stratum per expert), which has lower
    variance than sampling the mixture; ``sample`` draws from the mixture (a uniformly chosen
    observed expert per draw); ``call`` returns a code and the one-sample rate
    ln q(z|X) - ln N(z; 0, I).

    ``family``: the experts' distribution, "normal" (q(z|x_m) = N(loc, diag scale^2)) or
    "laplace" (a product of Laplace(loc_d, scale_d): the experts of Shi et al.'s released MMVAE
    and of MultiVae's default MMVAE).
    """

    def __init__(self, family="normal", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if family not in FAMILIES:
            raise ValueError(f"family={family!r} must be one of {list(FAMILIES)}")
        self.family = family

    def location_scale_noise(self, shape, dtype):
        if self.family == "laplace":
            return laplace_from_uniform(self.uniform(shape, dtype))
        return self.standard_normal(shape, dtype)

    def expert_log_prob(self, z, locs, scales):
        """ln q(z|x_m) in the experts' family, summed over d."""
        return FAMILIES[self.family](z, locs, scales)

    def get_config(self):
        return {**super().get_config(), "family": self.family}

    def log_prob(self, z, locs, scales, mask):
        """ln q(z|X_O) for z [..., B, d] (broadcast against experts [M, B, d]) -> [..., B]."""
        weight = tf.cast(mask, z.dtype)                                    # [B, M]
        log_q = self.expert_log_prob(z[..., None, :, :], locs, scales)     # [..., M, B]
        return tf.reduce_logsumexp(log_q + _log_weights(tf.transpose(
            weight / tf.reduce_sum(weight, axis=-1, keepdims=True))), axis=-2)

    def stratified_sample(self, locs, scales, num_samples=1):
        """K reparameterized draws from every expert: [K, M, B, d]."""
        return self.gaussian_sample(locs, scales, num_samples)

    @staticmethod
    def mixture_weights(mask):
        weight = tf.cast(mask, tf.float32)
        return weight / tf.reduce_sum(weight, -1, keepdims=True)

    def sample(self, locs, scales, mask, num_samples=1):
        return self.mixture_sample(locs, scales, self.mixture_weights(mask), num_samples)

    def mean(self, locs, scales, mask):
        return tf.einsum("bm,mbd->bd", self.mixture_weights(mask), locs)


@keras.utils.register_keras_serializable(package="ibtf")
class MixtureOfProductsOfExperts(_Fusion):
    """q(z|X_O) = (1/|P(O)|) sum_{S in P(O)} PoE(S), P(O) the non-empty subsets of the observed.

    Sutter, Daunhawer, Vogt 2021, "Generalized Multimodal ELBO", eq. (7)-(8): a mixture over
    subsets of products of experts. With a missing modality, only the subsets of the observed
    modalities take part (the others get weight 0).

    ``prior_expert``: True puts the N(0, I) expert into every subset's product, False into
    none, ``"full"`` only into the product over all M modalities (the setting of the authors'
    released code and of MultiVae's MoPoE: a single-modality subset is then that modality's
    expert alone).

    ``subset_params`` returns every subset's PoE ([S, B, d]) and the per-example subset
    weights [B, S] (rows sum to 1).
    """

    def __init__(self, num_modalities=2, prior_expert=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(num_modalities, bool) or not isinstance(num_modalities, int) or \
                num_modalities < 1:
            raise ValueError(f"num_modalities={num_modalities!r} must be a positive integer")
        self.num_modalities = num_modalities
        self.prior_expert = check_prior_expert(prior_expert)
        self.subsets = nonempty_subsets(num_modalities)
        # [S, M] membership of each subset.
        self._members = [[1.0 if m in s else 0.0 for m in range(num_modalities)]
                         for s in self.subsets]

    def subset_params(self, locs, scales, mask):
        members = tf.constant(self._members, locs.dtype)                   # [S, M]
        mask = tf.cast(mask, locs.dtype)                                   # [B, M]
        fused = [product_of_experts(locs, scales, mask * members[s][None, :],
                                    self._with_prior(subset))
                 for s, subset in enumerate(self.subsets)]
        loc = tf.stack([f[0] for f in fused])
        scale = tf.stack([f[1] for f in fused])
        # S is usable for an example when every member is observed: sum_m member (1 - mask) = 0.
        missing = tf.matmul(1.0 - mask, members, transpose_b=True)         # [B, S]
        usable = tf.cast(missing < 0.5, locs.dtype)
        weights = usable / tf.maximum(tf.reduce_sum(usable, -1, keepdims=True), 1.0)
        return loc, scale, weights

    def _with_prior(self, subset):
        if self.prior_expert == "full":
            return len(subset) == self.num_modalities
        return self.prior_expert

    def log_prob(self, z, locs, scales, mask):
        loc, scale, weights = self.subset_params(locs, scales, mask)
        log_q = _normal_log_prob(z[..., None, :, :], loc, scale)          # [..., S, B]
        return tf.reduce_logsumexp(log_q + _log_weights(tf.transpose(weights)), axis=-2)

    def sample(self, locs, scales, mask, num_samples=1):
        loc, scale, weights = self.subset_params(locs, scales, mask)
        return self.mixture_sample(loc, scale, weights, num_samples)

    def mean(self, locs, scales, mask):
        loc, _, weights = self.subset_params(locs, scales, mask)
        return tf.einsum("bs,sbd->bd", weights, loc)

    def get_config(self):
        return {**super().get_config(), "num_modalities": self.num_modalities,
                "prior_expert": self.prior_expert}
