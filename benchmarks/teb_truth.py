"""TEB transfer estimates against the closed-form transfer entropy of coupled Gaussian ARs.

For ``x_t`` iid N(0, 1) and ``y_t = 0.5 y_{t-1} + c x_{t-1} + e_t`` (e ~ N(0, 1)) the transfer
entropy is ``TE(X -> Y) = 1/2 ln(1 + c^2)`` for any history (`ibtf.theory.linear_gaussian_te`
computes it from the VAR's Lyapunov covariance; Barnett, Barrett & Seth 2009), and the reverse
direction has TE(Y -> X) = 0. Each row simulates 20k steps (`ibtf.data.coupled_ar`), splits
70/15/15 in time order, fits `fit_teb` (defaults: both models trained the same way, with their
least-squares AR/ARX terms; no surrogate refits here) and reports the
held-out gain with its 95% block-bootstrap interval, the reverse-direction control, and the
least-squares ARX - AR gain for comparison. Pass: |TEB - truth| <= max(0.05, 15% of truth) and
the reverse and uncoupled figures <= 0.03 nats.

    python -m benchmarks.teb_truth [--steps 20000] [--couplings 0,0.5,1]
"""
import argparse
import time

import numpy as np

from ibtf.data import coupled_ar
from ibtf.models.baselines import ARForecaster, ARXForecaster
from ibtf.models.teb.fit import fit_teb, transfer_report
from ibtf.streams import PairedStreams
from ibtf.theory.transfer_entropy import linear_gaussian_te

COUPLINGS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5)


def tolerance(truth):
    return max(0.05, 0.15 * truth)


def run_one(coupling, n_steps=20_000, history=8, seed=0, **fit_kwargs):
    sim = coupled_ar(n_steps, coupling=coupling, target_ar=0.5, seed=seed)
    truth = linear_gaussian_te(sim.transition, sim.noise_cov, source=0, target=1,
                               history=history, source_history=history)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=history, horizon=1)
    start = time.time()
    fit_kwargs = {"surrogates": 0, **fit_kwargs}
    fit = fit_teb(streams, seed=seed, **fit_kwargs)
    rev_fit = fit_teb(streams.reversed(), seed=seed, **fit_kwargs)
    report = transfer_report(fit, reverse=rev_fit)
    train, test = streams.windows("train"), streams.windows("test")
    lsq = float(np.mean(ARXForecaster(1).fit(train).log_prob(test)
                        - ARForecaster(1).fit(train).log_prob(test)))
    return dict(coupling=coupling, truth=truth, teb=report.transfer_nats, lo=report.ci[0],
                hi=report.ci[1], reverse=report.reverse.transfer_nats, lsq=lsq,
                rate=report.rate_nats, seconds=time.time() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--couplings", default=",".join(map(str, COUPLINGS)))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = [run_one(float(c), args.steps, seed=args.seed) for c in args.couplings.split(",")]
    print(f"n = {args.steps} steps (70/15/15), history 8, horizon 1, seed {args.seed}\n")
    print("| c | true TE | TEB gain [95% CI] | error | tol | reverse (true 0) | ARX-AR | "
          "rate | pass | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for r in rows:
        err = r["teb"] - r["truth"]
        good = abs(err) <= tolerance(r["truth"]) and abs(r["reverse"]) <= 0.03 and \
            (r["truth"] > 0 or abs(r["teb"]) <= 0.03)
        ok &= good
        print(f"| {r['coupling']:.2f} | {r['truth']:.3f} | {r['teb']:.3f} [{r['lo']:.3f}, "
              f"{r['hi']:.3f}] | {err:+.3f} | {tolerance(r['truth']):.3f} | "
              f"{r['reverse']:+.3f} | {r['lsq']:.3f} | {r['rate']:.2f} | "
              f"{'yes' if good else 'NO'} | {r['seconds']:.0f} |")
    errs = [abs(r["teb"] - r["truth"]) for r in rows]
    print(f"\nmax |error| {max(errs):.3f} nats; all within tolerance: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    main()
