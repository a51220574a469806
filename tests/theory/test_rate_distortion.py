"""Classical R(D) closed forms against Blahut-Arimoto and an independent convex solver."""

import numpy as np
import pytest
import scipy.optimize

from ibtf.theory.blahut_arimoto import blahut_arimoto
from ibtf.theory.rate_distortion import binary_rd, gaussian_dr, gaussian_rd, reverse_water_filling


def _discretized_gaussian(n=121, width=5.0):
    grid = np.linspace(-width, width, n)
    p = np.exp(-(grid**2) / 2)
    p /= p.sum()
    return grid, p, float(np.sum(p * grid**2))


@pytest.mark.parametrize("slope", [0.8, 2.0, 5.0, 20.0])
def test_gaussian_rd_matches_blahut_arimoto_on_a_fine_discretization(slope):
    grid, p, var = _discretized_gaussian()
    res = blahut_arimoto(p, (grid[:, None] - grid[None, :]) ** 2, slope)
    # BA's channel is any discrete channel, not a Gaussian one: the match checks the converse.
    assert res.rate_nats == pytest.approx(gaussian_rd(res.distortion, var), abs=2e-4)
    # Slope of R(D) is -slope: D = 1 / (2 slope) for the Gaussian.
    assert res.distortion == pytest.approx(1 / (2 * slope), rel=2e-3)


def test_gaussian_rd_edges_and_inverse():
    assert gaussian_rd(0.0, 1.0) == np.inf
    assert gaussian_rd(2.0, 1.0) == 0.0
    rates = np.linspace(0, 5, 11)
    np.testing.assert_allclose(gaussian_rd(gaussian_dr(rates, 3.0), 3.0), rates, atol=1e-12)
    # In bits the classical form is 1/2 log2(var/D); nats = bits * ln 2.
    assert gaussian_rd(0.1, 2.0) == pytest.approx(0.5 * np.log2(20.0) * np.log(2.0))


@pytest.mark.parametrize("slope", [0.7, 1.5, 3.0])
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_binary_rd_matches_blahut_arimoto(slope, p):
    res = blahut_arimoto([1 - p, p], 1.0 - np.eye(2), slope)
    assert res.rate_nats == pytest.approx(binary_rd(res.distortion, p), abs=1e-8)


def _convex_solver_rate(variances, total):
    """min sum 1/2 ln(v_i / D_i) s.t. sum D_i = total, 0 < D_i <= v_i (SLSQP, no water level)."""
    v = np.asarray(variances, dtype=float)
    res = scipy.optimize.minimize(
        lambda d: np.sum(0.5 * np.log(v / d)),
        np.full(v.size, total / v.size).clip(max=v * 0.999),
        method="SLSQP",
        bounds=[(1e-9, vi) for vi in v],
        constraints=[{"type": "eq", "fun": lambda d: d.sum() - total}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    return res.fun, res.x


@pytest.mark.parametrize("total", [0.05, 0.5, 1.3, 2.5, 3.5])
def test_reverse_water_filling_matches_a_generic_convex_solver(total):
    variances = [2.0, 1.0, 0.5, 0.25, 0.1]
    wf = reverse_water_filling(variances, total)
    rate, dist = _convex_solver_rate(variances, total)
    assert wf.rate_nats == pytest.approx(rate, abs=1e-6)
    np.testing.assert_allclose(wf.component_distortions, dist, atol=1e-4)
    assert wf.component_distortions.sum() == pytest.approx(total)


def test_reverse_water_filling_reduces_to_scalar_and_to_zero():
    assert reverse_water_filling([3.0], 0.3).rate_nats == pytest.approx(gaussian_rd(0.3, 3.0))
    assert reverse_water_filling([1.0, 2.0], 5.0).rate_nats == 0.0
    assert reverse_water_filling([1.0, 2.0], 0.0).rate_nats == np.inf


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_rd(-0.1, 1.0), r"distortion must lie in the feasible range \[0, inf\)"),
        (lambda: gaussian_rd(0.1, 0.0), r"variance must lie in the feasible range \(0, inf\)"),
        (lambda: reverse_water_filling([[1.0]], 0.1), "1-D"),
        (lambda: reverse_water_filling([1.0, -1.0], 0.1), "variances must lie"),
        (lambda: binary_rd(0.1, 1.2), r"p must lie in the feasible range \[0, 1\]"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
