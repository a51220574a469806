"""MMALI: multimodal adversarially learned inference with factorised contrastive
discriminators."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.estimators.infonce import infonce_lower_bound
from ibtf.layers.fusion import MixtureOfExperts
from ibtf.losses.perception import build_critic, hinge_critic_loss, hinge_generator_loss
from ibtf.models.multimodal.base import MultimodalVAE

__all__ = ["MMALI"]


@keras.utils.register_keras_serializable(package="ibtf")
class MMALI(MultimodalVAE):
    """Bidirectional GAN over two modalities and a shared code z (ALI/BiGAN: Dumoulin et al.
    2017, Donahue et al. 2017; the multimodal, factorised form after Chen & Zhu 2021,
    "Multimodal Adversarially Learned Inference with Factorised Discriminators").

    Encoders q(z|x_m) (each modality's Gaussian expert) and decoders G_m(z) (the likelihood
    mean). ALI matches the encoder joint q(x, z) = p_data(x) q(z|x) to the decoder joint
    p(z) p(x|z) with a discriminator on (x, z). For two modalities the joint discriminator on
    (x_a, x_b, z) is factorised into one discriminator per modality, D_m(x_m, z), and a
    contrastive critic between the modalities' codes:

        D(x_a, x_b, z) = D_a(x_a, z) + D_b(x_b, z),
        real pairs for D_m: (x_m, z ~ q(z|x_m)) and, for paired data, (x_m, z ~ q(z|x_m'))
        (the factor of the joint with z inferred from the other modality); fake pairs:
        (G_m(z), z), z ~ N(0, I);
        contrastive: InfoNCE between the code means of a pair, scores -||mu_a - mu_b||^2
        (its bound ln B + mean log-softmax is maximised: codes of a pair identify each other).

    Each D_m is trained with the hinge loss (``ibtf.losses.perception``); encoders and decoders
    minimise  sum_m [mean D_m(real) - mean D_m(fake)] - contrastive_weight * I_NCE
    - reconstruction_weight * mean_m ln p(x_m | z ~ q(z|x_m))  (the last, ALICE's
    conditional-entropy term, Li et al. 2017, keeps the cycle x -> z -> x faithful).

    Cross generation m -> m' decodes z ~ q(z|x_m) (or its mean) with G_m'; joint samples
    decode z ~ N(0, I) with every G_m. ``log_likelihood`` is not defined (an implicit model).

    Args:
      critic_units: hidden widths of each D_m.
      contrastive_weight, reconstruction_weight: the weights above.
    """

    max_modalities = 2
    has_likelihood = False
    term_names = ("critic_loss", "adversarial", "contrastive_nats", "recon_nats")

    def __init__(self, modalities, latent_dim=16, critic_units=(256, 256),
                 contrastive_weight=1.0, reconstruction_weight=1.0, seed=0, **kwargs):
        super().__init__(modalities, latent_dim=latent_dim, beta=1.0, seed=seed, **kwargs)
        self.critic_units = tuple(int(u) for u in critic_units)
        self.contrastive_weight = float(contrastive_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.critic_optimizer = None

    def _make_fusion(self):
        return MixtureOfExperts(seed=self.seed, name="fusion")

    def _build_extra(self):
        self.critics = [build_critic((int(np.prod(m.event_shape)) + self.latent_dim,),
                                     hidden_units=self.critic_units, seed=self.seed + 31 * i,
                                     name=f"critic_{m.name}")
                        for i, m in enumerate(self.modality_layers)]

    def compile(self, optimizer="adam", critic_optimizer=None, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.critic_optimizer = critic_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

    def log_likelihood(self, *args, **kwargs):
        raise NotImplementedError("MMALI is an implicit (adversarial) model: it has no "
                                  "likelihood to estimate")

    # -- the step -------------------------------------------------------------------------
    @staticmethod
    def _pair(x, z):
        return tf.concat([tf.reshape(x, [tf.shape(x)[0], -1]), z], -1)

    def _pairs(self, xs, mask, training):
        """Real (x, z) pairs per modality (own code, and the partner's for paired rows), fake
        (G(z), z) pairs, and the code means."""
        locs, scales = self.experts(xs, training=training)
        codes = [self.fusion.gaussian_sample(locs[m], scales[m]) for m in range(2)]
        prior = self.fusion.standard_normal(tf.shape(codes[0]), codes[0].dtype)
        paired = tf.cast(mask[:, 0] * mask[:, 1], tf.bool)
        real, fake = [], []
        for m, mod in enumerate(self.modality_layers):
            own = tf.boolean_mask(self._pair(xs[m], codes[m]), tf.cast(mask[:, m], tf.bool))
            cross = tf.boolean_mask(self._pair(xs[m], codes[1 - m]), paired)
            real.append(tf.concat([own, cross], 0))
            fake.append(self._pair(mod.mean(mod.decode(prior)), prior))
        return real, fake, locs, codes, paired

    def _generator_loss(self, xs, mask, training):
        real, fake, locs, codes, paired = self._pairs(xs, mask, training)
        adversarial = 0.0
        for m in range(2):
            # encoders lower D on real pairs, decoders raise it on fake ones
            adversarial += (hinge_generator_loss(self.critics[m], fake[m])
                            - hinge_generator_loss(self.critics[m], real[m]))
        mu_a, mu_b = (tf.boolean_mask(locs[m], paired) for m in range(2))
        count = tf.shape(mu_a)[0]
        scores = -tf.reduce_sum(tf.square(mu_b[:, None, :] - mu_a[None, :, :]), -1)
        nce = tf.cond(count > 1, lambda: infonce_lower_bound(scores),
                      lambda: tf.constant(0.0))
        recon = 0.0
        for m, mod in enumerate(self.modality_layers):
            recon += mask[:, m] * mod.log_likelihood(mod.decode(codes[m]), xs[m])
        recon = tf.reduce_mean(recon)
        loss = adversarial - self.contrastive_weight * nce - self.reconstruction_weight * recon
        return loss, adversarial, nce, recon, (real, fake)

    def _critic_variables(self):
        return [v for c in self.critics for v in c.trainable_variables]

    def train_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        critic_vars = self._critic_variables()
        ids = {id(v) for v in critic_vars}
        model_vars = [v for v in self.trainable_variables if id(v) not in ids]
        with tf.GradientTape() as tape:
            loss, adversarial, nce, recon, (real, fake) = self._generator_loss(xs, mask, True)
        self.minimize(loss, tape, model_vars)
        with tf.GradientTape() as tape:
            critic_loss = tf.add_n([hinge_critic_loss(self.critics[m], tf.stop_gradient(
                real[m]), tf.stop_gradient(fake[m])) for m in range(2)])
        grads = tape.gradient(critic_loss, critic_vars)
        self.critic_optimizer.apply_gradients(zip(grads, critic_vars))
        return self._log(loss, critic_loss, adversarial, nce, recon)

    def test_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        loss, adversarial, nce, recon, (real, fake) = self._generator_loss(xs, mask, False)
        critic_loss = tf.add_n([hinge_critic_loss(self.critics[m], real[m], fake[m])
                                for m in range(2)])
        return self._log(loss, critic_loss, adversarial, nce, recon)

    def _log(self, loss, critic_loss, adversarial, nce, recon):
        return self._track(loss, {"critic_loss": critic_loss, "adversarial": adversarial,
                                  "contrastive_nats": nce, "recon_nats": -recon})

    def get_config(self):
        config = super().get_config()
        config.pop("beta", None)
        return {**config, "critic_units": list(self.critic_units),
                "contrastive_weight": self.contrastive_weight,
                "reconstruction_weight": self.reconstruction_weight}

