"""The model zoo, part 1 (FactorVAE, InfoGAN, GWAE, St-RKM): quick and full known-truth checks.

`python -m benchmarks.zoo_part1 [--quick-only] [--seed N] [NAME ...]` runs each entry's check
(`ibtf zoo check NAME [--quick]`) and writes the table of value vs truth into its block of
benchmarks/results/zoo.md (other blocks of that file are kept), with the machine and the date.
"""
import argparse
import datetime
import os
import platform
import re
import resource

NAMES = ("factorvae", "factorvae_vs_betavae", "factorvae_tc", "infogan", "infogan_mi", "gwae",
         "strkm", "strkm_probe")
RESULTS = os.path.join(os.path.dirname(__file__), "results", "zoo.md")


def _markers(label):
    return f"<!-- zoo_part1 {label}:begin -->", f"<!-- zoo_part1 {label}:end -->"


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _row(result, mode, cpu):
    r = result.as_dict()
    return (f"| {r['model']} | {mode} | {r['value']:.4g} | {r['truth']:.4g} | "
            f"{r['tolerance']:.4g} | {'yes' if r['passed'] else '**no**'} | {r['seconds']:.0f} | "
            f"{cpu:.0f} |")


def _extras(seed, modes):
    """Side figures the checks cache: reconstruction of FactorVAE vs beta-VAE, the two scores."""
    from ibtf.models.disentangle import zoo_checks
    lines = []
    for quick in modes:
        label = "quick" if quick else "full"
        if zoo_checks.train_factorvae.cache_info().currsize:
            (fv, fv_recon), (beta, _, _), runs = zoo_checks.matched_betavae(quick, seed)
            others = "; ".join(f"beta {b:g}: metric {score:.3f} at {recon:.1f} nats"
                               for b, score, recon in runs)
            lines.append(f"- {label}: FactorVAE (gamma 30) metric {fv:.3f} at reconstruction "
                         f"{fv_recon:.1f} nats; beta-VAE {others}; matched: beta {beta:g}.")
        if zoo_checks.train_strkm.cache_info().currsize:
            _, rkm = zoo_checks.train_strkm(quick, seed)
            _, plain = zoo_checks.train_strkm(quick, seed, plain=True)
            lines.append(f"- {label}: St-RKM FactorVAE metric {rkm:.3f}; plain AE {plain:.3f}.")
    return lines


def write_block(text, label, path=RESULTS):
    begin, end = _markers(label)
    old = open(path).read() if os.path.exists(path) else "# Model zoo: known-truth checks\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in old:
        new = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, old, flags=re.S)
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(new)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(NAMES), help="entries to run")
    parser.add_argument("--quick-only", action="store_true", help="skip the full checks")
    parser.add_argument("--full-only", action="store_true", help="skip the quick checks")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    from ibtf.models.zoo import run_check
    modes = (True,) if args.quick_only else (False,) if args.full_only else (True, False)
    label = "+".join("quick" if quick else "full" for quick in modes)
    rows = []
    for name in args.names:
        for quick in modes:
            start = _cpu_seconds()
            result = run_check(name, quick=quick, seed=args.seed)
            rows.append(_row(result, "quick" if quick else "full", _cpu_seconds() - start))
            print(rows[-1], flush=True)
    text = "\n".join([
        f"## Part 1 ({label}): FactorVAE, InfoGAN, GWAE, St-RKM (`benchmarks/zoo_part1.py`)",
        "",
        f"Machine: {platform.machine()} CPU ({os.cpu_count()} cores visible, shared with other "
        f"jobs), no GPU; date {datetime.date.today().isoformat()}; seed {args.seed}. "
        "`seconds`: the check's wall time (training + evaluation, without Python start-up); "
        "`cpu s`: the CPU seconds it used (user + system), which bounds its wall time on an "
        "idle 2-core machine to between cpu/2 and cpu.",
        "",
        "| entry | mode | value | truth | tolerance | passed | seconds | cpu s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        *_extras(args.seed, modes),
    ])
    print(text)
    if not args.no_write:
        write_block(text, label)


if __name__ == "__main__":
    main()
