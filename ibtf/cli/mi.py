"""``ibtf mi DATA``: estimate the mutual information between two groups of columns, in nats."""
import json
import os

import numpy as np


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "mi", help="estimate I(X; Y) in nats from paired samples",
        description="Trains a critic on a variational bound (ibtf.estimators.estimate_mi) and "
                    "prints the estimate in nats. DATA is a .npz with arrays 'x' and 'y' (rows "
                    "are paired examples), or a .csv with the columns named by --x and --y.")
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("--x", default=None, help="comma-separated CSV columns of X")
    parser.add_argument("--y", default=None, help="comma-separated CSV columns of Y")
    parser.add_argument("--method", default="smile",
                        help="infonce, nwj, mine, dv, jsd, smile (default), ratio or vclub")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.set_defaults(func=run)


def load_pairs(path, x_columns=None, y_columns=None):
    """Reads paired arrays (x, y) from a .npz (keys x, y) or a .csv (named columns)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"DATA {path!r} does not exist")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        with np.load(path) as archive:
            missing = {"x", "y"} - set(archive.files)
            if missing:
                raise ValueError(f"{path} lacks arrays {sorted(missing)}; save it with "
                                 "numpy.savez(path, x=..., y=...)")
            return archive["x"], archive["y"]
    if suffix == ".csv":
        import pandas as pd
        if not x_columns or not y_columns:
            raise ValueError("a CSV needs --x and --y, the comma-separated column names of X, Y")
        frame = pd.read_csv(path)
        columns = {"--x": x_columns.split(","), "--y": y_columns.split(",")}
        for flag, names in columns.items():
            unknown = [n for n in names if n not in frame.columns]
            if unknown:
                raise ValueError(f"{flag} names columns {unknown} that {path} does not have; "
                                 f"it has {list(frame.columns)}")
        return frame[columns["--x"]].to_numpy(), frame[columns["--y"]].to_numpy()
    raise ValueError(f"DATA must be a .npz or .csv file, got {path!r}")


def run(args):
    from ibtf.estimators import estimate_mi
    x, y = load_pairs(args.data, args.x, args.y)
    result = estimate_mi(x, y, method=args.method, steps=args.steps,
                         batch_size=args.batch_size, seed=args.seed)
    if args.json:
        print(json.dumps({"mi_nats": result.mi_nats, "method": result.method,
                          "steps": args.steps, "batch_size": result.batch_size,
                          "seed": args.seed}))
    else:
        print(f"I(X; Y) = {result.mi_nats:.4f} nats ({result.method}, {args.steps} steps, "
              f"batch {result.batch_size}, seed {args.seed})")
    return 0
