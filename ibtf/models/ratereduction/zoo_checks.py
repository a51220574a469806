"""Known-truth checks of rate reduction and CTRL (``ibtf zoo check NAME``).

Codes on orthogonal or on shared subspaces (``ibtf.theory.rate_reduction.subspace_codes``)
have a closed-form Delta R; the float32 TensorFlow op that CTRL trains with must match it to
1e-4 nats. eps is the paper's epsilon, squared inside (eps = sqrt(0.5) here: the reference
code's default ``eps=0.5`` is the paper's eps^2).
"""
import math

from ibtf.models.zoo.registry import register

__all__ = ["delta_r_error"]

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
