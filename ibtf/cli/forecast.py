"""``ibtf forecast``: fit, predict, backtest and plot TEB forecasters from CSV files.

    ibtf forecast fit DATA.csv --source lead --target sales --out saved_models/teb_sales
    ibtf forecast predict saved_models/teb_sales DATA.csv --out forecasts.csv
    ibtf forecast backtest DATA.csv --source lead --target sales --folds 3
    ibtf forecast plot saved_models/teb_sales DATA.csv --out forecast.png
"""
import json
import os
import sys

STEP_COL = "_step"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "forecast", help="Transfer Entropy Bottleneck forecasts of a target from a source",
        description="Forecasts target columns from their own past plus a bottlenecked channel "
                    "from source columns, and measures the information the source transfers "
                    "(nats per forecast step, held-out, with a 95%% interval).")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    fit = sub.add_parser("fit", help="train, report transfer and skill, export a SavedModel")
    _data_args(fit)
    fit.add_argument("--out", default=None,
                     help="export directory (versions under it); default saved_models/teb_TARGET")
    fit.add_argument("--quantiles", default="0.05,0.1,0.5,0.9,0.95",
                     help="quantile levels the export returns")
    fit.add_argument("--reverse", action="store_true",
                     help="also fit the reverse direction as a control")
    fit.add_argument("--checkpoint-dir", default=None,
                     help="per-epoch checkpoints; rerun with the same dir to resume")
    fit.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                     default="default",
                     help="tf.distribute strategy; --batch-size is the global batch, split "
                          "across replicas; multiworker reads TF_CONFIG, only the chief exports")
    fit.set_defaults(func=run_fit)

    predict = sub.add_parser("predict", help="forecasts of an export over a CSV's windows")
    predict.add_argument("export_dir", metavar="EXPORT_DIR")
    predict.add_argument("data", metavar="DATA.csv")
    predict.add_argument("--quantiles", default="0.1,0.5,0.9")
    predict.add_argument("--out", default=None, help="CSV to write (default: stdout)")
    predict.set_defaults(func=run_predict)

    backtest = sub.add_parser("backtest", help="rolling-origin backtest (refits per fold)")
    _data_args(backtest)
    backtest.add_argument("--folds", type=int, default=3)
    backtest.add_argument("--test-size", type=int, default=None,
                          help="rows forecast per fold (default: 15%% of the shortest series)")
    backtest.set_defaults(func=run_backtest)

    plot = sub.add_parser("plot", help="PNG of forecasts, band and transfer per step")
    plot.add_argument("export_dir", metavar="EXPORT_DIR")
    plot.add_argument("data", metavar="DATA.csv")
    plot.add_argument("--out", required=True, help="the PNG to write")
    plot.add_argument("--last", type=int, default=200, help="plot the last N windows")
    plot.set_defaults(func=run_plot)

    from ibtf.cli import forecast_online, forecast_stream
    forecast_stream.add_parser(sub)
    forecast_online.add_parser(sub)


def _data_args(parser):
    parser.add_argument("data", metavar="DATA.csv")
    parser.add_argument("--source", required=True, help="comma-separated source columns")
    parser.add_argument("--target", required=True, help="comma-separated target columns")
    parser.add_argument("--time-col", default=None,
                        help="time column (default: rows are consecutive steps)")
    parser.add_argument("--id-col", default=None, help="series id column, for many series")
    parser.add_argument("--history", type=int, default=16)
    parser.add_argument("--horizon", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--beta", type=float, default=1e-2)
    parser.add_argument("--distribution", default="normal",
                        help="normal, student_t or mixture")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nan-policy", default="error", help="error, ffill or drop")


def _read_csv(path):
    import pandas as pd
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file {path!r} not found: check the path")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"could not read {path!r} as CSV ({error}): give a comma-separated "
                         "file with a header row") from None


def _levels(text, flag="--quantiles"):
    try:
        levels = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{flag} must be comma-separated numbers in (0, 1), got {text!r}") \
            from None
    if not levels or any(not 0 < q < 1 for q in levels):
        raise ValueError(f"{flag} must be comma-separated levels in (0, 1), got {text!r}")
    return levels


def _streams(args):
    from ibtf.streams import PairedStreams
    frame = _read_csv(args.data)
    time_col = args.time_col
    if time_col is None:
        frame = frame.assign(**{STEP_COL: range(len(frame))})
        time_col = STEP_COL
    if args.history < 1 or args.horizon < 1:
        raise ValueError("--history and --horizon must be positive integers")
    return PairedStreams(frame, time_col=time_col, source_cols=args.source,
                         target_cols=args.target, id_col=args.id_col, history=args.history,
                         horizon=args.horizon, nan_policy=args.nan_policy)


class _Progress:
    """Epoch progress on stderr (stdout stays machine-readable)."""

    def __new__(cls, label, epochs):
        from ibtf._keras import keras

        class Progress(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                done = int(20 * (epoch + 1) / epochs)
                val = logs.get("val_nll_nats")
                tail = f" val_nll {val:.4f}" if val is not None else ""
                print(f"\r{label} [{'#' * done}{'.' * (20 - done)}] epoch {epoch + 1}/{epochs} "
                      f"nll {logs.get('nll_nats', float('nan')):.4f}{tail}", end="",
                      file=sys.stderr, flush=True)

            def on_train_end(self, logs=None):
                print(file=sys.stderr, flush=True)

        return Progress()


def _fit_kwargs(args):
    from ibtf.models.teb.forecaster import DISTRIBUTIONS
    if args.distribution not in DISTRIBUTIONS:
        raise ValueError(f"--distribution must be one of {DISTRIBUTIONS}, got "
                         f"{args.distribution!r}")
    if args.epochs < 1 or args.batch_size < 1:
        raise ValueError("--epochs and --batch-size must be positive integers")
    return dict(epochs=args.epochs, batch_size=args.batch_size, beta=args.beta,
                distribution=args.distribution, seed=args.seed)


def run_fit(args):
    levels = _levels(args.quantiles)
    streams = _streams(args)
    for split in ("val", "test"):
        if not streams.num_windows(split):
            raise ValueError(f"the {split} split has no complete window: use more rows or a "
                             "shorter --history/--horizon")
    from ibtf.metrics import forecast as fm
    from ibtf.models.teb.fit import fit_teb, transfer_report
    from ibtf.models.teb.export import export_teb
    kwargs = _fit_kwargs(args)
    from ibtf.distribute import check_strategy, is_chief
    check_strategy(args.strategy)
    fit = fit_teb(streams, callbacks=[_Progress("fit", args.epochs)],
                  checkpoint_dir=args.checkpoint_dir, strategy=args.strategy, **kwargs)
    fit.teb.quantile_levels = tuple(levels)
    reverse = None
    if args.reverse:
        reverse = fit_teb(streams.reversed(), callbacks=[_Progress("reverse", args.epochs)],
                          **kwargs)
    report = transfer_report(fit, "test", reverse=reverse)
    val = streams.windows("val")
    crps_levels = [(k - 0.5) / 99 for k in range(1, 100)]
    teb_val = fit.teb.forecast(val.inputs, val.target_future, quantile_levels=crps_levels)
    to_val = fit.target_only.forecast(val.inputs, val.target_future)
    if not is_chief():      # a multi-worker non-chief: the chief reports and exports
        print(json.dumps({"chief": False}))
        return 0
    out = args.out or os.path.join("saved_models", "teb_" + "_".join(streams.target_cols))
    base, name = os.path.split(os.path.normpath(out))
    path = export_teb(fit, base or ".", name, metadata={"transfer": report.to_dict()})
    print(report.summary(), file=sys.stderr)
    result = {"transfer_nats": report.transfer_nats, "transfer_ci": list(report.ci),
              "supported": report.supported, "rate_nats": report.rate_nats,
              "val_nll": float(-teb_val["log_prob"].mean()),
              "val_nll_target_only": float(-to_val["log_prob"].mean()),
              "val_mae": fm.mae(val.target_future, teb_val["mean"]),
              "val_mae_target_only": fm.mae(val.target_future, to_val["mean"]),
              "val_crps": fm.crps_quantiles(val.target_future, teb_val["quantiles"],
                                            crps_levels),
              "test_nll": report.nll_teb, "test_nll_target_only": report.nll_target_only,
              "epochs": [fit.epochs_target_only, fit.epochs_teb], "export": path}
    if reverse is not None:
        result["reverse_transfer_nats"] = report.reverse.transfer_nats
        result["reverse_transfer_ci"] = list(report.reverse.ci)
    print(json.dumps(result))
    return 0


def run_predict(args):
    from ibtf.serving.export import resolve_export_dir
    from ibtf.models.teb.export import predict_export
    resolve_export_dir(args.export_dir)       # a bad export path fails before reading data
    table = predict_export(args.export_dir, _read_csv(args.data),
                           quantiles=_levels(args.quantiles))
    if args.out:
        table.to_csv(args.out, index=False)
        print(json.dumps({"rows": len(table), "out": args.out}))
    else:
        try:
            table.to_csv(sys.stdout, index=False)
        except BrokenPipeError:            # e.g. piped into `head`: not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def run_backtest(args):
    streams = _streams(args)
    from ibtf.models.teb.fit import backtest
    shortest = min(hi - lo for lo, hi in streams._bounds)
    test_size = args.test_size or max(streams.horizon + 1, int(0.15 * shortest) // args.folds)
    table = backtest(streams, args.folds, test_size, **_fit_kwargs(args))
    print(table.to_string(float_format=lambda v: f"{v:.4f}"), file=sys.stderr)
    print(json.dumps({"folds": json.loads(table.reset_index().to_json(orient="records")),
                      "mean": json.loads(table.mean().to_json())}))
    return 0


def run_plot(args):
    import numpy as np

    from ibtf.models.teb.plot import plot_forecast
    from ibtf.models.teb.export import predict_export
    if args.last < 2:
        raise ValueError("--last must be an integer >= 2")
    if not args.out.lower().endswith(".png"):
        raise ValueError(f"--out must name a .png file, got {args.out!r}")
    frame = _read_csv(args.data)
    table = predict_export(args.export_dir, frame, quantiles=None)
    target = table["target"].iloc[0]
    one = table[(table["step"] == 1) & (table["target"] == target)].reset_index(drop=True)
    qcols = [c for c in table.columns if c.startswith("q")]
    lo_col, hi_col = qcols[0], qcols[-1]
    one = one.iloc[-args.last:]
    known = one[one["observed"].notna()]
    times = np.arange(len(known))
    tail = table[(table["last_observed"] == table["last_observed"].iloc[-1]) &
                 (table["target"] == target)]
    transfer = known["transfer_nats"] if "transfer_nats" in known else known["rate_nats"]
    plot_forecast(args.out, times, known["observed"].to_numpy(), known["mean"].to_numpy(),
                  known[lo_col].to_numpy(), known[hi_col].to_numpy(), transfer.to_numpy(),
                  title=f"{target}: forecasts from {args.export_dir}",
                  band_label=f"{lo_col[1:]}-{hi_col[1:]} quantile band",
                  forecast_times=len(times) - 1 + tail["step"].to_numpy(),
                  forecast_mean=tail["mean"].to_numpy(),
                  forecast_lower=tail[lo_col].to_numpy(), forecast_upper=tail[hi_col].to_numpy())
    print(json.dumps({"out": args.out, "windows": int(len(times))}))
    return 0
