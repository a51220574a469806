"""Small-data defaults of `fit_teb` chosen by a benchmark: weight decay, early-stopping
patience, learning rate and seed ensembles, scored on the validation windows of the real pairs
(never the test windows).

For each setting, pair and seed: `fit_teb` with the defaults except that setting (no
surrogates: the choice is about forecast skill), then the CRPS of the target-only and TEB
models over that of least-squares ARX with the same lags, on the validation split (what the
choice uses) and on the test split (reported beside it, not used). The candidate is the
setting with the lowest geometric mean of the validation ratios over pairs, seeds and both
models (a median hides the few fits whose training is kept: the significance rule keeps the
least-squares start in most small-data fits, where no setting changes anything). A setting
improves on the default only when its paired change against the default (the mean over fits of
the log ratio of their validation scores, percentile bootstrap over fits) has a 95% interval
below 0, the rule that keeps a trained model over its least-squares start; one that costs no
more training then replaces the default, a costlier one (an ensemble of k: k times the
training, surrogate refits included) is reported with its gain and cost.

    python -m benchmarks.teb_defaults --seeds 2 --out benchmarks/results/teb_defaults.jsonl
    python -m benchmarks.teb_defaults --summarise benchmarks/results/teb_defaults.jsonl
"""
import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.teb_real_pairs import pair_streams  # noqa: E402

SMALL_PAIRS = ("lead_sales", "interest_inflation", "macro_consumption", "soi_rec", "lap")
# One knob at a time from the defaults (weight decay 1e-4, patience 6, learning rate 3e-3).
SETTINGS = ({"weight_decay": 0.0}, {"weight_decay": 1e-4}, {"weight_decay": 1e-3},
            {"weight_decay": 1e-2}, {"patience": 3}, {"patience": 15},
            {"learning_rate": 1e-3}, {"learning_rate": 1e-2}, {"ensemble": 3}, {"ensemble": 5})


def run_one(name, settings, seed):
    from ibtf.models.teb import fit_teb, skill_table
    streams = pair_streams(name)
    start = time.time()
    fit = fit_teb(streams, seed=seed, surrogates=0, **settings)
    row = {"pair": name, "settings": settings, "seed": seed,
           "distribution": fit.config["distribution"],
           "epochs": [fit.epochs_target_only, fit.epochs_teb]}
    for split in ("val", "test"):
        table = skill_table(fit, split)
        arx = [i for i in table.index if i.startswith("ARX")][0]
        for model in ("target-only", "TEB"):
            row[f"{split}_{model}"] = float(table.loc[model, "crps"] / table.loc[arx, "crps"])
    row["seconds"] = time.time() - start
    return row


def summarise(path):
    rows = [json.loads(line) for line in open(path)]
    keys = []
    for r in rows:
        if r["settings"] not in keys:
            keys.append(r["settings"])
    out = ["Geometric means of CRPS / ARX over pairs and seeds.", "",
           "| setting | fits | val target-only | val TEB | val (both) | test target-only | "
           "test TEB | fits changed vs default | val change vs default [95% CI] |",
           "|---|---|---|---|---|---|---|---|---|"]
    scores = []

    def gmean(values):
        return float(np.exp(np.mean(np.log(values))))

    default = {(r["pair"], r["seed"]): r for r in rows if r["settings"] == {"weight_decay": 1e-4}}
    for key in keys:
        rs = [r for r in rows if r["settings"] == key]
        g = {k: gmean([r[k] for r in rs]) for k in
             ("val_target-only", "val_TEB", "test_target-only", "test_TEB")}
        both = gmean([r[k] for r in rs for k in ("val_target-only", "val_TEB")])
        changed = sum(abs(r["val_TEB"] - default[(r["pair"], r["seed"])]["val_TEB"]) > 1e-6 or
                      abs(r["val_target-only"] -
                          default[(r["pair"], r["seed"])]["val_target-only"]) > 1e-6
                      for r in rs if (r["pair"], r["seed"]) in default)
        change = _paired_change(rs, default)
        scores.append((both, key, change))
        out.append(f"| {json.dumps(key)} | {len(rs)} | {g['val_target-only']:.4f} | "
                   f"{g['val_TEB']:.4f} | {both:.4f} | {g['test_target-only']:.4f} | "
                   f"{g['test_TEB']:.4f} | {changed} | {change[0]:+.2%} "
                   f"[{change[1]:+.2%}, {change[2]:+.2%}] |")
    best = min(scores, key=lambda s: s[0])
    better = [f"{json.dumps(key)} ({change[0]:+.2%})" for _, key, change in scores
              if change[2] < 0]
    out.append(f"\nLowest validation geometric mean: {json.dumps(best[1])} ({best[0]:.4f}). "
               "Improvements with a 95% interval below 0: "
               f"{', '.join(better) if better else 'none'}.")
    return "\n".join(out)


def _paired_change(rows, default, n_boot=2000):
    """Mean over fits of ln(val score / the default's val score) as a relative change, with a
    95% percentile-bootstrap interval over fits; the val score of a fit is the geometric mean
    of its two models' validation ratios."""
    logs = []
    for r in rows:
        d = default.get((r["pair"], r["seed"]))
        if d is not None:
            logs.append(0.5 * (np.log(r["val_target-only"] * r["val_TEB"]) -
                               np.log(d["val_target-only"] * d["val_TEB"])))
    logs = np.asarray(logs)
    if len(logs) == 0:
        return (np.nan, np.nan, np.nan)
    boot = np.random.default_rng(0).choice(logs, (n_boot, len(logs))).mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return tuple(float(np.expm1(v)) for v in (logs.mean(), lo, hi))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--pairs", default=",".join(SMALL_PAIRS), help="comma-separated pairs")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--settings", default=json.dumps(SETTINGS),
                        help="JSON list of settings (one fit_teb keyword each)")
    parser.add_argument("--out", default="benchmarks/results/teb_defaults.jsonl")
    parser.add_argument("--summarise", metavar="JSONL", default=None,
                        help="print the table of an output file and exit")
    args = parser.parse_args(argv)
    if args.summarise:
        print(summarise(args.summarise))
        return
    with open(args.out, "a") as out:
        for seed in range(args.seeds):
            for settings in json.loads(args.settings):
                for name in args.pairs.split(","):
                    row = run_one(name, settings, seed)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
