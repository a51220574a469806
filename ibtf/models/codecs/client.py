"""Client-side entropy coding for the transforms-only export.

Stock TF Serving runs ``analyze`` / ``synthesize`` (no custom ops); the client range-codes the
integer symbols with the exported tables, using tensorflow-compression's range coder. The
strings are byte-identical to those of the full codec, so ``bitstream`` framing applies too.

    outputs = serving.analyze(image=batch)            # from TF Serving
    tables = serving.entropy_tables()                 # once per model version
    strings = encode_symbols(outputs, tables)         # [main, side] for the hyperprior
"""
import tensorflow_compression as tfc

from ibtf._keras import tf

__all__ = ["encode_symbols"]


def _encode_channel(symbols, cdf, cdf_offset):
    """One string per example; symbols [B, h, w, M] int32, one CDF per channel."""
    symbols = tf.convert_to_tensor(symbols, tf.int32) - tf.convert_to_tensor(cdf_offset)
    handle = tfc.create_range_encoder(tf.shape(symbols)[:1], cdf)
    handle = tfc.entropy_encode_channel(handle, symbols)
    return tfc.entropy_encode_finalize(handle)


def encode_symbols(outputs, tables):
    """Range-codes ``analyze`` outputs with ``entropy_tables``; returns a list of [B] string
    tensors: [main] (factorized prior) or [main, side] (scale hyperprior)."""
    outputs = {k: tf.convert_to_tensor(v) for k, v in outputs.items()}
    tables = {k: tf.convert_to_tensor(v) for k, v in tables.items()}
    if "scale_indexes" not in outputs:
        return [_encode_channel(outputs["symbols"], tables["cdf"], tables["cdf_offset"])]
    indexes = tf.cast(outputs["scale_indexes"], tf.int32)
    symbols = tf.cast(outputs["symbols"], tf.int32) - tf.gather(tables["cdf_offset"], indexes)
    handle = tfc.create_range_encoder(tf.shape(symbols)[:1], tables["cdf"])
    handle = tfc.entropy_encode_index(handle, indexes, symbols)
    main = tfc.entropy_encode_finalize(handle)
    side = _encode_channel(outputs["side_symbols"], tables["side_cdf"],
                           tables["side_cdf_offset"])
    return [main, side]
