"""TEB on every real pair of the catalogue: skill against naive and least-squares ARX, the
transfer with its interval and surrogate p-value, and placebo sources beside it.

For each pair (history chosen per pair below; split 60/20/20; defaults of `fit_teb` otherwise):
the test CRPS of naive, ARX(p, p), target-only and TEB; the transfer [95% CI] and p. Then the
same fit with placebo sources that carry nothing about the target, trained and evaluated the
same way: i.i.d. Gaussian noise, an unrelated AR(1) series (phi = 0.9) and the real source
shuffled in blocks of 2 * history (every block moved). Each line of the JSONL output is one fit.

    python -m benchmarks.teb_real_pairs --seeds 3 --out benchmarks/results/teb_real_pairs.jsonl
    python -m benchmarks.teb_real_pairs --summarise benchmarks/results/teb_real_pairs.jsonl

Rows written before the effective transfer (`surrogate_test.effective_transfer`) was the
headline have no "transfer_raw": their "transfer" and "ci" are the raw gain's.
"""
import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# history per pair: about one cycle of the series' own dependence (months, weeks, steps...).
PAIRS = {"lead_sales": 6, "soi_rec": 12, "lap": 8, "macro_consumption": 4,
         "interest_inflation": 4, "seattle_weather": 7, "sf_seattle_temps": 24}
PLACEBOS = ("noise", "ar1", "block_shuffle")


def placebo_source(kind, source, seed, history):
    from ibtf.streams.surrogates import block_shuffle
    # Each kind and seed its own stream: the placebos of one seed are independent series.
    rng = np.random.default_rng([1000 + seed, PLACEBOS.index(kind)])
    n = len(source)
    if kind == "noise":
        return rng.standard_normal(n)
    if kind == "ar1":
        x = np.zeros(n)
        e = rng.standard_normal(n)
        for t in range(1, n):
            x[t] = 0.9 * x[t - 1] + e[t]
        return x
    if kind == "block_shuffle":
        return block_shuffle(np.asarray(source, float)[:, None], rng, 2 * history)[:, 0]
    raise ValueError(kind)


def pair_streams(name, source=None):
    """The catalogue pair ``name`` as `PairedStreams` (its history, 60/20/20); with ``source``
    (a function of the first source column's values) that column replaced by its result and the
    other source columns dropped (a placebo)."""
    from ibtf.data import list_datasets, load_dataset
    from ibtf.streams import PairedStreams
    info = {i.name: i for i in list_datasets()}[name]
    frame = load_dataset(name)
    columns = list(info.source_cols)
    if source is not None:
        frame = frame.drop(columns=columns[1:])
        columns = columns[:1]
        frame[columns[0]] = source(frame[columns[0]].to_numpy())
    return PairedStreams(frame, time_col=info.time_col, source_cols=columns,
                         target_cols=list(info.target_cols), history=PAIRS[name],
                         horizon=1, split=(0.6, 0.2, 0.2), nan_policy="drop")


def run_one(name, placebo, seed, surrogates, epochs, **fit_kwargs):
    from ibtf.models.teb import fit_teb, skill_table, transfer_report
    streams = pair_streams(name, None if placebo is None else (
        lambda values: placebo_source(placebo, values, seed, PAIRS[name])))
    start = time.time()
    fit = fit_teb(streams, seed=seed, surrogates=surrogates, epochs=epochs, **fit_kwargs)
    report = transfer_report(fit, "test")
    table = skill_table(fit, "test")
    arx = [i for i in table.index if i.startswith("ARX")][0]
    return {"pair": name, "placebo": placebo, "seed": seed, "history": PAIRS[name],
            "settings": fit_kwargs, "distribution": fit.config["distribution"],
            "n_test": report.n_windows, "crps": {k: float(table.loc[k, "crps"]) for k in
                                                 ("naive", arx, "target-only", "TEB")},
            "mae": {k: float(table.loc[k, "mae"]) for k in ("naive", arx, "target-only", "TEB")},
            "crps_ratio_arx": float(table.loc["TEB", "crps"] / table.loc[arx, "crps"]),
            "transfer": report.transfer_nats, "ci": list(report.ci), "p": report.p_value,
            "supported": report.supported, "null_mean": report.null_mean,
            "null_sd": report.null_sd, "transfer_raw": report.transfer_nats_raw,
            "ci_raw": list(report.ci_raw),
            "epochs": [fit.epochs_target_only, fit.epochs_teb], "seconds": time.time() - start}


def _quiet(row):
    """The issue's placebo criterion: the interval covers 0 and p >= 0.05."""
    return row["ci"][0] <= 0 <= row["ci"][1] and row["p"] is not None and row["p"] >= 0.05


def summarise(path):
    from scipy import stats
    rows = [json.loads(line) for line in open(path)]
    real = [r for r in rows if r["placebo"] is None]
    out = ["| pair | family | n test | CRPS naive | CRPS ARX | CRPS target-only | CRPS TEB | "
           "TEB/ARX | transfer [95% CI] | p | supported |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in real:
        c = list(r["crps"].values())
        p = "-" if r["p"] is None else f"{r['p']:.3f}"
        out.append(f"| {r['pair']} (seed {r['seed']}) | {r.get('distribution', 'normal')} | "
                   f"{r['n_test']} | {c[0]:.4g} | {c[1]:.4g} | {c[2]:.4g} | {c[3]:.4g} | "
                   f"{r['crps_ratio_arx']:.3f} | {r['transfer']:+.3f} "
                   f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] | {p} | {r['supported']} |")
    placebo = [r for r in rows if r["placebo"] is not None]
    if placebo:
        out += ["", "| pair | placebo | fits | CI covers 0 | p >= 0.05 | both | claimed | "
                "median transfer | median CRPS TEB/ARX |",
                "|---|---|---|---|---|---|---|---|---|"]
        keys = sorted({(r["pair"], r["placebo"]) for r in placebo})
        for pair, kind in keys:
            rs = [r for r in placebo if r["pair"] == pair and r["placebo"] == kind]
            covers = sum(r["ci"][0] <= 0 <= r["ci"][1] for r in rs)
            big_p = sum(r["p"] is not None and r["p"] >= 0.05 for r in rs)
            claimed = sum(r["supported"] for r in rs)
            both = sum(_quiet(r) for r in rs)
            out.append(f"| {pair} | {kind} | {len(rs)} | {covers}/{len(rs)} | {big_p}/{len(rs)} "
                       f"| {both}/{len(rs)} | {claimed}/{len(rs)} | "
                       f"{np.median([r['transfer'] for r in rs]):+.3f} | "
                       f"{np.median([r['crps_ratio_arx'] for r in rs]):.3f} |")
        n = len(placebo)
        for what, hits in (
                ("interval excludes 0", sum(not r["ci"][0] <= 0 <= r["ci"][1] for r in placebo)),
                ("p < 0.05", sum(r["p"] is not None and r["p"] < 0.05 for r in placebo)),
                ("interval excludes 0 or p < 0.05", sum(not _quiet(r) for r in placebo)),
                ("claimed (interval above 0 and p < 0.05)", sum(r["supported"] for r in placebo))):
            lo, hi = stats.binomtest(hits, n).proportion_ci(0.95, method="exact")
            out.append(f"\nAll placebo fits, {what}: {hits}/{n} = {hits / n:.1%} "
                       f"(95% Clopper-Pearson [{lo:.1%}, {hi:.1%}]; target at most 5%).")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--pairs", default=",".join(PAIRS), help="comma-separated pairs")
    parser.add_argument("--placebos", default=",".join(PLACEBOS),
                        help="comma-separated placebo kinds ('' for none)")
    parser.add_argument("--seeds", type=int, default=3, help="placebo seeds per pair and kind")
    parser.add_argument("--first-seed", type=int, default=0, help="the first placebo seed")
    parser.add_argument("--real-seeds", type=int, default=1, help="seeds of the real fits")
    parser.add_argument("--surrogates", type=int, default=39)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--distribution", default="auto", help="predictive family")
    parser.add_argument("--ensemble", type=int, default=1, help="model pairs per fit (seeds)")
    parser.add_argument("--out", default="benchmarks/results/teb_real_pairs.jsonl")
    parser.add_argument("--summarise", metavar="JSONL", default=None,
                        help="print the tables of an output file and exit")
    args = parser.parse_args(argv)
    if args.summarise:
        print(summarise(args.summarise))
        return
    placebos = [p for p in args.placebos.split(",") if p]
    pairs = args.pairs.split(",")
    # The real fits first, then the placebos seed by seed: a run cut short is still balanced.
    jobs = [(name, None, s) for s in range(args.real_seeds) for name in pairs]
    jobs += [(name, kind, s) for s in range(args.first_seed, args.first_seed + args.seeds)
             for name in pairs for kind in placebos]
    with open(args.out, "a") as out:
        for name, placebo, seed in jobs:
            settings = {"distribution": args.distribution}
            if args.ensemble > 1:
                settings["ensemble"] = args.ensemble
            row = run_one(name, placebo, seed, args.surrogates, args.epochs, **settings)
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
