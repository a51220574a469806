"""ibtf.theory: exact information theory in nats (closed forms and numerical solvers).

The yardsticks every estimator and model in ibtf is checked against: Gaussian mutual
information and Wyner common information, classical rate-distortion, the Gaussian
rate-distortion-perception function, the rate-distortion-classification and
rate-perception-classification functions of Wang et al. 2024, exact transfer entropy of
linear-Gaussian VAR processes, and independent numerical solvers (Blahut-Arimoto with a
classification constraint, optimisation over Gaussian test channels). The Yang & Mandt (2022)
sandwich bounds on R(D), which need TensorFlow, live in :mod:`ibtf.theory.rd_upper_bound` and
:mod:`ibtf.theory.rd_lower_bound`; import them explicitly (this package stays numpy/scipy).
"""

from ibtf.theory.blahut_arimoto import BlahutArimotoResult, blahut_arimoto
from ibtf.theory.entropy import (
    binary_convolution,
    binary_entropy,
    binary_entropy_inverse,
    gaussian_entropy,
)
from ibtf.theory.gaussian_channels import (
    GaussianChannel,
    gaussian_channel_metrics,
    optimize_gaussian_test_channel,
)
from ibtf.theory.gaussian_mi import (
    gaussian_mi,
    gaussian_mi_cov,
    gaussian_rho_for_mi,
    gaussian_total_correlation,
)
from ibtf.theory.rate_distortion import (
    WaterFilling,
    binary_rd,
    gaussian_dr,
    gaussian_rd,
    reverse_water_filling,
)
from ibtf.theory.rdc import (
    binary_classification_rate,
    binary_rdc,
    gaussian_classification_rate,
    gaussian_conditional_entropy_floor,
    gaussian_rdc,
)
from ibtf.theory.rdp import gaussian_drp, gaussian_rdp
from ibtf.theory.rpc import PERCEPTION_DIVERGENCES, gaussian_rdpc, gaussian_rpc
from ibtf.theory.transfer_entropy import linear_gaussian_te, var1_autocovariance
from ibtf.theory.wyner import gaussian_wyner_ci

__all__ = [
    "BlahutArimotoResult",
    "GaussianChannel",
    "PERCEPTION_DIVERGENCES",
    "WaterFilling",
    "binary_classification_rate",
    "binary_convolution",
    "binary_entropy",
    "binary_entropy_inverse",
    "binary_rd",
    "binary_rdc",
    "blahut_arimoto",
    "gaussian_channel_metrics",
    "gaussian_classification_rate",
    "gaussian_conditional_entropy_floor",
    "gaussian_dr",
    "gaussian_drp",
    "gaussian_entropy",
    "gaussian_mi",
    "gaussian_mi_cov",
    "gaussian_rd",
    "gaussian_rdc",
    "gaussian_rdp",
    "gaussian_rdpc",
    "gaussian_rho_for_mi",
    "gaussian_rpc",
    "gaussian_total_correlation",
    "gaussian_wyner_ci",
    "linear_gaussian_te",
    "optimize_gaussian_test_channel",
    "reverse_water_filling",
    "var1_autocovariance",
]
