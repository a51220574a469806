"""Keras models, one family per module."""
from ibtf.models.base import IBModel
from ibtf.models.ceb import CEBClassifier
from ibtf.models.codecs import FactorizedPriorCodec, ScaleHyperpriorCodec
from ibtf.models.vib import VIBClassifier

__all__ = ["IBModel", "VIBClassifier", "CEBClassifier", "FactorizedPriorCodec",
           "ScaleHyperpriorCodec"]
