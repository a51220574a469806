"""Training throughput with 1 and 2 replicas: examples/s of a VIB classifier (digits-sized
inputs, MLP 256-256, K = 32) and of a factorized-prior codec (32x32 crops) under the default
strategy and under MirroredStrategy over 2 logical CPU devices (one process; the global batch is
the same, split in two).

On a CPU-only machine both replicas share the same cores, so this measures the overhead of the
distributed step (per-replica split, all-reduce) rather than a speed-up; on a machine with two
GPUs, the same command with --devices gpu compares one GPU with two.
Usage: python -m benchmarks.distribute_speed [--runs 5] [--epochs 2]
"""
import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--devices", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    if args.devices == "cpu":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from ibtf._keras import keras
    from ibtf.distribute import get_strategy
    from ibtf.models import VIBClassifier
    from ibtf.models.codecs import FactorizedPriorCodec

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4096, 64)).astype(np.float32)
    y = rng.integers(0, 10, 4096)
    yy, xx = np.mgrid[0:32, 0:32] / 32.0
    images = np.stack([np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.1)
                       for cx, cy in rng.uniform(0.2, 0.8, size=(512, 2))])[..., None]
    images = images.astype(np.float32)
    jobs = {
        "vib (batch 256)": (lambda: VIBClassifier(num_classes=10, latent_dim=32,
                                                  hidden_units=(256, 256), seed=0),
                            (x, y), 256),
        "codec (batch 32)": (lambda: FactorizedPriorCodec(channels=1, filters=32, stages=2,
                                                          lambda_d=200.0, seed=0),
                             (images,), 32),
    }
    results = {}
    print("| model | replicas | examples/s (median of runs) | runs |")
    print("|---|---|---|---|")
    for job, (make, data, batch) in jobs.items():
        for name in ("default", "mirrored"):
            strategy = get_strategy(name)
            with strategy.scope():
                model = make()
                model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
            dataset = tf.data.Dataset.from_tensor_slices(data if len(data) > 1 else data[0]) \
                .batch(batch, drop_remainder=True).cache().prefetch(tf.data.AUTOTUNE)
            count = (len(data[0]) // batch) * batch
            model.fit(dataset, epochs=1, verbose=0)          # trace
            rates = []
            for _ in range(args.runs):
                start = time.perf_counter()
                model.fit(dataset, epochs=args.epochs, verbose=0)
                rates.append(args.epochs * count / (time.perf_counter() - start))
            rate = statistics.median(rates)
            results[f"{job}/{strategy.num_replicas_in_sync}"] = rate
            print(f"| {job} | {strategy.num_replicas_in_sync} | {rate:.0f} | {args.runs} |",
                  flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    main()
