"""Is ibtf's model at parity with MultiVae's own run of it? Seeds of both sides, per column:
means, sample sd, Welch's t and a 95% interval for the difference (ibtf - MultiVae).

Reads the coherence benchmark's JSON (``multimodal_coherence``, rows ``model``) and the judged
MultiVae dumps (``multimodal_multivae_reference judge --json``, rows ``MultiVae-<model>``).
Usage: python -m benchmarks.multimodal_parity [--model MMVAE] [--fraction 0.25]
       [--reference-model MultiVae-MMVAE] [--ibtf-json P] [--reference-json P]
       [--issue 0.62 0.62 0.79]
"""
import argparse
import json

import numpy as np

COLUMNS = (("a_to_b_sample", "a->b"), ("b_to_a_sample", "b->a"), ("joint", "joint"),
           ("a_to_b_mean", "a->b mean z"), ("b_to_a_mean", "b->a mean z"))


def welch(x, y, level=0.95):
    """Welch's two-sample comparison of mean(x) - mean(y): t, the Welch-Satterthwaite degrees of
    freedom and the two-sided ``level`` interval for the difference (sample sd, ddof = 1)."""
    from scipy import stats
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2 or y.size < 2:
        raise ValueError(f"welch needs >= 2 values per side; x has {x.size}, y has {y.size}")
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    diff = x.mean() - y.mean()
    se = float(np.sqrt(vx + vy))
    df = (vx + vy) ** 2 / (vx ** 2 / (x.size - 1) + vy ** 2 / (y.size - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return {"n_x": int(x.size), "mean_x": float(x.mean()), "sd_x": float(x.std(ddof=1)),
            "n_y": int(y.size), "mean_y": float(y.mean()), "sd_y": float(y.std(ddof=1)),
            "diff": float(diff), "se": se, "t": float(diff / se), "df": float(df),
            "low": float(diff - half), "high": float(diff + half)}


def seeds_per_side(sd, delta, level=0.95, power=0.8):
    """Seeds per side for a two-sided test at ``level`` to detect a true difference ``delta``
    with probability ``power`` when each seed's sd is ``sd`` (normal approximation:
    n = 2 (z_{(1+level)/2} + z_power)^2 sd^2 / delta^2; 16 sd^2 / delta^2 at 95% and 80%)."""
    from scipy import stats
    z = stats.norm.ppf(0.5 + level / 2) + stats.norm.ppf(power)
    return int(np.ceil(2 * z ** 2 * sd ** 2 / delta ** 2))


def select(results, model, fraction, protocol=None):
    """Rows of ``model`` at paired fraction ``fraction``, sorted by seed (one row per seed)."""
    rows = [r for r in results if r.get("model") == model and abs(r["f"] - fraction) < 1e-9
            and (protocol is None or r.get("protocol", protocol) == protocol)]
    seeds = [r["seed"] for r in rows]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{model} at f = {fraction:g} has repeated seeds {sorted(seeds)}")
    return sorted(rows, key=lambda r: r["seed"])


def per_seed_table(ours, theirs, names=("ibtf", "MultiVae")):
    """Markdown: one row per (side, seed): sampled a->b / b->a / joint and mean z."""
    lines = ["| side | seed | sampled a->b / b->a / joint | mean z a->b / b->a |",
             "|---|---|---|---|"]
    for name, rows in zip(names, (ours, theirs)):
        for r in rows:
            lines.append(f"| {name} | {r['seed']} | {r['a_to_b_sample']:.3f} / "
                         f"{r['b_to_a_sample']:.3f} / {r['joint']:.3f} | "
                         f"{r['a_to_b_mean']:.3f} / {r['b_to_a_mean']:.3f} |")
    return "\n".join(lines)


def comparison_table(ours, theirs, issue=None, names=("ibtf", "MultiVae")):
    """Markdown: per column, each side's mean (sd) over seeds, the difference with Welch's t,
    its degrees of freedom and 95% interval; with ``issue`` (figures for the first columns),
    each side's mean minus that figure."""
    head = (f"| column | {names[0]} mean (sd), n | {names[1]} mean (sd), n | difference | "
            "Welch t (df) | 95% interval |")
    lines = [head + (" ibtf - issue | MultiVae - issue |" if issue else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if issue else "")]
    for i, (key, label) in enumerate(COLUMNS):
        w = welch([r[key] for r in ours], [r[key] for r in theirs])
        line = (f"| {label} | {w['mean_x']:.3f} ({w['sd_x']:.3f}), {w['n_x']} | "
                f"{w['mean_y']:.3f} ({w['sd_y']:.3f}), {w['n_y']} | {w['diff']:+.3f} | "
                f"{w['t']:+.2f} ({w['df']:.1f}) | [{w['low']:+.3f}, {w['high']:+.3f}] |")
        if issue:
            if i < len(issue):
                line += f" {w['mean_x'] - issue[i]:+.3f} | {w['mean_y'] - issue[i]:+.3f} |"
            else:
                line += " | |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default="MMVAE", help="ibtf's rows")
    parser.add_argument("--reference-model", default=None,
                        help="MultiVae's rows (default MultiVae-<model>)")
    parser.add_argument("--fraction", type=float, default=0.25, help="paired fraction f")
    parser.add_argument("--ibtf-json", default="benchmarks/results/multimodal_multivae.json",
                        help="the coherence benchmark's results")
    parser.add_argument("--reference-json",
                        default="benchmarks/results/multimodal_multivae_own.json",
                        help="the judged MultiVae dumps")
    parser.add_argument("--issue", type=float, nargs="*", default=None,
                        help="the issue's MultiVae figures for a->b, b->a, joint")
    parser.add_argument("--delta", type=float, default=0.01,
                        help="print the seeds per side that would resolve this difference")
    args = parser.parse_args(argv)
    with open(args.ibtf_json) as f:
        ours = select(json.load(f), args.model, args.fraction, protocol="multivae")
    with open(args.reference_json) as f:
        theirs = select(json.load(f), args.reference_model or f"MultiVae-{args.model}",
                        args.fraction)
    print(per_seed_table(ours, theirs))
    print()
    print(comparison_table(ours, theirs, args.issue))
    print()
    summary = {"model": args.model, "fraction": args.fraction}
    for key, label in COLUMNS:
        w = welch([r[key] for r in ours], [r[key] for r in theirs])
        sd = float(np.sqrt((w["sd_x"] ** 2 + w["sd_y"] ** 2) / 2))
        print(f"{label}: seed sd (both sides) {sd:.3f}; seeds per side to detect "
              f"{args.delta:g} (95%, power 0.8): {seeds_per_side(sd, args.delta)}")
        summary[key] = {k: w[k] for k in ("diff", "t", "df", "low", "high")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
