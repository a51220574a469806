"""RPC / RDPC closed forms against the Gaussian channel solver; the no-trade-off claim."""

import itertools

import numpy as np
import pytest

from ibtf.theory.gaussian_channels import optimize_gaussian_test_channel
from ibtf.theory.rdc import gaussian_classification_rate, gaussian_conditional_entropy_floor
from ibtf.theory.rdp import gaussian_rdp
from ibtf.theory.rpc import gaussian_rdpc, gaussian_rpc

VAR_X, VAR_S, RHO = 2.0, 1.3, -0.9
FLOOR = gaussian_conditional_entropy_floor(VAR_S, RHO)
H_S = 0.5 * np.log(2 * np.pi * np.e * VAR_S)
CLASSIFICATIONS = [FLOOR + f * (H_S - FLOOR) for f in (0.1, 0.5, 0.9)]


@pytest.mark.parametrize("divergence", ["kl", "reverse_kl", "w2"])
@pytest.mark.parametrize(
    "perception, classification", itertools.product([0.0, 0.5], CLASSIFICATIONS[::2])
)
def test_rpc_matches_gaussian_test_channel_search(divergence, perception, classification):
    solver = optimize_gaussian_test_channel(
        VAR_X,
        perception=perception,
        classification=classification,
        var_s=VAR_S,
        rho=RHO,
        divergence=divergence,
    )
    assert gaussian_rpc(perception, classification, VAR_X, VAR_S, RHO, divergence) == pytest.approx(
        solver.rate_nats, abs=1e-6
    )


def test_no_classification_perception_tradeoff_found_by_the_solver():
    """The solver, which knows nothing of the closed form, finds a rate flat in P."""
    for c in CLASSIFICATIONS[:2]:
        rates = [
            optimize_gaussian_test_channel(
                VAR_X, perception=p, classification=c, var_s=VAR_S, rho=RHO, divergence="w2"
            ).rate_nats
            for p in (0.0, 0.1, 1.0)
        ]
        assert max(rates) - min(rates) < 1e-6
        assert rates[0] == pytest.approx(gaussian_classification_rate(c, VAR_S, RHO), abs=1e-6)


def test_with_distortion_perception_does_cost_rate():
    # Contrast: once MSE is bounded too, perfect realism (P = 0) costs rate (RDP trade-off).
    c = CLASSIFICATIONS[2]
    assert (
        gaussian_rdpc(0.6, 0.0, c, VAR_X, VAR_S, RHO)
        > gaussian_rdpc(0.6, 1.0, c, VAR_X, VAR_S, RHO) + 0.01
    )


@pytest.mark.parametrize(
    "distortion, perception, c_index",
    [(0.2, 0.0, 0), (0.8, 0.1, 2), (0.8, 0.0, 2), (2.5, 0.0, 2), (2.5, 0.1, 0)],
)
def test_rdpc_matches_gaussian_test_channel_search(distortion, perception, c_index):
    c = CLASSIFICATIONS[c_index]
    solver = optimize_gaussian_test_channel(
        VAR_X,
        distortion=distortion,
        perception=perception,
        classification=c,
        var_s=VAR_S,
        rho=RHO,
        divergence="w2",
    )
    closed = gaussian_rdpc(distortion, perception, c, VAR_X, VAR_S, RHO)
    assert closed == pytest.approx(solver.rate_nats, abs=1e-6)
    assert closed >= gaussian_rdp(distortion, perception, VAR_X) - 1e-12


def test_rpc_vectorizes():
    P, C = np.meshgrid([0.0, 0.1, 1.0], CLASSIFICATIONS)
    out = gaussian_rpc(P, C, VAR_X, VAR_S, RHO)
    assert out.shape == P.shape
    np.testing.assert_allclose(out, out[:, :1].repeat(3, axis=1))


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: gaussian_rpc(-0.1, H_S, VAR_X, VAR_S, RHO),
            r"perception must lie in the feasible range \[0, inf\)",
        ),
        (
            lambda: gaussian_rpc(0.1, FLOOR - 1, VAR_X, VAR_S, RHO),
            rf"feasible range \[{FLOOR:.6g}, inf\)",
        ),
        (
            lambda: gaussian_rpc(0.1, H_S, VAR_X, VAR_S, RHO, divergence="tv"),
            "divergence must be one of",
        ),
        (lambda: gaussian_rpc(0.1, H_S, -1.0, VAR_S, RHO), r"var_x must lie in the feasible range"),
        (lambda: gaussian_rdpc(0.1, -1.0, H_S, VAR_X, VAR_S, RHO), r"perception must lie"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
