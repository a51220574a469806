"""Fitting TEB forecasters on paired streams and measuring the information the source transfers.

`fit_teb` trains a target-only forecaster p(y_future | y_past) and a TEB forecaster
p(y_future | y_past, z(x_past)) on the same windows; `transfer_report` scores both on held-out
windows. The gain ``ln p_TEB(y) - ln p_target_only(y)`` per forecast step, averaged over held-out
windows, estimates the transfer entropy TE(X -> Y) = I(Y_future; X_past | Y_past) in nats
(Schreiber 2000; Kalajdzievski et al., TMLR 2023): both predictives have learned scales, so the
difference of their log-likelihoods is a difference of cross-entropies, in nats. The interval
is a moving-block bootstrap over windows (consecutive windows overlap), and a transfer is
claimed only when the interval's lower end is above zero.
"""
import dataclasses
import os
import time

import numpy as np
import pandas as pd
from scipy import stats

from ibtf._keras import keras, tf
from ibtf.distribute import get_strategy
from ibtf.metrics import forecast as fm
from ibtf.models.baselines import (ARForecaster, ARXForecaster, NaiveForecaster,
                                   SeasonalNaiveForecaster)
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.streams.bootstrap import block_bootstrap_ci
from ibtf.streams.windows import WindowArrays

__all__ = ["TEBFit", "TransferReport", "fit_teb", "fit_teb_windows", "transfer_report",
           "skill_table", "backtest", "FIT_DEFAULTS"]

FIT_DEFAULTS = dict(epochs=60, batch_size=256, learning_rate=3e-3, beta=1e-2, latent_dim=8,
                    context_units=32, hidden_units=(64,), encoder="mlp", distribution="normal",
                    mode="from_context", patience=6, seed=0, verbose=0, jit_compile="auto",
                    callbacks=(), checkpoint_dir=None, strategy="default")
_CRPS_LEVELS = (np.arange(1, 100) - 0.5) / 99.0   # 99 evenly spread levels (midpoints)


@dataclasses.dataclass
class TEBFit:
    """A target-only and a TEB forecaster fitted on the same windows.

    Attributes:
      teb, target_only: the `TEBForecaster`s. streams: the `PairedStreams` (or None).
      epochs_target_only, epochs_teb: epochs run (early stopping on validation NLL).
      seconds: wall time of both fits. config: the fit settings.
    """

    teb: TEBForecaster
    target_only: TEBForecaster
    streams: object
    epochs_target_only: int
    epochs_teb: int
    seconds: float
    config: dict


@dataclasses.dataclass
class TransferReport:
    """Held-out transferred information, in nats per forecast step.

    Attributes:
      direction: ``"source -> target"`` column names.
      split: the windows scored. n_windows: how many.
      transfer_nats: the headline, mean over windows and steps of
        ``ln p_TEB(y) - ln p_target_only(y)`` (the gain; estimates TE(X -> Y)).
      ci: ``(lo, hi)`` moving-block bootstrap interval of ``transfer_nats`` at ``level``.
      supported: True when ``lo > 0``: only then is a transfer claimed.
      gain_per_step: [H] mean gain at each forecast step.
      gain_series: [N] gain of each window (mean over steps), in time order; ``origins`` [N]
        the time of each window's first forecast step.
      rate_nats: mean KL(q || r) per window, an upper bound on what the channel carries.
      nll_teb, nll_target_only: mean negative log-likelihood per forecast step (raw units).
      reverse: the report of the reverse direction (a control), or None.
    """

    direction: str
    split: str
    n_windows: int
    transfer_nats: float
    ci: tuple
    level: float
    supported: bool
    gain_per_step: np.ndarray
    gain_series: np.ndarray
    origins: np.ndarray
    rate_nats: float
    nll_teb: float
    nll_target_only: float
    reverse: object = None

    def to_dict(self):
        """JSON-friendly summary (no per-window series)."""
        out = {"direction": self.direction, "split": self.split, "n_windows": self.n_windows,
               "transfer_nats": self.transfer_nats, "transfer_ci": list(self.ci),
               "level": self.level, "supported": self.supported,
               "gain_per_step": [float(g) for g in self.gain_per_step],
               "rate_nats": self.rate_nats, "nll_teb": self.nll_teb,
               "nll_target_only": self.nll_target_only}
        if self.reverse is not None:
            out["reverse"] = self.reverse.to_dict()
        return out

    def summary(self):
        """Plain-language lines: the estimate, its interval, and what may be claimed."""
        lo, hi = self.ci
        verdict = ("supported: the interval excludes 0" if self.supported else
                   "not claimed: the interval does not exclude 0")
        lines = [f"transfer {self.direction}: {self.transfer_nats:+.3f} nats per step "
                 f"[{lo:+.3f}, {hi:+.3f}] ({self.level:.0%} block bootstrap, {self.n_windows} "
                 f"{self.split} windows) -- {verdict}; channel rate {self.rate_nats:.3f} nats"]
        if self.reverse is not None:
            r = self.reverse
            lines.append(f"reverse control {r.direction}: {r.transfer_nats:+.3f} nats "
                         f"[{r.ci[0]:+.3f}, {r.ci[1]:+.3f}] -- "
                         f"{'supported' if r.supported else 'not claimed'}")
        return "\n".join(lines)


def _check_mode(mode):
    if mode not in ("from_context", "joint"):
        raise ValueError(f"mode={mode!r} must be 'from_context' (target-only model first, then "
                         "the source channel with the context frozen) or 'joint'")


def _dataset(windows, batch_size, shuffle, seed):
    data = (windows.inputs, windows.target_future)
    ds = tf.data.Dataset.from_tensor_slices(data)
    if shuffle:
        ds = ds.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
        # Static batch shapes (XLA) and never an empty epoch: batches no larger than the data.
        return ds.batch(min(batch_size, len(windows)), drop_remainder=True).prefetch(2)
    return ds.batch(max(batch_size, 1024)).prefetch(2)


def _train(model, train, val, cfg, monitor_data, part):
    model.compile(keras.optimizers.Adam(cfg["learning_rate"]), jit_compile=cfg["jit_compile"])
    monitor = "val_nll_nats" if monitor_data is not None else "nll_nats"
    stop = keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg["patience"],
                                         restore_best_weights=True)
    callbacks = [stop, *cfg["callbacks"]]
    if cfg["checkpoint_dir"] is not None:
        # Weights, optimizer state and the epoch are saved after every epoch; a rerun with the
        # same directory resumes where an interrupted run stopped (removed on success).
        callbacks.insert(0, keras.callbacks.BackupAndRestore(
            os.path.join(os.fspath(cfg["checkpoint_dir"]), part)))
    hist = model.fit(_dataset(train, cfg["batch_size"], True, cfg["seed"]),
                     validation_data=monitor_data, epochs=cfg["epochs"],
                     callbacks=callbacks, verbose=cfg["verbose"])
    # Keras restores the best weights only when it stops early; a run that uses every epoch
    # must end on its best epoch too.
    if stop.best_weights is not None:
        model.set_weights(stop.best_weights)
    return len(hist.history["loss"])


def _split_validation(train):
    """The last 15% of training windows (in time order) for early stopping."""
    n = len(train)
    cut = max(int(round(0.85 * n)), 1)
    if n - cut < 1:
        return train, None
    def pick(a, rows):
        return WindowArrays(a.source_history[rows], a.target_history[rows],
                            a.target_future[rows], a.series[rows], a.origin[rows])

    return pick(train, slice(0, cut)), pick(train, slice(cut, n))


def fit_teb_windows(train, val, scaler, **kwargs):
    """`fit_teb` on windows: ``train``/``val`` `WindowArrays` (raw units; val may be None, then
    the last 15% of ``train`` stops training early) and the `StreamScaler` fitted on training
    rows. Keyword arguments as `fit_teb`."""
    unknown = set(kwargs) - set(FIT_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown fit settings {sorted(unknown)}; known: {sorted(FIT_DEFAULTS)}")
    cfg = {**FIT_DEFAULTS, **kwargs}
    _check_mode(cfg["mode"])
    for key in ("epochs", "batch_size", "patience"):
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], (int, np.integer)) \
                or cfg[key] < 1:
            raise ValueError(f"{key}={cfg[key]!r} must be a positive integer")
    if len(train) < 2:
        raise ValueError(f"only {len(train)} training windows: use a shorter history/horizon or "
                         "more data")
    if val is None or len(val) == 0:
        train, val = _split_validation(train)
    val_data = None if val is None else _dataset(val, 1024, False, 0)
    history, ds = train.source_history.shape[1:]
    horizon, dt = train.target_future.shape[1:]
    common = dict(history=int(history), horizon=int(horizon), source_dim=int(ds),
                  target_dim=int(dt), latent_dim=cfg["latent_dim"],
                  context_units=cfg["context_units"], hidden_units=tuple(cfg["hidden_units"]),
                  encoder=cfg["encoder"], distribution=cfg["distribution"], beta=cfg["beta"],
                  scaler=scaler, seed=cfg["seed"])
    start = time.time()
    strategy = get_strategy(cfg["strategy"])
    keras.utils.set_random_seed(cfg["seed"])
    with strategy.scope():
        target_only = TEBForecaster(use_source=False, **common)
    epochs_to = _train(target_only, train, val, cfg, val_data, "target_only")
    keras.utils.set_random_seed(cfg["seed"] + 1)
    with strategy.scope():
        if cfg["mode"] == "from_context":
            teb = TEBForecaster.from_context(target_only)
        else:
            teb = TEBForecaster(use_source=True, **common)
    epochs_teb = _train(teb, train, val, cfg, val_data, "teb")
    return TEBFit(teb, target_only, None, epochs_to, epochs_teb, time.time() - start, cfg)


def fit_teb(streams, **kwargs):
    """Trains a target-only and a TEB forecaster on ``streams``' training windows.

    Both stop early on the validation windows' NLL (the last 15% of training windows when the
    streams have no validation split) and keep their best weights. ``mode="from_context"``
    (default) trains the target-only model first, then starts TEB from it with the context
    frozen and the channel closed; ``mode="joint"`` trains TEB from scratch.

    Args:
      streams: `ibtf.streams.PairedStreams`.
      epochs, batch_size, learning_rate, patience: training (Adam).
      beta, latent_dim, context_units, hidden_units, encoder, distribution: the model
        (see `TEBForecaster`). seed: weights, shuffling and noise. verbose: Keras verbosity.
      jit_compile: "auto" (XLA on GPU/TPU only), True or False.
      callbacks: extra Keras callbacks for both fits (e.g. progress reporting).
      checkpoint_dir: a directory for per-epoch checkpoints (Keras ``BackupAndRestore``): an
        interrupted fit rerun with the same directory resumes from its last epoch (a finished
        target-only fit is not kept: it is refitted before the TEB part resumes).
      strategy: "default", "mirrored" or "multiworker" (`ibtf.distribute`): the models are
        built in its scope and ``batch_size`` is the global batch, split across replicas.

    Returns:
      A `TEBFit`.
    """
    val = streams.windows("val") if streams.num_windows("val") else None
    fit = fit_teb_windows(streams.windows("train"), val, streams.scaler, **kwargs)
    fit.streams = streams
    return fit


def _windows_of(fit, split, windows):
    if windows is not None:
        return windows
    if fit.streams is None:
        raise ValueError("this fit has no streams: pass windows=WindowArrays to score")
    if not fit.streams.num_windows(split):
        raise ValueError(f"split {split!r} has no windows: choose 'val' or 'test', or give the "
                         "streams a non-zero fraction for it")
    return fit.streams.windows(split)


def _direction(fit):
    s = fit.streams
    if s is None:
        return "source -> target"
    return f"{','.join(s.source_cols)} -> {','.join(s.target_cols)}"


def transfer_report(fit, split="test", *, reverse=None, windows=None, n_boot=2000, level=0.95,
                    block_length=None, seed=0):
    """Held-out transferred information of a `TEBFit`, with a bootstrap interval.

    Args:
      fit: a `TEBFit` (from `fit_teb`).
      split: the windows scored ("test" by default; never the training windows).
      reverse: a `TEBFit` of the reverse direction (``fit_teb(streams.reversed())``) to report
        as a control, or None.
      windows: score these `WindowArrays` instead of a split.
      n_boot, level, block_length, seed: the moving-block bootstrap (`block_bootstrap_ci`).

    Returns:
      A `TransferReport`.
    """
    data = _windows_of(fit, split, windows)
    teb = fit.teb.forecast(data.inputs, data.target_future)
    ref = fit.target_only.forecast(data.inputs, data.target_future)
    gain = teb["log_prob"] - ref["log_prob"]                               # [N, H]
    series = gain.mean(axis=1)
    if len(series) < 2:
        raise ValueError("at least 2 held-out windows are needed for an interval")
    mean, lo, hi = block_bootstrap_ci(series, block_length=block_length, n_boot=n_boot,
                                      level=level, seed=seed)
    rev = None if reverse is None else transfer_report(reverse, split, n_boot=n_boot,
                                                       level=level, block_length=block_length,
                                                       seed=seed)
    return TransferReport(
        direction=_direction(fit), split=split if windows is None else "given",
        n_windows=len(series), transfer_nats=mean, ci=(lo, hi), level=level, supported=lo > 0,
        gain_per_step=gain.mean(axis=0), gain_series=series, origins=np.asarray(data.origin),
        rate_nats=float(teb["rate_nats"].mean()), nll_teb=float(-teb["log_prob"].mean()),
        nll_target_only=float(-ref["log_prob"].mean()), reverse=rev)


def _gaussian_row(mean, std, future, y_train, levels, coverage, season):
    q = stats.norm.ppf(np.asarray(levels))
    quant = mean[..., None] + std[..., None] * q
    return _row(future, mean, quant, levels, y_train, coverage, season,
                nll=-float(np.mean(np.sum(stats.norm.logpdf(future, mean, std), axis=-1))))


def _row(future, mean, quantiles, levels, y_train, coverage, season, nll):
    levels = np.asarray(levels)
    crps = fm.crps_quantiles(future, quantiles[..., :len(_CRPS_LEVELS)], _CRPS_LEVELS)
    extra = quantiles[..., len(_CRPS_LEVELS):]
    user = extra[..., :-2]
    lo, hi = extra[..., -2], extra[..., -1]
    return {"mae": fm.mae(future, mean), "rmse": fm.rmse(future, mean),
            "mase": fm.mase(future, mean, y_train, season=season), "crps": crps,
            "pinball": fm.pinball_loss(future, user, levels[len(_CRPS_LEVELS):-2]),
            "coverage": fm.interval_coverage(future, lo, hi), "nll": nll}


def skill_table(fit, split="test", *, windows=None, y_train=None, ar_order=None, season=None,
                quantile_levels=(0.1, 0.5, 0.9), coverage=0.8, mase_season=1):
    """Forecast skill of TEB, the target-only model and baselines on held-out windows.

    Rows: naive, seasonal naive (when ``season`` is given), AR(p), ARX(p, p) (least squares,
    direct per step), target-only, TEB. Columns: MAE, RMSE, MASE (scaled by the training
    series' naive MAE at ``mase_season``), CRPS (from 99 predictive quantiles, the same for
    every row), pinball loss (mean over ``quantile_levels``), the coverage of the central
    ``coverage`` interval, and NLL (nats per forecast step, raw units). All in raw units.

    Args:
      fit: a `TEBFit`. split / windows: the held-out windows.
      y_train: the training target series [T, dt] for MASE (default: the streams' rows).
      ar_order: p of the AR/ARX baselines (default: the window history, at most 12).
    """
    data = _windows_of(fit, split, windows)
    train = fit.streams.windows("train") if fit.streams is not None else None
    if y_train is None:
        if fit.streams is None:
            raise ValueError("pass y_train (the training target series) for MASE")
        y_train = fit.streams.rows("train")[fit.streams.target_cols].to_numpy(np.float64)
    if train is None:
        raise ValueError("skill_table needs a fit from fit_teb(streams) for the baselines")
    levels = np.concatenate([_CRPS_LEVELS, quantile_levels,
                             [(1 - coverage) / 2, (1 + coverage) / 2]])
    p = min(fit.teb.history_steps, 12) if ar_order is None else int(ar_order)
    future = data.target_future.astype(np.float64)
    rows = {}
    baselines = [("naive", NaiveForecaster())]
    if season:
        baselines.append((f"seasonal naive (m={season})", SeasonalNaiveForecaster(season)))
    baselines += [(f"AR({p})", ARForecaster(p)), (f"ARX({p},{p})", ARXForecaster(p))]
    for name, model in baselines:
        model.fit(train)
        mean, std = model.predict(data)
        rows[name] = _gaussian_row(mean, std, future, y_train, levels, coverage, mase_season)
    for name, model in (("target-only", fit.target_only), ("TEB", fit.teb)):
        out = model.forecast(data.inputs, data.target_future, quantile_levels=levels)
        rows[name] = _row(future, out["mean"], out["quantiles"], levels, y_train, coverage,
                          mase_season, nll=-float(out["log_prob"].mean()))
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def backtest(streams, n_folds=3, test_size=None, *, step=None, **fit_kwargs):
    """Rolling-origin backtest: refit both models on each fold's past, score its future.

    Each fold's scaler and models see only rows before its origin (`backtest_folds`). Returns a
    DataFrame, one row per fold: origin window count, ``transfer_nats`` with its interval,
    MAE/CRPS of the target-only and TEB models, and ARX's MAE.
    """
    folds = streams.backtest_folds(n_folds, test_size, step=step)
    rows = []
    for fold in folds:
        train, test, scaler = streams.fold_windows(fold)
        fit = fit_teb_windows(train, None, scaler, **fit_kwargs)
        fit.streams = None
        report = transfer_report(fit, windows=test) if len(test) >= 2 else None
        row = {"fold": fold.index, "n_test": len(test)}
        if report is not None:
            row.update(transfer_nats=report.transfer_nats, ci_lo=report.ci[0],
                       ci_hi=report.ci[1])
        fut = test.target_future
        for name, model in (("target_only", fit.target_only), ("teb", fit.teb)):
            out = model.forecast(test.inputs, fut, quantile_levels=_CRPS_LEVELS)
            row[f"mae_{name}"] = fm.mae(fut, out["mean"])
            row[f"crps_{name}"] = fm.crps_quantiles(fut, out["quantiles"], _CRPS_LEVELS)
        p = min(train.target_history.shape[1], 12)
        row["mae_arx"] = fm.mae(fut, ARXForecaster(p).fit(train).predict(test)[0])
        rows.append(row)
    return pd.DataFrame(rows).set_index("fold")
