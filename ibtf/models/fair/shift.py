"""An information-theoretic objective for robustness to data shift: I(Z; E | Y) -> 0."""
import numpy as np

from ibtf._keras import keras
from ibtf.models.fair.club import CLUBModel

__all__ = ["InvariantBottleneck"]


@keras.utils.register_keras_serializable(package="ibtf")
class InvariantBottleneck(CLUBModel):
    """A VIB classifier whose code is made conditionally independent of the environment.

        L = CE(y | z) + beta KL(q(z|x) || N(0, I)) + lambda I_vCLUB(Z; E | Y)

    A feature whose relation to y is the same in every training environment satisfies
    Z ⟂ E | Y; a spurious feature whose agreement with y depends on the environment does not,
    so penalising I(Z; E | Y) removes it (the invariance condition of Peters, Buhlmann &
    Meinshausen 2016, enforced with an information penalty as in the conditional-adversarial
    domain generalisation of Li et al. 2018, "Deep Domain Generalization via Conditional
    Invariant Adversarial Networks"; here the penalty is the conditional vCLUB of
    ``fair.club.conditional_vclub``, negatives within the same label). It is ``CLUBModel`` in
    its conditional-privacy-funnel configuration with the environment as the sensitive
    attribute and the label as the utility.

    Data: ``fit(x, y, env=...)`` with integer labels and environment ids.

    The environment decoder q(e | z, y) learns at 1e-3 by default (CLUBModel's 3e-3 fits each
    batch sharply, and the encoder, at lambda = 100, then fools that batch's decoder instead of
    removing the spurious feature: on ``spurious_shift`` the flipped-test accuracy over seeds
    0-4 was 0.67-0.80 at 3e-3, or lower with more decoder steps, and 0.80-0.82 at 1e-3, while
    the in-training vCLUB read ~0 in both). Its encoder keeps a constant rate
    (``encoder_annealing="none"``): the shift check's figures were measured that way, and the
    annealing that CLUBModel now defaults to was not re-measured on it.
    """

    def __init__(self, input_dim, num_classes=2, num_environments=2, latent_dim=4,
                 hidden_units=(64, 64), beta=1e-3, leakage_weight=3.0,
                 adversary_learning_rate=1e-3, encoder_annealing="none", seed=0, **kwargs):
        for key in ("num_utility", "num_sensitive", "utility", "complexity", "leakage",
                    "conditional_leakage"):
            kwargs.pop(key, None)
        super().__init__(input_dim, num_utility=num_classes, num_sensitive=num_environments,
                         latent_dim=latent_dim, hidden_units=hidden_units, beta=beta,
                         leakage_weight=leakage_weight, utility="classify", complexity="kl",
                         leakage="vclub", conditional_leakage=True,
                         adversary_learning_rate=adversary_learning_rate,
                         encoder_annealing=encoder_annealing, seed=seed, **kwargs)

    def fit(self, x=None, y=None, *args, env=None, **kwargs):
        if env is None:
            raise ValueError("env is missing: pass env=[n] environment ids of the training rows")
        return super().fit(x, {"u": np.asarray(y), "s": np.asarray(env)}, *args, **kwargs)

    def predict_labels(self, x):
        """argmax_y p(y | z(x))."""
        return self.predict_utility(x).numpy().argmax(-1)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = config.pop("num_utility")
        config["num_environments"] = config.pop("num_sensitive")
        for key in ("utility", "complexity", "leakage", "conditional_leakage"):
            config.pop(key)
        return config
