"""linear_gaussian_te against a closed form and against brute-force regression on simulations."""

import numpy as np
import pytest
import scipy.signal

from ibtf.theory.transfer_entropy import linear_gaussian_te, var1_autocovariance


@pytest.mark.parametrize("a", [0.0, 0.5, -0.7])
@pytest.mark.parametrize("c, var_x, var_e", [(0.5, 1.0, 1.0), (2.0, 0.3, 1.7), (0.1, 4.0, 0.5)])
@pytest.mark.parametrize("history", [1, 2, 5])
def test_iid_source_matches_closed_form_for_any_history(a, c, var_x, var_e, history):
    A = [[0.0, 0.0], [c, a]]
    S = np.diag([var_x, var_e])
    truth = 0.5 * np.log1p(c**2 * var_x / var_e)
    assert linear_gaussian_te(A, S, source=0, target=1, history=history) == pytest.approx(
        truth, rel=1e-9, abs=1e-12
    )


def test_no_coupling_gives_zero_in_both_directions():
    A = [[0.8, 0.0], [0.0, -0.4]]
    S = [[1.0, 0.3], [0.3, 2.0]]  # correlated innovations are not transfer
    for k in (1, 3):
        assert linear_gaussian_te(A, S, 0, 1, k) == pytest.approx(0.0, abs=1e-12)
        assert linear_gaussian_te(A, S, 1, 0, k) == pytest.approx(0.0, abs=1e-12)


def test_lyapunov_covariance_solves_the_stationarity_equation():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    A *= 0.9 / np.abs(np.linalg.eigvals(A)).max()
    B = rng.normal(size=(4, 4))
    S = B @ B.T + 0.1 * np.eye(4)
    g = var1_autocovariance(A, S, 3)
    np.testing.assert_allclose(g[0], A @ g[0] @ A.T + S, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g[3], np.linalg.matrix_power(A, 3) @ g[0], rtol=1e-10, atol=1e-12)


def _simulate_ar_pair(a, b, c, n, seed):
    """x_t = b x_{t-1} + u_t, y_t = a y_{t-1} + c x_{t-1} + e_t with unit-variance noises."""
    rng = np.random.default_rng(seed)
    u, e = rng.standard_normal((2, n + 2000))
    x = scipy.signal.lfilter([1.0], [1.0, -b], u)
    y = scipy.signal.lfilter([0.0, c], [1.0, -a], x) + scipy.signal.lfilter([1.0], [1.0, -a], e)
    return x[2000:], y[2000:]  # burn-in so the series is stationary


def _regression_te(x, y, k, m):
    """TE = 1/2 ln(residual variance without source / with source), least squares."""
    L = max(k, m)
    n = len(y)
    target = y[L:]
    y_lags = [y[L - i : n - i] for i in range(1, k + 1)]
    x_lags = [x[L - i : n - i] for i in range(1, m + 1)]

    def resid_var(cols):
        design = np.column_stack(cols + [np.ones_like(target)])
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        return np.mean((target - design @ coef) ** 2)

    return 0.5 * np.log(resid_var(y_lags) / resid_var(y_lags + x_lags))


def test_ar_source_te_depends_on_history_and_matches_regression():
    a, b, c = -0.8, 0.95, 1.0
    A = [[b, 0.0], [c, a]]
    x, y = _simulate_ar_pair(a, b, c, n=200_000, seed=1)
    exact = {k: linear_gaussian_te(A, np.eye(2), 0, 1, k) for k in (1, 2, 4)}
    # The dependence on history is real, not a rounding effect (0.95 -> 0.47 nats).
    assert exact[1] - exact[4] > 0.4
    for k, value in exact.items():
        # n = 200k: the regression estimate's standard error is ~0.003 nats.
        assert _regression_te(x, y, k, 1) == pytest.approx(value, abs=0.015)


def test_longer_source_history_matches_regression_on_three_variable_var():
    # z = (x, w, y): x drives w, w and x drive y; w is marginalised, so l > 1 matters.
    A = np.array([[0.7, 0.0, 0.0], [0.9, 0.2, 0.0], [0.3, 0.8, 0.4]])
    S = np.array([[1.0, 0.2, 0.0], [0.2, 0.5, 0.0], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(2)
    n = 150_000
    noise = rng.multivariate_normal(np.zeros(3), S, size=n + 1000)
    z = np.zeros((n + 1000, 3))
    for t in range(1, n + 1000):
        z[t] = A @ z[t - 1] + noise[t]
    x, y = z[1000:, 0], z[1000:, 2]
    for k, m in [(1, 1), (2, 1), (1, 3), (3, 3)]:
        exact = linear_gaussian_te(A, S, 0, 2, k, source_history=m)
        assert _regression_te(x, y, k, m) == pytest.approx(exact, abs=0.015)
    assert (
        linear_gaussian_te(A, S, 0, 2, 1, source_history=3)
        > linear_gaussian_te(A, S, 0, 2, 1, source_history=1) + 0.05
    )


def test_history_zero_is_plain_mutual_information():
    # k = 0: I(y_t; x_{t-1}) = -1/2 ln(1 - corr^2) for the x iid model.
    a, c = 0.5, 1.0
    var_y = c**2 / (1 - a**2) + 1 / (1 - a**2)
    corr2 = c**2 / var_y
    value = linear_gaussian_te([[0, 0], [c, a]], np.eye(2), 0, 1, 0)
    assert value == pytest.approx(-0.5 * np.log1p(-corr2), rel=1e-10)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(A=[[1.0, 0], [0.5, 0.5]]), ValueError, r"spectral radius must lie in \[0, 1\)"),
        (dict(A=[[0.5, 0.1]]), ValueError, "square"),
        (dict(noise_cov=[[1.0, 0], [0, 0.0]]), ValueError, "positive definite"),
        (dict(noise_cov=[[1.0, 0.5], [0, 1.0]]), ValueError, "symmetric"),
        (dict(noise_cov=np.eye(3)), ValueError, "shape"),
        (dict(source=1), ValueError, "disjoint"),
        (dict(source=2), ValueError, r"\[0, 1\]"),
        (dict(history=-1), ValueError, "history must be an integer >= 0"),
        (dict(history=1.5), TypeError, "history"),
        (dict(source_history=0), ValueError, "source_history"),
        (dict(A=[[np.nan, 0], [0, 0]]), ValueError, "finite"),
    ],
)
def test_bad_arguments_raise_with_the_feasible_range(kwargs, error, match):
    args = dict(A=[[0.5, 0.0], [0.5, 0.5]], noise_cov=np.eye(2), source=0, target=1, history=1)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        linear_gaussian_te(**args)


def test_additive_nonlinear_te_matches_the_linear_closed_form_and_a_monte_carlo():
    import math as _math

    import numpy as _np

    from ibtf.theory.transfer_entropy import additive_nonlinear_te
    for c, sd in ((0.8, 0.5), (2.0, 1.0), (0.1, 1.0)):
        assert additive_nonlinear_te(lambda x: c * x, sd) == \
            pytest.approx(0.5 * _math.log1p(c * c / (sd * sd)), abs=1e-6)
    # A nonlinear g: h(g(X) + e) by Monte Carlo with the exact mixture density.
    rng = _np.random.default_rng(0)
    g = lambda x: (x * x - 1) / _math.sqrt(2)                     # noqa: E731
    sd = 0.5
    u = g(rng.standard_normal(20_000)) + sd * rng.standard_normal(20_000)
    x = _np.linspace(-8, 8, 1601)
    w = _np.exp(-0.5 * x * x)
    w /= w.sum()
    kernel = _np.exp(-0.5 * ((u[:, None] - g(x)[None]) / sd) ** 2)
    dens = kernel / (sd * _math.sqrt(2 * _math.pi)) @ w
    mc = -_np.mean(_np.log(dens)) - 0.5 * _math.log(2 * _math.pi * _math.e * sd * sd)
    assert additive_nonlinear_te(g, sd) == pytest.approx(mc, abs=0.02)
