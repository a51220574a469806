"""``ibtf forecast online``: learn a target-only and a TEB model from a stream, chunk by chunk.

    ibtf forecast online live.csv --source x --target y --chunk 256 --checkpoint-dir ckpt

Each chunk is scored by the current models before they train on it (prequential), and one JSON
line reports it: rows_seen, chunk_end, transfer_nats, transfer_ci, nll, nll_target_only, drift.
The last line adds ``export``. With ``--checkpoint-dir`` a killed run, started again with the
same arguments, continues after the last completed chunk.
"""
import csv
import json
import os
import sys

__all__ = ["add_parser", "run_online"]


def add_parser(sub):
    """Adds ``online`` to the ``forecast`` subparsers."""
    import argparse
    online = sub.add_parser(
        "online", help="learn online from a stream; transfer per chunk (JSON lines)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Consumes CSV rows (a file, or - for stdin; header first) in chunks. Each "
                    "chunk is first scored by the current target-only and TEB models "
                    "(prequential: before they see it), then both train for --steps steps on "
                    "the same batches drawn from a bounded replay memory (tf-agents' "
                    "TFUniformReplayBuffer). One JSON line per chunk: rows_seen, chunk_end, "
                    "transfer_nats (mean held-out log-likelihood gain of TEB over target-only, "
                    "nats per step) with transfer_ci (block bootstrap), nll, nll_target_only, "
                    "drift (z-test of the chunk's NLL against the last --drift-window chunks, "
                    "|z| > --drift-z). The last line adds `export`. Bad rows are skipped with "
                    "one line on stderr.")
    online.add_argument("data", metavar="DATA.csv|-")
    online.add_argument("--source", required=True, help="comma-separated source columns")
    online.add_argument("--target", required=True, help="comma-separated target columns")
    online.add_argument("--time-col", default=None,
                        help="time column (default: rows are consecutive steps)")
    online.add_argument("--chunk", type=int, default=256, help="rows per chunk")
    online.add_argument("--history", type=int, default=16)
    online.add_argument("--horizon", type=int, default=1)
    online.add_argument("--memory", type=int, default=4096, help="windows the replay memory holds")
    online.add_argument("--steps", type=int, default=100, help="training steps per chunk")
    online.add_argument("--batch-size", type=int, default=64)
    online.add_argument("--learning-rate", type=float, default=3e-3)
    online.add_argument("--beta", type=float, default=1e-2)
    online.add_argument("--hidden", type=int, default=64, help="hidden units of the MLPs")
    online.add_argument("--drift-window", type=int, default=5)
    online.add_argument("--drift-z", type=float, default=3.0)
    online.add_argument("--seed", type=int, default=0)
    online.add_argument("--checkpoint-dir", default=None,
                        help="checkpoint after every chunk; rerun with the same dir to resume")
    online.add_argument("--out", default=None,
                        help="export directory; default saved_models/teb_online_TARGET")
    online.set_defaults(func=run_online)


def _columns(text, flag):
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise ValueError(f"{flag} must name at least one column, got {text!r}")
    return cols


def _check(args):
    for flag in ("chunk", "history", "horizon", "memory", "steps", "batch_size",
                 "drift_window", "hidden"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be a positive integer, got "
                             f"{getattr(args, flag)}")
    if args.chunk < args.history + args.horizon + 1:
        raise ValueError(f"--chunk {args.chunk} is too small for --history {args.history} and "
                         f"--horizon {args.horizon}: use at least history + horizon + 1 rows")
    if not args.learning_rate > 0 or not args.drift_z > 0:
        raise ValueError("--learning-rate and --drift-z must be positive")


def _rows(source, header, cols, time_col):
    """Yields (time, values) of good rows; a bad row is one stderr line and is skipped."""
    import math
    from ibtf.streams.streaming import _parse_time
    line_no = 1
    for line in iter(source.readline, ""):
        line_no += 1
        if not line.strip():
            continue
        row = dict(zip(header, next(csv.reader([line]))))
        try:
            values = []
            for col in cols:
                text = row.get(col)
                try:
                    value = float(text)
                except (TypeError, ValueError):
                    raise ValueError(f"column {col!r} is {text!r}, not a number") from None
                if not math.isfinite(value):
                    raise ValueError(f"column {col!r} is {text!r}")
                values.append(value)
            when = None
            if time_col is not None:
                _, when = _parse_time(row.get(time_col, ""))
        except ValueError as error:
            print(f"ibtf forecast online: skipped row {line_no - 1} (line {line_no}): {error}",
                  file=sys.stderr, flush=True)
            continue
        yield when, values


def run_online(args):
    _check(args)
    src_cols, tgt_cols = _columns(args.source, "--source"), _columns(args.target, "--target")
    if args.data == "-":
        source = sys.stdin
    elif not os.path.isfile(args.data):
        raise FileNotFoundError(f"data file {args.data!r} not found: check the path, or pass - "
                                "for stdin")
    else:
        source = open(args.data, newline="")
    header = next(csv.reader([source.readline()]), [])
    need = src_cols + tgt_cols + ([args.time_col] if args.time_col else [])
    missing = [c for c in need if c not in header]
    if missing:
        raise ValueError(f"the header {header} lacks {missing}: name existing columns in "
                         "--source/--target/--time-col")
    import numpy as np

    from ibtf._keras import tf
    tf.get_logger().setLevel("ERROR")
    from ibtf.streams.online import OnlineTEB
    model = OnlineTEB(args.history, args.horizon, len(src_cols), len(tgt_cols),
                      memory=args.memory, steps_per_chunk=args.steps, batch_size=args.batch_size,
                      learning_rate=args.learning_rate, beta=args.beta,
                      hidden_units=(args.hidden,), drift_window=args.drift_window,
                      drift_z=args.drift_z, seed=args.seed, checkpoint_dir=args.checkpoint_dir)
    if model.restore():
        print(f"ibtf forecast online: resumed after chunk {model.chunk} ({model.rows_seen} rows)",
              file=sys.stderr, flush=True)
    skip, n_src = model.rows_seen, len(src_cols)
    pending, last = [], None

    def run_chunk():
        rows = np.asarray([v for _, v in pending], np.float64)
        step = model.rows_seen + len(rows) - 1
        end = pending[-1][0] if args.time_col else step
        result = model.process_chunk(rows[:, :n_src], rows[:, n_src:], chunk_end=end)
        if args.checkpoint_dir:
            model.save()
        pending.clear()
        return {k: v for k, v in result.to_dict().items() if k != "seconds"}

    try:
        for i, row in enumerate(_rows(source, header, need[:len(src_cols) + len(tgt_cols)],
                                      args.time_col)):
            if i < skip:                       # consumed before the restart
                continue
            pending.append(row)
            if len(pending) == args.chunk:
                last = run_chunk()
                print(json.dumps(last), flush=True)
    finally:
        if source is not sys.stdin:
            source.close()
    last = None                                # the last chunk's line is printed once
    if len(pending) >= 1 and (model.teb is not None or len(pending) > args.history):
        last = run_chunk()
    if model.teb is None:
        raise ValueError(f"the stream ended after {len(pending)} rows, too few for one chunk: "
                         "give more rows or a smaller --chunk")
    out = args.out or os.path.join("saved_models", "teb_online_" + "_".join(tgt_cols))
    base, name = os.path.split(os.path.normpath(out))
    path = model.export(base or ".", name, metadata={
        "source_cols": src_cols, "target_cols": tgt_cols,
        "time_col": args.time_col or "_step", "id_col": None,
        "online": {"chunks": model.chunk, "rows_seen": model.rows_seen}})
    final = dict(last or {"chunk": model.chunk, "rows_seen": model.rows_seen})
    final["export"] = path
    print(json.dumps(final), flush=True)
    return 0
