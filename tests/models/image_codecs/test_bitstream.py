import struct
import zlib

import numpy as np
import pytest

from ibtf.models.codecs import FactorizedPriorCodec, bitstream

from .conftest import TINY, smooth_images


def _image(size=16, seed=1):
    return np.round(smooth_images(1, size, seed)[0] * 255).astype(np.uint8)


def _reconstruction(model, image):
    return np.round(model.reconstruct(image[None] / 255.0).numpy()[0] * 255).astype(np.uint8)


@pytest.mark.parametrize("fixture", ["factorized", "hyperprior"])
def test_decode_of_encode_is_the_quantized_reconstruction(fixture, request):
    model, _ = request.getfixturevalue(fixture)
    for image in (_image(), _image(16, 2)[:13, :11]):   # 13x11: padded, then cropped
        data = bitstream.compress(model, image)
        decoded = bitstream.decompress(model, data)
        assert decoded.dtype == np.uint8 and decoded.shape == image.shape
        np.testing.assert_array_equal(decoded, _reconstruction(model, image))
        # close to the input, not just self-consistent (a uniform random guess has mse ~0.17;
        # these tiny codecs train for 16 steps)
        assert np.mean((decoded / 255.0 - image / 255.0) ** 2) < 0.06


@pytest.mark.parametrize("fixture", ["factorized", "hyperprior"])
def test_header_fields_and_size(fixture, request):
    model, _ = request.getfixturevalue(fixture)
    image = _image()
    data = bitstream.compress(model, image)
    header = bitstream.read_header(data)
    assert (header.kind, header.height, header.width, header.channels) == \
        (model.kind, 16, 16, 1)
    assert header.model_id == model.model_id()
    assert len(header.lengths) == model.num_strings
    assert len(data) == bitstream.header_size(model.num_strings) + sum(header.lengths)
    assert bitstream.header_size(model.num_strings) == 24 + 4 * model.num_strings


def _recrc(data, num_strings):
    """Rewrites the CRC so that only the field under test is wrong."""
    size = bitstream.header_size(num_strings)
    crc = zlib.crc32(data[:size - 4] + data[size:]) & 0xFFFFFFFF
    return data[:size - 4] + struct.pack(">I", crc) + data[size:]


@pytest.fixture
def stream(factorized):
    model, _ = factorized
    return model, bitstream.compress(model, _image())


def test_corrupt_payload_fails_the_crc(stream):
    model, data = stream
    bad = bytearray(data)
    bad[-1] ^= 0x40
    with pytest.raises(ValueError, match="CRC"):
        bitstream.decompress(model, bytes(bad))


@pytest.mark.parametrize("cut", [3, 20, -1])
def test_truncated_streams_raise(stream, cut):
    model, data = stream
    with pytest.raises(ValueError, match="truncated"):
        bitstream.decompress(model, data[:cut])


def test_not_a_bitstream(stream):
    model, data = stream
    with pytest.raises(ValueError, match="not an ibtf codec file"):
        bitstream.decompress(model, b"\x89PNG" + data[4:])
    with pytest.raises(TypeError, match="bytes"):
        bitstream.decompress(model, "IBTC")


def test_future_version_is_refused(stream):
    model, data = stream
    bad = _recrc(data[:4] + bytes([2]) + data[5:], 1)
    with pytest.raises(ValueError, match="format version 2"):
        bitstream.decompress(model, bad)


def test_huge_shape_is_refused_before_allocating(stream):
    model, data = stream
    bad = _recrc(data[:14] + struct.pack(">HH", 65535, 65535) + data[18:], 1)
    with pytest.raises(ValueError, match="impossible image"):
        bitstream.decompress(model, bad)


def test_lengths_must_add_up(stream):
    model, data = stream
    bad = _recrc(data[:20] + struct.pack(">I", 10**9) + data[24:], 1)
    with pytest.raises(ValueError, match="promises"):
        bitstream.decompress(model, bad)


def test_garbage_payload_with_a_valid_crc_raises_or_decodes_bounded(stream):
    """A hostile file can carry a valid CRC; the range decoder then either fails its sanity
    check (ValueError) or returns some image of the header's shape, never more."""
    model, data = stream
    size = bitstream.header_size(1)
    rng = np.random.default_rng(0)
    for _ in range(3):
        garbage = rng.integers(0, 256, len(data) - size, dtype=np.uint8).tobytes()
        bad = _recrc(data[:size] + garbage, 1)
        try:
            image = bitstream.decompress(model, bad)
        except ValueError as error:
            assert "corrupt" in str(error)
        else:
            assert image.shape == (16, 16, 1)


def test_other_models_stream_is_refused(stream, hyperprior):
    model, data = stream
    other = FactorizedPriorCodec(**TINY)
    other.build([None, 16, 16, 1])
    with pytest.raises(ValueError, match="written by codec"):
        bitstream.decompress(other, data)
    with pytest.raises(ValueError, match="factorized codec"):
        bitstream.decompress(hyperprior[0], data)


@pytest.mark.parametrize("image, error, match", [
    (np.zeros((8, 8, 1), np.uint16), ValueError, "16-bit"),
    (np.zeros((8, 8, 1), np.float32), TypeError, "uint8"),
    (np.zeros((8, 8, 3), np.uint8), ValueError, "grayscale"),
    (np.zeros((0, 8, 1), np.uint8), ValueError, "sides"),
])
def test_bad_images_raise(factorized, image, error, match):
    with pytest.raises(error, match=match):
        bitstream.compress(factorized[0], image)


def test_grayscale_2d_image_is_accepted(factorized):
    model, _ = factorized
    image = _image()
    assert bitstream.compress(model, image[:, :, 0]) == bitstream.compress(model, image)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["factorized", "hyperprior"])
def test_file_size_matches_the_estimated_rate(kind):
    """After enough training the range coder spends within 1% of the estimated information
    content (header excluded). A barely trained hyperprior puts latents far in its tails,
    where the coder's escape codes cost less than the estimate: that is why this needs
    training, and why the benchmark reports the ratio."""
    from ibtf._keras import keras, tf
    from ibtf.models.codecs import make_codec
    tf.random.set_seed(0)
    images = smooth_images(256, size=32, seed=4)
    extra = {"hyper_filters": 16, "hyper_stages": 1} if kind == "hyperprior" else {}
    model = make_codec(kind, channels=1, filters=16, stages=2, lambda_d=2000.0, seed=0,
                       **extra)
    model.compile(keras.optimizers.Adam(3e-3), jit_compile=False)
    model.fit(images, epochs=15, batch_size=32, verbose=0)
    test = np.round(smooth_images(4, size=128, seed=9) * 255).astype(np.uint8)
    payload = sum(len(bitstream.compress(model, image)) - bitstream.header_size(
        model.num_strings) for image in test)
    estimate = float(np.sum(model.estimated_bits(test / 255.0))) / 8
    assert abs(payload / estimate - 1) < 0.01, (payload, estimate)
