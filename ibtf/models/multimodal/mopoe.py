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

    Args:
      prior_expert: include the N(0, I) expert in each product (True), in none (False), or
        only in the product of all modalities ("full": Sutter et al.'s released code and
        MultiVae's MoPoE, where a single-modality subset is that modality's expert alone).
    """

    def __init__(self, modalities, latent_dim=16, beta=1.0, prior_expert=True, seed=0,
                 **kwargs):
        self.prior_expert = check_prior_expert(prior_expert)
        super().__init__(modalities, latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)

    def _make_fusion(self):
        return MixtureOfProductsOfExperts(len(self.names), prior_expert=self.prior_expert,
                                          seed=self.seed, name="fusion")

    def objective(self, xs, mask):
        locs, scales = self.experts(xs, training=True)
        loc, scale, weights = self.fusion.subset_params(locs, scales, mask)   # [S, B, d], [B, S]
        z = self.fusion.gaussian_sample(loc, scale)                            # [S, B, d]
        log_px = tf.reduce_sum(self.log_likelihoods(z, xs) * tf.transpose(mask)[:, None, :],
                               axis=0)                                         # [S, B]
        kl = tf.reduce_sum(0.5 * (tf.square(loc) + tf.square(scale) - 1.0) - tf.math.log(scale),
                           axis=-1)                                            # [S, B]
        weights = tf.transpose(weights)
        recon = tf.reduce_sum(weights * log_px, 0)
        rate = tf.reduce_sum(weights * kl, 0)
        loss = tf.reduce_mean(-recon + self._beta * rate)
        return loss, {"recon_nats": -recon, "rate_nats": rate}

    def get_config(self):
        return {**super().get_config(), "prior_expert": self.prior_expert}
