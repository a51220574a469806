"""Closed forms of ibtf.theory against independent solvers: max abs error tables.

Run: python -m benchmarks.theory_closed_forms  (prints Markdown tables for
benchmarks/results/theory.md; about a minute on 2 CPU cores).
"""

import itertools
import time

import numpy as np
import scipy.optimize
import scipy.signal

from ibtf.theory import (
    binary_rd,
    binary_rdc,
    blahut_arimoto,
    gaussian_classification_rate,
    gaussian_conditional_entropy_floor,
    gaussian_rd,
    gaussian_rdc,
    gaussian_rdp,
    gaussian_rdpc,
    gaussian_rpc,
    gaussian_wyner_ci,
    linear_gaussian_te,
    optimize_gaussian_test_channel,
    reverse_water_filling,
)


def _row(name, solver, errors, seconds):
    errors = np.abs(np.asarray(errors))
    return (
        f"| {name} | {solver} | {errors.size} | {errors.max():.2e} | "
        f"{np.median(errors):.2e} | {seconds:.1f} |"
    )


def _timed(fn):
    start = time.perf_counter()
    errors = fn()
    return errors, time.perf_counter() - start


def gaussian_rd_vs_ba():
    x = np.linspace(-5, 5, 121)
    p = np.exp(-(x**2) / 2)
    p /= p.sum()
    var = float(p @ x**2)
    out = []
    for s in (0.6, 1.0, 2.0, 5.0, 10.0, 20.0):
        r = blahut_arimoto(p, (x[:, None] - x[None, :]) ** 2, s)
        out.append(r.rate_nats - gaussian_rd(r.distortion, var))
    return out


def binary_rd_vs_ba():
    return [
        (r := blahut_arimoto([1 - p, p], 1 - np.eye(2), s)).rate_nats - binary_rd(r.distortion, p)
        for p, s in itertools.product((0.1, 0.3, 0.5), (0.5, 1.0, 2.0, 4.0))
    ]


def water_filling_vs_slsqp():
    v = np.array([2.0, 1.0, 0.5, 0.25, 0.1])
    out = []
    for total in np.linspace(0.05, 3.7, 12):
        res = scipy.optimize.minimize(
            lambda d: np.sum(0.5 * np.log(v / d)),
            np.full(5, total / 5).clip(max=v * 0.999),
            method="SLSQP",
            bounds=[(1e-9, vi) for vi in v],
            constraints=[{"type": "eq", "fun": lambda d: d.sum() - total}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        out.append(reverse_water_filling(v, total).rate_nats - res.fun)
    return out


def rdp_vs_channels():
    return [
        gaussian_rdp(d, p, 1.0)
        - optimize_gaussian_test_channel(1.0, distortion=d, perception=p).rate_nats
        for d, p in itertools.product((0.05, 0.2, 0.5, 0.9, 1.5), (0.0, 0.02, 0.1, 0.4, 1.5))
    ]


VX, VS, RHO = 1.5, 0.7, 0.8
FLOOR = gaussian_conditional_entropy_floor(VS, RHO)
HS = 0.5 * np.log(2 * np.pi * np.e * VS)
CS = [FLOOR + f * (HS - FLOOR) for f in (0.05, 0.25, 0.5, 0.75, 1.1)]


def rdc_vs_channels():
    return [
        gaussian_rdc(d, c, VX, VS, RHO)
        - optimize_gaussian_test_channel(
            VX, distortion=d, classification=c, var_s=VS, rho=RHO
        ).rate_nats
        for d, c in itertools.product((0.05, 0.3, 0.7, 1.2, 2.0), CS)
    ]


def rdc_vs_ba_discretized():
    x = np.linspace(-5, 5, 81)
    px = np.exp(-(x**2) / 2)
    px /= px.sum()
    s = np.linspace(-5.5, 5.5, 111)
    ps = np.exp(-((s[None, :] - 0.8 * x[:, None]) ** 2) / (2 * (1 - 0.64)))
    ps /= ps.sum(1, keepdims=True)
    var_x = float(px @ x**2)
    var_s = float((px @ ps) @ s**2)
    out = []
    for slope, cs in ((0.0, 2.0), (0.0, 4.0), (0.5, 2.0), (2.0, 3.0)):
        r = blahut_arimoto(
            px, (x[:, None] - x[None, :]) ** 2, slope, p_s_given_x=ps, class_slope=cs, tol=1e-11
        )
        c = r.classification_nats + np.log(s[1] - s[0])
        out.append(r.rate_nats - gaussian_rdc(r.distortion, c, var_x, var_s, 0.8))
    return out


def binary_rdc_vs_ba():
    out = []
    for (p, eps), (s, cs) in itertools.product(
        ((0.5, 0.1), (0.3, 0.2), (0.15, 0.05)),
        ((0.0, 2.0), (0.0, 6.0), (1.5, 3.0), (3.0, 1.0), (2.5, 0.0)),
    ):
        r = blahut_arimoto(
            [1 - p, p],
            1 - np.eye(2),
            s,
            p_s_given_x=[[1 - eps, eps], [eps, 1 - eps]],
            class_slope=cs,
            restarts=4,
            seed=1,
        )
        out.append(r.rate_nats - binary_rdc(r.distortion, r.classification_nats, p, eps))
    return out


def rpc_vs_channels():
    return [
        gaussian_rpc(p, c, VX, VS, RHO, div)
        - optimize_gaussian_test_channel(
            VX, perception=p, classification=c, var_s=VS, rho=RHO, divergence=div
        ).rate_nats
        for div, p, c in itertools.product(("kl", "reverse_kl", "w2"), (0.0, 0.05, 0.5), CS[:4])
    ]


def rdpc_vs_channels():
    return [
        gaussian_rdpc(d, p, c, VX, VS, RHO)
        - optimize_gaussian_test_channel(
            VX, distortion=d, perception=p, classification=c, var_s=VS, rho=RHO
        ).rate_nats
        for d, p, c in itertools.product((0.2, 0.8, 2.5), (0.0, 0.1), CS[::2])
    ]


def wyner_vs_search():
    out = []
    for rho in np.linspace(0.05, 0.95, 10):
        res = scipy.optimize.minimize_scalar(
            lambda a: 0.5 * np.log((1 - rho**2) / ((1 - a**2) * (1 - (rho / a) ** 2))),
            bounds=(rho + 1e-12, 1 - 1e-12),
            method="bounded",
            options={"xatol": 1e-12},
        )
        out.append(gaussian_wyner_ci(rho) - res.fun)
    return out


def te_vs_regression():
    a, b, c = -0.8, 0.95, 1.0
    rng = np.random.default_rng(0)
    n = 1_000_000
    u, e = rng.standard_normal((2, n + 2000))
    x = scipy.signal.lfilter([1.0], [1.0, -b], u)
    y = scipy.signal.lfilter([0.0, c], [1.0, -a], x) + scipy.signal.lfilter([1.0], [1.0, -a], e)
    x, y = x[2000:], y[2000:]
    out = []
    for k in (1, 2, 3, 5):
        t = y[k:]
        lags = [y[k - i : len(y) - i] for i in range(1, k + 1)]
        xl = x[k - 1 : len(x) - 1]

        def rv(cols):
            A = np.column_stack(cols + [np.ones_like(t)])
            return np.mean((t - A @ np.linalg.lstsq(A, t, rcond=None)[0]) ** 2)

        est = 0.5 * np.log(rv(lags) / rv(lags + [xl]))
        out.append(linear_gaussian_te([[b, 0], [c, a]], np.eye(2), 0, 1, k) - est)
    return out


def no_tradeoff_table():
    lines = [
        "| C (nats) | R_C(C) closed form | solver R(P=0) | R(P=0.01) | R(P=0.1) | R(P=1) "
        "| spread |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in CS[:4]:
        rates = [
            optimize_gaussian_test_channel(
                VX, perception=p, classification=c, var_s=VS, rho=RHO, divergence="w2"
            ).rate_nats
            for p in (0.0, 0.01, 0.1, 1.0)
        ]
        closed = gaussian_classification_rate(c, VS, RHO)
        lines.append(
            f"| {c:.4f} | {closed:.6f} | "
            + " | ".join(f"{r:.6f}" for r in rates)
            + f" | {max(rates) - min(rates):.1e} |"
        )
    return "\n".join(lines)


def main(argv=None):
    checks = [
        ("gaussian_rd", "Blahut-Arimoto, 121-point discretised N(0,1)", gaussian_rd_vs_ba),
        ("binary_rd", "Blahut-Arimoto", binary_rd_vs_ba),
        ("reverse_water_filling", "SLSQP on sum 1/2 ln(v_i/D_i)", water_filling_vs_slsqp),
        ("gaussian_rdp", "Gaussian test-channel search", rdp_vs_channels),
        ("gaussian_rdc", "Gaussian test-channel search", rdc_vs_channels),
        ("gaussian_rdc", "BA + classification, discretised (any channel)", rdc_vs_ba_discretized),
        ("binary_rdc", "BA + classification (IB iteration)", binary_rdc_vs_ba),
        ("gaussian_rpc (kl, reverse_kl, w2)", "Gaussian test-channel search", rpc_vs_channels),
        ("gaussian_rdpc", "Gaussian test-channel search", rdpc_vs_channels),
        ("gaussian_wyner_ci", "search over Gaussian W", wyner_vs_search),
        (
            "linear_gaussian_te (AR source, k=1,2,3,5)",
            "least-squares regression, n = 1e6",
            te_vs_regression,
        ),
    ]
    print("| closed form | independent solver | points | max abs error (nats) | median | seconds |")
    print("|---|---|---|---|---|---|")
    for name, solver, fn in checks:
        errors, seconds = _timed(fn)
        print(_row(name, solver, errors, seconds), flush=True)
    print()
    print(no_tradeoff_table())


if __name__ == "__main__":
    main()
