"""``ibtf forecast stream``: forecasts from an export as CSV rows arrive (file or stdin).

    tail -f live.csv | ibtf forecast stream saved_models/teb_sales --input -

The first line is the header; every later line is one row. Each forecast is one JSON line on
stdout (flushed at once); a bad row is one line on stderr naming it, and is skipped (``--strict``
stops with exit status 2 instead). The last stdout line is the summary object.
"""
import csv
import json
import os
import sys

__all__ = ["add_parser", "run_stream"]


def add_parser(sub):
    """Adds ``stream`` to the ``forecast`` subparsers."""
    import argparse
    stream = sub.add_parser(
        "stream", help="forecast rows as they arrive (one JSON line per forecast)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Reads CSV rows one at a time (header first) and, as soon as a window of "
                    "the export's history is complete, writes one JSON line per forecast step "
                    "and target column with the fields of `forecast predict` (last_observed, "
                    "step, target, mean, stddev, q<level>, transfer_nats, rate_nats; the id "
                    "column first when there is one). Memory and work per row are constant.")
    stream.add_argument("export_dir", metavar="EXPORT_DIR")
    stream.add_argument("--input", default="-", help="CSV file to read, or - for stdin")
    stream.add_argument("--quantiles", default=None,
                        help="comma-separated levels to return (default: all the export has)")
    stream.add_argument("--strict", action="store_true",
                        help="stop at the first bad row (exit status 2) instead of skipping it")
    stream.add_argument("--jit", default="auto", choices=("auto", "on", "off"),
                        help="XLA-compile the export's signature: auto = when its Monte Carlo "
                             "noise is fixed in the graph (exports of this version), so the "
                             "values are `forecast predict`'s to float32 rounding; off = the "
                             "plain graph (bit-for-bit, several times slower per row)")
    stream.set_defaults(func=run_stream)


def _open(path):
    if path == "-":
        return sys.stdin
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--input {path!r} not found: give a CSV file or - for stdin")
    return open(path, newline="")


def run_stream(args):
    from ibtf.cli.forecast import _levels
    from ibtf.serving.export import resolve_export_dir
    resolve_export_dir(args.export_dir)          # a bad export path fails before reading
    levels = None if args.quantiles is None else _levels(args.quantiles)
    source = _open(args.input)
    try:
        header_line = source.readline()
        if not header_line.strip():
            raise ValueError(f"--input {args.input!r} has no header line: the first line must "
                             "name the columns")
        header = next(csv.reader([header_line]))
        from ibtf.streams.streaming import BadRow, StreamingForecaster
        stream = StreamingForecaster(args.export_dir, quantiles=levels,
                                     jit_compile={"auto": "auto", "on": True,
                                                  "off": False}[args.jit])
        missing = [c for c in stream.required_columns() if c not in header]
        if missing:
            raise ValueError(f"the header lacks {missing}: the export needs the columns "
                             f"{stream.required_columns()}")
        out = sys.stdout
        line_no = 1
        for line in iter(source.readline, ""):
            line_no += 1
            if not line.strip():
                continue
            fields = next(csv.reader([line]))
            row = dict(zip(header, fields))
            try:
                records = stream.push(row, label=f"row {line_no - 1} (line {line_no})")
            except BadRow as error:
                if args.strict:
                    raise ValueError(f"{error} (--strict stops here)") from None
                print(f"ibtf forecast stream: skipped {error}", file=sys.stderr, flush=True)
                continue
            for record in records:
                out.write(json.dumps(record) + "\n")
            if records:
                out.flush()
    finally:
        if source is not sys.stdin:
            source.close()
    print(json.dumps(stream.summary()), flush=True)
    return 0
