import numpy as np
import pytest

from ibtf.metrics.identifiability import mean_correlation_coefficient


def _z(n=1000, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_permuted_rescaled_latents_score_one():
    z = _z()
    assert mean_correlation_coefficient(z, -3.0 * z[:, [2, 0, 1]] + 1.0) == pytest.approx(1.0)


def test_independent_latents_score_near_zero():
    assert mean_correlation_coefficient(_z(seed=0), _z(seed=1)) < 0.1
    assert mean_correlation_coefficient(_z(seed=0), _z(seed=1), "linear") < 0.1


def test_linear_alignment_undoes_a_mixing_matrix_but_permutation_does_not():
    z = _z()
    mixed = z @ np.random.default_rng(5).normal(size=(3, 3)) + 2.0
    assert mean_correlation_coefficient(z, mixed, "linear") == pytest.approx(1.0, abs=1e-9)
    assert mean_correlation_coefficient(z, mixed) < 0.95


def test_a_nonlinear_warp_is_not_undone():
    z = _z(d=1)
    assert mean_correlation_coefficient(z, np.sin(3.0 * z), "linear") < 0.5


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="same examples"):
        mean_correlation_coefficient(_z(10), _z(11))
    with pytest.raises(ValueError, match="alignment"):
        mean_correlation_coefficient(_z(10), _z(10), "rotation")
    with pytest.raises(ValueError, match="at least as many"):
        mean_correlation_coefficient(_z(10, 3), _z(10, 2))


def test_supervised_ceiling_is_high_for_an_invertible_map_and_half_for_a_lost_latent():
    from ibtf.metrics.identifiability import supervised_ceiling
    z = _z(2000, 2)
    # x = a smooth invertible map of z (plus a little noise): z is recoverable from x.
    x = np.stack([np.tanh(z[:, 0]) + 0.5 * z[:, 1], z[:, 1] ** 3 + z[:, 1]], axis=1)
    assert supervised_ceiling(x + 0.01 * _z(2000, 2, seed=3), z) > 0.95
    # x keeps z_0 only: z_1 cannot be recovered by any regressor, so the MCC is about
    # (1 + 0) / 2 (the linear alignment may borrow a sliver of z_1 from nothing).
    assert abs(supervised_ceiling(np.tanh(z[:, :1]), z) - 0.5) < 0.1
    with pytest.raises(ValueError, match="same examples"):
        supervised_ceiling(x[:10], z)
