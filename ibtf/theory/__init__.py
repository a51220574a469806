"""ibtf.theory: exact information theory in nats (closed forms and numerical solvers).

The yardsticks every estimator and model in ibtf is checked against.
"""
from ibtf.theory.transfer_entropy import linear_gaussian_te, var1_autocovariance

__all__ = ["linear_gaussian_te", "var1_autocovariance"]
