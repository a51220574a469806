"""Baseline forecasters with Gaussian predictive distributions, fitted on windows.

They take the windows of `ibtf.streams` (``source_history`` [N, L, ds], ``target_history``
[N, L, dt], ``target_future`` [N, H, dt]) and give a Normal per future step and target column,
so their held-out log-likelihoods are nats comparable with the TEB forecaster's, and the ARX
minus AR gain is the least-squares (Granger) estimate of transfer entropy:
``TE = 1/2 ln(var_AR / var_ARX)`` for linear-Gaussian processes (Barnett, Barrett & Seth 2009,
"Granger causality and transfer entropy are equivalent for Gaussian variables", PRL 103).

Multi-step forecasts are direct: horizon h has its own least-squares fit and its own residual
variance (Chevillon 2007, "Direct multi-step estimation and forecasting", J. Econ. Surveys),
because the source's future is unknown at the origin (a past-only covariate), which rules out
feeding ARX forecasts back in recursively.
"""
import math

import numpy as np

from ibtf.streams.windows import WindowArrays

__all__ = ["NaiveForecaster", "SeasonalNaiveForecaster", "ARForecaster", "ARXForecaster"]

_LOG_2PI = math.log(2.0 * math.pi)


def _unpack(data, need_future):
    """(source_history, target_history, target_future or None) from windows or an inputs dict."""
    if isinstance(data, WindowArrays):
        src, tgt, fut = data.source_history, data.target_history, data.target_future
    elif isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], dict):
        (inputs, fut) = data
        src, tgt = inputs.get("source_history"), inputs.get("target_history")
    elif isinstance(data, dict):
        src, tgt, fut = data.get("source_history"), data.get("target_history"), None
    else:
        raise TypeError("give WindowArrays, an (inputs, target_future) pair or an inputs dict "
                        f"with 'source_history' and 'target_history', got {type(data).__name__}")
    if tgt is None:
        raise ValueError("the inputs lack 'target_history' [N, L, dt]")
    tgt = np.asarray(tgt, np.float64)
    if tgt.ndim != 3:
        raise ValueError(f"target_history must be [N, L, dt], got shape {tgt.shape}")
    if src is not None:
        src = np.asarray(src, np.float64)
        if src.ndim != 3 or src.shape[:2] != tgt.shape[:2]:
            raise ValueError(f"source_history must be [N, L, ds] with N, L of target_history "
                             f"{tgt.shape[:2]}, got shape {src.shape}")
    if need_future:
        if fut is None:
            raise ValueError("fitting and scoring need target_future [N, H, dt]")
        fut = np.asarray(fut, np.float64)
        if fut.ndim != 3 or fut.shape[0] != tgt.shape[0] or fut.shape[2] != tgt.shape[2]:
            raise ValueError(f"target_future must be [N, H, dt] with N={tgt.shape[0]}, "
                             f"dt={tgt.shape[2]}, got shape {fut.shape}")
    return src, tgt, (None if fut is None else np.asarray(fut, np.float64))


class _GaussianBaseline:
    """Shared predictive logic: Normal(mean, stddev) per step and target column."""

    horizon = None

    @classmethod
    def from_config(cls, config):
        """An unfitted forecaster with the constructor arguments of ``get_config()``."""
        return cls(**config)

    def _check_fitted(self):
        if self.horizon is None:
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(train_windows) first")

    def predict(self, data):
        """``(mean, stddev)``, each [N, H, dt], in the units of the windows."""
        self._check_fitted()
        src, tgt, _ = _unpack(data, need_future=False)
        mean = self._mean(src, tgt)
        return mean, np.broadcast_to(self.stddev_, mean.shape).copy()

    def log_prob(self, data):
        """Log-density of each forecast step, nats [N, H] (summed over target columns)."""
        _, _, fut = _unpack(data, need_future=True)
        mean, std = self.predict(data)
        if fut.shape[1] != mean.shape[1]:
            raise ValueError(f"target_future has horizon {fut.shape[1]}, the model was fitted "
                             f"with {mean.shape[1]}")
        z = (fut - mean) / std
        return np.sum(-0.5 * z * z - np.log(std) - 0.5 * _LOG_2PI, axis=-1)

    def _fit_scale(self, src, tgt, fut, n_params):
        resid = fut - self._mean(src, tgt)
        dof = max(fut.shape[0] - n_params, 1)
        self.stddev_ = np.sqrt(np.sum(resid ** 2, axis=0) / dof)       # [H, dt]
        self.stddev_ = np.maximum(self.stddev_, 1e-12)


class NaiveForecaster(_GaussianBaseline):
    """Random-walk forecast ``y_hat[t+h] = y[t-1]`` for every step h, with a Normal whose
    standard deviation per step is the training RMS of ``y[t+h] - y[t-1]``
    (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", sec. 5.2)."""

    def fit(self, windows):
        """Fits the per-step scale on training windows; returns self."""
        src, tgt, fut = _unpack(windows, need_future=True)
        self.horizon = fut.shape[1]
        self._fit_scale(src, tgt, fut, n_params=0)
        return self

    def _mean(self, src, tgt):
        return np.repeat(tgt[:, -1:, :], self.horizon, axis=1)

    def get_config(self):
        return {}


class SeasonalNaiveForecaster(_GaussianBaseline):
    """Seasonal naive ``y_hat[t+h] = y[t+h-m(floor(h/m)+1)]`` (the same season one period
    back), Normal scale per step from training residuals (Hyndman & Athanasopoulos, sec. 5.2).

    Args:
      season: the period m (>= 1, at most the window history L).
    """

    def __init__(self, season):
        if isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1:
            raise ValueError(f"season must be a positive integer, got {season!r}")
        self.season = int(season)

    def fit(self, windows):
        src, tgt, fut = _unpack(windows, need_future=True)
        if tgt.shape[1] < self.season:
            raise ValueError(f"season={self.season} needs a history of at least that many steps, "
                             f"the windows have {tgt.shape[1]}: lengthen the history")
        self.horizon = fut.shape[1]
        self._fit_scale(src, tgt, fut, n_params=0)
        return self

    def _mean(self, src, tgt):
        length = tgt.shape[1]
        idx = [length - self.season + (h % self.season) for h in range(self.horizon)]
        return tgt[:, idx, :]

    def get_config(self):
        return {"season": self.season}


class ARForecaster(_GaussianBaseline):
    """Least-squares AR(p) on the target, direct for each horizon step, Gaussian scale.

    For each step h and target column j:
    ``y_j[t+h] = b0 + sum_{k=1..p} B_k y[t-k] + e,  e ~ N(0, s_hj^2)``, fitted by ordinary
    least squares (all target columns' lags enter, as in a VAR), with
    ``s_hj^2 = RSS / (N - n_params)``. Box & Jenkins (1976), "Time Series Analysis", ch. 7.

    Args:
      order: p >= 1, at most the window history L.
    """

    uses_source = False

    def __init__(self, order):
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(f"order must be a positive integer, got {order!r}")
        self.order = int(order)
        self.source_lags = 0

    def _design(self, src, tgt):
        length = tgt.shape[1]
        if length < max(self.order, self.source_lags):
            raise ValueError(f"the windows have a history of {length} steps, fewer than the "
                             f"{max(self.order, self.source_lags)} lags asked: lengthen history")
        cols = [np.ones((tgt.shape[0], 1))]
        # Lag k of row t is history index L - k.
        cols.append(tgt[:, length - self.order:, :][:, ::-1, :].reshape(tgt.shape[0], -1))
        if self.source_lags:
            if src is None:
                raise ValueError(f"{type(self).__name__} needs 'source_history' in its inputs")
            cols.append(src[:, length - self.source_lags:, :][:, ::-1, :]
                        .reshape(src.shape[0], -1))
        return np.concatenate(cols, axis=1)

    def fit(self, windows):
        """Least squares on training windows; returns self."""
        src, tgt, fut = _unpack(windows, need_future=True)
        design = self._design(src, tgt)
        n, k = design.shape
        if n <= k:
            raise ValueError(f"{n} training windows cannot fit {k} coefficients: use a lower "
                             "order or more data")
        self.horizon = fut.shape[1]
        flat = fut.reshape(n, -1)                               # [N, H * dt]
        coef, *_ = np.linalg.lstsq(design, flat, rcond=None)
        self.coef_ = coef.reshape(k, self.horizon, fut.shape[2])  # [k, H, dt]
        self._fit_scale(src, tgt, fut, n_params=k)
        return self

    def _mean(self, src, tgt):
        design = self._design(src, tgt)
        return np.einsum("nk,khd->nhd", design, self.coef_)

    def get_config(self):
        return {"order": self.order}


class ARXForecaster(ARForecaster):
    """Least-squares ARX(p, q): AR(p) on the target plus q lags of the source.

    ``y_j[t+h] = b0 + sum_{k=1..p} B_k y[t-k] + sum_{k=1..q} C_k x[t-k] + e``, per step h, by
    ordinary least squares. Against `ARForecaster` of the same order on held-out windows,
    ``mean log p_ARX - mean log p_AR`` estimates the transfer entropy X -> Y in nats; for
    ``y_t = a y_{t-1} + c x_{t-1} + e`` with iid x it is ``1/2 ln(1 + c^2 var_x / var_e)``.

    Args:
      order: p >= 1 target lags.
      source_lags: q >= 1 source lags (default p).
    """

    uses_source = True

    def __init__(self, order, source_lags=None):
        super().__init__(order)
        source_lags = self.order if source_lags is None else source_lags
        if (isinstance(source_lags, bool) or not isinstance(source_lags, (int, np.integer))
                or source_lags < 1):
            raise ValueError(f"source_lags must be a positive integer, got {source_lags!r}")
        self.source_lags = int(source_lags)

    def get_config(self):
        return {"order": self.order, "source_lags": self.source_lags}
