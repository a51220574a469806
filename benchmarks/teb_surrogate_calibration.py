"""Is the shift-surrogate p-value calibrated on the real pairs? Its size, measured without training.

For each real pair and each of R fresh i.i.d. Gaussian sources (no link to the target): the
held-out log-likelihood of least-squares ARX(p, p) with that source (the model TEB starts from
and keeps on most small-data fits), the same for n circular-shift surrogates of the source
(`ibtf.streams.surrogates`, with the minimum shift `fit_surrogates` uses, or any shift with
``--min-shift 1``), and the Monte Carlo p-value ``(1 + #{T_i >= T}) / (n + 1)``. Under
exchangeability p < 0.05 happens in exactly 1/(n + 1) of the sources when n + 1 <= 40 (4.76%
for n = 20, 2.5% for the default n = 39); the table gives the measured rate with its 95%
Clopper-Pearson interval. Training adds noise to every gain alike
(the refits are trained like the real fit, tested in tests/models/teb/test_trust.py); the TEB
placebo fits in benchmarks/results/teb.md measure that part, at far higher cost.

    python -m benchmarks.teb_surrogate_calibration --draws 600 [--surrogates 39]
"""
import argparse
import json
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.teb_real_pairs import PAIRS, pair_streams  # noqa: E402

SMALL_PAIRS = ("lead_sales", "interest_inflation", "macro_consumption", "soi_rec", "lap")


def _gain(streams, order):
    from ibtf.models.baselines import ARXForecaster
    model = ARXForecaster(order).fit(streams.windows("train"))
    return float(model.log_prob(streams.windows("test")).mean())


def run_pair(name, draws, min_shift=None, surrogates=20, seed=0):
    """p-values of ``draws`` noise sources on ``name`` (the AR part is the same for all, so
    the ARX log-likelihood ranks like the gain over AR)."""
    from ibtf.data import load_dataset
    from ibtf.models.teb.surrogate_test import _min_shift, p_value
    from ibtf.streams.surrogates import surrogate_sources
    n = len(load_dataset(name))
    order = min(PAIRS[name], 12)
    out = []
    for draw in range(draws):
        rng = np.random.default_rng([seed, draw])
        streams = pair_streams(name, lambda values: rng.standard_normal(n))
        shift = _min_shift(streams) if min_shift is None else min_shift
        null = [_gain(streams.with_source(v), order) for v in surrogate_sources(
            streams.source_values, streams.bounds, "shift", surrogates, rng, min_shift=shift)]
        out.append(p_value(_gain(streams, order), null))
    return np.asarray(out)


def main(argv=None):
    from scipy import stats
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--pairs", default=",".join(SMALL_PAIRS), help="comma-separated pairs")
    parser.add_argument("--draws", type=int, default=600, help="noise sources per pair")
    parser.add_argument("--min-shift", type=int, default=None,
                        help="smallest circular shift (default: the one fit_surrogates uses)")
    parser.add_argument("--surrogates", type=int, default=39,
                        help="surrogates per source (fit_teb's default)")
    args = parser.parse_args(argv)
    if args.draws < 1 or not 20 <= args.surrogates <= 39:
        raise SystemExit("--draws must be >= 1 and --surrogates in 20..39 (p < 0.05 is then "
                         "reached only when the source beats every surrogate)")
    print("| pair | draws | p < 0.05 | rate [95% CI] | mean p |")
    print("|---|---|---|---|---|")
    total = hits = 0
    rows = {}
    for name in args.pairs.split(","):
        p = run_pair(name, args.draws, args.min_shift, args.surrogates)
        k = int(np.sum(p < 0.05))
        ci = stats.binomtest(k, len(p)).proportion_ci(0.95)
        print(f"| {name} | {len(p)} | {k} | {k / len(p):.3f} [{ci.low:.3f}, {ci.high:.3f}] | "
              f"{p.mean():.3f} |", flush=True)
        total, hits = total + len(p), hits + k
        rows[name] = {"draws": len(p), "rejections": k, "mean_p": float(p.mean())}
    ci = stats.binomtest(hits, total).proportion_ci(0.95)
    print(f"| all | {total} | {hits} | {hits / total:.3f} [{ci.low:.3f}, {ci.high:.3f}] | |")
    print(json.dumps({"min_shift": args.min_shift or "fit_surrogates",
                      "surrogates": args.surrogates, "nominal": 1 / (args.surrogates + 1),
                      "rate": hits / total, "ci": [ci.low, ci.high], "pairs": rows}))


if __name__ == "__main__":
    main()
