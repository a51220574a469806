"""Property-based tests (hypothesis) of the package's parsers: CSV and stream readers, the image
reader, the bitstream decoder, export metadata and models.config. Any input either works or
raises the documented error (ValueError, or TypeError for a wrong type) with a one-line
message: never another exception, a hang or a crash.

The default suite runs a few examples per property; the slow suite reruns them with many more.
"""
import os
import shutil
import struct
import tempfile
import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FEW = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
MANY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _one_line(error):
    message = str(error)
    assert message.strip() and "\n" not in message.strip(), repr(message)


def _works_or_documented(fn, *args, errors=(ValueError,), **kwargs):
    try:
        return fn(*args, **kwargs)
    except errors as error:
        _one_line(error)
        return None


def _twice(strategy, check):
    """The property with FEW examples (default suite) and MANY (slow suite)."""
    fast = FEW(given(strategy)(check))
    slow = pytest.mark.slow(MANY(given(strategy)(check)))
    return fast, slow


def _write(data, suffix):
    handle, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "wb") as f:
        f.write(data)
    return path


# -- CSV and stream readers --------------------------------------------------------------------
CSV_TEXT = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(st.one_of(st.sampled_from(["", "nan", "inf", "-1", "x", "2020-01-01",
                                                 '"', ",", "1e308", "0"]),
                                st.floats(allow_nan=True).map(str)), min_size=1, max_size=4),
             max_size=12).map(lambda rows: ("t,x,y\n" + "\n".join(",".join(r) for r in rows))
                              .encode()))


def _csv_streams(data):
    from ibtf.streams import PairedStreams

    path = _write(data, ".csv")
    try:
        _works_or_documented(PairedStreams.from_csv, path, time_col="t", source_cols=["x"],
                             target_cols=["y"], history=2, horizon=1)
    finally:
        os.remove(path)


test_csv_streams, test_csv_streams_many = _twice(CSV_TEXT, _csv_streams)

FRAMES = st.lists(st.tuples(st.one_of(st.integers(-3, 30), st.floats(allow_nan=True)),
                            st.floats(allow_nan=True, allow_infinity=True),
                            st.floats(allow_nan=True, allow_infinity=True)), max_size=40)


def _validate_frame(rows):
    from ibtf.streams.validation import validate_streams

    frame = pd.DataFrame(rows, columns=["t", "x", "y"])
    for nan_policy in ("error", "ffill", "drop"):
        _works_or_documented(validate_streams, frame, time_col="t", source_cols=["x"],
                             target_cols=["y"], nan_policy=nan_policy, min_rows=2)


test_validate_frames, test_validate_frames_many = _twice(FRAMES, _validate_frame)


def _client_csv(data):
    from ibtf.serving.client import read_inputs_csv

    path = _write(data, ".csv")
    try:
        out = _works_or_documented(read_inputs_csv, path)
        if out is not None:
            assert all(np.isfinite(v).all() for v in out.values())
    finally:
        os.remove(path)


CLIENT_CSV = st.one_of(st.binary(max_size=200), st.lists(
    st.sampled_from(["a", "a[0]", "a[1]", "b[0,0]", "b[1,0]", "b[0,1]", "c[", "1", "a[0]"]),
    min_size=1, max_size=5).map(lambda cols: (",".join(cols) + "\n" + ",".join(
        str(i) for i in range(len(cols))) + "\n").encode()))
test_client_csv, test_client_csv_many = _twice(CLIENT_CSV, _client_csv)


# -- image reader ------------------------------------------------------------------------------
def _png_bytes(seed):
    from PIL import Image
    import io

    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png_bytes(0)
IMAGE_BYTES = st.one_of(
    st.binary(max_size=300),
    st.tuples(st.integers(0, len(PNG) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda cut: PNG[:cut[0]] + cut[1] + PNG[cut[0] + len(cut[1]):]),
    st.integers(0, len(PNG)).map(lambda n: PNG[:n]))


def _image(data):
    from ibtf.data.images import read_image

    path = _write(data, ".png")
    try:
        for channels in (1, 3):
            image = _works_or_documented(read_image, path, channels=channels)
            if image is not None:
                assert image.dtype == np.uint8 and image.ndim == 3
    finally:
        os.remove(path)


test_image_reader, test_image_reader_many = _twice(IMAGE_BYTES, _image)


# -- bitstream decoder -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def codec_and_stream():
    from ibtf.models.codecs import FactorizedPriorCodec
    from ibtf.models.codecs import bitstream

    codec = FactorizedPriorCodec(channels=1, filters=4, stages=2, lambda_d=100.0, seed=0)
    codec.build((None, 8, 8, 1))
    image = (np.arange(64).reshape(8, 8, 1) * 3).astype(np.uint8)
    return codec, bitstream.compress(codec, image)


def _reseal(data):
    """Recomputes the CRC so a mutation reaches the decoder instead of the checksum."""
    from ibtf.models.codecs.bitstream import header_size

    count = data[19] if len(data) > 19 else 0
    if count not in (1, 2) or len(data) < header_size(count):
        return data
    size = header_size(count)
    crc = zlib.crc32(data[:size - 4] + data[size:]) & 0xFFFFFFFF
    return data[:size - 4] + struct.pack(">I", crc) + data[size:]


MUTATIONS = st.tuples(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4),
                      st.integers(-8, 8), st.booleans())


def _mutate(data, mutation):
    edits, trim, reseal = mutation
    data = bytearray(data)
    for pos, value in edits:
        if data:
            data[pos % len(data)] = value
    data = bytes(data[:len(data) + trim] if trim < 0 else data + bytes(trim))
    return _reseal(data) if reseal else data


@FEW
@given(st.binary(max_size=80))
def test_bitstream_header_on_arbitrary_bytes(data):
    from ibtf.models.codecs.bitstream import read_header

    _works_or_documented(read_header, data)


@FEW
@given(MUTATIONS)
def test_bitstream_decoder_on_mutated_files(codec_and_stream, mutation):
    from ibtf.models.codecs import bitstream

    codec, stream = codec_and_stream
    image = _works_or_documented(bitstream.decompress, codec, _mutate(stream, mutation))
    if image is not None:
        assert image.dtype == np.uint8 and image.shape[2] == 1


@pytest.mark.slow
@MANY
@given(MUTATIONS)
def test_bitstream_decoder_on_mutated_files_many(codec_and_stream, mutation):
    test_bitstream_decoder_on_mutated_files.hypothesis.inner_test(codec_and_stream, mutation)


# -- export metadata and models.config ---------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_export():
    from ibtf._keras import tf
    from ibtf.serving import export

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def serve(self, x):
            return {"y": 2.0 * x}

    base = tempfile.mkdtemp()
    module = Doubler()
    yield export(module, base, "m", signatures={"serving_default": module.serve})
    shutil.rmtree(base, ignore_errors=True)


METADATA = st.one_of(st.binary(max_size=120), st.sampled_from([
    b"[]", b"1", b'"x"', b"null", b"{}", b'{"model_class": 3}', b'{"export_kind": "codec"}',
    b'{"history": "x", "model_class": "TEBForecaster"}', b"\xff\xfe{", b"{" * 50]))


@FEW
@given(METADATA)
def test_export_metadata_readers(tiny_export, data):
    from ibtf.models.codecs.export import LoadedCodec, read_metadata
    from ibtf.serving.export import METADATA_FILE
    from ibtf.serving.inspect import describe_export

    with open(os.path.join(tiny_export, METADATA_FILE), "wb") as f:
        f.write(data)
    info = _works_or_documented(describe_export, tiny_export)
    if info is not None:
        assert isinstance(info["metadata"], dict)
    _works_or_documented(read_metadata, tiny_export)
    _works_or_documented(LoadedCodec, tiny_export, errors=(ValueError, KeyError))


CONFIG_TEXT = st.one_of(st.text(max_size=200), st.sampled_from([
    "model_config_list { config { name: 'm' base_path: '/models/m' } }",
    "model_config_list { config { name: 'm' model_version_policy { latest { num_versions: 0 }"
    " } } }", "model_config_list {", "custom_model_config { }"]))


@FEW
@given(CONFIG_TEXT)
def test_models_config_reader(text):
    from ibtf.serving.repository import check

    repo = tempfile.mkdtemp()
    try:
        with open(os.path.join(repo, "models.config"), "w") as f:
            f.write(text)
        # An unreadable or empty config is refused before any process starts; a readable one
        # naming missing model directories is reported per model.
        report = _works_or_documented(check, repo, repeats=1)
        if report is not None:
            assert report["ok"] is False
    finally:
        shutil.rmtree(repo, ignore_errors=True)
