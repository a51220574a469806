"""Learned codecs. This module: the low-rate fixed-quantizer codec (Wang et al. 2024)."""
from ibtf.models.codecs.quantized import DitheredQuantizer, QuantizedCodec

__all__ = ["DitheredQuantizer", "QuantizedCodec"]
