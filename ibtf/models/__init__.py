"""Keras models, one family per module."""
from ibtf.models.base import IBModel
from ibtf.models.ceb import CEBClassifier
from ibtf.models.vib import VIBClassifier

__all__ = ["IBModel", "VIBClassifier", "CEBClassifier"]
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE  # noqa: E402
__all__ += ["Modality", "MVAE", "MMVAE", "MoPoE", "MEME"]
