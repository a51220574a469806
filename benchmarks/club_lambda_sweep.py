"""CLUB: the s-probe and u accuracy of every configuration as lambda grows, one row per run.

    python -m benchmarks.club_lambda_sweep --modes ceb deterministic_ib --seeds 0 1 2 \
        --lambdas 0 3 10 30 [--lambdas-pf 0 30 100 300] [--leakage vclub] [--quick]

Each (configuration, seed, lambda) is ``club_experiment`` at that one lambda: since every lambda
is trained after reseeding with the seed, a row is the same whether it runs alone or inside the
full sweep (and the registered check). The s-probe is ``PROBE_PRECISION``'s (full: the mean of 3
restarts of the 64-64 MLP probe on 50000 fresh rows). Rows are appended to ``--out`` as they
finish, so an interrupted run keeps its rows; lambda = 0 is each configuration unconstrained,
the reference for u accuracy (within 0.03) of the issue's rule.
"""
import argparse
import time

from ibtf.models.fair.zoo_checks import SWEEP_MODES

HEADER = ("| configuration | seed | leakage | beta | lambda | u accuracy | s-probe (sampled z) | "
          "s-probe restarts | s-probe (posterior mean) | chance | s-probe − chance | seconds |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def row(mode, seed, lam, quick=False, leakage="vclub"):
    """One markdown row for `mode` at `seed` and `lam` (and the figures as a dict)."""
    from ibtf.models.fair.zoo_checks import club_experiment

    start = time.time()
    result = club_experiment(quick, seed, mode, lambdas=(float(lam),), leakage=leakage)
    r = result["lambdas"][float(lam)]
    excess = r["s_probe"] - result["base_rate"]
    runs = " ".join(f"{a:.4f}" for a in r["s_probe_runs"])
    line = (f"| {mode} | {seed} | {leakage} | {result['beta']:g} | {lam:g} | {r['u_acc']:.4f} ± "
            f"{r['u_acc_se']:.4f} | {r['s_probe']:.4f} ± {r['s_probe_se']:.4f} | {runs} | "
            f"{r['s_probe_mean']:.4f} | {result['base_rate']:.4f} | {excess:+.4f} | "
            f"{time.time() - start:.0f} |")
    return line, dict(r, excess=excess, chance=result["base_rate"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--modes", nargs="+", choices=SWEEP_MODES, default=SWEEP_MODES,
                        help="the CLUB configurations")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="model seeds")
    parser.add_argument("--lambdas", nargs="+", type=float, default=[0.0, 3.0, 10.0, 30.0],
                        help="leakage weights (all configurations but the privacy funnel)")
    parser.add_argument("--lambdas-pf", nargs="+", type=float, default=[0.0, 30.0, 100.0, 300.0],
                        help="the privacy funnel's leakage weights (its utility loss is ~10x)")
    parser.add_argument("--leakage", choices=("vclub", "jsd", "ratio"), default="vclub",
                        help="the estimator of I(Z; S) that lambda weighs")
    parser.add_argument("--quick", action="store_true",
                        help="the quick check's settings (n = 8000, beta 3e-3, one probe)")
    parser.add_argument("--order", choices=("lambda", "mode"), default="lambda",
                        help="run all (mode, seed) at one lambda before the next, or per mode")
    parser.add_argument("--jobs", nargs="+", default=None, metavar="MODE:SEED:LAMBDA[:LEAKAGE]",
                        help="run exactly these (configuration, seed, lambda, and leakage if not "
                             "--leakage), in this order, instead of the grid")
    parser.add_argument("--out", default="benchmarks/results/zoo_part2_lambda_raw.md",
                        help="markdown file the rows are appended to")
    args = parser.parse_args(argv)
    import os
    import platform
    if not os.path.exists(args.out):
        with open(args.out, "w") as f:
            f.write(f"# CLUB lambda sweep, one row per run\n\n2-core CPU shared with other jobs "
                    f"({platform.machine()}), no GPU; started "
                    f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. `python -m "
                    f"benchmarks.club_lambda_sweep`.\n\n{HEADER}\n")

    def grid(mode):
        return args.lambdas_pf if mode == "privacy_funnel" else args.lambdas

    jobs = [(m, s, lam, args.leakage) for m in args.modes for s in args.seeds
            for lam in grid(m)]
    if args.order == "lambda":
        jobs.sort(key=lambda j: grid(j[0]).index(j[2]))
    if args.jobs:
        jobs = [(j[0], int(j[1]), float(j[2]), j[3] if len(j) > 3 else args.leakage)
                for j in (spec.split(":") for spec in args.jobs)]
        unknown = sorted({j[0] for j in jobs} - set(SWEEP_MODES))
        if unknown:
            raise SystemExit(f"--jobs names {unknown}; configurations are {SWEEP_MODES}")
    for mode, seed, lam, leakage in jobs:
        line, _ = row(mode, seed, lam, args.quick, leakage)
        print(line, flush=True)
        with open(args.out, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
