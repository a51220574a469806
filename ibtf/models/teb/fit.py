"""Fitting TEB forecasters on paired streams and measuring the information the source transfers.

`fit_teb` trains a target-only forecaster p(y_future | y_past) and a TEB forecaster
p(y_future | y_past, z(x_past)) on the same windows; `transfer_report` scores both on held-out
windows. The gain ``ln p_TEB(y) - ln p_target_only(y)`` per forecast step, averaged over held-out
windows, estimates the transfer entropy TE(X -> Y) = I(Y_future; X_past | Y_past) in nats
(Schreiber 2000; Kalajdzievski et al., TMLR 2023): both predictives have learned scales, so the
difference of their log-likelihoods is a difference of cross-entropies, in nats. The interval
is a moving-block bootstrap over windows (consecutive windows overlap); it covers held-out
sample noise, not training noise, so a transfer is claimed only when the interval's lower end is
above zero *and* the surrogate test (TEB models trained on surrogate sources that keep the
source's own dynamics, `surrogate_test`) gives p < 0.05. With that test the headline is the
effective transfer, the gain minus the surrogates' mean gain, whose interval adds their spread
(training noise): a useless source then reads 0 on average instead of minus the price of its
inputs (`surrogate_test.effective_transfer`).

Why the estimator is unbiased for "no transfer": the two models are trained identically (same
initial weights for all shared layers, optimizer, epoch budget, early stopping, seeds and
batches) and differ only in the source input, so under a source that carries nothing beyond
its own dynamics the gain has the same distribution as the surrogates' gains, which are made
the same way; the p-value compares it with them. (Training TEB on top of a trained target-only
model, the paper's "from context" mode, adds training to one side only, and its gain on small
data is positive even for a noise source.)
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
from ibtf.models.teb import residuals
from ibtf.models.teb.ensemble import TEBEnsemble
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.models.teb.surrogate_test import effective_transfer, fit_surrogates, p_value
from ibtf.resume import NonFiniteGuard
from ibtf.streams.bootstrap import block_bootstrap_ci
from ibtf.streams.surrogates import SURROGATE_KINDS
from ibtf.streams.windows import WindowArrays

__all__ = ["TEBFit", "TransferReport", "fit_teb", "fit_teb_windows", "transfer_report",
           "skill_table", "backtest", "FIT_DEFAULTS"]

FIT_DEFAULTS = dict(epochs=60, batch_size=256, learning_rate=3e-3, weight_decay=1e-4,
                    beta=1e-2, latent_dim=8, context_units=32, hidden_units=(64,),
                    encoder="mlp", distribution="auto", linear_lags="auto", mode="joint",
                    patience=6, seed=0, verbose=0, jit_compile="auto", callbacks=(),
                    checkpoint_dir=None, surrogates=39, surrogate_kind="shift",
                    strategy="default", ensemble=1)
_CRPS_LEVELS = (np.arange(1, 100) - 0.5) / 99.0   # 99 evenly spread levels (midpoints)


@dataclasses.dataclass
class TEBFit:
    """A target-only and a TEB forecaster fitted on the same windows.

    Attributes:
      teb, target_only: the `TEBForecaster`s (`TEBEnsemble`s with ``ensemble`` > 1).
      streams: the `PairedStreams` (or None).
      epochs_target_only, epochs_teb: epochs run (early stopping on validation NLL; the most
        any ensemble member ran).
      seconds: wall time of both fits. config: the fit settings.
      surrogates: the `SurrogateNull` of the surrogate test (None when not run).
      teb_initial_weights: each TEB member's weights before training, a list per member
        (surrogate refits start from them).
    """

    teb: TEBForecaster
    target_only: TEBForecaster
    streams: object
    epochs_target_only: int
    epochs_teb: int
    seconds: float
    config: dict
    surrogates: object = None
    teb_initial_weights: list = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass
class TransferReport:
    """Held-out transferred information, in nats per forecast step.

    Attributes:
      direction: ``"source -> target"`` column names.
      split: the windows scored. n_windows: how many.
      transfer_nats: the headline. With the surrogate test, the effective transfer
        ``T - mean_i T_i`` (`surrogate_test.effective_transfer`: the raw gain minus what
        surrogate sources gain, which removes the price a TEB pays for useless inputs);
        without it, the raw gain T, the mean over windows and steps of
        ``ln p_TEB(y) - ln p_target_only(y)``. Both estimate TE(X -> Y).
      ci: ``(lo, hi)`` interval of ``transfer_nats`` at ``level``: held-out sample noise
        (moving-block bootstrap) and, with the surrogate test, training noise (the
        surrogates' spread).
      transfer_nats_raw, ci_raw: the raw gain T and its block-bootstrap interval.
      p_value: the surrogate test's p-value for "the source adds nothing" (training noise
        included; `ibtf.models.teb.surrogate_test`), None when no surrogates were fitted.
      n_surrogates, surrogate_kind: the test's size and kind (0, None without it).
      null_mean, null_sd: mean and standard deviation of the surrogates' transfer.
      supported: True when ``lo > 0`` and ``p_value < 1 - level``: only then is a transfer
        claimed (never without the surrogate test).
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
    transfer_nats_raw: float = None
    ci_raw: tuple = None
    reverse: object = None
    p_value: object = None
    n_surrogates: int = 0
    surrogate_kind: object = None
    null_mean: object = None
    null_sd: object = None

    def to_dict(self):
        """JSON-friendly summary (no per-window series)."""
        out = {"direction": self.direction, "split": self.split, "n_windows": self.n_windows,
               "transfer_nats": self.transfer_nats, "transfer_ci": list(self.ci),
               "transfer_nats_raw": self.transfer_nats_raw,
               "transfer_ci_raw": None if self.ci_raw is None else list(self.ci_raw),
               "level": self.level, "transfer_p": self.p_value,
               "n_surrogates": self.n_surrogates, "surrogate_kind": self.surrogate_kind,
               "null_mean": self.null_mean, "null_sd": self.null_sd,
               "supported": self.supported,
               "gain_per_step": [float(g) for g in self.gain_per_step],
               "rate_nats": self.rate_nats, "nll_teb": self.nll_teb,
               "nll_target_only": self.nll_target_only}
        if self.reverse is not None:
            out["reverse"] = self.reverse.to_dict()
        return out

    def summary(self):
        """Plain-language lines: the estimate, its interval, and what may be claimed."""
        lines = [self._line("transfer")]
        if self.p_value is not None:
            lines.append(f"  surrogate test: p = {self.p_value:.3f} ({self.n_surrogates} "
                         f"{self.surrogate_kind} surrogates trained like the source; their "
                         f"transfer {self.null_mean:+.3f} +- {self.null_sd:.3f} nats, the "
                         f"source's {self.transfer_nats_raw:+.3f}: the headline is the "
                         "difference)")
        if self.reverse is not None:
            lines.append(self.reverse._line("reverse control"))
        return "\n".join(lines)

    def _line(self, what):
        lo, hi = self.ci
        alpha = 1 - self.level
        if self.p_value is None:
            verdict = "not claimed: no surrogate test (fit with surrogates >= 20)"
        elif self.supported:
            verdict = f"supported: the interval excludes 0 and p < {alpha:.2g}"
        else:
            why = [r for r, bad in (("the interval includes 0", lo <= 0),
                                    (f"p = {self.p_value:.2g} >= {alpha:.2g}",
                                     self.p_value >= alpha)) if bad]
            verdict = "not claimed: " + " and ".join(why)
        kind = "block bootstrap and surrogates' spread" if self.p_value is not None and \
            self.ci != self.ci_raw else "block bootstrap"
        return (f"{what} {self.direction}: {self.transfer_nats:+.3f} nats per step "
                f"[{lo:+.3f}, {hi:+.3f}] ({self.level:.0%} {kind}, {self.n_windows} "
                f"{self.split} windows) -- {verdict}; channel rate {self.rate_nats:.3f} nats")


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


def _optimizer(cfg):
    optimizer = keras.optimizers.AdamW(cfg["learning_rate"], weight_decay=cfg["weight_decay"])
    # Decay pulls weights to 0; a bias at 0 is no simpler than another value (and the scale
    # bias starts at the least-squares residual scale).
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


def _train(model, train, val, cfg, part):
    """Trains with AdamW and early stopping on validation NLL; returns the epochs run.

    The untrained state (the least-squares forecaster when the model has a linear term) stays
    a candidate: the trained weights are kept only when their validation log-likelihood gain
    over it is significant, the 95% moving-block bootstrap interval of the paired per-window
    gain lying above 0 (consecutive windows overlap, so a plain standard error would be too
    small). On a few dozen validation windows a smaller gain is as likely selection noise as
    skill, and the simpler model generalises better (the spirit of the one-standard-error rule,
    Hastie, Tibshirani & Friedman 2009, "The Elements of Statistical Learning", sec. 7.10).
    """
    if model.optimizer is None:
        model.compile(_optimizer(cfg), jit_compile=cfg["jit_compile"])
        # Slots created now, not in the first step: tf.function then traces the step once.
        with model.distribute_strategy.scope():
            model.optimizer.build(model.trainable_variables)
    monitor_data = None if val is None else _dataset(val, 1024, False, 0)
    monitor = "val_nll_nats" if monitor_data is not None else "nll_nats"
    stop = keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg["patience"],
                                         restore_best_weights=True)
    # A NaN or Inf loss stops the fit at that step with the last good weights and a
    # NonFiniteLossError naming the step (a ValueError: one line from the CLI).
    callbacks = [stop, *cfg["callbacks"], NonFiniteGuard()]
    if cfg["checkpoint_dir"] is not None:
        # Weights, optimizer state and the epoch are saved after every epoch; a rerun with the
        # same directory resumes where an interrupted run stopped (removed on success).
        callbacks.insert(0, keras.callbacks.BackupAndRestore(
            os.path.join(os.fspath(cfg["checkpoint_dir"]), part)))
    scored = train if val is None else val
    initial_weights = model.get_weights()
    initial = model.log_prob(scored.inputs, scored.target_future).sum(axis=1)
    hist = model.fit(_dataset(train, cfg["batch_size"], True, cfg["seed"]),
                     validation_data=monitor_data, epochs=cfg["epochs"],
                     callbacks=callbacks, verbose=cfg["verbose"])
    # Keras restores the best weights only when it stops early; a run that uses every epoch
    # must end on its best epoch too.
    if stop.best_weights is not None:
        model.set_weights(stop.best_weights)
    gain = model.log_prob(scored.inputs, scored.target_future).sum(axis=1) - initial
    significant = False
    if len(gain) > 1 and np.isfinite(gain).all():
        _, lower, _ = block_bootstrap_ci(gain, n_boot=1000, level=0.95, seed=cfg["seed"])
        significant = lower > 0
    if not significant:
        model.set_weights(initial_weights)
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


def _check_config(kwargs):
    unknown = set(kwargs) - set(FIT_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown fit settings {sorted(unknown)}; known: {sorted(FIT_DEFAULTS)}")
    cfg = {**FIT_DEFAULTS, **kwargs}
    _check_mode(cfg["mode"])
    if cfg["distribution"] not in ("auto", *residuals.FAMILIES):
        raise ValueError(f"distribution={cfg['distribution']!r} must be 'auto' or one of "
                         f"{residuals.FAMILIES}")
    for key in ("epochs", "batch_size", "patience", "ensemble"):
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], (int, np.integer)) \
                or cfg[key] < 1:
            raise ValueError(f"{key}={cfg[key]!r} must be a positive integer")
    if not cfg["weight_decay"] >= 0:
        raise ValueError(f"weight_decay={cfg['weight_decay']!r} must be >= 0")
    n = cfg["surrogates"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"surrogates={n!r} must be an integer >= 0 (20 or more for p < 0.05 "
                         "to be reachable; 0 skips the surrogate test)")
    if cfg["surrogate_kind"] not in SURROGATE_KINDS:
        raise ValueError(f"surrogate_kind={cfg['surrogate_kind']!r} must be one of "
                         f"{SURROGATE_KINDS}")
    return cfg


def _linear_lags(cfg, history):
    lags = cfg["linear_lags"]
    if lags == "auto":
        return min(int(history), 12)
    return lags


def _choose_distribution(train, val, cfg):
    """``distribution="auto"``: the family the target-only AR residuals support on the
    validation windows (`residuals.choose_family`); the source plays no part."""
    if val is None or len(val) < 2:
        return "normal", {}
    lags = _linear_lags(cfg, train.target_history.shape[1]) or train.target_history.shape[1]
    train_resid, val_resid = residuals.ar_residuals(train, val, lags)
    return residuals.choose_family(train_resid, val_resid, seed=cfg["seed"])


def _build_pair(train, scaler, cfg):
    """The target-only and TEB models with identical shared initial weights and least-squares
    terms fitted on the training windows: they differ only by the source. ``cfg`` names one
    family (`fit_teb_windows` resolves "auto" first)."""
    history, ds = train.source_history.shape[1:]
    horizon, dt = train.target_future.shape[1:]
    common = dict(history=int(history), horizon=int(horizon), source_dim=int(ds),
                  target_dim=int(dt), latent_dim=cfg["latent_dim"],
                  context_units=cfg["context_units"], hidden_units=tuple(cfg["hidden_units"]),
                  encoder=cfg["encoder"], distribution=cfg["distribution"], beta=cfg["beta"],
                  linear_lags=_linear_lags(cfg, history), scaler=scaler, seed=cfg["seed"])
    keras.utils.set_random_seed(cfg["seed"])
    with get_strategy(cfg["strategy"]).scope():
        target_only = TEBForecaster(use_source=False, **common)
        teb = TEBForecaster(use_source=True, **common) if cfg["mode"] == "joint" else None
    if target_only.linear_lags:
        target_only.fit_linear(train)
    if teb is not None:
        teb.copy_shared_weights(target_only)
        if teb.linear_lags:
            teb.fit_linear(train)
    return target_only, teb


def fit_teb_windows(train, val, scaler, **kwargs):
    """`fit_teb` on windows: ``train``/``val`` `WindowArrays` (raw units; val may be None, then
    the last 15% of ``train`` stops training early) and the `StreamScaler` fitted on training
    rows. Keyword arguments as `fit_teb`."""
    cfg = _check_config(kwargs)
    if len(train) < 2:
        raise ValueError(f"only {len(train)} training windows: use a shorter history/horizon or "
                         "more data")
    if val is None or len(val) == 0:
        train, val = _split_validation(train)
    start = time.time()
    if cfg["distribution"] == "auto":
        cfg["distribution"], cfg["distribution_gains"] = _choose_distribution(train, val, cfg)
    members = [_fit_member(train, val, scaler, cfg, m) for m in range(cfg["ensemble"])]
    target_only, teb, epochs_to, epochs_teb, initial = (list(part) for part in zip(*members))
    if len(members) > 1:
        target_only, teb = TEBEnsemble(target_only), TEBEnsemble(teb)
    else:
        target_only, teb = target_only[0], teb[0]
    return TEBFit(teb, target_only, None, max(epochs_to), max(epochs_teb), time.time() - start,
                  cfg, teb_initial_weights=initial)


def _member_config(cfg, member):
    """The settings of ensemble member ``member``: member 0 has the fit's seed (so
    ``ensemble=1`` is the plain fit), the others seeds drawn from it."""
    if member == 0:
        return cfg
    seed = int(np.random.SeedSequence([int(cfg["seed"]), member]).generate_state(1)[0] >> 1)
    return {**cfg, "seed": seed}


def _fit_member(train, val, scaler, cfg, member):
    """One target-only / TEB pair, trained equally: ``(target_only, teb, epochs_to,
    epochs_teb, teb_initial_weights)``."""
    cfg = _member_config(cfg, member)
    suffix = f"_{member}" if member else ""
    target_only, teb = _build_pair(train, scaler, cfg)
    keras.utils.set_random_seed(cfg["seed"] + 1)
    epochs_to = _train(target_only, train, val, cfg, "target_only" + suffix)
    if cfg["mode"] == "from_context":
        with get_strategy(cfg["strategy"]).scope():
            teb = TEBForecaster.from_context(target_only)
    initial = teb.get_weights()
    keras.utils.set_random_seed(cfg["seed"] + 1)
    epochs_teb = _train(teb, train, val, cfg, "teb" + suffix)
    return target_only, teb, epochs_to, epochs_teb, initial


def fit_teb(streams, **kwargs):
    """Trains a target-only and a TEB forecaster on ``streams``' training windows.

    Equal treatment: ``mode="joint"`` (default) trains the two models the same way (the same
    initial weights for every shared layer, optimizer, epochs budget, early stopping, seeds and
    batches), so they differ only by the source, and the held-out log-likelihood gain measures
    the source, not extra training. Both stop early on the validation windows' NLL (the last
    15% of training windows when the streams have no validation split), the untrained state
    included, and keep their best weights. ``mode="from_context"`` trains the target-only model
    first, then starts TEB from it with the context frozen and the channel closed (the paper's
    second mode; TEB then gets extra training, which biases the gain upwards on small data).

    Args:
      streams: `ibtf.streams.PairedStreams`.
      epochs, batch_size, learning_rate, patience: training (AdamW).
      weight_decay: AdamW's decoupled weight decay (Loshchilov & Hutter 2019).
      beta, latent_dim, context_units, hidden_units, encoder: the model (`TEBForecaster`).
      distribution: the predictive family, one of `TEBForecaster`'s, or "auto": the family
        the target-only least-squares residuals support on the validation windows
        (`ibtf.models.teb.residuals.choose_family`; the source plays no part, both models
        share it). ``fit.config["distribution"]`` holds the family used.
      linear_lags: p of the least-squares AR(p) / ARX(p, p) term under the networks
        (`TEBForecaster`); "auto" = min(history, 12), the baselines' order; 0 for none.
      seed: weights, shuffling and noise (and the surrogates). verbose: Keras verbosity.
      ensemble: k pairs of models trained from k seeds (member 0 from ``seed``); each side
        predicts with the equal mixture of its members' predictives (`TEBEnsemble`, a deep
        ensemble), which averages the training lottery of small data. k times the cost,
        surrogate refits included.
      surrogates: n TEB models trained on surrogate sources for the surrogate test
        (`ibtf.models.teb.surrogate_test`; 0 skips it; 20 is the fewest that can give
        p < 0.05; the default 39 makes "p < 0.05" a test of size 2.5%: the source must beat
        every surrogate). surrogate_kind: "shift" (circular shifts; default) or "phase".
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
    streams.check_informative()
    train, val = _fit_windows(streams)
    fit = fit_teb_windows(train, val, streams.scaler, **kwargs)
    fit.streams = streams
    if fit.config["surrogates"]:
        fit.surrogates = fit_surrogates(fit, fit.config["surrogates"],
                                        fit.config["surrogate_kind"], seed=fit.config["seed"])
    return fit


def _fit_windows(streams):
    """``(train, val)`` windows: the validation split, or the last 15% of training windows."""
    train = streams.windows("train")
    if streams.num_windows("val"):
        return train, streams.windows("val")
    return _split_validation(train)


def _held_out_gain(teb, reference, windows):
    """``ln p_TEB(y) - ln p_ref(y)`` per window, mean over forecast steps [N]; ``reference``
    is the target-only model or its log-densities [N, H] on these windows."""
    if not isinstance(reference, np.ndarray):
        reference = reference.log_prob(windows.inputs, windows.target_future)
    return (teb.log_prob(windows.inputs, windows.target_future) - reference).mean(axis=1)


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
    test = {}
    raw = dict(transfer_nats_raw=mean, ci_raw=(lo, hi))
    null = fit.surrogates
    if null is not None and windows is None and split in null.gains:
        gains = null.gains[split]
        test = dict(p_value=p_value(mean, gains), n_surrogates=null.n,
                    surrogate_kind=null.kind, null_mean=float(np.mean(gains)),
                    null_sd=float(np.std(gains, ddof=1)) if null.n > 1 else 0.0)
        if null.n > 1 and null.window_gains is not None:
            mean, lo, hi = effective_transfer(series, null.window_gains[split], level=level,
                                              n_boot=n_boot, block_length=block_length,
                                              seed=seed)
    supported = bool(lo > 0 and test.get("p_value", 1.0) < 1 - level)
    return TransferReport(
        direction=_direction(fit), split=split if windows is None else "given",
        n_windows=len(series), transfer_nats=mean, ci=(lo, hi), level=level, **raw,
        supported=supported, gain_per_step=gain.mean(axis=0), gain_series=series,
        origins=np.asarray(data.origin), rate_nats=float(teb["rate_nats"].mean()),
        nll_teb=float(-teb["log_prob"].mean()), nll_target_only=float(-ref["log_prob"].mean()),
        reverse=rev, **test)


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
