"""Known-truth checks of the disentanglement zoo, registered with :mod:`ibtf.models.zoo`.

Layout (to keep parallel work merge-free): the first block registers FactorVAE, InfoGAN,
GWAE and St-RKM; other entries of this theme live in their own modules imported at the bottom.
"""
from ibtf.models.zoo.registry import register  # noqa: F401

__all__ = []

# --- block 1: FactorVAE, InfoGAN, GWAE, St-RKM --------------------------------------------

# --- end of block 1 ------------------------------------------------------------------------
from ibtf.models.disentangle import zoo_checks_part2  # noqa: E402,F401  (DIM, GMM-prior VAE, CMI)
