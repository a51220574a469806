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
_HELP = {}      # the ibtf parser class shows every default (ibtf.cli.main.HelpFormatter)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "forecast", help="Transfer Entropy Bottleneck forecasts of a target from a source",
        description="Forecasts target columns from their own past plus a bottlenecked channel "
                    "from source columns, and measures the information the source transfers "
                    "(nats per forecast step, held-out, with a 95%% interval and a surrogate-test "
                    "p-value).", **_HELP)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    fit = sub.add_parser(
        "fit", help="train, report transfer and skill, export a SavedModel",
        description="Trains a target-only and a TEB forecaster the same way (least-squares "
                    "AR/ARX term plus a bottlenecked network residual), refits TEB on "
                    "--surrogates sources that keep the source's own dynamics but not its link "
                    "to the target, and reports the held-out effective transfer (TEB's gain "
                    "over target-only minus the surrogates' mean gain; the raw gain is "
                    "transfer_nats_raw) with a 95%% interval (block bootstrap and the "
                    "surrogates' spread) and the surrogate test's p-value, the skill of "
                    "naive/AR/ARX/target-only/TEB on the test split, and exports a SavedModel. "
                    "A transfer is claimed ('supported') only when the interval excludes 0 and "
                    "p < 0.05. The last stdout line is one JSON object.", **_HELP)
    _data_args(fit)
    fit.add_argument("--out", default=None,
                     help="export directory (versions under it); default saved_models/teb_TARGET")
    fit.add_argument("--quantiles", default="0.05,0.1,0.5,0.9,0.95",
                     help="quantile levels the export returns")
    fit.add_argument("--reverse", action="store_true",
                     help="also fit the reverse direction as a control")
    fit.add_argument("--checkpoint-dir", default=None,
                     help="per-epoch checkpoints; rerun with the same dir to resume")
    fit.add_argument("--surrogates", type=int, default=39,
                     help="TEB refits on surrogate sources for the p-value (0: skip the test; "
                          "20 is the fewest that can give p < 0.05; with 39, p < 0.05 means "
                          "the source beat every surrogate, a test of size 2.5%%)")
    fit.add_argument("--surrogate-kind", default="shift", choices=("shift", "phase"),
                     help="circular time shifts of the source, or phase randomisation")
    fit.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                     default="default",
                     help="tf.distribute strategy; --batch-size is the global batch, split "
                          "across replicas; multiworker reads TF_CONFIG, only the chief exports")
    fit.set_defaults(func=run_fit)

    predict = sub.add_parser("predict", help="forecasts of an export over a CSV's windows",
                             **_HELP)
    predict.add_argument("export_dir", metavar="EXPORT_DIR")
    predict.add_argument("data", metavar="DATA.csv")
    predict.add_argument("--quantiles", default="0.1,0.5,0.9", help="quantile levels")
    predict.add_argument("--out", default=None, help="CSV to write (default: stdout)")
    predict.set_defaults(func=run_predict)

    backtest = sub.add_parser("backtest", help="rolling-origin backtest (refits per fold)",
                              **_HELP)
    _data_args(backtest)
    backtest.add_argument("--folds", type=int, default=3, help="rolling origins")
    backtest.add_argument("--test-size", type=int, default=None,
                          help="rows forecast per fold (default: 15%% of the shortest series)")
    backtest.set_defaults(func=run_backtest)

    plot = sub.add_parser("plot", help="PNG of forecasts, band and transfer per step", **_HELP)
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
    parser.add_argument("--split-by", default="auto", choices=("auto", "rows", "series"),
                        help="rows: cut every series 70/15/15 in time order; series: hold out "
                             "whole series in order (many short episodes); auto: series for "
                             ">= 20 series whose held-out part would be shorter than a window")
    parser.add_argument("--history", type=int, default=16, help="past steps per window (L)")
    parser.add_argument("--horizon", type=int, default=1, help="steps forecast (H)")
    parser.add_argument("--epochs", type=int, default=60, help="most epochs per model")
    parser.add_argument("--patience", type=int, default=6,
                        help="early-stopping patience on validation NLL (epochs)")
    parser.add_argument("--batch-size", type=int, default=256, help="windows per step")
    parser.add_argument("--learning-rate", type=float, default=3e-3, help="AdamW step size")
    parser.add_argument("--weight-decay", type=float, default=1e-4,
                        help="AdamW decoupled weight decay")
    parser.add_argument("--beta", type=float, default=1e-2, help="weight of the channel's rate")
    parser.add_argument("--linear-lags", default="auto",
                        help="lags of the least-squares AR/ARX term under the network "
                             "('auto' = min(history, 12); 0 for none)")
    parser.add_argument("--distribution", default="auto",
                        choices=("auto", "normal", "student_t", "mixture"),
                        help="predictive family ('auto': the family the target's least-squares "
                             "residuals support on the validation windows)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--ensemble", type=int, default=1,
                        help="model pairs trained from different seeds; each side predicts "
                             "with the equal mixture of its members (k times the cost)")
    parser.add_argument("--nan-policy", default="error", choices=("error", "ffill", "drop"),
                        help="what to do with missing values")


def _read_csv(path):
    from ibtf.streams.tables import read_table
    return read_table(path)


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
    """Reads and validates the data (no TensorFlow yet: bad input fails fast and quietly)."""
    from ibtf.streams.paired import PairedStreams
    if args.history < 1 or args.horizon < 1:
        raise ValueError("--history and --horizon must be positive integers")
    frame = _read_csv(args.data)
    time_col = args.time_col
    if time_col is None:
        frame = frame.assign(**{STEP_COL: range(len(frame))})
        time_col = STEP_COL
    streams = PairedStreams(frame, time_col=time_col, source_cols=args.source,
                            target_cols=args.target, id_col=args.id_col, history=args.history,
                            horizon=args.horizon, nan_policy=args.nan_policy,
                            split_by=args.split_by)
    streams.check_informative()
    return streams


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
    """The fit settings, checked before any data is read."""
    if min(args.epochs, args.batch_size, args.patience, args.ensemble) < 1:
        raise ValueError("--epochs, --batch-size, --patience and --ensemble must be positive "
                         "integers")
    if not args.learning_rate > 0 or not args.weight_decay >= 0 or not args.beta >= 0:
        raise ValueError("--learning-rate must be > 0, --weight-decay and --beta >= 0")
    lags = args.linear_lags
    if lags != "auto":
        try:
            lags = int(lags)
        except ValueError:
            raise ValueError(f"--linear-lags must be 'auto' or an integer >= 0, got {lags!r}") \
                from None
        if not 0 <= lags <= args.history:
            raise ValueError(f"--linear-lags must be between 0 and --history ({args.history}), "
                             f"got {lags}")
    kwargs = dict(epochs=args.epochs, batch_size=args.batch_size, beta=args.beta,
                  distribution=args.distribution, seed=args.seed, patience=args.patience,
                  learning_rate=args.learning_rate, weight_decay=args.weight_decay,
                  linear_lags=lags, ensemble=args.ensemble)
    if getattr(args, "surrogates", None) is not None:
        if args.surrogates < 0:
            raise ValueError("--surrogates must be an integer >= 0")
        kwargs.update(surrogates=args.surrogates, surrogate_kind=args.surrogate_kind)
    return kwargs


def run_fit(args):
    levels = _levels(args.quantiles)
    kwargs = _fit_kwargs(args)
    streams = _streams(args)
    for split in ("val", "test"):
        if not streams.num_windows(split):
            raise ValueError(f"the {split} split has no complete window: use more rows or a "
                             "shorter --history/--horizon")
    if args.reverse:
        streams.reversed().check_informative()
    from ibtf.metrics import forecast as fm
    from ibtf.models.teb.export import export_teb
    from ibtf.models.teb.fit import fit_teb, skill_table, transfer_report
    from ibtf.distribute import check_strategy, is_chief
    check_strategy(args.strategy)
    if kwargs.get("surrogates"):
        print(f"fitting the target-only and TEB models, then {kwargs['surrogates']} surrogate "
              "refits for the p-value", file=sys.stderr, flush=True)
    fit = fit_teb(streams, callbacks=[_Progress("fit", args.epochs)],
                  checkpoint_dir=args.checkpoint_dir, strategy=args.strategy, **kwargs)
    fit.teb.quantile_levels = tuple(levels)
    reverse = None
    if args.reverse:
        reverse = fit_teb(streams.reversed(), callbacks=[_Progress("reverse", args.epochs)],
                          **kwargs)
    report = transfer_report(fit, "test", reverse=reverse)
    skill = skill_table(fit, "test")
    print(skill.to_string(float_format=lambda v: f"{v:.4f}"), file=sys.stderr)
    val = streams.windows("val")
    crps_levels = [(k - 0.5) / 99 for k in range(1, 100)]
    teb_val = fit.teb.forecast(val.inputs, val.target_future, quantile_levels=crps_levels)
    to_val = fit.target_only.forecast(val.inputs, val.target_future)
    out = args.out or os.path.join("saved_models", "teb_" + "_".join(streams.target_cols))
    base, name = os.path.split(os.path.normpath(out))
    # Every worker takes part in the save's collectives; only the chief keeps the export.
    path = export_teb(fit, base or ".", name, metadata={"transfer": report.to_dict()})
    if not is_chief():      # a multi-worker non-chief: the chief reports
        print(json.dumps({"chief": False}))
        return 0
    print(report.summary(), file=sys.stderr)
    result = {"transfer_nats": report.transfer_nats, "transfer_ci": list(report.ci),
              "transfer_nats_raw": report.transfer_nats_raw,
              "transfer_ci_raw": list(report.ci_raw), "transfer_p": report.p_value,
              "n_surrogates": report.n_surrogates,
              "supported": report.supported, "rate_nats": report.rate_nats,
              "val_nll": float(-teb_val["log_prob"].mean()),
              "val_nll_target_only": float(-to_val["log_prob"].mean()),
              "val_mae": fm.mae(val.target_future, teb_val["mean"]),
              "val_mae_target_only": fm.mae(val.target_future, to_val["mean"]),
              "val_crps": fm.crps_quantiles(val.target_future, teb_val["quantiles"],
                                            crps_levels),
              "test_nll": report.nll_teb, "test_nll_target_only": report.nll_target_only,
              "test_crps": {name: float(skill.loc[name, "crps"]) for name in skill.index},
              "epochs": [fit.epochs_target_only, fit.epochs_teb], "export": path}
    if reverse is not None:
        result["reverse_transfer_nats"] = report.reverse.transfer_nats
        result["reverse_transfer_ci"] = list(report.reverse.ci)
        result["reverse_transfer_p"] = report.reverse.p_value
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
    kwargs = _fit_kwargs(args)
    if args.folds < 1:
        raise ValueError("--folds must be a positive integer")
    streams = _streams(args)
    from ibtf.models.teb.fit import backtest
    shortest = min(hi - lo for lo, hi in streams.bounds)
    test_size = args.test_size or max(streams.horizon + 1, int(0.15 * shortest) // args.folds)
    table = backtest(streams, args.folds, test_size, **kwargs)
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
