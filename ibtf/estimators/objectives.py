"""Each estimation method as a pair: a training loss on scores and the value it reports."""
import dataclasses
from collections.abc import Callable

from ibtf._keras import tf
from ibtf.estimators.dv import dv_lower_bound
from ibtf.estimators.infonce import infonce_lower_bound
from ibtf.estimators.jsd import jsd_lower_bound
from ibtf.estimators.mine import MINELowerBound
from ibtf.estimators.nwj import nwj_lower_bound
from ibtf.estimators.ratio import classifier_loss, classifier_mi_estimate
from ibtf.estimators.smile import smile_lower_bound
from ibtf.estimators.vclub import vclub_upper_bound

__all__ = ["METHODS", "Objective", "make_objective"]

# Names accepted by estimate_mi(method=...).
METHODS = ("infonce", "nwj", "mine", "dv", "jsd", "smile", "ratio", "vclub")


@dataclasses.dataclass(frozen=True)
class Objective:
    """What one method trains and reports.

    Attributes:
      name: the method's name.
      train: scores -> (loss to minimise, estimate in nats on this batch); may update state
        (MINE's moving average), so call it once per training step.
      evaluate: scores -> estimate in nats, without side effects.
      critic_kind: the critic the method needs by default ("separable" or "gaussian").
    """

    name: str
    train: Callable
    evaluate: Callable
    critic_kind: str = "separable"


def _maximise(bound):
    def train(scores):
        value = bound(scores)
        return -value, value
    return train


def make_objective(method, clip=5.0, mine_decay=0.9):
    """Builds the ``Objective`` of ``method`` (one of ``METHODS``).

    Args:
      method: "infonce", "nwj", "mine" (DV value, moving-average gradient), "dv" (DV with the
        plain gradient), "jsd" (NWJ value, JS gradient), "smile" (clipped DV value, JS gradient),
        "ratio" (balanced classifier; mean logit) or "vclub" (upper bound; maximum-likelihood
        q(y|x)).
      clip: SMILE's tau.
      mine_decay: MINE's moving-average decay.

    Returns:
      An ``Objective``; a new one (with a fresh moving average) on every call.

    Raises:
      ValueError: if ``method`` is unknown.
    """
    if method == "infonce":
        return Objective(method, _maximise(infonce_lower_bound), infonce_lower_bound)
    if method == "nwj":
        return Objective(method, _maximise(nwj_lower_bound), nwj_lower_bound)
    if method == "dv":
        return Objective(method, _maximise(dv_lower_bound), dv_lower_bound)
    if method == "mine":
        return Objective(method, _maximise(MINELowerBound(decay=mine_decay)), dv_lower_bound)
    if method == "jsd":
        return Objective(method, _maximise(jsd_lower_bound), jsd_lower_bound)
    if method == "smile":
        def smile(scores):
            return smile_lower_bound(scores, clip=clip)

        # Validate clip now, not at the first traced step.
        smile(tf.zeros([2, 2]))
        return Objective(method, _maximise(smile), smile)
    if method == "ratio":
        return Objective(
            method, lambda s: (classifier_loss(s), classifier_mi_estimate(s)),
            classifier_mi_estimate)
    if method == "vclub":
        def train(log_q):
            # Fit q(y|x) by maximum likelihood on the joint pairs; report the bound.
            return -tf.reduce_mean(tf.linalg.diag_part(log_q)), vclub_upper_bound(log_q)
        return Objective(method, train, vclub_upper_bound, critic_kind="gaussian")
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
