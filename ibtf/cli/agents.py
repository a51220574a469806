"""``ibtf agents collect``: paired streams from a tf-agents environment and policy.

    ibtf agents collect --env CartPole-v1 --policy random --steps 4000 --seed 0 --out pole.csv
    ibtf forecast fit pole.csv --id-col episode --time-col step --source action \\
        --target obs_1 --history 4
    (--placebo adds placebo_action, an independent run's actions: --source placebo_action)
"""
import argparse
import json
import os

__all__ = ["add_parser", "run_collect"]

COLUMNS_HELP = ("Writes one row per step with the columns: episode (0, 1, ...; a new one at "
                "each reset), step (within the episode, from 0), action (taken after seeing "
                "this row's observation; its effect shows in the next row), reward (earned by "
                "that action), obs_0 .. obs_{k-1} (the observation vector; CartPole: cart "
                "position, cart velocity, pole angle, pole angular velocity).")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "agents", help="paired streams from tf-agents environments (needs ibtf[agents])",
        description="Runs a tf-agents environment (suite_gym) and policy through a driver into "
                    "a replay buffer, and writes the steps as a CSV of paired streams.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    collect = sub.add_parser("collect", help="run an environment and policy, write rows",
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                             description=COLUMNS_HELP)
    collect.add_argument("--env", default="CartPole-v1", help="gym environment id")
    collect.add_argument("--policy", default="random", help="policy: random")
    collect.add_argument("--steps", type=int, default=1000, help="driver steps")
    collect.add_argument("--seed", type=int, default=0)
    collect.add_argument("--keep-partial", action="store_true",
                         help="keep the last episode when the steps ran out inside it")
    collect.add_argument("--placebo", action="store_true",
                         help="add a column placebo_action: the actions of an independent run of "
                              "the same environment and policy (another seed), a source that "
                              "carries no information about the observations by construction")
    collect.add_argument("--out", required=True, help="CSV file to write")
    collect.set_defaults(func=run_collect)


def run_collect(args):
    from ibtf.streams.agents import POLICIES
    if args.policy not in POLICIES:
        raise ValueError(f"--policy {args.policy!r} is not known: use one of {POLICIES}")
    if args.steps < 2:
        raise ValueError(f"--steps must be an integer >= 2, got {args.steps}")
    if not args.out.lower().endswith(".csv"):
        raise ValueError(f"--out must name a .csv file, got {args.out!r}")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"the folder of --out {args.out!r} does not exist: create it")
    from ibtf._keras import tf
    tf.get_logger().setLevel("ERROR")
    from ibtf.streams.agents import buffer_rows, collect
    rows = buffer_rows(collect(args.env, args.policy, args.steps, args.seed))
    partial = 0
    last = rows["episode"].iloc[-1]
    if not args.keep_partial and rows["episode"].nunique() > 1:
        # An episode is complete when its last row is terminal: the next row starts anew.
        partial = int((rows["episode"] == last).sum())
        rows = rows[rows["episode"] != last]
    if args.placebo:
        from ibtf.streams.agents import placebo_actions
        rows = rows.assign(placebo_action=placebo_actions(rows, args.env, args.policy,
                                                          args.seed)["action"].to_numpy())
    tmp = args.out + ".tmp"
    rows.to_csv(tmp, index=False)
    os.replace(tmp, args.out)
    obs = [c for c in rows.columns if c.startswith("obs_")]
    print(json.dumps({"out": args.out, "rows": len(rows), "episodes": int(rows["episode"]
                                                                          .nunique()),
                      "dropped_partial_rows": partial, "observation_columns": obs,
                      "mean_episode_length": float(rows.groupby("episode").size().mean())}))
    return 0
