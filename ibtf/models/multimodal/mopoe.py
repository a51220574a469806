"""MoPoE-VAE: a mixture of products of experts over subsets (Sutter et al. 2021)."""
from ibtf._keras import keras, tf
from ibtf.layers.fusion import MixtureOfProductsOfExperts, check_prior_expert
from ibtf.models.multimodal.base import MultimodalVAE

__all__ = ["MoPoE"]


@keras.utils.register_keras_serializable(package="ibtf")
class MoPoE(MultimodalVAE):
    """Mixture-of-products-of-experts VAE (Sutter, Daunhawer, Vogt 2021, "Generalized
    Multimodal ELBO", ICLR, eq. 8 and Sec. 4).

    q(z|X_O) = (1/|P(O)|) sum_{S in P(O)} q_PoE(z|X_S) over the non-empty subsets S of the
    observed modalities O, and per example

        L = sum_{S in P(O)} (1/|P(O)|) [ E_{q_PoE(z|X_S)} sum_{m in O} lambda_m ln p(x_m|z)
                                          - beta KL(q_PoE(z|X_S) || p(z)) ],

    the mixture's expected reconstruction computed by stratified sampling (one draw per
    subset) and its KL replaced by the mean of the subsets' KLs (an upper bound by convexity,
    as in the paper). loss = -mean_i L_i.

    ``subset_sampling="one"`` estimates the reconstruction term as MultiVae's MoPoE does: one
    subset S_i ~ Categorical(1/|P(O_i)|) per example and one draw z_i ~ q_PoE(z|X_{S_i}),
    then sum_{m in O} lambda_m ln p(x_m|z_i) (the KL term stays the analytic subset average).
    Its expectation over S_i and z_i is the stratified estimate's, so the objective is the
    same; the variance is higher and the decoders see B rows instead of |P(O)| B.

    Args:
      subset_sampling: "all" (default: every usable subset, one draw each) or "one" (one
        sampled subset per example, as MultiVae 1.0.3's MoPoE with incomplete data).
      prior_expert: include the N(0, I) expert in each product (True), in none (False), or
        only in the product of all modalities ("full": Sutter et al.'s released code and
        MultiVae's MoPoE, where a single-modality subset is that modality's expert alone).
    """

    def __init__(self, modalities, latent_dim=16, beta=1.0, prior_expert=True, seed=0,
                 subset_sampling="all", **kwargs):
        self.prior_expert = check_prior_expert(prior_expert)
        if subset_sampling not in ("all", "one"):
            raise ValueError(f"subset_sampling={subset_sampling!r} must be 'all' (every subset, "
                             "one draw each) or 'one' (one sampled subset per example)")
        self.subset_sampling = subset_sampling
        super().__init__(modalities, latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)

    def _make_fusion(self):
        return MixtureOfProductsOfExperts(len(self.names), prior_expert=self.prior_expert,
                                          seed=self.seed, name="fusion")

    def objective(self, xs, mask):
        locs, scales = self.experts(xs, training=True)
        loc, scale, weights = self.fusion.subset_params(locs, scales, mask)   # [S, B, d], [B, S]
        kl = tf.reduce_sum(0.5 * (tf.square(loc) + tf.square(scale) - 1.0) - tf.math.log(scale),
                           axis=-1)                                            # [S, B]
        rate = tf.reduce_sum(tf.transpose(weights) * kl, 0)
        if self.subset_sampling == "one":
            # S_i ~ Categorical(weights_i), z_i ~ q_PoE(z|X_{S_i}): [1, B, d]
            z = self.fusion.mixture_sample(loc, scale, weights, 1)
            recon = tf.reduce_sum(self.log_likelihoods(z, xs)[:, 0] * tf.transpose(mask), 0)
        else:
            z = self.fusion.gaussian_sample(loc, scale)                        # [S, B, d]
            log_px = tf.reduce_sum(self.log_likelihoods(z, xs) * tf.transpose(mask)[:, None, :],
                                   axis=0)                                     # [S, B]
            recon = tf.reduce_sum(tf.transpose(weights) * log_px, 0)
        loss = tf.reduce_mean(-recon + self._beta * rate)
        return loss, {"recon_nats": -recon, "rate_nats": rate}

    def get_config(self):
        return {**super().get_config(), "prior_expert": self.prior_expert,
                "subset_sampling": self.subset_sampling}
