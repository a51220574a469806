"""Streaming forecasts: per-row latency in-process and rows/s through `ibtf forecast stream`.

A TEB export (history L = 16, horizon 1, normal predictive, 5 quantiles by bisection,
transfer over 16 codes) fitted on a coupled AR pair. In-process: `StreamingForecaster.push`
timed per row once every series' window is full (each row then makes one forecast): p50/p99 of
the wall time and p50 of the process CPU time (all threads; unlike wall time it does not grow
with the other jobs on a shared machine), for the default path (the signature XLA-compiled;
its noise is fixed in the graph, so the values are `forecast predict`'s) and the plain graph
(`jit_compile=False`). CLI: rows/s of `ibtf forecast stream --input CSV` from the first
forecast line to the last (steady state), and the process start-up time. The 1-minute load
average is printed before each run.

    python -m benchmarks.streams_latency [--rows 2000]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from ibtf.data import coupled_ar
from ibtf.models.teb import export_teb, fit_teb
from ibtf.streams import PairedStreams
from ibtf.streams.streaming import StreamingForecaster


def _export(folder, history=16):
    frame = coupled_ar(1500, coupling=1.0, seed=0).frame
    streams = PairedStreams(frame, time_col="t", source_cols="x", target_cols="y",
                            history=history, horizon=1)
    fit = fit_teb(streams, epochs=3, batch_size=128, surrogates=0)
    return export_teb(fit, folder, "teb", warmup=False)


def in_process(export, path, jit, warmup=50):
    stream = StreamingForecaster(export, jit_compile=jit)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    times, cpu = [], []
    for i, row in enumerate(rows):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = stream.push(row)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if out and i >= stream.history + warmup:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
    times, cpu = np.asarray(times) * 1e3, np.asarray(cpu) * 1e3
    return (np.percentile(times, 50), np.percentile(times, 99), np.percentile(cpu, 50),
            len(times))


def load():
    return os.getloadavg()[0]


def through_cli(export, path):
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH",
                                                                                 "")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ibtf.cli.main", "forecast", "stream",
                             export, "--input", path], stdout=subprocess.PIPE, text=True,
                            env=env)
    first = None
    lines = 0
    for _ in proc.stdout:
        lines += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    proc.wait()
    forecasts = lines - 1            # the last line is the summary
    return (forecasts - 1) / (end - first), first - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        export = _export(folder)
        path = os.path.join(folder, "live.csv")
        coupled_ar(args.rows, coupling=1.0, seed=9).frame.to_csv(path, index=False)
        print("| path | wall p50 ms/row | wall p99 ms/row | CPU p50 ms/row | runs (p50 each) | "
              "load (1 min) |\n|---|---|---|---|---|---|")
        for jit in ("auto", False):
            runs, loads = [], []
            for _ in range(args.repeats):
                loads.append(load())
                runs.append(in_process(export, path, jit))
            p50, p99, cpu = (np.median([r[k] for r in runs]) for k in range(3))
            name = ("in-process, default (XLA, fixed noise)" if jit == "auto" else
                    "in-process, plain graph (`jit_compile=False`)")
            each = ", ".join(f"{r[0]:.2f}" for r in runs)
            print(f"| {name} | {p50:.3f} | {p99:.3f} | {cpu:.3f} | {each} | "
                  f"{min(loads):.1f}-{max(loads):.1f} |", flush=True)
        before = load()
        cli = [through_cli(export, path) for _ in range(args.repeats)]
        rate = np.median([c[0] for c in cli])
        print(f"\nLoad {before:.1f} -> {load():.1f}. CLI `forecast stream --input CSV`: "
              f"{rate:.0f} rows/s "
              f"(steady state, median of {args.repeats}); start-up to the first forecast "
              f"{np.median([c[1] for c in cli]):.1f} s")


if __name__ == "__main__":
    main()
