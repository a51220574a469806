"""Keras models, one family per module."""
from ibtf.models.base import IBModel
from ibtf.models.ceb import CEBClassifier
from ibtf.models.codecs import FactorizedPriorCodec, ScaleHyperpriorCodec
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE
from ibtf.models.teb import (TEBFit, TEBForecaster, TransferReport, backtest, fit_teb,
                             skill_table, transfer_report)
from ibtf.models.vib import VIBClassifier

__all__ = ["IBModel", "VIBClassifier", "CEBClassifier", "TEBForecaster", "TEBFit",
           "TransferReport", "backtest", "fit_teb", "skill_table", "transfer_report",
           "Modality", "MVAE", "MMVAE", "MoPoE", "MEME", "FactorizedPriorCodec",
           "ScaleHyperpriorCodec"]
