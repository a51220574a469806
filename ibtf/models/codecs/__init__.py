"""Learned image codecs on tensorflow-compression: factorized prior and scale hyperprior,
real bitstreams (``bitstream``) and serving exports (``export``); and the low-rate
fixed-quantizer codec of Wang et al. 2024 (``quantized``)."""
from ibtf.models.codecs.base import CodecModel
from ibtf.models.codecs.factorized import FactorizedPriorCodec
from ibtf.models.codecs.hyperprior import ScaleHyperpriorCodec
from ibtf.models.codecs.quantized import DitheredQuantizer, QuantizedCodec

__all__ = ["CodecModel", "DitheredQuantizer", "FactorizedPriorCodec", "QuantizedCodec",
           "ScaleHyperpriorCodec", "make_codec"]

CODECS = {"factorized": FactorizedPriorCodec, "hyperprior": ScaleHyperpriorCodec}


def make_codec(kind, **kwargs):
    """Builds a codec by name: "factorized" or "hyperprior"."""
    if kind not in CODECS:
        raise ValueError(f"codec kind {kind!r} is unknown; use one of {sorted(CODECS)}")
    return CODECS[kind](**kwargs)
