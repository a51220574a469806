"""Cross coherence against the paired fraction f, one line per model (a PNG for the README).

Reads the results files of ``benchmarks.multimodal_coherence``: the MultiVae protocol
(``multimodal_multivae.json``: sampled-z cross coherence, mean of a->b and b->a, mean over
seeds) and, where present, the earlier short protocol (``multimodal_coherence.json``, dashed).
Only the models named by ``--models`` are drawn (variants such as "MEME-g1" or "MVAE-softplus"
stay in the JSON and the tables).
Usage: python -m benchmarks.multimodal_plot [--out benchmarks/results/multimodal_coherence_vs_f.png]
"""
import argparse
import json
import os

import numpy as np


# MMVAE-floor1e-4: the MMVAE rows measured before the expert scale floor moved to 1e-6 (the
# f < 1 cells; results/multimodal.md 2i), drawn as their own line.
MODELS = ("MVAE", "MMVAE", "MMVAE-floor1e-4", "MoPoE", "MEME", "Wyner", "MMALI")


def _curves(path, keys, models=MODELS):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = json.load(f)
    out = {}
    for r in rows:
        if r["model"] not in models:
            continue
        value = np.mean([r[k] for k in keys])
        out.setdefault(r["model"], {}).setdefault(r["f"], []).append(value)
    return {m: sorted((f, float(np.mean(v))) for f, v in d.items()) for m, d in out.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--multivae", default="benchmarks/results/multimodal_multivae.json")
    parser.add_argument("--short", default="benchmarks/results/multimodal_coherence.json")
    parser.add_argument("--out", default="benchmarks/results/multimodal_coherence_vs_f.png")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8.4, 4.2))
    colors = {}
    for path, keys, style, tag in (
            (args.multivae, ("a_to_b_sample", "b_to_a_sample"), "-o", "MultiVae protocol"),
            (args.short, ("a_to_b", "b_to_a"), "--x", "short protocol")):
        for model, points in _curves(path, keys, args.models).items():
            f, c = zip(*points)
            color = colors.setdefault(model, f"C{len(colors)}")
            ax.plot(f, c, style, color=color, label=f"{model} ({tag})", alpha=0.9)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("paired fraction f")
    ax.set_ylabel("cross coherence (sampled z, mean of a->b, b->a)")
    ax.axhline(0.1, color="grey", lw=0.5)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title("digits pairing: coherence vs paired fraction")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(json.dumps({"png": args.out}))


if __name__ == "__main__":
    main()
