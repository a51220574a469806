"""CartPole: how much do an agent's actions transfer to its next observations?

Runs tf-agents' CartPole-v1 (suite_gym) with a random policy through a driver into a replay
buffer, then, for each observation dimension j, fits a target-only and a TEB forecaster on
windows taken straight from the buffer (episodes never mixed) and reports the held-out
transfer TE(action -> obs_j) in nats per step with its block-bootstrap interval and the
surrogate test's p-value (`fit_teb`'s joint training; the short episodes are shifted as a panel,
`ibtf.streams.surrogates`). Whole episodes are held out (`PairedStreams(split_by="auto")` picks
"series" for this panel of ~20-step episodes): a per-episode cut would score only the steps
before each episode ends, states the training windows never reach. A transfer is claimed only
when the interval excludes 0 and p < 0.05. The placebo takes the actions of an independent run
of the same policy (`ibtf.streams.agents.placebo_actions`: no information about these
observations by construction) and must show none. The plot: transfer per dimension, actions vs
placebo.

CartPole's Euler step moves the velocities (obs_1 cart, obs_3 pole) by the action's force at
the next step, and the positions (obs_0, obs_2) only through those velocities a step later.

    python apps/agents_cartpole.py --steps 4000 --epochs 20 --out cartpole_out
"""
import argparse
import json
import os
import sys

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--steps", type=int, default=4000, help="driver steps")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--history", type=int, default=4)
    parser.add_argument("--surrogates", type=int, default=39,
                        help="surrogate refits per fit for the p-value (0 skips the test)")
    parser.add_argument("--distribution", default="normal",
                        help="predictive family (fit_teb; 'auto' picks a two-component mixture "
                             "here, with which placebo and surrogates gain ~0.5 nats alike)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="cartpole_out", help="folder for the plot and CSV")
    parser.add_argument("--strategy", default="default",
                        choices=("default", "mirrored", "multiworker"),
                        help="tf.distribute strategy of the fits (multiworker reads TF_CONFIG)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="checkpoint the fits here (one subdirectory each); rerun the same "
                             "command after a kill to resume")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")      # before TensorFlow loads
    from ibtf.distribute import check_strategy
    from ibtf.resume import check_checkpoint_dir
    try:
        check_strategy(args.strategy)
        check_checkpoint_dir(args.checkpoint_dir)
    except (ValueError, TypeError, NotADirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)

    from ibtf._keras import tf
    tf.get_logger().setLevel("ERROR")
    from ibtf.models.teb import fit_teb, transfer_report
    from ibtf.streams import PairedStreams
    from ibtf.streams.agents import buffer_rows, collect, placebo_actions

    buffer = collect("CartPole-v1", "random", steps=args.steps, seed=args.seed)
    rows = buffer_rows(buffer)
    rows = rows[rows["episode"] != rows["episode"].iloc[-1]]      # drop the unfinished episode
    rows.to_csv(os.path.join(args.out, "cartpole.csv"), index=False)
    placebo = placebo_actions(rows, "CartPole-v1", "random", seed=args.seed)
    obs = [c for c in rows.columns if c.startswith("obs_")]
    table = {}
    for name, frame in (("actions", rows), ("placebo", placebo)):
        for col in obs:
            streams = PairedStreams(frame, time_col="step", id_col="episode",
                                    source_cols="action", target_cols=col,
                                    history=args.history, horizon=1)
            checkpoint = None if args.checkpoint_dir is None else \
                os.path.join(args.checkpoint_dir, f"{name}_{col}")
            report = transfer_report(fit_teb(streams, epochs=args.epochs, seed=args.seed,
                                             surrogates=args.surrogates,
                                             distribution=args.distribution,
                                             strategy=args.strategy,
                                             checkpoint_dir=checkpoint), "test")
            table[(name, col)] = report
            print(f"{name:8s} {report.summary().splitlines()[0]}", flush=True)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(obs))
    for k, name in enumerate(("actions", "placebo")):
        est = np.array([table[(name, c)].transfer_nats for c in obs])
        lo = np.array([table[(name, c)].ci[0] for c in obs])
        hi = np.array([table[(name, c)].ci[1] for c in obs])
        ax.bar(x + (k - 0.5) * 0.38, est, 0.38, yerr=[est - lo, hi - est], capsize=3,
               label="actions (as taken)" if name == "actions" else
               "placebo (an independent run's actions)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, ["cart position", "cart velocity", "pole angle", "pole ang. velocity"])
    ax.set_ylabel("transfer, nats per step (95% CI)")
    ax.set_title(f"CartPole-v1, random policy: TE(action -> next observation), {len(rows)} rows")
    ax.legend()
    fig.tight_layout()
    plot = os.path.join(args.out, "cartpole_transfer.png")
    fig.savefig(plot, dpi=120)
    summary = {"rows": len(rows), "episodes": int(rows["episode"].nunique()), "plot": plot,
               "seed": args.seed, "split_by": streams.split_by,
               "transfer_nats": {f"{n}:{c}": table[(n, c)].transfer_nats for n, c in table},
               "transfer_ci": {f"{n}:{c}": list(table[(n, c)].ci) for n, c in table},
               "transfer_p": {f"{n}:{c}": table[(n, c)].p_value for n, c in table},
               "supported": {f"{n}:{c}": table[(n, c)].supported for n, c in table},
               "null_mean_sd": {f"{n}:{c}": [table[(n, c)].null_mean, table[(n, c)].null_sd]
                                for n, c in table},
               "rate_nats": {f"{n}:{c}": table[(n, c)].rate_nats for n, c in table}}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
