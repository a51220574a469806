"""Real bitstreams: ``compress(codec, image) -> bytes`` and ``decompress(codec, data) -> image``.

Format version 1, big-endian::

    offset  size  field
    0       4     magic b"IBTC"
    4       1     format version (1)
    5       1     codec kind (1 factorized prior, 2 scale hyperprior)
    6       8     model id: the first 8 bytes of SHA-256 over the codec's config and weights
    14      2     image height (1..MAX_SIDE)
    16      2     image width (1..MAX_SIDE)
    18      1     channels (1 or 3)
    19      1     number of range-coded strings k (factorized 1: y; hyperprior 2: y, z)
    20      4k    byte length of each string
    20+4k   4     CRC-32 of every other byte of the file (header and strings)
    24+4k   ...   the strings, in order

The header costs 28 bytes (factorized) or 32 (hyperprior). Every field is checked before
anything is decoded or allocated: a corrupt, truncated or foreign file raises ValueError.
Range coding is deterministic on one platform; the transforms are floating point, so decode on
the kind of machine that encoded (see the README's note on cross-platform decoding).
"""
import struct
import zlib
from typing import NamedTuple

import numpy as np

from ibtf._keras import tf

__all__ = ["MAGIC", "FORMAT_VERSION", "MAX_SIDE", "MAX_PIXELS", "Header", "compress",
           "decompress", "read_header", "header_size", "as_uint8_image"]

MAGIC = b"IBTC"
FORMAT_VERSION = 1
KINDS = {"factorized": 1, "hyperprior": 2}
MAX_SIDE = 16384
MAX_PIXELS = 1 << 26  # 67 megapixels: bounds what a hostile header can make us allocate
_FIXED = struct.Struct(">4sBB8sHHBB")


class Header(NamedTuple):
    version: int
    kind: str
    model_id: bytes
    height: int
    width: int
    channels: int
    lengths: tuple


def header_size(num_strings):
    """Bytes of the header for a codec with ``num_strings`` strings."""
    return _FIXED.size + 4 * num_strings + 4


def as_uint8_image(image, channels, name="image"):
    """Checks an image for coding: uint8, [H, W] or [H, W, C] with C == ``channels``."""
    array = np.asarray(image)
    if array.dtype == np.uint16 or array.dtype == np.int32 and array.max(initial=0) > 255:
        raise ValueError(f"{name} is a 16-bit image; codecs take 8-bit pixels: convert it, "
                         "e.g. (img >> 8).astype(numpy.uint8) or Pillow's convert('RGB')")
    if array.dtype != np.uint8:
        raise TypeError(f"{name} has dtype {array.dtype}; pass 8-bit pixels (numpy.uint8), "
                        "e.g. numpy.round(x * 255).astype(numpy.uint8) for floats in [0, 1]")
    if array.ndim == 2 and channels == 1:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[-1] != channels:
        raise ValueError(f"{name} has shape {array.shape}; this codec takes [height, width, "
                         f"{channels}] images ({'grayscale' if channels == 1 else 'RGB'})")
    height, width = array.shape[:2]
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE) or \
            height * width > MAX_PIXELS:
        raise ValueError(f"{name} is {height}x{width}; sides must lie in 1..{MAX_SIDE} and "
                         f"the area be at most {MAX_PIXELS} pixels: tile larger images")
    return array


def compress(codec, image):
    """Encodes one uint8 image [H, W, C] into the bytes of a version-1 bitstream.

    ``codec`` is a trained ``CodecModel`` or a ``LoadedCodec`` (``ibtf.models.codecs.export``).
    """
    array = as_uint8_image(image, codec.channels)
    strings = codec.coding_functions()["compress"](tf.constant(array, tf.float32))["strings"]
    strings = [bytes(s) for s in strings.numpy()]
    height, width = array.shape[:2]
    head = _FIXED.pack(MAGIC, FORMAT_VERSION, KINDS[codec.kind], codec.model_id(), height,
                       width, codec.channels, len(strings))
    head += b"".join(struct.pack(">I", len(s)) for s in strings)
    payload = b"".join(strings)
    crc = zlib.crc32(head + payload) & 0xFFFFFFFF
    return head + struct.pack(">I", crc) + payload


def read_header(data):
    """Parses and validates a bitstream's header; returns a ``Header``.

    Checks magic, version, kind, the shape limits, the string lengths against the file size and
    the CRC, so that nothing is decoded from a damaged file.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"bitstream must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _FIXED.size + 4:
        raise ValueError(f"bitstream is {len(data)} bytes, shorter than any header: the file "
                         "is truncated or not an ibtf codec file")
    magic, version, kind_id, model_id, height, width, channels, count = \
        _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"bitstream starts with {magic!r}, not {MAGIC!r}: not an ibtf codec "
                         "file")
    if version != FORMAT_VERSION:
        raise ValueError(f"bitstream has format version {version}; this ibtf reads version "
                         f"{FORMAT_VERSION}: decode it with the ibtf that wrote it")
    kinds = {v: k for k, v in KINDS.items()}
    if kind_id not in kinds:
        raise ValueError(f"bitstream names codec kind {kind_id}, which is unknown: the file "
                         "is corrupt")
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE) or \
            height * width > MAX_PIXELS or channels not in (1, 3) or not 1 <= count <= 2:
        raise ValueError(f"bitstream header holds an impossible image {height}x{width}x"
                         f"{channels} or string count {count}: the file is corrupt")
    size = header_size(count)
    if len(data) < size:
        raise ValueError(f"bitstream is {len(data)} bytes but its header alone needs {size}: "
                         "the file is truncated")
    lengths = struct.unpack_from(f">{count}I", data, _FIXED.size)
    (crc,) = struct.unpack_from(">I", data, size - 4)
    if size + sum(lengths) != len(data):
        raise ValueError(f"bitstream is {len(data)} bytes but its header promises "
                         f"{size + sum(lengths)}: the file is truncated or has trailing data")
    if zlib.crc32(data[:size - 4] + data[size:]) & 0xFFFFFFFF != crc:
        raise ValueError("bitstream fails its CRC-32 check: the file is corrupt")
    return Header(version, kinds[kind_id], model_id, height, width, channels, lengths)


def decompress(codec, data):
    """Decodes a version-1 bitstream written by the same codec; returns uint8 [H, W, C]."""
    header = read_header(data)
    if header.kind != codec.kind or header.channels != codec.channels or \
            len(header.lengths) != codec.num_strings:
        raise ValueError(f"bitstream was written by a {header.kind} codec for "
                         f"{header.channels}-channel images, but this is a {codec.kind} codec "
                         f"for {codec.channels} channels: decode with the codec that wrote it")
    if header.model_id != codec.model_id():
        raise ValueError(f"bitstream was written by codec {header.model_id.hex()}, not by this "
                         f"one ({codec.model_id().hex()}): decode with the same trained "
                         "weights that encoded it")
    offset = header_size(len(header.lengths))
    strings = []
    for length in header.lengths:
        strings.append(bytes(data[offset:offset + length]))
        offset += length
    try:
        image = codec.coding_functions()["decompress"](
            tf.constant(strings, tf.string),
            tf.constant([header.height, header.width], tf.int32))["image"]
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(f"bitstream failed to decode ({error.message.splitlines()[0]}): "
                         "the file is corrupt") from None
    return np.asarray(image.numpy(), np.uint8)
