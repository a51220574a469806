"""MVAE: a product of experts with sub-sampled ELBOs (Wu & Goodman 2018)."""
from ibtf._keras import keras, tf
from ibtf.layers.fusion import ProductOfExperts, nonempty_subsets
from ibtf.models.multimodal.base import MultimodalVAE

__all__ = ["MVAE"]


@keras.utils.register_keras_serializable(package="ibtf")
class MVAE(MultimodalVAE):
    """Multimodal VAE with a product-of-experts posterior (Wu & Goodman 2018).

    q(z|X_S) proportional to p(z) prod_{m in S} q(z|x_m) (the N(0, I) prior expert included),
    and the training objective, per example with observed set O (Wu & Goodman 2018,
    "Multimodal Generative Models for Scalable Weakly-Supervised Learning", eq. 5 and Sec. 3.2):

        L = ELBO(X_O) + sum_{m in O} ELBO(x_m) + sum_{j=1..k} ELBO(X_{S_j cap O}),
        ELBO(X_S) = E_{q(z|X_S)}[sum_{m in S} lambda_m ln p(x_m|z)] - beta KL(q(z|X_S) || p(z))

    with S_j random subsets (sizes 2..M-1, drawn each step; there are none for M = 2). A
    missing modality drops out of every product and every reconstruction. loss = -mean_i L_i.

    Args:
      num_subsets: k, random subsets per step (M > 2).
      (the rest: ``MultimodalVAE``)
    """

    def __init__(self, modalities, latent_dim=16, beta=1.0, num_subsets=1, seed=0, **kwargs):
        super().__init__(modalities, latent_dim=latent_dim, beta=beta, seed=seed, **kwargs)
        self.num_subsets = int(num_subsets)
        count = len(self.names)
        self._middle = [s for s in nonempty_subsets(count) if 1 < len(s) < count]

    def _make_fusion(self):
        return ProductOfExperts(prior_expert=True, seed=self.seed, name="fusion")

    def _elbo(self, xs, locs, scales, mask):
        """(recon [B], kl [B], valid [B]) of the subset ELBO selected by ``mask``."""
        z = self.fusion.sample(locs, scales, mask, 1)[0]
        recon = tf.reduce_sum(self.log_likelihoods(z, xs) * tf.transpose(mask), axis=0)
        kl = self.fusion.rate(z, locs, scales, mask)
        valid = tf.cast(tf.reduce_sum(mask, -1) > 0, tf.float32)
        return recon * valid, kl * valid, valid

    def objective(self, xs, mask):
        locs, scales = self.experts(xs, training=True)
        count = len(self.names)
        masks = [mask] + [mask * tf.one_hot(m, count) for m in range(count)]
        if self._middle and self.num_subsets > 0:
            members = tf.constant([[1.0 if m in s else 0.0 for m in range(count)]
                                   for s in self._middle])
            for _ in range(self.num_subsets):
                pick = tf.minimum(tf.cast(self.fusion.uniform([]) * len(self._middle), tf.int32),
                                  len(self._middle) - 1)
                masks.append(mask * members[pick][None, :])
        recon, rate = 0.0, 0.0
        for subset_mask in masks:
            r, k, _ = self._elbo(xs, locs, scales, subset_mask)
            recon, rate = recon + r, rate + k
        loss = tf.reduce_mean(-recon + self._beta * rate)
        return loss, {"recon_nats": -recon, "rate_nats": rate}

    def get_config(self):
        return {**super().get_config(), "num_subsets": self.num_subsets}
