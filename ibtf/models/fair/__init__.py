"""Bottlenecks that remove a sensitive attribute or a spurious feature.

``CLUBModel`` (the CLUB family: IB, privacy funnel, deterministic IB, CEB, conditional PF),
``FarconVAE`` (contrastive disentanglement of a fair code) and ``InvariantBottleneck``
(I(Z; E | Y) penalised for robustness to a spurious correlation that flips at test).
"""
from ibtf.models.fair.club import MODES, CLUBModel
from ibtf.models.fair.farcon import FarconVAE
from ibtf.models.fair.shift import InvariantBottleneck

__all__ = ["MODES", "CLUBModel", "FarconVAE", "InvariantBottleneck"]
