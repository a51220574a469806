import numpy as np
import pytest
from scipy.stats import norm

from ibtf.estimators.copula import gaussian_copula_transform


def test_normal_scores_of_ranks():
    a = np.array([[3.0, -1.0], [1.0, 5.0], [2.0, 0.0]])
    expected = norm.ppf(np.array([[3, 1], [1, 3], [2, 2]]) / 4.0)
    np.testing.assert_allclose(gaussian_copula_transform(a), expected, rtol=1e-6)


def test_invariant_to_increasing_maps_and_keeps_dependence():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(5000, 3))
    u = gaussian_copula_transform(y)
    np.testing.assert_array_equal(u, gaussian_copula_transform(y ** 3))
    np.testing.assert_array_equal(u, gaussian_copula_transform(np.exp(2 * y) + 7))
    # Marginals become ~N(0, 1).
    assert np.all(np.abs(u.mean(axis=0)) < 0.01) and np.all(np.abs(u.std(axis=0) - 1) < 0.02)
    # A Gaussian pair keeps its correlation (the copula is Gaussian).
    x = rng.normal(size=5000)
    pair = np.stack([x, 0.8 * x + 0.6 * rng.normal(size=5000)], axis=1)
    r = np.corrcoef(gaussian_copula_transform(pair ** 3).T)[0, 1]
    assert abs(r - 0.8) < 0.02


def test_ties_get_average_rank():
    u = gaussian_copula_transform(np.array([1.0, 1.0, 2.0]))
    assert u[0] == u[1] < u[2]


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.array([[np.nan]])])
def test_bad_input(bad):
    with pytest.raises(ValueError, match="finite"):
        gaussian_copula_transform(bad)
