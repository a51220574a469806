import math

import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.models.ratereduction import coding_rate, pairwise_rate_reduction, rate_reduction
from ibtf.theory import rate_reduction as theory


@pytest.mark.parametrize("shared", [False, True])
def test_delta_r_in_float32_matches_the_closed_form_to_1e_4(shared):
    eps = math.sqrt(0.5)
    z, labels = theory.subspace_codes(32, 3, 10, 50, shared=shared, seed=0)
    got = rate_reduction(tf.constant(z, tf.float32), tf.one_hot(labels, 10), eps)
    want = theory.subspace_rate_reduction(32, 3, 10, eps, shared=shared)
    assert abs(float(got) - want) <= 1e-4


def test_coding_rate_matches_numpy_reference():
    z = np.random.default_rng(2).normal(size=(40, 5))
    assert float(coding_rate(tf.constant(z), 0.5)) == pytest.approx(theory.coding_rate(z, 0.5),
                                                                     rel=1e-10)


def test_pairwise_term_is_zero_when_reconstructions_are_the_data():
    z, labels = theory.subspace_codes(16, 2, 4, 20, seed=3)
    z = tf.constant(z, tf.float64)
    value = pairwise_rate_reduction(z, z, tf.one_hot(labels, 4, dtype=tf.float64), 0.5)
    # R(Z_j u Z_j) with 2n_j columns equals R(Z_j): the class-wise distance vanishes.
    assert float(value) == pytest.approx(0.0, abs=1e-9)
    other = pairwise_rate_reduction(z, tf.roll(z, 20, axis=0),
                                    tf.one_hot(labels, 4, dtype=tf.float64), 0.5)
    assert float(other) > 1.0
