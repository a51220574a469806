"""Coherence of the multimodal models on the digits pairing at paired fractions f (the shape of
MEME's Table 3, Joy et al. 2022), with seeds, steps/s, and PNG grids of generations.

Data: scikit-learn digits (8x8 in [0, 1]) paired with another image of (d + 1) mod 10
(``ibtf.data.digits_pairs``; 1348 train / 449 test). A fraction f of the training pairs stays
paired; the rest enter unpaired, once per modality. ``--protocol multivae`` (default) is
MultiVae's setting (MLPs 64-512-512, d = 16, Bernoulli, Adam 1e-3, batch 64, 150 epochs, RBF-SVM
judges); ``--protocol short`` the earlier fast one (``ibtf.models.multimodal.protocol``).
Every finished cell is appended to the JSON file at once (a rerun skips cells already there),
so a cut-off run keeps its results; ``--table`` prints the tables from that file.
Usage: python -m benchmarks.multimodal_coherence [--seeds 3] [--fractions 1 0.25]
       [--models MVAE MMVAE MoPoE MEME Wyner MMALI] [--protocol multivae] [--json PATH]
       [--threads 2] [--table [--per-seed]]
Seeds run are 0 .. N-1 for ``--seeds N``, skipping the cells already in the JSON: with seeds 0
and 1 of a cell there, ``--seeds 3`` trains seed 2 alone.
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

KEYS = ("a_to_b_sample", "b_to_a_sample", "joint", "a_to_b_mean", "b_to_a_mean", "probe_a")


def _load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def _save(path, results):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, path)


def _cell(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ({np.std(values):.3f})"


def table(results):
    """Markdown: mean (sd over seeds) per model and f."""
    lines = ["| model | f | seeds | a->b | b->a | joint | a->b (mean z) | b->a (mean z) | "
             "probe(a) | IW ln p(a,b) | steps/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    fractions = sorted({r["f"] for r in results}, reverse=True)
    names = list(dict.fromkeys(r["model"] for r in results))
    for f in fractions:
        for name in names:
            rows = [r for r in results if r["model"] == name and r["f"] == f]
            if not rows:
                continue
            iw = [r["iwll"] for r in rows if r.get("iwll") is not None]
            cells = [_cell(rows, k) for k in KEYS]
            cells.append(f"{np.mean(iw):.1f}" if iw else "-")
            cells.append(f"{np.median([r['steps_per_s'] for r in rows]):.0f}")
            lines.append(f"| {name} | {f:g} | {len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_seed_table(results, models=None, fractions=None):
    """Markdown: one row per (model, f, seed), in the order of the file."""
    lines = ["| model | f | seed | sampled a->b / b->a / joint | mean z a->b / b->a | IW ln p | "
             "steps/s | min |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if (models and r["model"] not in models) or (fractions and r["f"] not in fractions):
            continue
        iw = "-" if r.get("iwll") is None else f"{r['iwll']:.2f}"
        lines.append(
            f"| {r['model']} | {r['f']:g} | {r['seed']} | {r['a_to_b_sample']:.3f} / "
            f"{r['b_to_a_sample']:.3f} / {r['joint']:.3f} | {r['a_to_b_mean']:.3f} / "
            f"{r['b_to_a_mean']:.3f} | {iw} | {r['steps_per_s']:.1f} | "
            f"{r['train_s'] / 60:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    from ibtf.models.multimodal import protocol
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--protocol", default="multivae", choices=list(protocol.PROTOCOLS),
                        help="multivae: MultiVae's setting; short: the earlier fast one")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds 0 .. N-1 per cell (cells already in the JSON are skipped)")
    parser.add_argument("--fractions", type=float, nargs="+",
                        default=[1.0, 0.5, 0.25, 0.125, 0.0625], help="paired fractions f")
    parser.add_argument("--models", nargs="+", default=list(protocol.MODELS),
                        help="registered protocol models")
    parser.add_argument("--epochs", type=int, default=None, help="override the protocol's")
    parser.add_argument("--json", default=None,
                        help="results file (default: benchmarks/results/"
                             "multimodal_<protocol>.json)")
    parser.add_argument("--grid-dir", default="benchmarks/results",
                        help="folder for the PNG grids of generations")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra/inter-op threads (0: TensorFlow's default)")
    parser.add_argument("--table", action="store_true", help="only print the tables")
    parser.add_argument("--per-seed", action="store_true",
                        help="with --table: one row per seed, only the --models and "
                             "--fractions given")
    args = parser.parse_args(argv)
    args.json = args.json or f"benchmarks/results/multimodal_{args.protocol}.json"
    results = _load(args.json)
    if args.table:
        if args.per_seed:
            print(per_seed_table(results, args.models, args.fractions))
        else:
            print(table(results))
        return
    if args.threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    unknown = sorted(set(args.models) - set(protocol.MODELS))
    if unknown:
        raise ValueError(f"--models has unknown names {unknown}; use {list(protocol.MODELS)}")
    from ibtf.data import digits_pairs, with_paired_fraction
    from ibtf.models.multimodal.plots import plot_generations
    train_data, test = digits_pairs(seed=0)
    judges = protocol.make_classifiers(train_data, args.protocol)
    for key in ("a", "b"):
        acc = np.mean(judges[key](test.inputs[key]) == test.labels)
        print(f"classifier {key}: held-out accuracy {acc:.3f}", flush=True)
    done = {(r["model"], r["f"], r["seed"], r.get("protocol")) for r in results}
    for fraction in args.fractions:
        shown = []
        for seed in range(args.seeds):
            data = with_paired_fraction(train_data, fraction, seed=seed)
            for name in args.models:
                if (name, fraction, seed, args.protocol) in done:
                    continue
                model, info = protocol.train(name, data, args.protocol, seed,
                                             epochs=args.epochs)
                r = {"model": name, "f": fraction, "seed": seed, "protocol": args.protocol,
                     **info, **protocol.evaluate(model, train_data, test, judges)}
                results.append(r)
                _save(args.json, results)
                print(json.dumps(r), flush=True)
                if seed == 0:
                    shown.append((name, model))
        if shown and fraction in (1.0, 0.25, 0.0625):
            rows = 8
            inputs = {name: test.inputs[name][:rows] for name in ("a", "b")}
            os.makedirs(args.grid_dir, exist_ok=True)
            plot_generations(os.path.join(args.grid_dir,
                                          f"multimodal_generations_f{fraction:g}.png"),
                             shown, inputs, [("a", "b"), ("b", "a")])
    print(table([r for r in results if r.get("protocol") == args.protocol]))


if __name__ == "__main__":
    main()
