"""Throughput of the vectorised closed forms (1e6 points per call; medians of 5 runs).

Run: python -m benchmarks.theory_speed
"""

import time

import numpy as np

from ibtf.theory import (
    binary_rdc,
    gaussian_conditional_entropy_floor,
    gaussian_rdc,
    gaussian_rdp,
    gaussian_rpc,
    linear_gaussian_te,
    optimize_gaussian_test_channel,
)


def median_seconds(fn, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    n = 1_000_000
    rng = np.random.default_rng(0)
    d = rng.uniform(0.01, 2.0, n)
    floor = gaussian_conditional_entropy_floor(1.0, 0.8)
    c = floor + rng.uniform(0.01, 1.0, n)
    p = rng.uniform(0.0, 1.0, n)
    cases = [
        ("gaussian_rdc, 1e6 points", lambda: gaussian_rdc(d, c, 1.0, 1.0, 0.8)),
        ("gaussian_rpc, 1e6 points", lambda: gaussian_rpc(p, c, 1.0, 1.0, 0.8)),
        ("gaussian_rdp, 1e6 points", lambda: gaussian_rdp(d, p, 1.0)),
        ("binary_rdc, 1e6 points", lambda: binary_rdc(d / 4, 0.4 + c / 10, 0.3, 0.1)),
        (
            "linear_gaussian_te, 3-var VAR, k=10, one call",
            lambda: linear_gaussian_te(
                np.diag([0.5, 0.4, 0.3]) + 0.2 * np.eye(3, k=-1), np.eye(3), 0, 2, 10
            ),
        ),
        (
            "optimize_gaussian_test_channel (D, P, C), one call",
            lambda: optimize_gaussian_test_channel(
                1.0, distortion=0.4, perception=0.05, classification=1.2, rho=0.8
            ),
        ),
    ]
    print("| computation | median seconds (5 runs) |")
    print("|---|---|")
    for name, fn in cases:
        print(f"| {name} | {median_seconds(fn):.4f} |", flush=True)


if __name__ == "__main__":
    main()
