"""Mutual-information estimators: variational bounds on a critic's score matrix, critics, and
training loops that turn samples into estimates in nats.

Every bound takes ``scores[i, j] = critic(x_j, y_i)`` for a batch of B joint pairs (diagonal =
joint, off-diagonal = product of marginals) and returns a scalar in nats, a per-pair mean.
References: Poole et al. 2019, "On Variational Bounds of Mutual Information"; Song & Ermon 2020,
"Understanding the Limitations of Variational Mutual Information Estimators".
"""
from ibtf.estimators.copula import gaussian_copula_transform
from ibtf.estimators.critics import ConcatCritic, SeparableCritic
from ibtf.estimators.dv import dv_lower_bound
from ibtf.estimators.estimate import MIEstimate, estimate_mi
from ibtf.estimators.gaussian_conditional import GaussianConditionalCritic
from ibtf.estimators.infonce import infonce_lower_bound
from ibtf.estimators.jsd import jsd_lower_bound, jsd_objective
from ibtf.estimators.mine import MINELowerBound
from ibtf.estimators.nwj import nwj_lower_bound
from ibtf.estimators.objectives import METHODS, Objective, make_objective
from ibtf.estimators.ratio import classifier_loss, classifier_mi_estimate
from ibtf.estimators.smile import smile_lower_bound
from ibtf.estimators.total_correlation import (
    PermutationDiscriminator,
    TCEstimate,
    estimate_total_correlation,
    permute_dims,
)
from ibtf.estimators.vclub import vclub_upper_bound

__all__ = [
    "METHODS",
    "ConcatCritic",
    "GaussianConditionalCritic",
    "MIEstimate",
    "MINELowerBound",
    "Objective",
    "PermutationDiscriminator",
    "SeparableCritic",
    "TCEstimate",
    "classifier_loss",
    "classifier_mi_estimate",
    "dv_lower_bound",
    "estimate_mi",
    "estimate_total_correlation",
    "gaussian_copula_transform",
    "infonce_lower_bound",
    "jsd_lower_bound",
    "jsd_objective",
    "make_objective",
    "nwj_lower_bound",
    "permute_dims",
    "smile_lower_bound",
    "vclub_upper_bound",
]
