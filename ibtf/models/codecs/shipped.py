"""The pretrained scale-hyperprior codecs that ship inside the package.

``ibtf/models/codecs/pretrained/q{1,2}`` each hold ``codec.json`` (the architecture, lambda_d,
the model id, how it was trained) and ``weights.*`` (a TensorFlow checkpoint: Keras' HDF5 weights
would skip the hyperprior, a ``tf.Module``), written by
``benchmarks/codecs_pretrain.py --export``. They were trained on the training photos of
``ibtf.data.images.load_photo_split`` (never on the held-out ones) at two rate-distortion
trade-offs: q1 (lambda_d 250) the lower rate, q2 (lambda_d 1600) the higher quality. Their
settings, training logs and held-out results are in ``benchmarks/results/codecs_pretrain.md``.

``load_pretrained(quality)`` rebuilds one as a ``ScaleHyperpriorCodec`` (it codes with
``bitstream.compress``/``decompress`` and gives the rate estimates);
``codec_for_stream(data)`` finds the shipped codec that wrote a bitstream by its model id.
"""
import functools
import json
import os

__all__ = ["PRETRAINED_DIR", "QUALITIES", "DEFAULT_QUALITY", "pretrained_path",
           "load_pretrained", "codec_for_stream", "shipped_models", "CONFIG_FILE",
           "WEIGHTS_FILE"]

PRETRAINED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained")
QUALITIES = (1, 2)
DEFAULT_QUALITY = 2
CONFIG_FILE = "codec.json"
WEIGHTS_FILE = "weights.index"  # TensorFlow checkpoint: weights.index, weights.data-*


def pretrained_path(quality=DEFAULT_QUALITY):
    """The directory of the shipped codec of ``quality`` (1 or 2)."""
    if isinstance(quality, bool) or quality not in QUALITIES:
        raise ValueError(f"quality={quality!r} must be one of {QUALITIES} (1: lower rate, "
                         "2: higher quality)")
    path = os.path.join(PRETRAINED_DIR, f"q{quality}")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not os.path.isfile(os.path.join(path, name)):
            raise FileNotFoundError(f"the pretrained codec q{quality} lacks {name} in this "
                                    "installation; reinstall ibtf or pass --model EXPORT")
    return path


def _config(path):
    with open(os.path.join(path, CONFIG_FILE)) as f:
        return json.load(f)


def shipped_models():
    """{quality: (path, config)} of the shipped codecs present."""
    models = {}
    for quality in QUALITIES:
        path = os.path.join(PRETRAINED_DIR, f"q{quality}")
        if os.path.isfile(os.path.join(path, CONFIG_FILE)):
            models[quality] = (path, _config(path))
    return models


@functools.lru_cache(maxsize=4)
def load_path(path):
    """Rebuilds the codec stored in ``path`` (codec.json + weights.*) and checks that its
    model id is the recorded one. Cached: a process loads (and traces) each codec once."""
    from ibtf.models.codecs.hyperprior import ScaleHyperpriorCodec
    config = _config(path)
    codec = ScaleHyperpriorCodec(channels=3, lambda_d=config["lambda_d"], **config["arch"])
    codec.build([None, None, None, 3])
    codec.load_weights(os.path.join(path, "weights")).expect_partial()
    if codec.model_id().hex() != config["model_id"]:
        raise ValueError(f"{path}: the weights do not give the recorded model id "
                         f"{config['model_id']}: the files are damaged; reinstall ibtf")
    return codec


def load_pretrained(quality=DEFAULT_QUALITY):
    """The shipped ``ScaleHyperpriorCodec`` of ``quality``, ready to code."""
    return load_path(pretrained_path(quality))


def codec_for_stream(data):
    """The shipped codec whose model id the bitstream's header names; ValueError when none of
    them wrote it."""
    from ibtf.models.codecs.bitstream import read_header
    model_id = read_header(data).model_id.hex()
    for path, config in shipped_models().values():
        if config["model_id"] == model_id:
            return load_path(path)
    raise ValueError(f"the bitstream was written by codec {model_id}, which is none of the "
                     "shipped pretrained codecs: pass --model EXPORT, the export that wrote it")
