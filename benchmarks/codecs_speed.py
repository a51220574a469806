"""Codec speed on this machine: encode/decode ms per megapixel through real bitstreams (CPU),
and training steps/s with and without XLA (jit_compile=False / True).

    python -m benchmarks.codecs_speed [--filters 64] [--steps 20]
"""
import argparse
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_speed")
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from ibtf._keras import keras, tf
    from ibtf.data.images import load_sample_photos
    from ibtf.models.codecs import bitstream, make_codec

    photo = load_sample_photos()["china"]                       # 427 x 640 x 3
    megapixels = photo.shape[0] * photo.shape[1] / 1e6
    rng = np.random.default_rng(0)
    crops = tf.constant(rng.uniform(size=(args.batch_size, 64, 64, 3)).astype(np.float32))
    print("| model | encode ms/MP | decode ms/MP | train steps/s (plain) | "
          "train steps/s (XLA) |")
    print("|---|---|---|---|---|")
    for kind in ("factorized", "hyperprior"):
        rates = {}
        for jit in (False, True):
            tf.random.set_seed(0)
            codec = make_codec(kind, channels=3, filters=args.filters, seed=0)
            codec.build([None, 64, 64, 3])
            codec.compile(keras.optimizers.Adam(1e-4), jit_compile=jit)
            step = tf.function(codec.train_step, jit_compile=jit)
            step(crops)                                           # trace / compile
            start = time.perf_counter()
            for _ in range(args.steps):
                logs = step(crops)
            float(logs["loss"])
            rates[jit] = args.steps / (time.perf_counter() - start)
        bitstream.compress(codec, photo)                          # trace the coders
        encode, decode = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            data = bitstream.compress(codec, photo)
            middle = time.perf_counter()
            bitstream.decompress(codec, data)
            encode.append(middle - start)
            decode.append(time.perf_counter() - middle)
        print(f"| {kind} | {1000 * min(encode) / megapixels:.0f} | "
              f"{1000 * min(decode) / megapixels:.0f} | {rates[False]:.2f} | "
              f"{rates[True]:.2f} |", flush=True)
    print(f"\nfilters {args.filters}; train: batch {args.batch_size} of 64x64x3, "
          f"{args.steps} steps after one warm-up; coding: china.jpg (427x640), best of "
          f"{args.repeats}, weights after 21 training steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
