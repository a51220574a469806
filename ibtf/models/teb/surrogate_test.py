"""The surrogate (placebo) test of "the source adds nothing", with training in the null.

The held-out gain of a TEB model over its target-only reference varies with the held-out
sample *and* with training: on a few hundred windows two trainings differ by more than a
bootstrap over test windows shows. So the null distribution is made by training: each surrogate
source (`ibtf.streams.surrogates`: the source's own dynamics, no link to the target) gets a TEB
model (each member of a seed ensemble) trained exactly like the real one (the same initial
weights, its least-squares term refitted on the surrogate's training windows, a fresh optimizer,
the same epochs budget, early stopping, seeds and batches; the source is standardised with the
real source's scaler) and scored against the same target-only model on the same held-out
windows. With the observed gain ``T`` and the surrogates' gains ``T_1..T_n``, the one-sided
Monte Carlo p-value is

    p = (1 + #{i : T_i >= T}) / (n + 1)

(Davison & Hinkley 1997, "Bootstrap Methods and their Application", eq. 4.11), exact under the
null that the real source is exchangeable with its surrogates; n = 20 is the fewest that can
give p < 0.05. The default is n = 39: then p < 0.05 only when the source beats every surrogate,
a test of size 1/40 = 2.5% under exchangeability. The half-size margin is measured, not
assumed: with n = 20 (nominal size 1/21 = 4.8%) the placebo sources of
benchmarks/results/teb.md fell below 0.05 in 8.3% [4.1, 14.8] of fits with training and
5.3% [4.5, 6.1] of 3000 without (minimum-shift surrogates are not a group, and training adds
noise), and "supported" asks that a useless source be rejected by both the interval and p in
95% of fits.

The same refits correct the estimate (`effective_transfer`): a TEB model pays for its source
inputs even when they carry nothing (on a few hundred windows its extra weights overfit, about
p / 2n nats for p useless inputs), so the raw gain ``T`` of a useless source is below 0 on
average. The surrogates pay the same price, which gives the effective transfer entropy
(Marschinski & Kantz 2002, "Analysing the information flow between financial time series",
Eur. Phys. J. B 30: TE minus the mean TE of surrogates)

    T_eff = T - mean_i T_i,

whose interval adds in quadrature the block-bootstrap half-widths of the per-window
difference (held-out sample noise) and ``z * sd(T_i) * sqrt(1 + 1/n)`` (training noise: under
the null ``T`` is one more draw from the surrogates' distribution, so
``Var(T - mean_i T_i) = sd^2 (1 + 1/n)``).
"""
import dataclasses

import numpy as np

from ibtf._keras import keras
from ibtf.models.teb.ensemble import members_of
from ibtf.streams.surrogates import SURROGATE_KINDS, surrogate_sources

__all__ = ["SurrogateNull", "effective_transfer", "fit_surrogates", "p_value"]

_HELD_OUT = ("val", "test")


@dataclasses.dataclass
class SurrogateNull:
    """Held-out gains of TEB models trained on surrogate sources.

    Attributes:
      kind: the surrogate kind. n: how many. seed: their seed.
      gains: ``{split: [n] mean gain per step}`` for the held-out splits that have windows.
      window_gains: ``{split: [n, N] gain of each held-out window}`` (mean over steps), in the
        windows' order: the effective transfer subtracts their mean window by window.
      min_shift: the smallest circular shift ("shift").
    """

    kind: str
    n: int
    seed: int
    gains: dict
    window_gains: dict = None
    min_shift: int = 0


def p_value(observed, null_gains):
    """``(1 + #{null >= observed}) / (n + 1)``."""
    null_gains = np.asarray(null_gains, np.float64)
    return float((1 + np.sum(null_gains >= observed)) / (len(null_gains) + 1))


def effective_transfer(window_gain, null_window_gains, *, level=0.95, n_boot=2000,
                       block_length=None, seed=0):
    """The effective transfer ``T - mean_i T_i`` and its interval (see the module docstring).

    Args:
      window_gain: [N] held-out gain of each window with the real source.
      null_window_gains: [n, N] the same for n surrogate sources (n >= 2).
      level, n_boot, block_length, seed: the moving-block bootstrap (`block_bootstrap_ci`).

    Returns:
      ``(t_eff, lo, hi)`` floats.
    """
    from scipy import stats

    from ibtf.streams.bootstrap import block_bootstrap_ci
    null = np.asarray(null_window_gains, np.float64)
    window_gain = np.asarray(window_gain, np.float64)
    if null.ndim != 2 or null.shape[0] < 2 or null.shape[1] != window_gain.shape[0]:
        raise ValueError(f"null_window_gains must be [n >= 2, {window_gain.shape[0]}] (n "
                         f"surrogates by the windows of window_gain), got {null.shape}")
    t_eff, lo, hi = block_bootstrap_ci(window_gain - null.mean(axis=0), level=level,
                                       n_boot=n_boot, block_length=block_length, seed=seed)
    n = null.shape[0]
    training = stats.norm.ppf(0.5 + level / 2) * np.std(null.mean(axis=1), ddof=1) \
        * np.sqrt(1 + 1 / n)
    return (t_eff, t_eff - float(np.hypot(t_eff - lo, training)),
            t_eff + float(np.hypot(hi - t_eff, training)))


def _min_shift(streams):
    shortest = min(hi - lo for lo, hi in streams.bounds)
    # Beyond the windows' reach, and a tenth of the series so slow sources decorrelate too.
    return int(max(2 * (streams.history + streams.horizon), shortest // 10))


def _retrain(fit, streams, cfg):
    """Retrains ``fit.teb`` (each ensemble member) on ``streams`` exactly as `fit_teb` trained
    it: its initial weights, the least-squares term refitted, a zeroed optimizer, the same
    seeds and batches. On the fit's own streams it gives the fit's TEB model again (tested)."""
    from ibtf.models.teb.fit import _fit_windows, _member_config, _train
    train, val = _fit_windows(streams)
    for member, (model, initial) in enumerate(zip(members_of(fit.teb),
                                                  fit.teb_initial_weights)):
        member_cfg = _member_config(cfg, member)
        model.set_weights(initial)
        if cfg["mode"] == "joint" and model.linear_lags:
            model.fit_linear(train)
        for variable in model.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype.as_numpy_dtype))
        keras.utils.set_random_seed(member_cfg["seed"] + 1)
        _train(model, train, val, member_cfg, "teb")


def fit_surrogates(fit, n_surrogates=39, kind="shift", seed=0):
    """Trains ``n_surrogates`` TEB models on surrogate sources and scores them held-out.

    Args:
      fit: a `TEBFit` from `fit_teb(streams)` (its streams, settings and target-only model).
      n_surrogates: how many (>= 1; 20 or more for p < 0.05 to be reachable).
      kind: "shift" (circular time shifts; default) or "phase" (phase randomisation).
      seed: the surrogates' random seed.

    Returns:
      A `SurrogateNull`.
    """
    from ibtf.models.teb.fit import _held_out_gain
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)) \
            or n_surrogates < 1:
        raise ValueError(f"n_surrogates={n_surrogates!r} must be a positive integer (20 or more "
                         "for p < 0.05 to be reachable)")
    if kind not in SURROGATE_KINDS:
        raise ValueError(f"surrogate kind {kind!r} is unknown: use one of {SURROGATE_KINDS}")
    streams = fit.streams
    if streams is None or fit.teb_initial_weights is None:
        raise ValueError("surrogate refits need the streams and the initial weights: fit with "
                         "fit_teb(streams)")
    cfg = {**fit.config, "checkpoint_dir": None, "callbacks": (), "verbose": 0}
    rng = np.random.default_rng(seed)
    min_shift = _min_shift(streams)
    splits = [s for s in _HELD_OUT if streams.num_windows(s)]
    gains = {s: [] for s in splits}
    # The target is the same for every surrogate: score the target-only model once.
    reference = {s: fit.target_only.log_prob(streams.windows(s).inputs,
                                             streams.windows(s).target_future) for s in splits}
    # The fitted TEB model itself is retrained for each surrogate (its traced train step is
    # reused: no retracing) from its own initial weights, and restored at the end.
    model = fit.teb
    members = members_of(model)
    trained = [m.get_weights() for m in members]
    optimizer_state = [[v.numpy() for v in m.optimizer.variables] for m in members]
    try:
        for values in surrogate_sources(streams.source_values, streams.bounds, kind,
                                        int(n_surrogates), rng, min_shift=min_shift):
            surrogate = streams.with_source(values)
            _retrain(fit, surrogate, cfg)
            for split in splits:
                gains[split].append(_held_out_gain(model, reference[split],
                                                   surrogate.windows(split)))
    finally:
        for member, weights, state in zip(members, trained, optimizer_state):
            member.set_weights(weights)
            for variable, value in zip(member.optimizer.variables, state):
                variable.assign(value)
    return SurrogateNull(kind=kind, n=int(n_surrogates), seed=int(seed),
                         gains={s: np.asarray(g).mean(axis=1) for s, g in gains.items()},
                         window_gains={s: np.asarray(g) for s, g in gains.items()},
                         min_shift=min_shift if kind == "shift" else 0)
