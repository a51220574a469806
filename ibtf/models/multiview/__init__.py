"""Multi-view bottlenecks: variational self-/cross-distillation and mutual learning."""
from ibtf.models.multiview.vsd import MultiViewVSD, distillation_kl

__all__ = ["MultiViewVSD", "distillation_kl"]
