"""The model zoo, part 1b (Deep InfoMax, GMM-prior VAE; CMI disentanglement as a model):
quick and full known-truth checks.

`python -m benchmarks.zoo_part1b [--quick-only] [--seed N] [NAME ...]` runs each entry's
check (`ibtf zoo check NAME [--quick]`) in this process, captures the details line each check
prints on stderr, and writes a table of value vs truth (with the machine and the date) to
benchmarks/results/zoo_part1b.md.
"""
import argparse
import contextlib
import datetime
import io
import os
import platform
import resource
import sys

NAMES = ("deepinfomax_gaussian", "deepinfomax_digits", "ivae_gmm", "ivae_gmm_ari")
RESULTS = os.path.join(os.path.dirname(__file__), "results", "zoo_part1b.md")


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Tee(io.StringIO):
    def write(self, text):
        sys.__stderr__.write(text)
        return super().write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(NAMES), help="zoo entries to run")
    parser.add_argument("--quick-only", action="store_true", help="skip the full checks")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--out", default=RESULTS, help="the markdown file to write")
    args = parser.parse_args(argv)
    from ibtf.models.zoo import run_check
    rows, details = [], []
    for name in args.names:
        for quick in (True,) if args.quick_only else (True, False):
            captured = _Tee()
            cpu = _cpu_seconds()
            with contextlib.redirect_stderr(captured):
                result = run_check(name, quick=quick, seed=args.seed).as_dict()
            cpu = _cpu_seconds() - cpu
            mode = "quick" if quick else "full"
            rows.append(f"| {name} | {mode} | {result['value']:.4g} | {result['truth']:.4g} | "
                        f"{result['tolerance']:.4g} | {'yes' if result['passed'] else '**no**'}"
                        f" | {result['seconds']:.0f} | {cpu:.0f} |")
            details += [f"- {mode}: `{line}`" for line in captured.getvalue().splitlines()
                        if line.startswith('{"details"')]
            print(rows[-1], flush=True)
    text = [
        "# Model zoo, part 1b: known-truth checks",
        "",
        f"{datetime.date.today().isoformat()}, {platform.machine()} CPU, 2 cores shared with "
        f"other jobs (wall seconds inflate under load; CPU seconds are this process's), seed "
        f"{args.seed}. Regenerate with `python -m benchmarks.zoo_part1b`.",
        "",
        "| check | mode | value | truth | tolerance | passed | wall s | CPU s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Details (what each check prints on stderr):",
        "",
        *details,
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(text) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
