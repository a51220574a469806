"""Multimodal VAEs on the digits pairing (a digit d with an image of (d + 1) mod 10).

Trains the multimodal models (or those named) on scikit-learn's digits with a paired
fraction f (the rest of the data unpaired, one modality per example) under a protocol
(``--protocol multivae``: MultiVae's 512-512 MLPs for 150 epochs; ``short``, the default:
128-128 MLPs for --steps steps), prints the coherence table (cross a->b and b->a with a
posterior draw and with the posterior mean, joint, a linear probe on the latent of a, the
importance-weighted ln p(a, b), training steps/s), saves a PNG grid of conditional generations
and exports each model to saved_models/multimodal_digits_<model>/<version>/ with a signature
per generation direction and one for joint sampling.

    python apps/multimodal_digits.py --paired-fraction 0.25
    python apps/multimodal_digits.py --models MVAE --strategy mirrored --checkpoint-dir ck

``--strategy`` trains under tf.distribute (the batch stays the global batch; with
``multiworker`` every worker runs the same command and only the chief keeps the exports);
``--checkpoint-dir`` makes each model's training resumable after a kill (rerun the same
command); a NaN or Inf loss stops with the last good weights and a one-line error.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ibtf.cli  # noqa: E402,F401  (silences TensorFlow's start-up log lines before its import)
import numpy as np  # noqa: E402

from ibtf.data import digits_pairs, with_paired_fraction  # noqa: E402
from ibtf.distribute import STRATEGIES, check_strategy  # noqa: E402
from ibtf.models.multimodal import protocol  # noqa: E402
from ibtf.models.multimodal.plots import plot_generations  # noqa: E402
from ibtf.resume import NonFiniteLossError, check_checkpoint_dir  # noqa: E402
from ibtf.serving import export  # noqa: E402


def save_grid(path, models, test, columns=10):
    """One test example of each digit; rows: input a, then each model's b generated from a."""
    pick = [int(np.flatnonzero(test.labels == d)[0]) for d in range(columns)]
    plot_generations(path, models, {"a": test.inputs["a"][pick]}, [("a", "b")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--paired-fraction", type=float, default=1.0,
                        help="fraction of the training pairs kept paired, in (0, 1]; the rest "
                             "enter unpaired, one modality per example")
    parser.add_argument("--models", nargs="+", default=list(protocol.MODELS),
                        choices=list(protocol.MODELS), metavar="MODEL",
                        help=f"models to train, of {', '.join(protocol.MODELS)}")
    parser.add_argument("--protocol", default="short", choices=list(protocol.PROTOCOLS),
                        help="multivae: MultiVae's setting (512-512 MLPs, 150 epochs); short: "
                             "128-128 MLPs and --steps optimizer steps")
    parser.add_argument("--steps", type=int, default=1500, help="optimizer steps (short)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the protocol's epochs")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the pairing split and of training")
    parser.add_argument("--grid", default="multimodal_digits_generations.png",
                        help="PNG of a->b generations, one test digit per column")
    parser.add_argument("--out", default="saved_models", help="export base directory")
    parser.add_argument("--strategy", default="default", choices=list(STRATEGIES),
                        help="tf.distribute strategy (multiworker reads TF_CONFIG)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="resumable checkpoints, one subdirectory per model (rerun the "
                             "same command after a kill)")
    parser.add_argument("--checkpoint-every", type=int, default=None,
                        help="checkpoint every N optimizer steps (None: every epoch)")
    args = parser.parse_args(argv)
    try:
        check_strategy(args.strategy)
        check_checkpoint_dir(args.checkpoint_dir)
        if args.checkpoint_every is not None and args.checkpoint_every < 1:
            raise ValueError(f"--checkpoint-every {args.checkpoint_every} must be >= 1")
        train_data, test = digits_pairs(seed=0)
        data = with_paired_fraction(train_data, args.paired_fraction, seed=args.seed)
    except (ValueError, TypeError, NotADirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    judges = protocol.make_classifiers(train_data, args.protocol)
    print(f"f = {args.paired_fraction:g}: {int(data.mask.all(1).sum())} pairs, "
          f"{int((data.mask.sum(1) == 1).sum())} unpaired rows; protocol {args.protocol}\n")
    print("| model | a->b | b->a | joint | a->b (mean z) | b->a (mean z) | probe(a) | "
          "IW ln p(a,b), K=100 | steps/s | export |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    trained, rows = [], {}
    for name in args.models:
        steps = args.steps if args.protocol == "short" else None
        checkpoint_dir = None if args.checkpoint_dir is None else \
            os.path.join(args.checkpoint_dir, name.lower())
        try:
            model, info = protocol.train(name, data, args.protocol, args.seed,
                                         epochs=args.epochs, steps=steps,
                                         strategy=args.strategy, checkpoint_dir=checkpoint_dir,
                                         checkpoint_every=args.checkpoint_every)
        except NonFiniteLossError as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            return 2
        trained.append((name, model))
        r = {**info, **protocol.evaluate(model, train_data, test, judges)}
        path = export(model, args.out, f"multimodal_digits_{name.lower()}",
                      metadata={"paired_fraction": args.paired_fraction,
                                "protocol": args.protocol, "steps": info["steps"]})
        iw = "-" if r["iwll"] is None else f"{r['iwll']:.1f}"
        cells = [f"{r[k]:.3f}" for k in ("a_to_b_sample", "b_to_a_sample", "joint",
                                         "a_to_b_mean", "b_to_a_mean", "probe_a")]
        print(f"| {name} | " + " | ".join(cells) + f" | {iw} | {r['steps_per_s']:.0f} | "
              f"{path} |", flush=True)
        rows[name] = r
    save_grid(args.grid, trained, test)
    print(f"\ngenerations a->b: {args.grid}")
    print(json.dumps({"paired_fraction": args.paired_fraction, "protocol": args.protocol,
                      "models": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
