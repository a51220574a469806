"""Multimodal VAEs on the digits pairing (a digit d with an image of (d + 1) mod 10).

Trains MVAE, MMVAE, MoPoE and MEME (or those named) on scikit-learn's digits with a paired
fraction f (the rest of the data unpaired, one modality per example), prints the coherence
table (cross a->b and b->a, joint, a linear probe on the latent of a, the importance-weighted
ln p(a, b)), saves a PNG grid of conditional generations and exports each model to
saved_models/multimodal_digits_<model>/<version>/ with a signature per generation direction
and one for joint sampling.

    python apps/multimodal_digits.py --paired-fraction 0.25
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.callbacks import BetaSchedule  # noqa: E402
from ibtf.data import digits_pairs, with_paired_fraction  # noqa: E402
from ibtf.metrics import (cross_coherence, joint_coherence, latent_probe_accuracy,  # noqa: E402
                          unimodal_classifier)
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE  # noqa: E402
from ibtf.models.multimodal.plots import plot_generations  # noqa: E402
from ibtf.distribute import STRATEGIES, check_strategy, get_strategy, is_chief  # noqa: E402
from ibtf.resume import check_checkpoint_dir, training_callbacks  # noqa: E402
from ibtf.serving import export  # noqa: E402

MODELS = {"MVAE": (MVAE, {}), "MMVAE": (MMVAE, {"num_samples": 8}), "MoPoE": (MoPoE, {}),
          "MEME": (MEME, {"num_pseudo_samples": 32})}


def train(name, data, steps, seed, strategy="default", checkpoint_dir=None):
    """Fits one model; ``strategy`` splits the global batch of 64 across replicas and
    ``checkpoint_dir`` makes the fit resumable after a kill (ibtf.distribute, ibtf.resume)."""
    cls, kwargs = MODELS[name]
    mods = [Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name="a",
                     seed=seed),
            Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name="b",
                     seed=seed + 1000)]
    keras.utils.set_random_seed(seed)
    with get_strategy(strategy).scope():
        model = cls(mods, latent_dim=16, seed=seed, **kwargs)
        model.compile(keras.optimizers.Adam(1e-3))
    epochs = max(1, int(round(steps * 64 / len(data))))
    resume = training_callbacks(
        None if checkpoint_dir is None else os.path.join(checkpoint_dir, name.lower()))
    model.fit(data.as_dict(), epochs=epochs, batch_size=64, verbose=0,
              callbacks=[BetaSchedule(1.0, "linear", warmup_steps=max(1, steps // 3)), *resume])
    return model


def save_grid(path, models, test, columns=10):
    """One test example of each digit; rows: input a, then each model's b generated from a."""
    pick = [int(np.flatnonzero(test.labels == d)[0]) for d in range(columns)]
    plot_generations(path, models, {"a": test.inputs["a"][pick]}, [("a", "b")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--paired-fraction", type=float, default=1.0,
                        help="fraction of training rows with both modalities")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", default="multimodal_digits_generations.png")
    parser.add_argument("--out", default="saved_models", help="export base directory")
    parser.add_argument("--strategy", choices=STRATEGIES, default="default",
                        help="tf.distribute strategy (the global batch of 64 is split across "
                             "replicas; multiworker reads TF_CONFIG, only the chief exports)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="checkpoint each model's fit here; rerun to resume after a kill")
    args = parser.parse_args(argv)
    try:
        check_strategy(args.strategy)
        check_checkpoint_dir(args.checkpoint_dir)
        train_data, test = digits_pairs(seed=0)
        data = with_paired_fraction(train_data, args.paired_fraction, seed=args.seed)
    except (ValueError, NotADirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    classifiers = {"a": unimodal_classifier(train_data.inputs["a"], train_data.labels),
                   "b": unimodal_classifier(train_data.inputs["b"], (train_data.labels + 1) % 10,
                                            offset=1)}
    print(f"f = {args.paired_fraction:g}: {int(data.mask.all(1).sum())} pairs, "
          f"{int((data.mask.sum(1) == 1).sum())} unpaired rows; {args.steps} steps each\n")
    print("| model | a->b | b->a | joint | probe(a) | IW ln p(a,b), K=100 | export |")
    print("|---|---|---|---|---|---|---|")
    trained = []
    for name in args.models:
        model = train(name, data, args.steps, args.seed, args.strategy, args.checkpoint_dir)
        if not is_chief():
            continue
        trained.append((name, model))
        row = [cross_coherence(model, {"a": test.inputs["a"]}, test.labels, "b",
                               classifiers["b"]),
               cross_coherence(model, {"b": test.inputs["b"]}, test.labels, "a",
                               classifiers["a"]),
               joint_coherence(model, classifiers, num_samples=1000),
               latent_probe_accuracy(model, {"a": train_data.inputs["a"]}, train_data.labels,
                                     {"a": test.inputs["a"]}, test.labels)]
        iwll = float(np.mean(model.log_likelihood(test.as_dict(), num_samples=100)))
        path = export(model, args.out, f"multimodal_digits_{name.lower()}",
                      metadata={"paired_fraction": args.paired_fraction, "steps": args.steps})
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + f" | {iwll:.1f} | "
              f"{path} |", flush=True)
    if not is_chief():
        return 0
    save_grid(args.grid, trained, test)
    print(f"\ngenerations a->b: {args.grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
