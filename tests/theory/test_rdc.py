"""RDC closed forms against Blahut-Arimoto (any channel) and the Gaussian channel solver."""

import itertools

import numpy as np
import pytest

from ibtf.theory.blahut_arimoto import blahut_arimoto
from ibtf.theory.entropy import binary_entropy
from ibtf.theory.gaussian_channels import optimize_gaussian_test_channel
from ibtf.theory.rate_distortion import binary_rd, gaussian_rd
from ibtf.theory.rdc import (
    binary_classification_rate,
    binary_rdc,
    gaussian_classification_rate,
    gaussian_conditional_entropy_floor,
    gaussian_rdc,
)

VAR_X, VAR_S, RHO = 1.5, 0.7, 0.8
FLOOR = gaussian_conditional_entropy_floor(VAR_S, RHO)  # h(S|X)
H_S = 0.5 * np.log(2 * np.pi * np.e * VAR_S)


@pytest.mark.parametrize(
    "distortion, c_frac",
    list(itertools.product([0.1, 0.5, 2.0], [0.05, 0.5, 1.1])),
)
def test_gaussian_rdc_matches_gaussian_test_channel_search(distortion, c_frac):
    c = FLOOR + c_frac * (H_S - FLOOR)  # from near h(S|X) to beyond h(S)
    solver = optimize_gaussian_test_channel(
        VAR_X, distortion=distortion, classification=c, var_s=VAR_S, rho=RHO
    )
    assert gaussian_rdc(distortion, c, VAR_X, VAR_S, RHO) == pytest.approx(
        solver.rate_nats, abs=1e-6
    )


def test_gaussian_rdc_is_the_larger_single_constraint_rate():
    d = np.linspace(0.05, 2.0, 30)[:, None]
    c = np.linspace(FLOOR + 0.01, H_S + 0.2, 30)[None, :]
    both = gaussian_rdc(d, c, VAR_X, VAR_S, RHO)
    np.testing.assert_allclose(
        both, np.maximum(gaussian_rd(d, VAR_X), gaussian_classification_rate(c, VAR_S, RHO))
    )
    # Non-increasing in each constraint.
    assert np.all(np.diff(both, axis=0) <= 1e-12) and np.all(np.diff(both, axis=1) <= 1e-12)


def _discretized_gaussian_pair(n_x=81, n_s=111, rho=0.8):
    x = np.linspace(-5, 5, n_x)
    p_x = np.exp(-(x**2) / 2)
    p_x /= p_x.sum()
    s = np.linspace(-5.5, 5.5, n_s)
    p_s_x = np.exp(-((s[None, :] - rho * x[:, None]) ** 2) / (2 * (1 - rho**2)))
    p_s_x /= p_s_x.sum(axis=1, keepdims=True)
    var_x = float(p_x @ x**2)
    var_s = float((p_x @ p_s_x) @ s**2)
    return x, p_x, s, p_s_x, var_x, var_s


def test_classification_rate_matches_blahut_arimoto_over_arbitrary_channels():
    """The EPI converse, checked by an IB/BA solver free to pick any (non-Gaussian) channel."""
    x, p_x, s, p_s_x, var_x, var_s = _discretized_gaussian_pair()
    res = blahut_arimoto(
        p_x,
        (x[:, None] - x[None, :]) ** 2,
        0.0,
        p_s_given_x=p_s_x,
        class_slope=3.0,
        tol=1e-10,
        max_iter=3000,
    )
    # Discrete entropy + ln(step) approximates the differential entropy h(S | Xhat).
    c = res.classification_nats + np.log(s[1] - s[0])
    assert res.rate_nats == pytest.approx(gaussian_classification_rate(c, var_s, 0.8), abs=5e-4)
    assert res.rate_nats > 0.3  # a genuinely constrained point, not the trivial R = 0


@pytest.mark.slow
@pytest.mark.parametrize("slope, class_slope", [(0.5, 2.0), (2.0, 3.0), (0.0, 6.0)])
def test_gaussian_rdc_matches_blahut_arimoto_on_a_grid(slope, class_slope):
    x, p_x, s, p_s_x, var_x, var_s = _discretized_gaussian_pair()
    res = blahut_arimoto(
        p_x,
        (x[:, None] - x[None, :]) ** 2,
        slope,
        p_s_given_x=p_s_x,
        class_slope=class_slope,
        restarts=2,
        tol=1e-12,
    )
    c = res.classification_nats + np.log(s[1] - s[0])
    assert res.rate_nats == pytest.approx(
        gaussian_rdc(res.distortion, c, var_x, var_s, 0.8), abs=5e-4
    )


@pytest.mark.parametrize("p, eps", [(0.5, 0.1), (0.3, 0.2), (0.15, 0.05)])
@pytest.mark.parametrize(
    "slope, class_slope", [(0.0, 2.0), (0.0, 6.0), (1.5, 3.0), (3.0, 1.0), (2.5, 0.0)]
)
def test_binary_rdc_matches_blahut_arimoto_on_a_grid(p, eps, slope, class_slope):
    p_s_x = np.array([[1 - eps, eps], [eps, 1 - eps]])
    res = blahut_arimoto(
        [1 - p, p],
        1.0 - np.eye(2),
        slope,
        p_s_given_x=p_s_x,
        class_slope=class_slope,
        restarts=4,
        seed=1,
    )
    closed = binary_rdc(res.distortion, res.classification_nats, p, eps)
    # Each BA channel is achievable, so the closed form may never exceed it ...
    assert closed <= res.rate_nats + 1e-7
    # ... and BA, minimising the Lagrangian, lands on the surface.
    assert res.rate_nats == pytest.approx(closed, abs=1e-5)


def test_binary_rdc_special_cases():
    p, eps = 0.3, 0.1
    # A loose classification bound gives the classical R(D); a loose distortion bound, R_C.
    d = np.linspace(0.0, 0.5, 11)
    np.testing.assert_allclose(binary_rdc(d, np.log(2), p, eps), binary_rd(d, p), atol=1e-12)
    assert binary_rdc(1.0, binary_entropy(eps), p, eps) == pytest.approx(binary_entropy(p))
    # eps and 1 - eps are the same problem; eps = 1/2 needs C >= ln 2 and costs nothing.
    assert binary_classification_rate(0.6, p, 0.2) == pytest.approx(
        binary_classification_rate(0.6, p, 0.8)
    )
    assert binary_classification_rate(np.log(2), p, 0.5) == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: gaussian_rdc(0.5, FLOOR - 0.1, VAR_X, VAR_S, RHO),
            rf"classification must be >= h\(S\|X\).*feasible range \[{FLOOR:.6g}, inf\)",
        ),
        (
            lambda: gaussian_rdc(-0.5, 1.0, 1.0, 1.0, 0.5),
            r"distortion must lie in the feasible range \[0, inf\)",
        ),
        (
            lambda: gaussian_rdc(0.5, 1.0, 1.0, 1.0, 1.5),
            r"rho must lie in the feasible range \[-1, 1\]",
        ),
        (
            lambda: gaussian_rdc(0.5, 1.0, 1.0, 0.0, 0.5),
            r"var_s must lie in the feasible range \(0, inf\)",
        ),
        (
            lambda: binary_rdc(0.1, 0.2, 0.5, 0.1),
            r"classification must be >= H\(S\|X\) = h\(eps\): feasible range "
            rf"\[{binary_entropy(0.1):.6g}, inf\)",
        ),
        (
            lambda: binary_rdc(1.5, 0.5, 0.5, 0.1),
            r"distortion must lie in the feasible range \[0, 1\]",
        ),
        (lambda: binary_rdc(0.1, 0.5, 0.5, -0.1), r"eps must lie in the feasible range \[0, 1\]"),
    ],
)
def test_infeasible_arguments_raise_with_the_feasible_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_boundary_values():
    assert gaussian_rdc(10.0, FLOOR, VAR_X, VAR_S, RHO) == np.inf  # only Xhat = X reaches h(S|X)
    assert gaussian_rdc(VAR_X, H_S, VAR_X, VAR_S, RHO) == 0.0
    # rho = 0: the label is independent of X; C >= h(S) is needed and costs nothing.
    assert gaussian_rdc(VAR_X, H_S, VAR_X, VAR_S, 0.0) == 0.0
    with pytest.raises(ValueError, match="classification must be"):
        gaussian_rdc(VAR_X, H_S - 0.01, VAR_X, VAR_S, 0.0)
