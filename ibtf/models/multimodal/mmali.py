"""MMALI: multimodal adversarially learned inference with factorised contrastive
discriminators."""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.layers.fusion import MixtureOfExperts
from ibtf.losses.perception import build_critic, critic_scores, hinge_generator_loss
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
        """Real (x, z) pairs per modality, [2B]: own code (weight: observed) then the partner's
        code (weight: paired); fake (G(z), z) pairs [B]; code means; draws; paired [B]. Masks
        weigh rows instead of dropping them, so shapes stay static (XLA)."""
        locs, scales = self.experts(xs, training=training)
        codes = [self.fusion.gaussian_sample(locs[m], scales[m]) for m in range(2)]
        prior = self.fusion.standard_normal(tf.shape(codes[0]), codes[0].dtype)
        paired = mask[:, 0] * mask[:, 1]
        real, weights, fake = [], [], []
        for m, mod in enumerate(self.modality_layers):
            real.append(tf.concat([self._pair(xs[m], codes[m]),
                                   self._pair(xs[m], codes[1 - m])], 0))
            weights.append(tf.concat([mask[:, m], paired], 0))
            fake.append(self._pair(mod.mean(mod.decode(prior)), prior))
        return real, weights, fake, locs, codes, paired

    @staticmethod
    def _weighted_mean(values, weights):
        return tf.reduce_sum(values * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)

    def _critic_loss(self, real, weights, fake, training=True):
        """The hinge critic loss (Lim & Ye 2017) with weighted real rows; equal to
        ``hinge_critic_loss`` when every weight is 1."""
        total = 0.0
        for m in range(2):
            f_real = critic_scores(self.critics[m], real[m], training=training)
            f_fake = critic_scores(self.critics[m], fake[m], training=training)
            total += (self._weighted_mean(tf.nn.relu(1.0 - f_real), weights[m])
                      + tf.reduce_mean(tf.nn.relu(1.0 + f_fake)))
        return total

    @staticmethod
    def _paired_infonce(mu_a, mu_b, paired):
        """InfoNCE (``ibtf.estimators.infonce_lower_bound``) over the paired rows only: the
        other rows are masked out of every softmax and of the mean."""
        scores = -tf.reduce_sum(tf.square(mu_b[:, None, :] - mu_a[None, :, :]), -1)
        scores += -1e9 * (1.0 - paired)[None, :]
        count = tf.reduce_sum(paired)
        log_softmax = tf.linalg.diag_part(scores) - tf.reduce_logsumexp(scores, axis=1)
        mean = tf.reduce_sum(paired * log_softmax) / tf.maximum(count, 1.0)
        return tf.where(count > 1.0, tf.math.log(tf.maximum(count, 1.0)) + mean, 0.0)

    def _generator_loss(self, xs, mask, training):
        real, weights, fake, locs, codes, paired = self._pairs(xs, mask, training)
        adversarial = 0.0
        for m in range(2):
            # decoders raise D on fake pairs (hinge generator loss), encoders lower it on real
            adversarial += (hinge_generator_loss(self.critics[m], fake[m])
                            + self._weighted_mean(critic_scores(self.critics[m], real[m],
                                                                training=False), weights[m]))
        nce = self._paired_infonce(locs[0], locs[1], paired)
        recon = 0.0
        for m, mod in enumerate(self.modality_layers):
            recon += mask[:, m] * mod.log_likelihood(mod.decode(codes[m]), xs[m])
        recon = tf.reduce_mean(recon)
        loss = adversarial - self.contrastive_weight * nce - self.reconstruction_weight * recon
        return loss, adversarial, nce, recon, (real, weights, fake)

    def _critic_variables(self):
        return [v for c in self.critics for v in c.trainable_variables]

    def train_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        critic_vars = self._critic_variables()
        ids = {id(v) for v in critic_vars}
        model_vars = [v for v in self.trainable_variables if id(v) not in ids]
        with tf.GradientTape() as tape:
            loss, adversarial, nce, recon, (real, weights, fake) = self._generator_loss(
                xs, mask, True)
        self.minimize(loss, tape, model_vars)
        with tf.GradientTape() as tape:
            critic_loss = self._critic_loss([tf.stop_gradient(r) for r in real], weights,
                                            [tf.stop_gradient(f) for f in fake])
        grads = tape.gradient(critic_loss, critic_vars)
        self.critic_optimizer.apply_gradients(zip(grads, critic_vars))
        return self._log(loss, critic_loss, adversarial, nce, recon)

    def test_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        loss, adversarial, nce, recon, (real, weights, fake) = self._generator_loss(
            xs, mask, False)
        critic_loss = self._critic_loss(real, weights, fake, training=False)
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

