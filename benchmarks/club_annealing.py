"""CLUB: a constant encoder learning rate against the cosine annealing, over batch orders.

    python -m benchmarks.club_annealing --runs ceb:2:10:2 ceb:2:10:12 ... [--out FILE]

Each run is MODE:SEED:LAMBDA:ORDER: the model and data of SEED (full settings: n = 12000,
beta 1e-3, 30 epochs, batch 256) with the batch order drawn from seed ORDER, trained once with
the encoder at a constant Adam 1e-3 (``encoder_annealing="none"``) and once annealed to 0 along
a cosine (``"cosine"``, CLUBModel's default). For each: the s-probe of the zoo's full sweep on
the released code (3 restarts of the 64-64 MLP, 50000 fresh rows) minus chance, and the online
sensitive head's own accuracy on the same codes minus chance (the critic's view at the end of
training). A probe far above the head's figure means the encoder left the head behind.
"""
import argparse
import json
import time

import numpy as np


def run(mode, seed, lam, order, annealing):
    from ibtf._keras import keras
    from ibtf.data.planted import planted_sensitive
    from ibtf.metrics.fairness import base_rate, probe_accuracy_restarts
    from ibtf.models.fair.zoo_checks import train_club
    from ibtf.models.zoo.helpers import seed_everything

    train = planted_sensitive(12000, seed=seed)
    test = planted_sensitive(50000, seed=seed + 1000)
    seed_everything(order)
    start = time.time()
    model = train_club(train, mode, lam, 1e-3, seed, 30, encoder_annealing=annealing)
    seconds = time.time() - start
    z_train = np.asarray(model.sample_codes(train.x, 0))
    z_test = np.asarray(model.sample_codes(test.x, 1))
    chance = base_rate(test.s)
    head = np.asarray(model._adversary(z_test, test.u)).argmax(-1)
    probe, se, _ = probe_accuracy_restarts(z_train, train.s, z_test, test.s,
                                           seeds=[seed, seed + 1, seed + 2])
    u_acc = float(np.mean(model.predict_utility(test.x).numpy().argmax(-1) == test.u)) \
        if model.utility == "classify" else float("nan")
    keras.backend.clear_session()
    return dict(mode=mode, seed=seed, lam=lam, order=order, encoder_annealing=annealing,
                s_probe_excess=round(probe - chance, 4), se=round(se, 4),
                head_excess=round(float(np.mean(head == test.s)) - chance, 4),
                u_acc=round(u_acc, 4), train_seconds=round(seconds))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--runs", nargs="+", metavar="MODE:SEED:LAMBDA:ORDER",
                        default=["ceb:2:10:2", "ceb:2:10:12", "ceb:2:10:22", "ceb:1:10:1",
                                 "ceb:1:10:11"], help="the runs")
    parser.add_argument("--out", default="benchmarks/results/zoo_part2_annealing_raw.md",
                        help="markdown file the JSON rows are appended to")
    args = parser.parse_args(argv)
    for spec in args.runs:
        mode, seed, lam, order = spec.split(":")
        for annealing in ("none", "cosine"):
            line = json.dumps(run(mode, int(seed), float(lam), int(order), annealing))
            print(line, flush=True)
            with open(args.out, "a") as f:
                f.write(f"    {line}\n")


if __name__ == "__main__":
    main()
