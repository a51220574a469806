import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ibtf.models.baselines import (ARForecaster, ARXForecaster, NaiveForecaster,
                                   SeasonalNaiveForecaster)
from ibtf.streams import PairedStreams, WindowArrays


def simulate(n, c, seed, a=0.5):
    """y_t = a y_{t-1} + c x_{t-1} + e_t, x and e iid N(0, 1): written out here, independently
    of ibtf.data.coupled_ar."""
    rng = np.random.default_rng(seed)
    x, e = rng.standard_normal(n), rng.standard_normal(n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = a * y[t - 1] + c * x[t - 1] + e[t]
    return pd.DataFrame({"t": np.arange(n), "x": x, "y": y})


def held_out_gain(df, source, target, order=1):
    s = PairedStreams(df, time_col="t", source_cols=[source], target_cols=[target],
                      history=order, horizon=1, split=(0.7, 0.0, 0.3))
    train, test = s.windows("train"), s.windows("test")
    ar, arx = ARForecaster(order).fit(train), ARXForecaster(order).fit(train)
    diff = (arx.log_prob(test) - ar.log_prob(test))[:, 0]
    return diff.mean(), diff.std() / np.sqrt(len(diff)), arx


@pytest.mark.parametrize("c", [0.25, 0.5, 1.0])
def test_arx_gain_over_ar_is_the_transfer_entropy(c):
    gain, stderr, arx = held_out_gain(simulate(20_000, c, seed=int(c * 100)), "x", "y")
    truth = 0.5 * np.log1p(c * c)   # 1/2 ln(1 + c^2 var_x / var_e), var_x = var_e = 1
    # 6000 held-out steps: the standard error is 0.004-0.010 nats; allow ~4 of them.
    assert stderr < 0.012
    assert gain == pytest.approx(truth, abs=0.03)
    np.testing.assert_allclose(arx.coef_[1:, 0, 0], [0.5, c], atol=0.03)   # (a, c)
    assert arx.stddev_[0, 0] == pytest.approx(1.0, abs=0.02)


def test_reverse_direction_carries_nothing():
    # x is iid and y never feeds back: y's past tells nothing about x's future.
    gain, _, _ = held_out_gain(simulate(20_000, 0.8, seed=7), "y", "x")
    assert abs(gain) < 0.01


def test_direct_multistep_ar_matches_closed_form():
    # AR(1), a = 0.8, unit noise: the h-step predictor is a^h y_{t-1} with error variance
    # (1 - a^(2h)) / (1 - a^2).
    rng = np.random.default_rng(3)
    n, a = 30_000, 0.8
    y = np.zeros(n)
    e = rng.standard_normal(n)
    for t in range(1, n):
        y[t] = a * y[t - 1] + e[t]
    df = pd.DataFrame({"t": np.arange(n), "x": rng.standard_normal(n), "y": y})
    s = PairedStreams(df, time_col="t", source_cols="x", target_cols="y", history=2, horizon=4,
                      split=(0.7, 0.0, 0.3))
    ar = ARForecaster(2).fit(s.windows("train"))
    h = np.arange(1, 5)
    np.testing.assert_allclose(ar.coef_[1, :, 0], a ** h, atol=0.03)    # lag-1 coefficient
    np.testing.assert_allclose(ar.coef_[2, :, 0], 0.0, atol=0.03)       # lag 2 adds nothing
    np.testing.assert_allclose(ar.stddev_[:, 0] ** 2, (1 - a ** (2 * h)) / (1 - a * a), rtol=0.05)
    # Held-out log-density per step is that of the true Gaussian predictive, 1/2 ln(2 pi e v).
    lp = ar.log_prob(s.windows("test")).mean(axis=0)
    variance = (1 - a ** (2 * h)) / (1 - a * a)
    np.testing.assert_allclose(-lp, 0.5 * np.log(2 * np.pi * np.e * variance), atol=0.05)


def test_naive_on_a_random_walk_scales_with_sqrt_h():
    rng = np.random.default_rng(4)
    y = np.cumsum(rng.standard_normal(20_000))
    df = pd.DataFrame({"t": np.arange(len(y)), "x": np.zeros(len(y)), "y": y})
    s = PairedStreams(df, time_col="t", source_cols="x", target_cols="y", history=3, horizon=4)
    naive = NaiveForecaster().fit(s.windows("train"))
    np.testing.assert_allclose(naive.stddev_[:, 0], np.sqrt(np.arange(1, 5)), rtol=0.05)
    mean, std = naive.predict(s.windows("test"))
    test = s.windows("test")
    np.testing.assert_array_equal(mean[:, 2, 0], test.target_history[:, -1, 0])
    want = stats.norm(mean, std).logpdf(test.target_future).sum(-1)
    np.testing.assert_allclose(naive.log_prob(test), want, rtol=1e-6)


def test_seasonal_naive_repeats_the_last_period():
    period = np.array([1.0, 5.0, -2.0, 0.5])
    y = np.tile(period, 50)
    df = pd.DataFrame({"t": np.arange(len(y)), "x": np.zeros(len(y)), "y": y})
    s = PairedStreams(df, time_col="t", source_cols="x", target_cols="y", history=6, horizon=7)
    model = SeasonalNaiveForecaster(4).fit(s.windows("train"))
    mean, _ = model.predict(s.windows("test"))
    np.testing.assert_array_equal(mean, s.windows("test").target_future)


def test_multivariate_target_and_source_shapes():
    rng = np.random.default_rng(5)
    w = WindowArrays(rng.normal(size=(300, 5, 2)), rng.normal(size=(300, 5, 3)),
                     rng.normal(size=(300, 2, 3)), np.array([None] * 300), np.arange(300))
    model = ARXForecaster(3, source_lags=2).fit(w)
    assert model.coef_.shape == (1 + 3 * 3 + 2 * 2, 2, 3)
    mean, std = model.predict(w.inputs)
    assert mean.shape == std.shape == (300, 2, 3) and model.log_prob(w).shape == (300, 2)
    assert model.get_config() == {"order": 3, "source_lags": 2}
    again = ARXForecaster.from_config(model.get_config()).fit(w)
    np.testing.assert_array_equal(again.predict(w)[0], mean)


def test_errors():
    w = WindowArrays(np.zeros((10, 2, 1)), np.zeros((10, 2, 1)), np.zeros((10, 1, 1)),
                     np.array([None] * 10), np.arange(10))
    with pytest.raises(ValueError, match="not fitted"):
        ARForecaster(1).predict(w)
    with pytest.raises(ValueError, match="order must be a positive integer"):
        ARForecaster(0)
    with pytest.raises(ValueError, match="history of 2 steps, fewer than the 3 lags"):
        ARForecaster(3).fit(w)
    with pytest.raises(ValueError, match="needs 'source_history'"):
        ARXForecaster(1).fit(({"target_history": w.target_history}, w.target_future))
    with pytest.raises(ValueError, match="season=4 needs a history"):
        SeasonalNaiveForecaster(4).fit(w)
    with pytest.raises(TypeError, match="give WindowArrays"):
        ARForecaster(1).fit(np.zeros(3))


def test_least_squares_agrees_with_statsmodels_ols():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(6)
    n = 500
    x = rng.standard_normal(n)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.4 * y[t - 1] - 0.2 * y[t - 2] + 0.7 * x[t - 1] + 0.3 * x[t - 2] + rng.normal()
    df = pd.DataFrame({"t": np.arange(n), "x": x, "y": y})
    s = PairedStreams(df, time_col="t", source_cols="x", target_cols="y", history=2, horizon=1,
                      split=(1.0, 0.0, 0.0))
    model = ARXForecaster(2).fit(s.windows("train"))
    # The same regression written by hand for statsmodels: y_t on 1, y_{t-1}, y_{t-2}, x_{t-1},
    # x_{t-2}, for t = 2 .. n-1.
    design = sm.add_constant(np.column_stack([y[1:-1], y[:-2], x[1:-1], x[:-2]]))
    ols = sm.OLS(y[2:], design).fit()
    np.testing.assert_allclose(model.coef_[:, 0, 0], ols.params, rtol=1e-5, atol=1e-6)
    assert model.stddev_[0, 0] ** 2 == pytest.approx(ols.scale, rel=1e-5)
