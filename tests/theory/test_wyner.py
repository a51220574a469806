"""Gaussian Wyner common information against a numerical search over Gaussian W."""

import numpy as np
import pytest
import scipy.optimize

from ibtf.theory.gaussian_mi import gaussian_mi
from ibtf.theory.wyner import gaussian_wyner_ci


def _search_over_gaussian_w(rho):
    """min over loadings a b = rho, |a|, |b| < 1 of I(X,Y;W) for X = aW + N1, Y = bW + N2."""

    def rate(a):
        b = rho / a
        return 0.5 * np.log((1 - rho**2) / ((1 - a**2) * (1 - b**2)))

    res = scipy.optimize.minimize_scalar(
        rate, bounds=(rho + 1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-12}
    )
    return res.fun


@pytest.mark.parametrize("rho", np.linspace(0.05, 0.95, 10))
def test_closed_form_matches_search_over_gaussian_common_variables(rho):
    assert gaussian_wyner_ci(rho) == pytest.approx(_search_over_gaussian_w(rho), abs=1e-8)


def test_symmetric_in_sign_exceeds_mi_and_vectorizes():
    rho = np.linspace(-0.99, 0.99, 41)
    ci = gaussian_wyner_ci(rho)
    np.testing.assert_allclose(ci, ci[::-1], rtol=1e-12)
    assert np.all(ci >= gaussian_mi(rho) - 1e-15)
    assert gaussian_wyner_ci(0.0) == 0.0 and gaussian_wyner_ci(-1.0) == np.inf
    assert gaussian_wyner_ci(0.3, d=4) == pytest.approx(4 * gaussian_wyner_ci(0.3))


def test_rho_outside_range_raises():
    with pytest.raises(ValueError, match=r"rho must lie in the feasible range \[-1, 1\]"):
        gaussian_wyner_ci(-1.5)
