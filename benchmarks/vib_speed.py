"""VIB training speed: steps/s with and without XLA, tf.data input, batch 256.

Medians of several timed epochs in one process, after a warm-up epoch that traces and compiles.
Usage: python -m benchmarks.vib_speed [--runs 5] [--steps 200]
"""
import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from ibtf._keras import keras, tf  # noqa: E402
from ibtf.models import VIBClassifier  # noqa: E402


def steps_per_second(jit, runs, steps, batch=256, features=784, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps * batch, features)).astype(np.float32)
    y = rng.integers(0, 10, steps * batch)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True) \
        .cache().prefetch(tf.data.AUTOTUNE)
    model = VIBClassifier(num_classes=10, latent_dim=256, hidden_units=(1024, 1024), seed=seed)
    model.compile(keras.optimizers.Adam(1e-4), jit_compile=jit)
    model.fit(data, epochs=1, verbose=0)  # trace + compile
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates), rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"devices {devices}, TF {tf.__version__}")
    print("VIB (Alemi et al. MLP 784-1024-1024-K256-10), batch 256, Adam\n")
    print("| jit_compile | steps/s (median) | runs |")
    print("|---|---|---|")
    results = {}
    for jit in (False, True):
        median, rates = steps_per_second(jit, args.runs, args.steps)
        results[jit] = median
        print(f"| {jit} | {median:.1f} | {', '.join(f'{r:.1f}' for r in rates)} |", flush=True)
    print(f"\nXLA / plain = {results[True] / results[False]:.2f}")


if __name__ == "__main__":
    main()
