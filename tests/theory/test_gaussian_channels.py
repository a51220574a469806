"""The Gaussian-channel solver's formulas against Monte Carlo, and its search."""

import numpy as np
import pytest
import scipy.stats

from ibtf.theory.gaussian_channels import gaussian_channel_metrics, optimize_gaussian_test_channel


def test_metrics_match_monte_carlo_of_the_channel():
    rng = np.random.default_rng(0)
    var_x, var_s, rho = 1.7, 0.6, 0.7
    r, t, m = 0.8, 1.1, 0.2
    n = 1_000_000
    x = rng.normal(0, np.sqrt(var_x), n)
    # Xhat = m + t (r x / sigma + sqrt(1 - r^2) w);  S = rho sqrt(var_s / var_x) x + noise.
    xhat = m + t * (r * x / np.sqrt(var_x) + np.sqrt(1 - r**2) * rng.standard_normal(n))
    s = rho * np.sqrt(var_s / var_x) * x + np.sqrt(var_s * (1 - rho**2)) * rng.standard_normal(n)
    rate, mse, w2, h = gaussian_channel_metrics(r, t, m, var_x, var_s, rho, "w2")
    assert mse == pytest.approx(np.mean((x - xhat) ** 2), rel=5e-3)
    # W2 between 1-D laws: the quantile coupling (sorted samples).
    assert w2 == pytest.approx(np.mean((np.sort(x) - np.sort(xhat)) ** 2), abs=5e-3)
    # h(S|Xhat) from the residual variance of the best linear predictor of S from Xhat.
    resid = s - np.polyval(np.polyfit(xhat, s, 1), xhat)
    assert h == pytest.approx(0.5 * np.log(2 * np.pi * np.e * resid.var()), abs=3e-3)
    assert rate == pytest.approx(-0.5 * np.log(1 - np.corrcoef(x, xhat)[0, 1] ** 2), abs=3e-3)
    _, _, kl, _ = gaussian_channel_metrics(r, t, m, var_x, var_s, rho, "kl")
    logp = scipy.stats.norm(0, np.sqrt(var_x)).logpdf(x)
    logq = scipy.stats.norm(m, t).logpdf(x)
    assert kl == pytest.approx(np.mean(logp - logq), abs=5e-3)


def test_unconstrained_costs_nothing_and_infeasible_is_reported():
    assert optimize_gaussian_test_channel(1.0).rate_nats == 0.0
    # h(S|Xhat) can never go below h(S|X): the solver must say so.
    floor = 0.5 * np.log(2 * np.pi * np.e * (1 - 0.5**2))
    res = optimize_gaussian_test_channel(1.0, classification=floor - 0.1, rho=0.5)
    assert not res.feasible and res.rate_nats == np.inf


def test_found_channel_meets_its_constraints():
    res = optimize_gaussian_test_channel(
        1.0, distortion=0.4, perception=0.05, classification=1.2, rho=0.8
    )
    assert res.feasible
    assert res.distortion <= 0.4 + 1e-9 and res.perception <= 0.05 + 1e-9
    assert res.classification_nats <= 1.2 + 1e-9


def test_bad_divergence_raises():
    with pytest.raises(ValueError, match="divergence must be one of"):
        optimize_gaussian_test_channel(1.0, perception=0.1, divergence="js")
