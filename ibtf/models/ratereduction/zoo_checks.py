"""Known-truth checks of rate reduction and CTRL (``ibtf zoo check NAME``).

Codes on orthogonal or on shared subspaces (``ibtf.theory.rate_reduction.subspace_codes``)
have a closed-form Delta R; the float32 TensorFlow op that CTRL trains with must match it to
1e-4 nats. eps is the paper's epsilon, squared inside (eps = sqrt(0.5) here: the reference
code's default ``eps=0.5`` is the paper's eps^2).
"""
import functools
import math

from ibtf.models.zoo.helpers import seed_everything
from ibtf.models.zoo.registry import register

__all__ = ["delta_r_error", "ctrl_digits_experiment"]

EPS = math.sqrt(0.5)


def delta_r_error(shared, seed=0, dim=32, subspace_dim=3, num_classes=10, per_class=50):
    """|Delta R (float32 TF op) - closed form| in nats on exact subspace codes."""
    from ibtf._keras import tf
    from ibtf.models.ratereduction.rate import rate_reduction
    from ibtf.theory.rate_reduction import subspace_codes, subspace_rate_reduction

    z, labels = subspace_codes(dim, subspace_dim, num_classes, per_class, shared=shared,
                               seed=seed)
    got = float(rate_reduction(tf.constant(z, tf.float32), tf.one_hot(labels, num_classes),
                               EPS))
    return got, subspace_rate_reduction(dim, subspace_dim, num_classes, EPS, shared=shared)


_CTRL = dict(model="ibtf.models.ratereduction.CTRL",
             paper="Dai et al. 2022, CTRL: Closed-Loop Transcription to an LDR via Minimaxing "
                   "Rate Reduction (Delta R of Yu et al. 2020, MCR^2)")


@register("ctrl_delta_r_orthogonal", check="Delta R of 10 classes on orthogonal 3-dim "
          "subspaces of R^32 (eps^2 = 0.5) vs the closed form, within 1e-4 nats", **_CTRL)
def ctrl_delta_r_orthogonal(quick, seed):
    value, truth = delta_r_error(shared=False, seed=seed)
    return value, truth, 1e-4


@register("ctrl_delta_r_shared", check="Delta R of 10 classes on one shared 3-dim subspace "
          "of R^32 (eps^2 = 0.5) vs the closed form 0, within 1e-4 nats", **_CTRL)
def ctrl_delta_r_shared(quick, seed):
    value, truth = delta_r_error(shared=True, seed=seed)
    return value, truth, 1e-4


@functools.lru_cache(maxsize=None)
def ctrl_digits_experiment(quick=True, seed=0):
    """CTRL on scikit-learn digits; class-wise reconstruction judged by an outside classifier.

    A benchmark figure (benchmarks/zoo_part2.py), not a registered check: with seed 0 the quick
    run (150 epochs) reaches 0.87-0.89 against 0.98 on real digits, not reliably within 0.10.

    A logistic regression trained on the real training digits (scikit-learn, not the model)
    classifies the reconstructions g(f(x)) of the held-out test digits; its accuracy on the
    real test digits is the truth a class-preserving reconstruction reaches. The encoder steps
    at Adam 5e-5, the decoder at 1e-3 with 3 steps per encoder step (at equal rates the
    encoder, as discriminator, wins and the reconstructions collapse).
    """
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from ibtf._keras import keras
    from ibtf.models.ratereduction.ctrl import CTRL

    seed_everything(seed)
    epochs = 150 if quick else 600
    digits = load_digits()
    x, y = (digits.data / 16).astype(np.float32), digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[:1400], order[1400:]
    judge = LogisticRegression(max_iter=2000).fit(x[train], y[train])
    model = CTRL(64, 10, latent_dim=32, eps=EPS, decoder_steps=3, decoder_learning_rate=1e-3,
                 seed=seed)
    model.compile(keras.optimizers.Adam(5e-5, beta_1=0.5))
    history = model.fit(x[train], y[train], batch_size=700, epochs=epochs, verbose=0).history
    recon = model.predict(x[test], verbose=0)
    return {"epochs": epochs, "real": float(judge.score(x[test], y[test])),
            "reconstructed": float(judge.score(recon, y[test])),
            "mse": float(np.mean((recon - x[test]) ** 2)),
            "delta_r_z": float(history["delta_r_z"][-1]),
            "classwise_nats": float(history["classwise_nats"][-1])}
