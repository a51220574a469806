"""Coherence of MVAE, MMVAE, MoPoE and MEME on the digits pairing at paired fractions f
(the shape of MEME's Table 3, Joy et al. 2022), with seeds, and PNG grids of generations.

Data: scikit-learn digits (8x8) paired with an image of (d + 1) mod 10 (``ibtf.data.
digits_pairs``; 1348 train / 449 test). A fraction f of the training pairs stays paired; the
rest enter unpaired, once per modality. Coherence is judged by logistic-regression classifiers
trained on the training images (held-out accuracy printed). All models share the same MLP
experts and decoders (64-128-128 ReLU, d = 16, Bernoulli likelihoods on intensities in [0, 1]),
Adam 1e-3, batch 64, a fixed number of optimizer steps, every loss weight 1, and beta annealed
linearly from 0 to 1 over the first third of the steps for every model (Wu & Goodman anneal
MVAE's beta; without it MVAE and MoPoE sat in posterior collapse for the first ~700 steps here).
Usage: python -m benchmarks.multimodal_coherence [--seeds 2] [--steps 2000]
       [--fractions 1 0.5 0.25 0.125 0.0625] [--out-dir benchmarks/results]
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.callbacks import BetaSchedule  # noqa: E402
from ibtf.data import digits_pairs, with_paired_fraction  # noqa: E402
from ibtf.metrics import (cross_coherence, joint_coherence, latent_probe_accuracy,  # noqa: E402
                          unimodal_classifier)
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE  # noqa: E402
from ibtf.models.multimodal.plots import plot_generations  # noqa: E402

MODELS = {"MVAE": (MVAE, {}), "MMVAE": (MMVAE, {"num_samples": 8}),
          "MoPoE": (MoPoE, {}), "MEME": (MEME, {"num_pseudo_samples": 32})}
HIDDEN = (128, 128)
LATENT = 16


def build(name, seed):
    cls, kwargs = MODELS[name]
    mods = [Modality((64,), likelihood="bernoulli", hidden_units=HIDDEN, name="a", seed=seed),
            Modality((64,), likelihood="bernoulli", hidden_units=HIDDEN, name="b",
                     seed=seed + 1000)]
    keras.utils.set_random_seed(seed)
    model = cls(mods, latent_dim=LATENT, beta=1.0, seed=seed, **kwargs)
    model.compile(keras.optimizers.Adam(1e-3))
    return model


def train(name, fraction, seed, steps, train_data):
    data = with_paired_fraction(train_data, fraction, seed=seed)
    model = build(name, seed)
    batch = 64
    epochs = max(1, int(round(steps * batch / len(data))))
    start = time.time()
    model.fit(data.as_dict(), epochs=epochs, batch_size=batch, shuffle=True, verbose=0,
              callbacks=[BetaSchedule(1.0, "linear", warmup_steps=max(1, steps // 3))])
    return model, time.time() - start, epochs * (len(data) // batch + (len(data) % batch > 0))


def evaluate(model, train_data, test, classifiers):
    labels = test.labels
    return {
        "a_to_b": cross_coherence(model, {"a": test.inputs["a"]}, labels, "b", classifiers["b"]),
        "b_to_a": cross_coherence(model, {"b": test.inputs["b"]}, labels, "a", classifiers["a"]),
        "joint": joint_coherence(model, classifiers, num_samples=1000, seed=0),
        "probe_a": latent_probe_accuracy(model, {"a": train_data.inputs["a"]}, train_data.labels,
                                         {"a": test.inputs["a"]}, labels),
        "iwll": float(np.mean(model.log_likelihood(test.as_dict(), num_samples=100))),
    }


def grid(path, models, test, rows=8):
    """Columns: 8 test examples. Rows: input a, then each model's b generated from a; input b,
    then each model's a generated from b."""
    inputs = {name: test.inputs[name][:rows] for name in ("a", "b")}
    plot_generations(path, models, inputs, [("a", "b"), ("b", "a")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--fractions", type=float, nargs="+",
                        default=[1.0, 0.5, 0.25, 0.125, 0.0625])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--out-dir", default="benchmarks/results")
    args = parser.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)

    train_data, test = digits_pairs(seed=0)
    classifiers = {"a": unimodal_classifier(train_data.inputs["a"], train_data.labels),
                   "b": unimodal_classifier(train_data.inputs["b"], (train_data.labels + 1) % 10,
                                            offset=1)}
    for key in ("a", "b"):
        acc = np.mean(classifiers[key](test.inputs[key]) == test.labels)
        print(f"classifier {key}: held-out accuracy {acc:.3f}")
    print()
    print("| model | f | seed | a->b | b->a | joint | probe(a) | IW ln p(a,b), K=100 | "
          "train s | steps |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for fraction in args.fractions:
        shown = []
        for name in args.models:
            for seed in range(args.seeds):
                model, seconds, steps = train(name, fraction, seed, args.steps, train_data)
                r = {"model": name, "f": fraction, "seed": seed, "train_s": seconds,
                     "steps": steps, **evaluate(model, train_data, test, classifiers)}
                results.append(r)
                print(f"| {name} | {fraction:g} | {seed} | {r['a_to_b']:.3f} | "
                      f"{r['b_to_a']:.3f} | {r['joint']:.3f} | {r['probe_a']:.3f} | "
                      f"{r['iwll']:.1f} | {seconds:.0f} | {steps} |", flush=True)
                if seed == 0:
                    shown.append((name, model))
        if fraction in (1.0, 0.125):
            grid(os.path.join(args.out_dir, f"multimodal_generations_f{fraction:g}.png"),
                 shown, test)
    with open(os.path.join(args.out_dir, "multimodal_coherence.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("\n### Mean (sd) over seeds\n")
    print("| model | f | a->b | b->a | joint | probe(a) |")
    print("|---|---|---|---|---|---|")
    for fraction in args.fractions:
        for name in args.models:
            rows = [r for r in results if r["model"] == name and r["f"] == fraction]
            cells = [f"{np.mean([r[k] for r in rows]):.3f} ({np.std([r[k] for r in rows]):.3f})"
                     for k in ("a_to_b", "b_to_a", "joint", "probe_a")]
            print(f"| {name} | {fraction:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
