"""The predictive family of a TEB forecaster, fitted to least-squares residuals.

A TEB forecaster starts as the least-squares AR/ARX forecaster (`TEBForecaster.fit_linear`):
its head's weights are zero, so the untrained predictive is ``base + eps`` with eps drawn from
the family whose parameters are the head's biases. This module fits those biases by maximum
likelihood on the training residuals, for each family:

- ``"normal"``: eps ~ N(0, s^2).
- ``"student_t"``: eps ~ t_nu(0, s), nu and s by maximum likelihood (``scipy.stats.t.fit``
  with the location fixed at 0).
- ``"mixture"``: eps ~ sum_k w_k N(m_k, s_k^2) by EM (Dempster, Laird & Rubin 1977), started
  from evenly spread quantiles. Distinct components are required: with identical starting
  components (all head weights zero) every gradient is the same for each component, and the
  mixture stays one Gaussian for the whole training.

`choose_family` picks the family for ``distribution="auto"`` from the target-only AR residuals:
each family is fitted on the training windows and scored on the validation windows, and a
family is taken over a simpler one (normal, then Student t, then mixture) only when its
per-window validation log-likelihood gain over the simpler one has a 95% moving-block bootstrap
interval above 0 (the rule `fit_teb` uses to keep trained weights). The choice never looks at
the source, so both models share it.
"""
import numpy as np
from scipy import special, stats

from ibtf.models.baselines import ARForecaster
from ibtf.streams.bootstrap import block_bootstrap_ci

__all__ = ["FAMILIES", "fit_family", "family_log_prob", "head_bias", "ar_residuals",
           "choose_family"]

FAMILIES = ("normal", "student_t", "mixture")
_DF_RANGE = (2.2, 200.0)


def _softplus_inverse(y):
    y = np.maximum(np.asarray(y, np.float64), 1e-6)
    return y + np.log(-np.expm1(-y))


def _gmm_em(x, k, iterations=300):
    """1-D Gaussian mixture by EM; returns (weights, means, sds)."""
    sd0 = max(float(np.std(x)), 1e-6)
    means = np.quantile(x, (np.arange(k) + 0.5) / k)
    sds = np.full(k, sd0)
    weights = np.full(k, 1.0 / k)
    floor = 1e-3 * sd0
    for _ in range(iterations):
        logp = np.log(weights) + stats.norm.logpdf(x[:, None], means, sds)
        resp = np.exp(logp - special.logsumexp(logp, axis=1, keepdims=True))
        mass = resp.sum(0) + 1e-12
        weights = mass / len(x)
        means = (resp * x[:, None]).sum(0) / mass
        sds = np.maximum(np.sqrt((resp * (x[:, None] - means) ** 2).sum(0) / mass), floor)
    return weights, means, sds


def fit_family(resid, distribution, num_components=3, scale=None):
    """Maximum-likelihood parameters of ``distribution`` for 1-D residuals ``resid``.

    ``scale`` overrides the Normal's scale (e.g. the least-squares ``sqrt(RSS / (n - k))``).
    Returns a dict: ``{"scale"}``, ``{"df", "scale"}`` or ``{"weights", "means", "sds"}``.
    """
    resid = np.asarray(resid, np.float64)
    if distribution == "normal":
        return {"scale": float(np.sqrt(np.mean(resid ** 2))) if scale is None else float(scale)}
    if distribution == "student_t":
        df, _, s = stats.t.fit(resid, floc=0.0)
        return {"df": float(np.clip(df, *_DF_RANGE)), "scale": float(s)}
    if distribution == "mixture":
        weights, means, sds = _gmm_em(resid, num_components)
        return {"weights": weights, "means": means, "sds": sds}
    raise ValueError(f"distribution={distribution!r} must be one of {FAMILIES}")


def family_log_prob(params, distribution, x):
    """ln p(x) under `fit_family`'s parameters, elementwise."""
    x = np.asarray(x, np.float64)
    if distribution == "normal":
        return stats.norm.logpdf(x, 0.0, params["scale"])
    if distribution == "student_t":
        return stats.t.logpdf(x, params["df"], 0.0, params["scale"])
    logp = np.log(params["weights"]) + stats.norm.logpdf(x[..., None], params["means"],
                                                          params["sds"])
    return special.logsumexp(logp, axis=-1)


def head_bias(params, distribution, min_scale):
    """The head's biases for one forecast step and column, in `TEBForecaster`'s
    parameterisation: normal ``[loc, raw_scale]``, Student t ``[loc, raw_scale, raw_df]``
    (df = 2.1 + softplus(raw_df + 2)), mixture ``[logits(k), locs(k), raw_scales(k)]``
    (scale = softplus(raw) + min_scale)."""
    def raw_scale(s):
        return _softplus_inverse(np.maximum(np.asarray(s) - min_scale, 1e-4))

    if distribution == "normal":
        return np.array([0.0, raw_scale(params["scale"])])
    if distribution == "student_t":
        return np.array([0.0, raw_scale(params["scale"]),
                         _softplus_inverse(params["df"] - 2.1) - 2.0])
    return np.concatenate([np.log(params["weights"]), params["means"], raw_scale(params["sds"])])


def ar_residuals(train, val, lags):
    """Residuals [n, H*dt] of the direct least-squares AR(p) forecaster
    (`ibtf.models.baselines.ARForecaster`, raw units) on training and validation
    `WindowArrays`."""
    model = ARForecaster(lags).fit(train)

    def residual(windows):
        future = np.asarray(windows.target_future, np.float64)
        return (future - model.predict(windows)[0]).reshape(len(windows), -1)

    return residual(train), residual(val)


def choose_family(train_resid, val_resid, num_components=3, seed=0, level=0.95):
    """The predictive family for ``distribution="auto"`` (see the module docstring).

    Args:
      train_resid, val_resid: [n, C] residuals (`ar_residuals`), one family per column.
    Returns:
      ``(family, gains)``: the chosen family and each family's mean validation gain over the
      Normal (nats per window).
    """
    train_resid = np.asarray(train_resid, np.float64).reshape(len(train_resid), -1)
    val_resid = np.asarray(val_resid, np.float64).reshape(len(val_resid), -1)
    scores = {}
    for family in FAMILIES:
        total = np.zeros(len(val_resid))
        for c in range(train_resid.shape[1]):
            params = fit_family(train_resid[:, c], family, num_components)
            total += family_log_prob(params, family, val_resid[:, c])
        scores[family] = total
    gains = {f: float(np.mean(scores[f] - scores["normal"])) for f in FAMILIES}
    chosen = "normal"
    if len(val_resid) < 2:
        return chosen, gains
    for family in FAMILIES[1:]:          # in order of flexibility
        gain = scores[family] - scores[chosen]
        if not np.isfinite(gain).all():
            continue
        _, lower, _ = block_bootstrap_ci(gain, n_boot=1000, level=level, seed=seed)
        if lower > 0:
            chosen = family
    return chosen, gains
