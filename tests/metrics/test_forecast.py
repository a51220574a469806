import numpy as np
import pytest
from scipy import integrate, stats

from ibtf.metrics.forecast import (crps_normal, crps_quantiles, crps_samples, interval_coverage,
                                   mae, mase, pinball_loss, rmse)


def crps_by_integration(cdf, y):
    """CRPS = int (F(z) - 1{z >= y})^2 dz (Gneiting & Raftery 2007, eq. 20), by quadrature."""
    left, _ = integrate.quad(lambda z: cdf(z) ** 2, -np.inf, y)
    right, _ = integrate.quad(lambda z: (1.0 - cdf(z)) ** 2, y, np.inf)
    return left + right


@pytest.mark.parametrize("y,loc,scale", [(0.0, 0.0, 1.0), (1.3, -0.2, 0.7), (-4.0, 2.0, 3.0),
                                         (10.0, 0.0, 0.1)])
def test_crps_normal_equals_numerical_integral(y, loc, scale):
    want = crps_by_integration(stats.norm(loc, scale).cdf, y)
    assert crps_normal(y, loc, scale) == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_crps_normal_limits_and_reduction():
    # A point forecast (scale -> 0) scores its absolute error.
    assert crps_normal(2.0, 0.5, 1e-8) == pytest.approx(1.5, rel=1e-6)
    # At y = mu: s (2 phi(0) - 1/sqrt(pi)) = s (sqrt(2) - 1)/sqrt(pi).
    assert crps_normal(0.0, 0.0, 2.0) == pytest.approx(2 * (np.sqrt(2) - 1) / np.sqrt(np.pi))
    per = crps_normal([0.0, 1.0], 0.0, 1.0, reduce=False)
    assert per.shape == (2,) and crps_normal([0.0, 1.0], 0.0, 1.0) == pytest.approx(per.mean())


def test_crps_samples_pair_term_equals_brute_force():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 50))
    y = np.array([0.1, -1.0, 2.0])
    brute = (np.abs(x - y[:, None]).mean(1)
             - 0.5 * np.abs(x[:, :, None] - x[:, None, :]).mean((1, 2)))
    np.testing.assert_allclose(crps_samples(y, x, reduce=False), brute, rtol=1e-12)
    fair = (np.abs(x - y[:, None]).mean(1)
            - 0.5 * np.abs(x[:, :, None] - x[:, None, :]).sum((1, 2)) / (50 * 49))
    np.testing.assert_allclose(crps_samples(y, x, fair=True, reduce=False), fair, rtol=1e-12)


def test_crps_samples_converges_to_closed_form():
    rng = np.random.default_rng(1)
    y = np.array([-1.5, 0.0, 0.4, 3.0])
    draws = 1.0 + 2.0 * rng.standard_normal((4, 200_000))
    np.testing.assert_allclose(crps_samples(y, draws, fair=True, reduce=False),
                               crps_normal(y, 1.0, 2.0, reduce=False), rtol=5e-3)


def test_crps_quantiles_converges_to_closed_form():
    levels = (np.arange(1000) + 0.5) / 1000
    y = np.array([-2.0, 0.3, 1.0])
    q = stats.norm(0.5, 1.5).ppf(levels)[None, :].repeat(3, 0)
    np.testing.assert_allclose(crps_quantiles(y, q, levels, reduce=False),
                               crps_normal(y, 0.5, 1.5, reduce=False), rtol=2e-3)


def test_pinball_is_minimised_by_the_true_quantile():
    rng = np.random.default_rng(2)
    y = rng.exponential(size=20_000)
    tau = 0.9
    grid = np.linspace(0.5, 4.0, 351)
    losses = [pinball_loss(y, q, tau) for q in grid]
    assert grid[int(np.argmin(losses))] == pytest.approx(-np.log(1 - tau), abs=0.06)
    assert pinball_loss(1.0, 0.0, 0.25) == pytest.approx(0.25)
    assert pinball_loss(0.0, 1.0, 0.25) == pytest.approx(0.75)
    per = pinball_loss(np.zeros(4), np.ones((4, 2)), [0.1, 0.9], reduce=False)
    assert per.shape == (4, 2)


def test_interval_coverage_of_a_calibrated_normal():
    rng = np.random.default_rng(3)
    y = rng.standard_normal(50_000)
    half = stats.norm.ppf(0.95)
    assert interval_coverage(y, -half, half) == pytest.approx(0.9, abs=0.005)
    with pytest.raises(ValueError, match="lower exceeds upper"):
        interval_coverage(y, 1.0, -1.0)


def test_point_errors_exact():
    y, p = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])
    assert mae(y, p) == pytest.approx(4 / 3)
    assert rmse(y, p) == pytest.approx(np.sqrt(10 / 3))
    # Naive in-sample MAE of 0, 2, 4, 6 at lag 1 is 2; at lag 2 it is 4.
    train = np.array([0.0, 2.0, 4.0, 6.0])
    assert mase(y, p, train) == pytest.approx(2 / 3)
    assert mase(y, p, train, season=2) == pytest.approx(1 / 3)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="scale must be positive"):
        crps_normal(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"levels must be a scalar or 1-D array in \(0, 1\)"):
        pinball_loss(0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        mae(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="constant"):
        mase([1.0], [1.0], np.ones(5))
    with pytest.raises(ValueError, match="at least 2 draws"):
        crps_samples([0.0], [[1.0]], fair=True)
    with pytest.raises(TypeError, match="y_true must be numeric"):
        mae(["a"], [1.0])
