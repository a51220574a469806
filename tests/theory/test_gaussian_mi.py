"""Gaussian MI and total correlation against independent computations."""

import numpy as np
import pytest
import scipy.stats

from ibtf.theory.gaussian_mi import (
    gaussian_mi,
    gaussian_mi_cov,
    gaussian_rho_for_mi,
    gaussian_total_correlation,
)


@pytest.mark.parametrize("rho", [0.1, -0.5, 0.9])
def test_mi_matches_numerical_integration_of_the_log_density_ratio(rho):
    # Riemann sum of p log(p / (p_x p_y)) on a fine grid; logpdf avoids underflow in the tails.
    grid = np.linspace(-9, 9, 1201)
    x, y = np.meshgrid(grid, grid)
    joint = scipy.stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]])
    logp = joint.logpdf(np.stack([x, y], axis=-1))
    ratio = logp - scipy.stats.norm.logpdf(x) - scipy.stats.norm.logpdf(y)
    value = np.sum(np.exp(logp) * ratio) * (grid[1] - grid[0]) ** 2
    assert gaussian_mi(rho) == pytest.approx(value, abs=1e-6)


def test_mi_vectorizes_and_inverts():
    mi = np.array([2.0, 4.0, 6.0, 8.0, 10.0])
    rho = gaussian_rho_for_mi(mi, d=20)
    np.testing.assert_allclose(gaussian_mi(rho, d=20), mi, rtol=1e-12)
    assert gaussian_mi(1.0) == np.inf and gaussian_mi(0.0) == 0.0


def test_cov_form_agrees_with_scalar_form_and_with_independent_pairs():
    rho = 0.7
    cov = np.block([[np.eye(3), rho * np.eye(3)], [rho * np.eye(3), np.eye(3)]])
    assert gaussian_mi_cov(cov, 3) == pytest.approx(gaussian_mi(rho, d=3), rel=1e-12)


def test_mi_cov_matches_monte_carlo_log_density_ratio():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(4, 4))
    cov = B @ B.T + np.eye(4)
    x = rng.multivariate_normal(np.zeros(4), cov, size=400_000)
    logp = scipy.stats.multivariate_normal(np.zeros(4), cov).logpdf(x)
    logq = scipy.stats.multivariate_normal(np.zeros(2), cov[:2, :2]).logpdf(x[:, :2])
    logr = scipy.stats.multivariate_normal(np.zeros(2), cov[2:, 2:]).logpdf(x[:, 2:])
    ratio = logp - logq - logr
    se = ratio.std() / np.sqrt(len(ratio))
    assert abs(gaussian_mi_cov(cov, 2) - ratio.mean()) < 4 * se


def test_total_correlation_is_sum_of_marginal_entropies_minus_joint():
    rng = np.random.default_rng(1)
    B = rng.normal(size=(5, 5))
    cov = B @ B.T + 0.5 * np.eye(5)
    marginals = sum(scipy.stats.norm(scale=np.sqrt(v)).entropy() for v in np.diag(cov))
    joint = scipy.stats.multivariate_normal(np.zeros(5), cov).entropy()
    assert gaussian_total_correlation(cov) == pytest.approx(marginals - joint, rel=1e-10)
    assert gaussian_total_correlation(np.diag([1.0, 2.0, 3.0])) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_mi(1.2), r"rho must lie in the feasible range \[-1, 1\]"),
        (lambda: gaussian_mi(0.5, d=0), "d must be an integer >= 1"),
        (lambda: gaussian_rho_for_mi(-1.0), r"mi_nats must lie in the feasible range \[0"),
        (lambda: gaussian_mi_cov(np.eye(3), 3), r"dim_x must lie in \[1, 2\]"),
        (lambda: gaussian_mi_cov([[1, 2], [2, 1]], 1), "positive definite"),
        (lambda: gaussian_total_correlation(np.ones(3)), "square"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="rho must be a number"):
        gaussian_mi("0.5")
