"""Gaussian rate-distortion-perception against the Gaussian test-channel solver."""

import itertools

import numpy as np
import pytest

from ibtf.theory.gaussian_channels import optimize_gaussian_test_channel
from ibtf.theory.rate_distortion import gaussian_rd
from ibtf.theory.rdp import gaussian_drp, gaussian_rdp

GRID = list(itertools.product([0.1, 0.9, 1.6], [0.0, 0.15, 1.2]))


@pytest.mark.parametrize("distortion, perception", GRID)
def test_closed_form_matches_numerical_gaussian_channel_search(distortion, perception):
    var = 1.7
    solver = optimize_gaussian_test_channel(var, distortion=distortion, perception=perception)
    assert solver.feasible
    assert gaussian_rdp(distortion, perception, var) == pytest.approx(solver.rate_nats, abs=1e-6)


def test_matches_the_paper_form_in_bits():
    # Zhang et al. 2021 Thm 2 with R in bits: D = s^2 2^{-2R} if sqrt(P) >= s (1 - sqrt(1 -
    # 2^{-2R})), else s^2 + (s - sqrt P)^2 - 2 s (s - sqrt P) sqrt(1 - 2^{-2R}).
    s = 1.3
    for bits, p in itertools.product([0.1, 0.5, 1.0, 2.0], [0.0, 0.01, 0.3]):
        root = np.sqrt(1 - 2.0 ** (-2 * bits))
        if np.sqrt(p) >= s * (1 - root):
            d = s**2 * 2.0 ** (-2 * bits)
        else:
            d = s**2 + (s - np.sqrt(p)) ** 2 - 2 * s * (s - np.sqrt(p)) * root
        assert gaussian_drp(bits * np.log(2), p, s**2) == pytest.approx(d, rel=1e-12)
        assert gaussian_rdp(d, p, s**2) == pytest.approx(bits * np.log(2), rel=1e-9)


def test_perception_free_regime_is_classical_rd_and_perfect_realism_costs_rate():
    d = np.linspace(0.05, 0.95, 19)
    np.testing.assert_allclose(gaussian_rdp(d, 10.0, 1.0), gaussian_rd(d, 1.0), rtol=1e-12)
    assert np.all(gaussian_rdp(d, 0.0, 1.0) > gaussian_rd(d, 1.0))
    # Perfect realism at most doubles the distortion at a given rate (Blau & Michaeli 2019).
    r = np.linspace(0.01, 3, 50)
    assert np.all(gaussian_drp(r, 0.0, 1.0) <= 2 * gaussian_drp(r, 10.0, 1.0) + 1e-12)


def test_vectorized_over_a_grid():
    D, P = np.meshgrid(np.linspace(0.05, 2, 7), np.linspace(0, 1, 5))
    out = gaussian_rdp(D, P, 1.0)
    assert out.shape == D.shape and np.all(np.diff(out, axis=1) <= 1e-12)


@pytest.mark.parametrize(
    "args, match",
    [
        ((-0.1, 0.0, 1.0), r"distortion must lie in the feasible range \[0, inf\)"),
        ((0.1, -0.2, 1.0), r"perception must lie in the feasible range \[0, inf\)"),
        ((0.1, 0.0, -1.0), r"variance must lie in the feasible range \(0, inf\)"),
    ],
)
def test_bad_arguments_raise(args, match):
    with pytest.raises(ValueError, match=match):
        gaussian_rdp(*args)
