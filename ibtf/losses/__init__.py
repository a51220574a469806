"""ibtf.losses: perception (critic / GAN) and classification terms of task-aware codecs."""
from ibtf.losses.classification import (DIGITS_SHAPE, classification_nats, load_digits_split,
                                        pretrained_digits_classifier)
from ibtf.losses.perception import (build_critic, critic_scores, fit_w1_critic,
                                    gradient_penalty,
                                    hinge_critic_loss, hinge_generator_loss, wasserstein_estimate,
                                    wgan_generator_loss, wgan_gp_critic_loss)

__all__ = [
    "DIGITS_SHAPE",
    "build_critic",
    "classification_nats",
    "critic_scores",
    "fit_w1_critic",
    "gradient_penalty",
    "hinge_critic_loss",
    "hinge_generator_loss",
    "load_digits_split",
    "pretrained_digits_classifier",
    "wasserstein_estimate",
    "wgan_generator_loss",
    "wgan_gp_critic_loss",
]
