"""Multimodal VAEs with missing modalities: MVAE, MMVAE, MoPoE, MEME; the variational Wyner
model; MMALI (adversarial)."""
from ibtf.models.multimodal.base import MultimodalVAE, check_inputs
from ibtf.models.multimodal.meme import MEME
from ibtf.models.multimodal.mmali import MMALI
from ibtf.models.multimodal.mmvae import MMVAE
from ibtf.models.multimodal.modality import LIKELIHOODS, Modality
from ibtf.models.multimodal.mopoe import MoPoE
from ibtf.models.multimodal.mvae import MVAE
from ibtf.models.multimodal.wyner import VariationalWyner

__all__ = ["Modality", "LIKELIHOODS", "MultimodalVAE", "MVAE", "MMVAE", "MoPoE", "MEME",
           "VariationalWyner", "MMALI", "check_inputs"]
