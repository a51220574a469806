import math

import numpy as np
import pytest

from ibtf.theory.rate_reduction import (coding_rate, rate_reduction, subspace_codes,
                                        subspace_rate_reduction)


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("eps", [0.5, math.sqrt(0.5), 1.0])
def test_subspace_codes_meet_the_closed_form(shared, eps):
    z, labels = subspace_codes(24, 3, 6, 40, shared=shared, seed=1)
    want = subspace_rate_reduction(24, 3, 6, eps, shared=shared)
    assert rate_reduction(z, labels, eps) == pytest.approx(want, abs=1e-9)


def test_orthogonal_classes_reduce_rate_and_shared_ones_do_not():
    assert subspace_rate_reduction(24, 3, 6, 0.5) > 1.0
    assert subspace_rate_reduction(24, 3, 6, 0.5, shared=True) == 0.0


def test_eps_is_squared_so_the_reference_codes_eps_is_the_papers_eps_squared():
    z = np.random.default_rng(0).normal(size=(50, 6))
    n, d = z.shape
    reference_code = 0.5 * np.linalg.slogdet(np.eye(d) + d / (n * 0.5) * z.T @ z)[1]  # eps=0.5
    assert coding_rate(z, math.sqrt(0.5)) == pytest.approx(reference_code, rel=1e-12)
    assert coding_rate(z, 0.5) != pytest.approx(reference_code, rel=1e-3)


def test_bad_eps_and_too_many_orthogonal_subspaces_are_named():
    with pytest.raises(ValueError, match="eps"):
        coding_rate(np.ones((3, 2)), 0.0)
    with pytest.raises(ValueError, match="dim >= 30"):
        subspace_codes(20, 3, 10, 5)
