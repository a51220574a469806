"""Coding speed of the scale hyperprior on this CPU, against CompressAI's at equal
architecture (N=128 transform channels, M=192 latent channels), through real bitstreams.

Encode = image -> bytes (``bitstream.compress``: analysis, hyper-analysis, range coding);
decode = bytes -> uint8 image (``bitstream.decompress``). Image: 512x768 (Kodak's size), from a
held-out photo (grace_hopper resized), after one untimed warm-up that traces the functions.
Rounds alternate ibtf and CompressAI (when ``--compressai-python`` names a Python with torch and
compressai) so that both see the same machine load; the table gives medians over all repeats,
and the ratio ibtf / CompressAI of the medians. Training steps/s are not measured here.

    python -m benchmarks.codecs_speed [--rounds 3] [--repeats 3] [--threads 2] [--profile] \\
        [--compressai-python OTHER_VENV/bin/python]

(the other venv: see ``codecs_compressai_speed.py``'s docstring). ``--profile`` splits the
N=128 codec's encode (model id hash, analysis transform, traced encode) and decode (header
checks, entropy decoding, synthesis transform), and prints CompressAI's ``g_a``/``g_s`` times.

``--shipped-only`` times just the shipped default codec (the issue's target: decoding a
512x768 image in under 0.5 s) and splits one decode into its parts: the header checks
(``read_header`` + ``model_id``), entropy decoding (hyper-synthesis and both range decoders)
and the synthesis transform, each a median over the same repeats; ``--cli N`` adds the wall
time of N cold ``ibtf compress`` / ``ibtf decompress`` processes (Python and TensorFlow
start-up, loading, tracing and coding together).

    python -m benchmarks.codecs_speed --shipped-only --rounds 1 --repeats 7 --cli 2
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ARCHES = {"ibtf hyperprior N=128, M=192 (CompressAI's sizes)": {
    "filters": 128, "latent_filters": 192, "hyper_filters": 128}}


def _image(height, width):
    from PIL import Image

    from ibtf.data.images import load_photo_split
    photo = load_photo_split()[1]["grace_hopper"]
    return np.asarray(Image.fromarray(photo).resize((width, height), Image.BICUBIC))


def _ibtf_times(codec, image, repeats):
    """Wall ms and CPU ms (all threads of this process) of each encode and decode."""
    from ibtf.models.codecs import bitstream
    encode, decode, encode_cpu, decode_cpu = [], [], [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        data = bitstream.compress(codec, image)
        middle, middle_cpu = time.perf_counter(), time.process_time()
        bitstream.decompress(codec, data)
        encode.append(1000 * (middle - start))
        decode.append(1000 * (time.perf_counter() - middle))
        encode_cpu.append(1000 * (middle_cpu - start_cpu))
        decode_cpu.append(1000 * (time.process_time() - middle_cpu))
    return encode, decode, encode_cpu, decode_cpu


def _decode_parts(codec, data, repeats):
    """Median ms of the parts of one ``bitstream.decompress``: header checks, entropy
    decoding (z, then y with the scales the hyper-synthesis predicts) and synthesis."""
    from ibtf._keras import tf
    from ibtf.models.codecs import bitstream
    header = bitstream.read_header(data)
    offset = bitstream.header_size(len(header.lengths))
    strings = []
    for length in header.lengths:
        strings.append(data[offset:offset + length])
        offset += length
    strings = tf.constant(strings, tf.string)
    coders = codec.coders()
    padded = tf.constant([-(-side // codec.stride) * codec.stride
                          for side in (header.height, header.width)], tf.int32)
    entropy = tf.function(lambda s: codec._decode(s, padded, coders))
    synthesis = tf.function(lambda y: codec._synthesize([y], coders))
    latents = entropy(strings)[0]
    synthesis(latents)  # trace both
    parts = {"header checks": lambda: (bitstream.read_header(data), codec.model_id()),
             "entropy decoding": lambda: entropy(strings)[0].numpy(),
             "synthesis transform": lambda: synthesis(latents).numpy()}
    return _median_ms(parts, repeats)


def _cli_times(image, runs):
    """Wall seconds of cold ``ibtf compress`` and ``ibtf decompress`` processes."""
    import tempfile

    from ibtf.data.images import write_png
    encode, decode = [], []
    with tempfile.TemporaryDirectory() as tmp:
        source, coded = os.path.join(tmp, "in.png"), os.path.join(tmp, "in.ibtc")
        write_png(source, image)
        for _ in range(runs):
            for store, command in ((encode, ["compress", source, "-o", coded]),
                                   (decode, ["decompress", coded, "-o",
                                             os.path.join(tmp, "out.png")])):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "ibtf.cli.main", *command], check=True,
                               capture_output=True)
                store.append(time.perf_counter() - start)
    return encode, decode


def _compressai_times(python, image_file, repeats, threads):
    """CompressAI's wall and CPU ms per encode and decode of the same image (a .npy file),
    timed in ``python`` by ``codecs_compressai_speed.py``."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "codecs_compressai_speed.py")
    out = subprocess.run([python, script, "--image", image_file, "--repeats", str(repeats),
                          "--threads", str(threads)], capture_output=True, text=True,
                         check=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    return (record["encode_ms"], record["decode_ms"], record["encode_cpu_ms"],
            record["decode_cpu_ms"]), record


def _encode_parts(codec, image, repeats):
    """Median ms of the parts of one ``bitstream.compress``: the model id hash written in the
    header, the analysis transform alone, and the whole traced encode (analysis,
    hyper-analysis, hyper-synthesis and both range coders)."""
    from ibtf._keras import tf
    x = tf.constant(image[None] / 255.0, tf.float32)
    analysis = tf.function(lambda x: codec.analysis(x))
    analysis(x)
    encode = codec.coding_functions()["compress"]
    pixels = tf.constant(image, tf.float32)
    parts = {"model id hash": codec.model_id,
             "analysis transform": lambda: analysis(x).numpy(),
             "traced encode (all coding)": lambda: encode(pixels)["strings"].numpy()}
    return _median_ms(parts, repeats)


def _median_ms(parts, repeats):
    times = {}
    for name, part in parts.items():
        values = []
        for _ in range(repeats):
            start = time.perf_counter()
            part()
            values.append(1000 * (time.perf_counter() - start))
        times[name] = float(np.median(values))
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_speed",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="timed codings per round")
    parser.add_argument("--compressai-python", default=None,
                        help="a Python with torch and compressai installed")
    parser.add_argument("--pretrained", action="store_true",
                        help="also time the shipped pretrained codec (q2)")
    parser.add_argument("--shipped-only", action="store_true",
                        help="time only the shipped default codec, with a decode breakdown")
    parser.add_argument("--cli", type=int, default=0, metavar="N",
                        help="also time N cold ibtf compress/decompress processes")
    parser.add_argument("--threads", type=int, default=2,
                        help="intra- and inter-op threads of TensorFlow and of torch")
    parser.add_argument("--profile", action="store_true",
                        help="split the N=128, M=192 codec's encode and decode into parts")
    args = parser.parse_args(argv)

    import tempfile

    from ibtf._keras import tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from ibtf.models.codecs import ScaleHyperpriorCodec, bitstream
    image = _image(args.height, args.width)
    image_file = os.path.join(tempfile.mkdtemp(), "image.npy")
    np.save(image_file, image)
    megapixels = args.height * args.width / 1e6
    codecs = {}
    for name, arch in ({} if args.shipped_only else ARCHES).items():
        codec = ScaleHyperpriorCodec(channels=3, seed=0, **arch)
        codec.build([None, None, None, 3])
        codecs[name] = codec
    if args.pretrained or args.shipped_only:
        from ibtf.models.codecs.shipped import DEFAULT_QUALITY, load_pretrained
        shipped = load_pretrained(DEFAULT_QUALITY)
        codecs[f"ibtf shipped q{DEFAULT_QUALITY} (default), N={shipped.filters}, "
               f"M={shipped.latent_filters} (trained weights)"] = shipped
    for codec in codecs.values():
        bitstream.decompress(codec, bitstream.compress(codec, image))  # trace
    times = {name: ([], [], [], []) for name in codecs}
    other, info = ([], [], [], []), None
    for _ in range(args.rounds):
        for name, codec in codecs.items():
            for store, values in zip(times[name], _ibtf_times(codec, image, args.repeats)):
                store.extend(values)
        if args.compressai_python:
            values, info = _compressai_times(args.compressai_python, image_file,
                                             args.repeats, args.threads)
            for store, value in zip(other, values):
                store.extend(value)
    print(f"| codec | encode ms/MP | decode ms/MP | decode ms ({args.height}x{args.width}) | "
          "encode CPU ms/MP | decode CPU ms/MP | encode / CompressAI | decode / CompressAI |")
    print("|---|---|---|---|---|---|---|---|")
    ref = [float(np.median(t)) for t in other] if other[0] else None
    rows = list(times.items())
    if ref:
        rows.append((f"CompressAI {info['compressai']} ScaleHyperprior N=128, M=192 "
                     f"(torch {info['torch']})", other))
    for name, (encode, decode, encode_cpu, decode_cpu) in rows:
        enc, dec = float(np.median(encode)), float(np.median(decode))
        ratios = (f"{enc / ref[0]:.2f} | {dec / ref[1]:.2f}" if ref else "n/a | n/a")
        print(f"| {name} | {enc / megapixels:.0f} | {dec / megapixels:.0f} | {dec:.0f} | "
              f"{np.median(encode_cpu) / megapixels:.0f} | "
              f"{np.median(decode_cpu) / megapixels:.0f} | {ratios} |", flush=True)
    if args.profile and not args.shipped_only:
        codec = next(iter(codecs.values()))
        repeats = args.rounds * args.repeats
        data = bitstream.compress(codec, image)
        print(f"\nN=128, M=192 ibtf parts ({len(data)} bytes), median ms: encode: " +
              ", ".join(f"{k} {v:.0f}" for k, v in _encode_parts(codec, image,
                                                                  repeats).items()) +
              "; decode: " +
              ", ".join(f"{k} {v:.0f}" for k, v in _decode_parts(codec, data,
                                                                  repeats).items()))
        if info:
            print(f"CompressAI parts ({info['bytes']} bytes), median ms: analysis g_a "
                  f"{info['g_a_ms']:.0f}, synthesis g_s {info['g_s_ms']:.0f}")
    if args.pretrained or args.shipped_only:
        data = bitstream.compress(shipped, image)
        parts = _decode_parts(shipped, data, args.rounds * args.repeats)
        print(f"\nshipped default, one {args.height}x{args.width} decode ({len(data)} bytes, "
              f"{8 * len(data) / (args.height * args.width):.3f} bpp), median ms: " +
              ", ".join(f"{name} {value:.0f}" for name, value in parts.items()))
    if args.cli:
        encode, decode = _cli_times(image, args.cli)
        print(f"cold CLI processes ({args.cli} each), wall s: ibtf compress "
              f"{' '.join(f'{t:.1f}' for t in encode)}; ibtf decompress "
              f"{' '.join(f'{t:.1f}' for t in decode)}")
    print(f"\nmedians of {args.rounds} rounds x {args.repeats} codings, {args.threads} threads, "
          "rounds alternating ibtf and CompressAI (same image); ibtf weights at initialization "
          "except 'shipped'; CPU ms: "
          f"process time of all threads; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
