"""Runs benchmark modules: `python -m benchmarks.run [NAME ...]` (default: all).

Each benchmark is a module `benchmarks/<topic>_<what>.py` with a `main(argv)` that prints its
figures (markdown) to stdout. Figures that go into benchmarks/RESULTS.md are copied by hand with
the machine and date.
"""
import importlib
import pkgutil
import sys
import time

import benchmarks


def available():
    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__)
                  if m.name not in ("run",) and not m.name.startswith("_"))


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmarks {unknown}; available: {available()}", file=sys.stderr)
        return 2
    for name in names:
        start = time.time()
        print(f"\n## {name}\n", flush=True)
        importlib.import_module(f"benchmarks.{name}").main([])
        print(f"\n({name}: {time.time() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
