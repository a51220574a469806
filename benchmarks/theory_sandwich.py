"""Yang & Mandt (2022) sandwich bounds on R(D) of a 2-D Gaussian source vs the true R(D).

Run: python -m benchmarks.theory_sandwich  (about 10 minutes on 2 CPU cores). Prints a
Markdown table (medians over seeds) and writes benchmarks/results/theory_sandwich.png.
"""

import os
import sys
import time

import numpy as np

from ibtf.theory.rate_distortion import reverse_water_filling
from ibtf.theory.rd_lower_bound import fit_rd_lower_bound
from ibtf.theory.rd_upper_bound import fit_rd_upper_bound

VARIANCES = np.array([1.0, 0.3])
LAMS = (1.0, 3.0, 10.0)
SEEDS = (0, 1, 2)
OUT = os.path.join(os.path.dirname(__file__), "results", "theory_sandwich.png")


def true_rd(d):
    return np.array([reverse_water_filling(VARIANCES, di).rate_nats for di in np.atleast_1d(d)])


def gaussian(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 2)) * np.sqrt(VARIANCES)


def main(argv=None):
    rows, ubs, lbs = [], {}, {}
    for lam in LAMS:
        d_star = float(np.minimum(1 / (2 * lam), VARIANCES).sum())
        ub_gap, lb_gap, lb_gap_plain, ub_points, times = [], [], [], [], []
        for seed in SEEDS:
            t0 = time.perf_counter()
            ub = fit_rd_upper_bound(
                gaussian(20_000, seed),
                lam,
                eval_samples=gaussian(100_000, 100 + seed),
                steps=2000,
                seed=seed,
            )
            lb = fit_rd_lower_bound(
                gaussian(30_000, seed),
                lam,
                eval_samples=gaussian(32 * 2048, 200 + seed),
                steps=1500,
                batch_size=512,
                eval_batch_size=2048,
                eval_batches=32,
                seed=seed,
            )
            times.append(time.perf_counter() - t0)
            ub_gap.append(ub.rate_nats - true_rd(ub.distortion)[0])
            lb_gap.append(true_rd(d_star)[0] - float(lb.rate_at(d_star)))
            lb_gap_plain.append(true_rd(d_star)[0] - float(lb.rate_at(d_star, conservative=False)))
            ub_points.append((ub.distortion, ub.rate_nats))
            ubs.setdefault(lam, []).append(ub)
            lbs.setdefault(lam, []).append(lb)
            print(
                f"lam={lam} seed={seed}: UB D={ub.distortion:.4f} R={ub.rate_nats:.4f} "
                f"(true {true_rd(ub.distortion)[0]:.4f}); LB at D*={d_star:.4f}: "
                f"{float(lb.rate_at(d_star)):.4f} (true {true_rd(d_star)[0]:.4f})",
                file=sys.stderr,
                flush=True,
            )
        med = np.median(np.array(ub_points), axis=0)
        rows.append(
            f"| {lam:g} | {med[0]:.4f} | {med[1]:.4f} | {true_rd(med[0])[0]:.4f} | "
            f"{np.median(ub_gap):+.4f} [{min(ub_gap):+.4f}, {max(ub_gap):+.4f}] | "
            f"{d_star:.4f} | {true_rd(d_star)[0]:.4f} | {np.median(lb_gap_plain):.3f} | "
            f"{np.median(lb_gap):.3f} [{min(lb_gap):.3f}, {max(lb_gap):.3f}] | "
            f"{np.median(times):.0f} |"
        )
    print(
        "| lam | UB D | UB R (nats) | true R(D_UB) | UB - R(D) median [min, max] | D* = tangent | "
        "true R(D*) | R(D*) - LB plain | R(D*) - LB conservative median [min, max] | s per seed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = np.linspace(0.02, 1.3, 300)
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    ax.plot(d, true_rd(d), "k-", label="true R(D) (reverse water-filling)")
    envelope = np.max([lbs[lam][0].rate_at(d) for lam in LAMS], axis=0)
    ax.plot(d, envelope, "C0--", label="lower bound (conservative, seed 0)")
    for lam in LAMS:
        ax.plot(d, lbs[lam][0].rate_at(d), "C0:", lw=0.7)
        pts = np.array([(u.distortion, u.rate_nats) for u in ubs[lam]])
        ax.plot(
            pts[:, 0],
            pts[:, 1],
            "C3o",
            ms=4,
            label="upper bound (beta-VAE)" if lam == LAMS[0] else None,
        )
    ax.set_ylim(0, 3.2)
    ax.set_xlabel("distortion D = E||X - Xhat||^2")
    ax.set_ylabel("rate (nats)")
    ax.set_title("Sandwich bounds, X ~ N(0, diag(1, 0.3))", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT)
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
