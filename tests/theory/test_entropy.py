"""Elementary entropies against scipy."""

import numpy as np
import pytest
import scipy.stats

from ibtf.theory.entropy import (
    binary_convolution,
    binary_entropy,
    binary_entropy_inverse,
    gaussian_entropy,
)


def test_binary_entropy_matches_scipy_and_inverse_round_trips():
    p = np.linspace(0.0, 0.5, 51)
    np.testing.assert_allclose(binary_entropy(p), scipy.stats.bernoulli(p).entropy(), atol=1e-12)
    np.testing.assert_allclose(binary_entropy_inverse(binary_entropy(p)), p, atol=1e-12)
    assert binary_entropy(1.0) == 0.0 and binary_entropy(0.5) == pytest.approx(np.log(2))


def test_binary_convolution_is_the_cascade_of_two_flips():
    rng = np.random.default_rng(0)
    a, b = 0.1, 0.3
    flips = (rng.random(400_000) < a) ^ (rng.random(400_000) < b)
    assert binary_convolution(a, b) == pytest.approx(flips.mean(), abs=3e-3)


def test_gaussian_entropy_matches_scipy():
    for v in (0.1, 1.0, 7.0):
        assert gaussian_entropy(v) == pytest.approx(scipy.stats.norm(scale=np.sqrt(v)).entropy())


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: binary_entropy(1.5), r"p must lie in the feasible range \[0, 1\]"),
        (lambda: binary_entropy_inverse(1.0), r"h must lie in the feasible range \[0, 0.693147\]"),
        (lambda: gaussian_entropy(0.0), r"variance must lie in the feasible range \(0, inf\)"),
    ],
)
def test_out_of_range_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
