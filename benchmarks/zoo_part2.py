"""The model zoo, part 2: every check's value against its truth, quick and full, with details.

    python -m benchmarks.zoo_part2 [--modes quick full] [--sections checks details sweep ctrl]

Runs each registered check of the privacy, fairness, multi-view, shift and rate-reduction
models (``ibtf zoo check NAME`` and ``--quick``) and the detail behind it: probes on sampled
codes and on posterior means, the unconstrained models, ERM's drop under the shift, the CLUB
lambda sweep for every configuration (full mode only), and CTRL's class-wise reconstruction on
scikit-learn digits. The raw tables go to ``--out``; benchmarks/results/zoo_part2.md is the
curated summary written from them.
"""
import argparse
import platform
import time

from ibtf.models.fair.zoo_checks import SWEEP_MODES


SECTIONS = ("checks", "details", "sweep", "estimators", "ctrl")
NAMES = ("ctrl_delta_r_orthogonal", "ctrl_delta_r_shared", "shift_invariant", "vsd_nuisance",
         "vsd_accuracy", "farcon_dp_gap", "farcon_probe", "farcon_accuracy",
         "club_vclub_bound", "club_leakage", "club_utility")


def _details(quick):
    from ibtf.models.fair.zoo_checks import (club_experiment, farcon_experiment,
                                             shift_experiment, vclub_experiment)
    from ibtf.models.multiview.zoo_checks import vsd_experiment

    lines = [f"\n### Details ({'quick' if quick else 'full'})\n"]
    club = club_experiment(quick, 0, "club")   # the cache keys of the checks
    lines += [f"CLUBModel (beta {club['beta']:g}, vCLUB leakage) on `planted_sensitive`; "
              f"s base rate {club['base_rate']:.4f}, Bayes u accuracy {club['u_bayes']:.4f}.\n",
              "| lambda | u accuracy | s-probe (sampled z) | s-probe (posterior mean) |",
              "|---|---|---|---|"]
    lines += [f"| {lam:g} | {r['u_acc']:.4f} | {r['s_probe']:.4f} | {r['s_probe_mean']:.4f} |"
              for lam, r in club["lambdas"].items()]
    lines += ["\nvCLUB (learned Gaussian q(y|x)) on correlated Gaussians, d = 2:\n",
              "| rho | vCLUB estimate | true MI | vCLUB with the true q, d rho^2/(1-rho^2) |",
              "|---|---|---|---|"]
    lines += [f"| {rho:g} | {est:.4f} | {truth:.4f} | {2 * rho**2 / (1 - rho**2):.4f} |"
              for rho, est, truth in vclub_experiment(quick, 0)]
    farcon = farcon_experiment(quick, 0)
    lines += [f"\nFarconVAE on `planted_sensitive(p_s = 0.7)`; s base rate "
              f"{farcon['base_rate']:.4f}.\n",
              "| model | y accuracy | DP gap | s-probe (sampled z_x) | s-probe (mean z_x) |",
              "|---|---|---|---|---|"]
    lines += [f"| {name} | {r['acc']:.4f} | {r['dp_gap']:.4f} | {r['s_probe']:.4f} | "
              f"{r['s_probe_mean']:.4f} |" for name, r in farcon.items() if name != "base_rate"]
    vsd = vsd_experiment(quick, 0)
    lines += [f"\nMultiViewVSD on `two_views`; nuisance chance {vsd['chance']:.4f}.\n",
              "| model | label accuracy | nuisance probe view 1 / 2 (sampled z) | "
              "(posterior mean) |", "|---|---|---|---|"]
    lines += [f"| {name} | {r['acc']:.4f} | {r['probe1']:.4f} / {r['probe2']:.4f} | "
              f"{r['probe1_mean']:.4f} / {r['probe2_mean']:.4f} |"
              for name, r in vsd.items() if name != "chance"]
    shift = shift_experiment(quick, 0)
    lines += ["\nData shift (`spurious_shift`, train agreement 0.95 / 0.6, test 0.05):\n",
              "| model | train accuracy | shifted-test accuracy |", "|---|---|---|",
              f"| oracle (invariant feature only) | - | {shift['oracle']:.4f} |"]
    lines += [f"| {name} | {r['train_acc']:.4f} | {r['test_acc']:.4f} |"
              for name, r in shift.items() if name != "oracle"]
    return lines


def _sweep(modes=None, seeds=(0,), adversary_input="raw", rule_only=False):
    """The CLUB lambda sweep of every configuration, with the issue's pass rule at the top
    (``rule_only``: lambda = 0 and the rule's largest lambda only)."""
    from ibtf.models.fair.zoo_checks import (SWEEP_LAMBDAS, SWEEP_MODES, club_experiment,
                                             club_sweep_passes)

    lines = ["\n### CLUB lambda sweep per configuration (full)\n",
             "Pass: at the largest lambda the s-probe on sampled z is within 0.03 of chance and "
             "u accuracy within 0.03 of lambda = 0 (u from the utility head; a fresh u-probe on "
             "sampled z for the reconstructing privacy funnel).\n",
             "s-probe: the mean of `PROBE_PRECISION` restarts (± its standard error); "
             "held-out rows drawn fresh from the generator.\n",
             "| configuration | seed | beta | lambda | u accuracy | s-probe (sampled z) | "
             "s-probe restarts | s-probe (posterior mean) | chance | s-probe − chance | "
             "passed (s / u) | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, seed in ((m, s) for m in modes or SWEEP_MODES for s in seeds):
        lambdas = SWEEP_LAMBDAS.get(mode, (0.0, 1.0, 3.0, 10.0))
        start = time.time()
        result = club_experiment(False, seed, mode, adversary_input=adversary_input,
                                 lambdas=(0.0, lambdas[-1]) if rule_only else None)
        verdict = "/".join("yes" if ok else "no" for ok in club_sweep_passes(result))
        for lam, r in result["lambdas"].items():
            last = lam == result["lambda_max"]
            runs = " ".join(f"{a:.4f}" for a in r["s_probe_runs"])
            lines.append(f"| {mode} | {seed} | {result['beta']:g} | {lam:g} | "
                         f"{r['u_acc']:.4f} ± {r['u_acc_se']:.4f} | {r['s_probe']:.4f} ± "
                         f"{r['s_probe_se']:.4f} | {runs} | {r['s_probe_mean']:.4f} | "
                         f"{result['base_rate']:.4f} | {r['s_probe'] - result['base_rate']:+.4f} "
                         f"| {verdict if last else ''} | "
                         f"{time.time() - start:.0f} |")
            print(lines[-1], flush=True)
    return lines


def _estimators(seeds=(0, 1, 2)):
    """The quick CLUB check (IB + leakage) with each leakage estimator, over seeds."""
    from ibtf.models.fair.zoo_checks import club_experiment, club_sweep_passes

    lines = ["\n### CLUB check with each leakage estimator (quick settings, seeds "
             f"{', '.join(map(str, seeds))})\n",
             "vclub: the checks' estimator; jsd / ratio: the package's `jsd_lower_bound` and "
             "density-ratio `classifier_loss` on the critic head(z)[s].\n",
             "| leakage | seed | chance | u accuracy λ = 0 / largest | s-probe (sampled z) "
             "λ = 0 / largest | s-probe (mean) at largest | passed (s / u) |",
             "|---|---|---|---|---|---|---|"]
    for leakage in ("vclub", "jsd", "ratio"):
        for seed in seeds:
            r = club_experiment(True, seed, "club", leakage=leakage)
            free, top = r["lambdas"][0.0], r["lambdas"][r["lambda_max"]]
            verdict = "/".join("yes" if ok else "no" for ok in club_sweep_passes(r))
            lines.append(f"| {leakage} | {seed} | {r['base_rate']:.4f} | {free['u_acc']:.4f} / "
                         f"{top['u_acc']:.4f} | {free['s_probe']:.4f} / {top['s_probe']:.4f} | "
                         f"{top['s_probe_mean']:.4f} | {verdict} |")
            print(lines[-1], flush=True)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--modes", nargs="+", choices=("quick", "full"),
                        default=["quick", "full"], help="which checks to run")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="what to run")
    parser.add_argument("--sweep-modes", nargs="+", choices=SWEEP_MODES, default=SWEEP_MODES,
                        help="the CLUB configurations the sweep runs")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0],
                        help="seeds of the sweep and of the estimator comparison")
    parser.add_argument("--adversary-input", choices=("raw", "whitened"), default="raw",
                        help="what the sweep's sensitive head reads (CLUBModel.adversary_input)")
    parser.add_argument("--rule-only", action="store_true",
                        help="sweep lambda = 0 and the pass rule's largest lambda only")
    parser.add_argument("--out", default="benchmarks/results/zoo_part2_raw.md",
                        help="markdown file, rewritten after every row")
    args = parser.parse_args(argv)
    from ibtf.models.zoo import run_check
    import tensorflow as tf

    lines = ["# Model zoo, part 2: value vs truth\n",
             f"Machine: 2-core CPU shared with other jobs ({platform.machine()}), no GPU; "
             f"TensorFlow {tf.__version__}; date {time.strftime('%Y-%m-%d', time.gmtime())}. "
             "Checks: seed 0; sweep and estimators: seeds "
             f"{', '.join(map(str, args.seeds))}. Seconds are wall time on the shared machine.\n",
             "| check | mode | value | truth | tolerance | passed | seconds |",
             "|---|---|---|---|---|---|---|"]
    modes = [mode == "quick" for mode in args.modes]

    def write():
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")

    for quick in modes if "checks" in args.sections else ():
        for name in NAMES:
            r = run_check(name, quick=quick)
            row = (f"| {name} | {'quick' if quick else 'full'} | {r.value:.6g} | {r.truth:.6g} "
                   f"| {r.tolerance:g} | {r.passed} | {r.seconds:.0f} |")
            print(row, flush=True)
            lines.append(row)
            write()        # a partial table survives an interrupted run
    for quick in modes if "details" in args.sections else ():
        lines += _details(quick)
        write()
    if "sweep" in args.sections and False in modes:
        lines += _sweep(args.sweep_modes, args.seeds, args.adversary_input, args.rule_only)
        write()
    if "estimators" in args.sections:
        lines += _estimators(args.seeds)
        write()
    from ibtf.models.ratereduction.zoo_checks import ctrl_digits_experiment
    for quick in modes if "ctrl" in args.sections else ():
        ctrl = ctrl_digits_experiment(quick, 0)
        lines += [f"\n### CTRL on scikit-learn digits ({'quick' if quick else 'full'}: 1400 "
                  f"train / 397 test, {ctrl['epochs']} epochs, eps^2 = 0.5)\n",
                  "A logistic regression trained on real digits judges the reconstructions.\n",
                  "| judge accuracy on real test digits | on their reconstructions g(f(x)) | "
                  "reconstruction MSE | Delta R(Z) | class-wise Delta R(Z_j, Z_hat_j) |",
                  "|---|---|---|---|---|",
                  f"| {ctrl['real']:.4f} | {ctrl['reconstructed']:.4f} | {ctrl['mse']:.4f} | "
                  f"{ctrl['delta_r_z']:.3f} | {ctrl['classwise_nats']:.3f} |"]
        write()
    write()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
