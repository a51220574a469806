"""How much of the CLUB s-probe's spread is the measurement, and how much is leakage in z.

    python -m benchmarks.club_probe_precision [--cases ceb:2 privacy_funnel:2 ...]

For each (configuration, seed) it trains the model as the full check did before the third
session (constant encoder rate; lambda = 0, then the rule's lambda, so the batch order is that
sweep's) and probes the rule-lambda model's released code for s in several ways, each against
the same data-generating truth:

* the check's probe as it is: a 64-64 MLP (``ibtf.metrics.fairness.probe_accuracy``) fitted
  on codes of the model's 12000 training rows (draw 0), scored on 8000 test rows (draw 1);
* the same, over 5 probe seeds (its initialisation and early-stopping split);
* scored on 50000 fresh rows from the generator (binomial s.e. 0.0022 instead of 0.0056);
* other code draws of the test rows (the released code is a sample);
* more capacity (128-128, 256-256) and a linear probe (logistic regression);
* a probe fitted on 50000 fresh rows instead of the model's training rows.

The raw table goes to ``--out``.
"""
import argparse
import platform
import time

import numpy as np

from ibtf.models.fair.zoo_checks import SWEEP_LAMBDAS

FRESH = 50000


def _probe(train_codes, train_s, test_codes, test_s, seed, units=(64, 64)):
    from ibtf.metrics.fairness import probe_accuracy
    return probe_accuracy(train_codes, train_s, test_codes, test_s, hidden_units=units,
                          seed=seed)


def _linear(train_codes, train_s, test_codes, test_s):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return float(probe.fit(train_codes, train_s).score(test_codes, test_s))


def study(mode, seed, probe_seeds=5):
    from ibtf.data.planted import planted_sensitive
    from ibtf.metrics.fairness import base_rate
    from ibtf.models.fair.zoo_checks import train_club
    from ibtf.models.zoo.helpers import seed_everything

    lam = SWEEP_LAMBDAS.get(mode, (0.0, 1.0, 3.0, 10.0))[-1]
    seed_everything(seed)
    train = planted_sensitive(12000, seed=seed)
    test = planted_sensitive(8000, seed=seed + 1000)
    fresh_test = planted_sensitive(FRESH, seed=seed + 2000)
    fresh_train = planted_sensitive(FRESH, seed=seed + 3000)
    # the earlier sessions' protocol: constant encoder rate, lambda trained after lambda = 0
    train_club(train, mode, 0.0, 1e-3, seed, 30, encoder_annealing="none")
    model = train_club(train, mode, lam, 1e-3, seed, 30, encoder_annealing="none")

    def codes(x, draw):
        return np.asarray(model.sample_codes(x, draw))

    ztr, zte, zfresh = codes(train.x, 0), codes(test.x, 1), codes(fresh_test.x, 1)
    rows = []

    def add(name, values, chance, n_test):
        values = np.asarray(values, float)
        se_binomial = np.sqrt(0.25 / n_test)
        rows.append(dict(name=name, mean=values.mean(), sd=values.std(ddof=1) if
                         values.size > 1 else float("nan"), n=values.size,
                         excess=values.mean() - chance, se_test=se_binomial,
                         values=values))

    chance, fresh_chance = base_rate(test.s), base_rate(fresh_test.s)
    add("check's probe (64-64, seed = model seed), 8000 test rows",
        [_probe(ztr, train.s, zte, test.s, seed)], chance, test.s.size)
    add("64-64, probe seeds 0-4, 8000 test rows",
        [_probe(ztr, train.s, zte, test.s, k) for k in range(probe_seeds)], chance, test.s.size)
    add(f"64-64, probe seeds 0-4, {FRESH} fresh test rows",
        [_probe(ztr, train.s, zfresh, fresh_test.s, k) for k in range(probe_seeds)],
        fresh_chance, FRESH)
    from ibtf.metrics.fairness import probe_accuracy
    add("64-64 seed 0, test draws 1-5 of the 8000 test rows",
        [probe_accuracy(ztr, train.s, codes(test.x, d), test.s, seed=0) for d in range(1, 6)],
        chance, test.s.size)
    for units in ((128, 128), (256, 256)):
        add(f"{units[0]}-{units[1]}, probe seeds 0-2, {FRESH} fresh test rows",
            [_probe(ztr, train.s, zfresh, fresh_test.s, k, units) for k in range(3)],
            fresh_chance, FRESH)
    add(f"logistic regression, {FRESH} fresh test rows",
        [_linear(ztr, train.s, zfresh, fresh_test.s)], fresh_chance, FRESH)
    zft = codes(fresh_train.x, 0)
    add(f"64-64 fitted on {FRESH} fresh rows, probe seeds 0-2, {FRESH} fresh test rows",
        [_probe(zft, fresh_train.s, zfresh, fresh_test.s, k) for k in range(3)],
        fresh_chance, FRESH)
    return lam, chance, fresh_chance, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["ceb:2"],
                        help="configuration:seed pairs to study")
    parser.add_argument("--out", default="benchmarks/results/zoo_part2_probe_precision_raw.md",
                        help="markdown file, rewritten after every case")
    args = parser.parse_args(argv)
    import tensorflow as tf
    lines = ["# CLUB s-probe: measurement noise vs leakage (raw)\n",
             f"2-core CPU shared with other jobs ({platform.machine()}), no GPU; TensorFlow "
             f"{tf.__version__}; {time.strftime('%Y-%m-%d', time.gmtime())}. Full settings "
             "(β = 1e-3, n = 12000, 30 epochs). excess = mean accuracy − chance; sd over the "
             "runs of the row; s.e.(test) = binomial s.e. of one accuracy on that test size.\n"]
    for case in args.cases:
        mode, seed = case.split(":")
        start = time.time()
        lam, chance, fresh_chance, rows = study(mode, int(seed))
        lines += [f"\n## {mode}, seed {seed}, λ = {lam:g} (chance {chance:.4f} on the 8000 test "
                  f"rows, {fresh_chance:.4f} on the fresh ones; {time.time() - start:.0f} s)\n",
                  "| probe | runs | accuracies | mean | sd | excess over chance | s.e.(test) |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['name']} | {r['n']} | {' '.join(f'{v:.4f}' for v in r['values'])} | "
                  f"{r['mean']:.4f} | {r['sd']:.4f} | {r['excess']:+.4f} | {r['se_test']:.4f} |"
                  for r in rows]
        print("\n".join(lines[-len(rows) - 3:]), flush=True)
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
