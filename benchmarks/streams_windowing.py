"""Speed of the streams pipeline: 100k steps, L = 32, H = 1, ds = 2, dt = 1.

Times (median of --repeats runs): validating and building `PairedStreams` from a DataFrame,
numpy windows of the training split (raw and scaled), and one pass over the training split as
a tf.data pipeline at batch 256 (drop_remainder, shuffled).

    python -m benchmarks.streams_windowing [--repeats 5]
"""
import argparse
import time

import numpy as np
import pandas as pd

from ibtf.streams import PairedStreams


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.steps
    frame = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="min"),
                          "x1": rng.standard_normal(n), "x2": rng.standard_normal(n),
                          "y": rng.standard_normal(n)})

    def build():
        return PairedStreams(frame, time_col="date", source_cols=["x1", "x2"], target_cols=["y"],
                             history=32, horizon=1)

    streams = build()
    dataset = streams.dataset("train", batch_size=256, drop_remainder=True, shuffle=True)
    n_windows = streams.num_windows("train")
    rows = [
        ("validate + build PairedStreams (datetime index)", _median_time(build, args.repeats)),
        ("numpy windows, train split, raw", _median_time(lambda: streams.windows("train"),
                                                           args.repeats)),
        ("numpy windows, train split, scaled",
         _median_time(lambda: streams.windows("train", scaled=True), args.repeats)),
        ("tf.data epoch, batch 256, shuffled", _median_time(lambda: sum(1 for _ in dataset),
                                                              args.repeats)),
    ]
    print(f"{n} steps, {n_windows} training windows of L=32, H=1")
    print("| step | median seconds | windows/s |")
    print("|---|---|---|")
    for name, seconds in rows:
        rate = f"{n_windows / seconds:,.0f}" if "windows" in name or "epoch" in name else "-"
        print(f"| {name} | {seconds:.4f} | {rate} |")


if __name__ == "__main__":
    main()
