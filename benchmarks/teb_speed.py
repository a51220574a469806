"""TEB forecaster speed: training windows/s with and without XLA, SavedModel latency.

Training: a coupled AR pair of 100k steps, history L = 32, horizon 1, every window used for
training, batch 256, a TEB model (channel on) trained for a fixed number of epochs in plain
graph mode (the CPU default of ``jit_compile="auto"``) and under XLA. Serving: the export's
``serving_default`` (mean, stddev, 5 quantiles by bisection, rate, transfer over 16 codes),
loaded with ``tf.saved_model.load``, timed per call at batch 1 and 256 (p50/p99).

    python -m benchmarks.teb_speed [--steps 100000] [--epochs 10] [--xla-epochs 2]
"""
import argparse
import tempfile
import time

import numpy as np

from ibtf._keras import keras, tf
from ibtf.data import coupled_ar
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.models.teb.fit import TEBFit, _dataset
from ibtf.models.teb.export import export_teb
from ibtf.streams import PairedStreams


def _model(streams, seed=0):
    return TEBForecaster(history=streams.history, horizon=1, scaler=streams.scaler, seed=seed,
                         hidden_units=(64,), context_units=32, latent_dim=8)


def train_speed(windows, streams, epochs, jit):
    keras.utils.set_random_seed(0)
    model = _model(streams)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=jit)
    data = _dataset(windows, 256, True, 0)
    model.fit(data.take(2), epochs=1, verbose=0)            # trace/compile outside the clock
    start = time.perf_counter()
    model.fit(data, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, epochs * (len(windows) // 256) * 256 / seconds, model


def latency(fn, inputs, repeats):
    fn(**inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(**inputs)
        times.append(time.perf_counter() - start)
    return 1e3 * np.percentile(times, 50), 1e3 * np.percentile(times, 99)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--xla-epochs", type=int, default=2)
    args = parser.parse_args(argv)
    sim = coupled_ar(args.steps, coupling=1.0, seed=0)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=args.history, horizon=1, split=(1.0, 0.0, 0.0))
    windows = streams.windows("train")
    print(f"{len(windows)} windows, L = {args.history}, batch 256, TEB (channel on)\n")
    print("| mode | epochs | seconds | windows/s |")
    print("|---|---|---|---|")
    plain_s, plain_rate, model = train_speed(windows, streams, args.epochs, False)
    print(f"| plain graph (CPU default) | {args.epochs} | {plain_s:.1f} | {plain_rate:,.0f} |")
    xla_s, xla_rate, _ = train_speed(windows, streams, args.xla_epochs, True)
    print(f"| XLA (jit_compile=True) | {args.xla_epochs} | {xla_s:.1f} | {xla_rate:,.0f} |")

    reference = TEBForecaster(**{**model.get_config(), "use_source": False, "name": "ref"})
    with tempfile.TemporaryDirectory() as tmp:
        path = export_teb(TEBFit(model, reference, streams, 0, 0, 0.0, {}), tmp, "teb",
                          warmup=False)
        fn = tf.saved_model.load(path).signatures["serving_default"]
        print("\n| SavedModel serving_default | p50 ms | p99 ms |")
        print("|---|---|---|")
        for batch, repeats in ((1, 200), (256, 50)):
            inputs = {"source_history": tf.constant(windows.source_history[:batch]),
                      "target_history": tf.constant(windows.target_history[:batch])}
            p50, p99 = latency(fn, inputs, repeats)
            print(f"| batch {batch} | {p50:.2f} | {p99:.2f} |")
    return 0


if __name__ == "__main__":
    main()
