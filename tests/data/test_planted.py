import math

import numpy as np
import pytest

from ibtf.data.planted import correlated_gaussians, planted_sensitive, spurious_shift, two_views


def test_sensitive_attribute_is_independent_of_the_utility_label():
    data = planted_sensitive(20000, p_sensitive=0.7, seed=0)
    assert data.s_base_rate == pytest.approx(0.7)
    table = np.histogram2d(data.u, data.s, bins=2)[0] / len(data.u)
    np.testing.assert_allclose(table, np.outer(table.sum(1), table.sum(0)), atol=0.01)
    assert data.u_bayes_accuracy == pytest.approx(0.5 * (1 + math.erf(1.5 / math.sqrt(2))))


def test_spurious_feature_agrees_with_the_label_as_each_environment_says():
    data = spurious_shift(20000, (0.9, 0.1), spurious_snr=50.0, seed=1)
    for env, agreement in enumerate((0.9, 0.1)):
        rows = data.env == env
        sign = (data.x[rows, 1] > 0).astype(int)
        assert np.mean(sign == data.y[rows]) == pytest.approx(agreement, abs=0.01)


def test_nuisances_are_independent_of_the_label_and_gaussian_mi_is_the_closed_form():
    views = two_views(20000, seed=2)
    for nuisance in (views.nuisance1, views.nuisance2):
        rates = [nuisance[views.y == c].mean() for c in range(4)]
        assert max(rates) - min(rates) < 0.03
    x, y, mi = correlated_gaussians(10, 0.6, dim=3)
    assert x.shape == y.shape == (10, 3) and mi == pytest.approx(-1.5 * math.log(1 - 0.36))
    with pytest.raises(ValueError, match="rho"):
        correlated_gaussians(10, 1.0)
