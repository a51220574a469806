"""``ibtf zoo list`` and ``ibtf zoo check NAME [--quick]``: the model zoo's known-truth checks."""
import json


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "zoo", help="list the model zoo or run a model's known-truth check",
        description="The model zoo: each model is checked on data whose answer is known.")
    sub = parser.add_subparsers(dest="zoo_command", metavar="ZOO_COMMAND")
    listing = sub.add_parser("list", help="one JSON line per model: name, model, paper, check")
    listing.set_defaults(func=run_list)
    check = sub.add_parser(
        "check", help="train a model on its check's data; last line: one JSON object",
        description="Trains NAME on data with a known answer and prints "
                    '{"model", "check", "value", "truth", "tolerance", "passed", "seconds"}; '
                    "exit status 1 when the check fails.")
    check.add_argument("name", metavar="NAME", nargs="?", help="a name from `ibtf zoo list`")
    check.add_argument("--all", action="store_true",
                       help="run every model's check, one JSON line each (instead of NAME)")
    check.add_argument("--quick", action="store_true",
                       help="the short check (within 90 s on 2 CPU cores)")
    check.add_argument("--seed", type=int, default=0, help="random seed")
    check.set_defaults(func=run_check)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run_list(args):
    from ibtf.models.zoo import entries
    for entry in entries():
        print(json.dumps(entry.describe()))
    return 0


def run_check(args):
    if bool(args.all) == bool(args.name):
        raise ValueError("zoo check takes one NAME or --all: give exactly one")
    from ibtf.models.zoo import entries, get, run_check as check
    names = [entry.name for entry in entries()] if args.all else [get(args.name).name]
    failed = []
    for name in names:                   # an unknown name has failed above, before training
        result = check(name, quick=args.quick, seed=args.seed)
        print(json.dumps(result.as_dict()), flush=True)
        if not result.passed:
            failed.append(name)
    if len(names) > 1:
        print(json.dumps({"checks": len(names), "passed": len(names) - len(failed),
                          "failed": failed}))
    return 1 if failed else 0
