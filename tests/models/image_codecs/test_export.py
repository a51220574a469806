import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ibtf.models.codecs import bitstream
from ibtf.models.codecs.export import LoadedCodec, export_codec, export_transforms

from .conftest import smooth_images

_CLIENT = """
import json, sys
import numpy as np
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
image = np.load(sys.argv[2])
out = model.signatures["analyze"](image=tf.constant(image, tf.float32))
rec = model.signatures["synthesize"](latents=out["latents"],
                                     image_shape=tf.constant(image.shape[1:3], tf.int32))
tables = model.signatures["entropy_tables"]()
np.save(sys.argv[3], rec["image"].numpy())
print(json.dumps({"outputs": sorted(out), "tables": sorted(tables),
                  "leaked": [m for m in ("tensorflow_compression", "ibtf") if m in sys.modules]}))
"""


def _image(size=16, seed=5):
    return np.round(smooth_images(1, size, seed)[0] * 255).astype(np.uint8)


@pytest.mark.parametrize("fixture", ["factorized", pytest.param("hyperprior",
                                                                marks=pytest.mark.slow)])
def test_transforms_export_runs_without_tfc_or_ibtf(fixture, request, tmp_path):
    model, _ = request.getfixturevalue(fixture)
    path = export_transforms(model, str(tmp_path), "codec_transforms")
    image = _image()[:13, :11]
    np.save(tmp_path / "image.npy", image[None].astype(np.float32))
    result = subprocess.run(
        [sys.executable, "-c", _CLIENT, path, str(tmp_path / "image.npy"),
         str(tmp_path / "rec.npy")], capture_output=True, text=True, cwd=str(tmp_path),
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["leaked"] == []
    assert {"latents", "symbols"} <= set(report["outputs"])
    assert {"cdf", "cdf_offset"} <= set(report["tables"])
    expected = np.round(model.reconstruct(image[None] / 255.0).numpy() * 255)
    np.testing.assert_array_equal(np.load(tmp_path / "rec.npy"), expected)


def test_full_codec_export_writes_the_same_bitstream(factorized, tmp_path):
    model, _ = factorized
    path = export_codec(model, str(tmp_path), "codec")
    loaded = LoadedCodec(os.path.dirname(path))
    assert loaded.model_id() == model.model_id()
    image = _image()
    data = bitstream.compress(loaded, image)
    assert data == bitstream.compress(model, image)
    np.testing.assert_array_equal(bitstream.decompress(loaded, data),
                                  bitstream.decompress(model, data))


def test_loaded_codec_refuses_a_transforms_export(factorized, tmp_path):
    path = export_transforms(factorized[0], str(tmp_path), "t")
    with pytest.raises(ValueError, match="full codec export"):
        LoadedCodec(path)


@pytest.mark.parametrize("fixture", ["factorized", "hyperprior"])
def test_client_side_coding_of_transforms_outputs_matches_the_codec(fixture, request,
                                                                     tmp_path):
    """The transforms export + client-side range coding give the full codec's strings."""
    import tensorflow as tf

    from ibtf.models.codecs.client import encode_symbols
    model, _ = request.getfixturevalue(fixture)
    path = export_transforms(model, str(tmp_path), "t")
    served = tf.saved_model.load(path)
    image = _image(16, 7)
    outputs = served.signatures["analyze"](image=tf.constant(image[None], tf.float32))
    strings = encode_symbols(outputs, served.signatures["entropy_tables"]())
    expected = model.coding_functions()["compress"](tf.constant(image, tf.float32))["strings"]
    assert [s.numpy()[0] for s in strings] == list(expected.numpy())
