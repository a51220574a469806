"""Two SavedModel exports of a trained codec, and a loader for the full one.

``export_transforms`` — the transforms only, for stock TF Serving. No custom ops: it loads in a
process that imports neither tensorflow_compression nor ibtf. Signatures:

* ``serving_default`` = ``analyze``: image float32 [B, H, W, C] (0..255) -> ``latents``
  (float32, the quantized y), ``symbols`` (int32, round(y - quantization offset)) and, for the
  hyperprior, ``side_latents``, ``side_symbols`` and ``scale_indexes`` (int32, the row of the
  scale table for each element of y).
* ``synthesize``: latents float32 [B, h, w, M], image_shape int32 [2] -> ``image`` float32
  [B, H, W, C] with integer values 0..255.
* ``hyper_synthesize`` (hyperprior): side_latents -> ``scale_indexes``.
* ``entropy_tables``: no inputs -> the range-coding tables a client needs to entropy-code the
  symbols itself: ``cdf`` (int32, tensorflow-compression 2.14's ragged layout: for each
  distribution, -precision followed by its quantized CDF), ``cdf_offset`` (int32, the symbol
  of each CDF's first entry) and, for factorized priors, ``quantization_offset``; ``side_*``
  for the hyperprior's side information. Feed them to tensorflow_compression's range coder
  (``create_range_encoder(shape, cdf)``, ``entropy_encode_channel`` / ``_index``).

``export_codec`` — the full codec: ``compress`` (image float32 [H, W, C] -> ``strings``) and
``decompress`` (strings, image_shape -> ``image``), ``serving_default`` = ``compress``. It holds
tensorflow-compression's range-coding ops: load it after ``import tensorflow_compression``,
and serve it from Python (``LoadedCodec``, ``ibtf compress``) or a model server built with
those ops, not from stock TF Serving.
"""
import os

from ibtf._keras import tf
from ibtf.models.codecs.base import edge_pad
from ibtf.models.codecs.bitstream import FORMAT_VERSION
from ibtf.serving.export import (METADATA_FILE, export, read_export_metadata,
                                 resolve_export_dir)

__all__ = ["export_codec", "export_transforms", "LoadedCodec", "read_metadata"]


def _metadata(codec, export_kind):
    return {"export_kind": export_kind, "codec_kind": codec.kind,
            "model_id": codec.model_id().hex(), "channels": codec.channels,
            "num_strings": codec.num_strings, "stride": codec.stride,
            "bitstream_format_version": FORMAT_VERSION, "codec_config": codec.codec_config(),
            "lambda_d": codec.lambda_d, "distortion": codec.distortion}


def export_codec(codec, base_dir, name, version=None, metadata=None):
    """Exports compress/decompress signatures (needs tensorflow_compression to load)."""
    functions = codec.coding_functions()
    signatures = {"serving_default": functions["compress"], **functions}
    return export(codec, base_dir, name, signatures=signatures, version=version,
                  metadata={**_metadata(codec, "codec"), **(metadata or {})})


def _offset(coder, like):
    offset = coder.quantization_offset
    return tf.zeros_like(like) if offset is None else tf.broadcast_to(offset, tf.shape(like))


def _tables(coder):
    return {"cdf": tf.identity(coder.cdf), "cdf_offset": tf.identity(coder.cdf_offset)}


def export_transforms(codec, base_dir, name, version=None, metadata=None):
    """Exports the transforms for stock TF Serving; entropy coding happens client-side."""
    coders = codec.coders()
    image_spec = tf.TensorSpec([None, None, None, codec.channels], tf.float32, name="image")
    latent_spec = tf.TensorSpec([None, None, None, codec.latent_filters], tf.float32,
                                name="latents")
    shape_spec = tf.TensorSpec([2], tf.int32, name="image_shape")
    hyper = codec.kind == "hyperprior"

    def round_index(index):
        return tf.cast(index, tf.int32)  # floor of the clipped index, as tfc's coder uses

    @tf.function(input_signature=[image_spec])
    def analyze(image):
        x = edge_pad(image / 255.0, codec.stride)
        y = codec.analysis(x)
        if not hyper:
            offset = _offset(coders[0], y)
            symbols = tf.round(y - offset)
            return {"latents": symbols + offset, "symbols": tf.cast(symbols, tf.int32)}
        z = codec.hyper_analysis(tf.abs(y))
        side_offset = _offset(coders[1], z)
        side_symbols = tf.round(z - side_offset)
        side_latents = side_symbols + side_offset
        symbols = tf.round(y)
        return {"latents": symbols, "symbols": tf.cast(symbols, tf.int32),
                "side_latents": side_latents, "side_symbols": tf.cast(side_symbols, tf.int32),
                "scale_indexes": round_index(codec._indexes(side_latents))}

    @tf.function(input_signature=[latent_spec, shape_spec])
    def synthesize(latents, image_shape):
        x_hat = codec.synthesis(latents)[:, :image_shape[0], :image_shape[1], :]
        return {"image": tf.round(tf.clip_by_value(x_hat, 0.0, 1.0) * 255.0)}

    @tf.function(input_signature=[])
    def entropy_tables():
        if not hyper:
            return {**_tables(coders[0]),
                    "quantization_offset": tf.identity(coders[0].quantization_offset)}
        side = {f"side_{k}": v for k, v in _tables(coders[1]).items()}
        side["side_quantization_offset"] = tf.identity(coders[1].quantization_offset)
        return {**_tables(coders[0]), **side}

    signatures = {"serving_default": analyze, "analyze": analyze, "synthesize": synthesize,
                  "entropy_tables": entropy_tables}
    if hyper:
        side_spec = tf.TensorSpec([None, None, None, codec.hyper_filters], tf.float32,
                                  name="side_latents")

        @tf.function(input_signature=[side_spec])
        def hyper_synthesize(side_latents):
            return {"scale_indexes": round_index(codec._indexes(side_latents))}

        signatures["hyper_synthesize"] = hyper_synthesize
    return export(codec, base_dir, name, signatures=signatures, version=version,
                  metadata={**_metadata(codec, "transforms"), **(metadata or {})})


def read_metadata(path):
    """The ``assets.extra/ibtf_export.json`` of an export (BASE/NAME or BASE/NAME/VERSION)."""
    version_dir = resolve_export_dir(path)
    if not os.path.isfile(os.path.join(version_dir, METADATA_FILE)):
        raise ValueError(f"{version_dir} has no {METADATA_FILE}: it was not written by ibtf")
    return version_dir, read_export_metadata(version_dir)


class LoadedCodec:
    """A full-codec export loaded for ``bitstream.compress`` / ``decompress``.

    >>> codec = LoadedCodec("saved_models/codec_photos")      # doctest: +SKIP
    >>> data = bitstream.compress(codec, image)               # doctest: +SKIP
    """

    def __init__(self, path):
        import tensorflow_compression  # noqa: F401  registers the range-coding ops

        if os.path.isdir(os.path.join(path, "codec")) and \
                not os.path.isfile(os.path.join(path, "saved_model.pb")):
            path = os.path.join(path, "codec")  # the OUT dir of `ibtf codec train`
        version_dir, meta = read_metadata(path)
        if meta.get("export_kind") != "codec":
            raise ValueError(f"{version_dir} is a {meta.get('export_kind', 'non-codec')!r} "
                             "export; compress/decompress need the full codec export "
                             "(ibtf.models.codecs.export.export_codec, the 'codec' dir of "
                             "`ibtf codec train`)")
        self.path = version_dir
        self.metadata = meta
        self.kind = meta["codec_kind"]
        self.channels = int(meta["channels"])
        self.num_strings = int(meta["num_strings"])
        self._model_id = bytes.fromhex(meta["model_id"])
        self._loaded = tf.saved_model.load(version_dir)
        signatures = self._loaded.signatures
        self._functions = {
            "compress": lambda image: signatures["compress"](image=image),
            "decompress": lambda strings, image_shape: signatures["decompress"](
                strings=strings, image_shape=image_shape)}

    def model_id(self):
        return self._model_id

    def coding_functions(self):
        return self._functions

