"""Least-squares AR vs ARX held-out gain (nats) on the packaged real pairs, with a reverse
direction control and a synthetic pair of known transfer entropy.

Protocol (REFERENCES.md, "Real series bundled in packages"): chronological 70/30 split of each
series, one-step-ahead windows, AR(p) and ARX(p, p) fitted by least squares on the first 70%,
gain = mean over held-out windows of log p_ARX(y) - log p_AR(y) (Gaussian predictives with the
training residual scale), 95% moving-block bootstrap interval (b = ceil(n^(1/3)), 4000 resamples).
Orders are chosen on the training windows only, before the held-out set is looked at: p by AIC
of AR(p), then the number of source lags q by AIC of ARX(p, q) (p, q <= 24); fixed orders
(p = q = 1 and p = q = 12) are reported too.

    python -m benchmarks.streams_ar_vs_arx [--markdown]
"""
import argparse
import math

import numpy as np

from ibtf.data import coupled_ar, list_datasets, load_dataset
from ibtf.metrics.forecast import mae
from ibtf.models.baselines import ARForecaster, ARXForecaster
from ibtf.streams import PairedStreams, block_bootstrap_ci

P_MAX = 24


def _streams(frame, info, p, reverse=False):
    src, tgt = list(info["source"]), list(info["target"])
    if reverse:   # the control: does the target's past predict the source?
        src, tgt = tgt[:1], src[:1]
    return PairedStreams(frame, time_col=info["time"], source_cols=src, target_cols=tgt,
                         history=p, horizon=1, split=(0.7, 0.0, 0.3))


def _aic(model, train):
    resid_var = float(np.mean((model.predict(train)[0] - train.target_future) ** 2))
    return len(train) * math.log(resid_var) + 2 * model.coef_.shape[0]


def aic_orders(frame, info, reverse=False):
    """(p, q) by AIC on the training windows of the largest history (same rows for all)."""
    train = _streams(frame, info, P_MAX, reverse).windows("train")
    p = min(range(1, P_MAX + 1), key=lambda k: _aic(ARForecaster(k).fit(train), train))
    q = min(range(1, P_MAX + 1), key=lambda k: _aic(ARXForecaster(p, k).fit(train), train))
    return p, q


def gain(frame, info, p, q=None, reverse=False, seed=0):
    q = p if q is None else q
    s = _streams(frame, info, max(p, q), reverse)
    train, test = s.windows("train"), s.windows("test")
    ar, arx = ARForecaster(p).fit(train), ARXForecaster(p, q).fit(train)
    diff = (arx.log_prob(test) - ar.log_prob(test))[:, 0]
    mean, lo, hi = block_bootstrap_ci(diff, n_boot=4000, seed=seed)
    mae_ar = mae(test.target_future, ar.predict(test)[0])
    mae_arx = mae(test.target_future, arx.predict(test)[0])
    return dict(gain=mean, lo=lo, hi=hi, n_test=len(test), mae_ar=mae_ar, mae_arx=mae_arx)


def real_pairs():
    for entry in list_datasets():
        info = dict(time=entry.time_col, source=entry.source_cols, target=entry.target_cols)
        yield entry, info, load_dataset(entry.name)


def synthetic(n_seeds=10):
    """Per coupling: gains over seeds (mean, sd), how often the 95% CI covers the truth."""
    info = dict(time="t", source=("x",), target=("y",))
    rows = []
    for c in (0.0, 0.25, 0.5, 1.0):
        fwd, rev, covered = [], [], 0
        for seed in range(n_seeds):
            sim = coupled_ar(20_000, coupling=c, target_ar=0.5, seed=seed)
            g = gain(sim.frame, info, 1, seed=seed)
            fwd.append(g["gain"])
            covered += g["lo"] <= sim.te_closed_form <= g["hi"]
            rev.append(gain(sim.frame, info, 1, reverse=True, seed=seed)["gain"])
        rows.append((c, sim.te_closed_form, np.mean(fwd), np.std(fwd, ddof=1), covered,
                     np.mean(rev), np.max(np.abs(rev)), n_seeds))
    return rows


def fmt(r):
    return f"{r['gain']:+.3f} [{r['lo']:+.3f}, {r['hi']:+.3f}]"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print("| pair (source -> target) | expected | n test | p, q (AIC) | gain, nats [95% CI] "
          "| reverse: p, q; gain [95% CI] | test MAE AR -> ARX | p = q = 1 | p = q = 12 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for entry, info, frame in real_pairs():
        p, q = aic_orders(frame, info)
        fwd = gain(frame, info, p, q)
        rp, rq = aic_orders(frame, info, reverse=True)
        rev = gain(frame, info, rp, rq, reverse=True)
        g1, g12 = gain(frame, info, 1), gain(frame, info, 12)
        print(f"| {entry.name}: {entry.direction} | {entry.expected_transfer} | {fwd['n_test']} "
              f"| {p}, {q} | {fmt(fwd)} | {rp}, {rq}; {fmt(rev)} "
              f"| {fwd['mae_ar']:.3f} -> {fwd['mae_arx']:.3f} | {fmt(g1)} | {fmt(g12)} |")
    print()
    print("| coupling c | true TE (nats) | ARX - AR gain, mean (sd) over seeds | 95% CI covers "
          "truth | reverse: mean, max abs |")
    print("|---|---|---|---|---|")
    for c, te, mean, sd, covered, rmean, rmax, n in synthetic():
        print(f"| {c} | {te:.4f} | {mean:+.4f} ({sd:.4f}) | {covered}/{n} | {rmean:+.4f}, "
              f"{rmax:.4f} |")


if __name__ == "__main__":
    main()
