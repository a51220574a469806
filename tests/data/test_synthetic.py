import numpy as np
import pytest
from scipy import linalg

from ibtf.data.synthetic import coupled_ar


def test_moments_match_the_lyapunov_solution():
    # Stationary covariance of z_t = A z_{t-1} + e solves S = A S A^T + Sigma (scipy's solver,
    # independent of the simulator); the lag-1 covariance is A S.
    sim = coupled_ar(200_000, coupling=0.6, target_ar=0.4, source_ar=0.7, reverse_coupling=-0.2,
                     source_noise=1.5, target_noise=0.8, seed=11)
    z = sim.frame[["x", "y"]].to_numpy()
    truth = linalg.solve_discrete_lyapunov(sim.transition, sim.noise_cov)
    np.testing.assert_allclose(np.cov(z.T), truth, rtol=0.05, atol=0.02)
    lag1 = (z[1:] - z.mean(0)).T @ (z[:-1] - z.mean(0)) / (len(z) - 1)
    np.testing.assert_allclose(lag1, sim.transition @ truth, rtol=0.06, atol=0.03)
    np.testing.assert_array_equal(sim.transition, [[0.7, -0.2], [0.6, 0.4]])
    assert sim.te_closed_form is None   # an AR source: TE depends on the history length


def test_closed_form_for_iid_source_and_regression_check():
    sim = coupled_ar(50_000, coupling=0.9, target_ar=0.3, source_noise=2.0, target_noise=1.5,
                     seed=2)
    assert sim.te_closed_form == pytest.approx(0.5 * np.log(1 + 0.81 * 4.0 / 2.25))
    x, y = sim.frame["x"].to_numpy(), sim.frame["y"].to_numpy()
    # Residual variances of the full and the restricted regressions: TE = 1/2 ln(ratio).
    full = np.column_stack([y[:-1], x[:-1]])
    r_full = y[1:] - full @ np.linalg.lstsq(full, y[1:], rcond=None)[0]
    r_restricted = y[1:] - y[:-1] * np.linalg.lstsq(y[:-1, None], y[1:], rcond=None)[0]
    te_hat = 0.5 * np.log(r_restricted.var() / r_full.var())
    assert te_hat == pytest.approx(sim.te_closed_form, abs=0.02)


def test_seeded_and_shaped():
    a, b = coupled_ar(100, seed=3), coupled_ar(100, seed=3)
    np.testing.assert_array_equal(a.frame.to_numpy(), b.frame.to_numpy())
    assert not np.array_equal(a.frame["y"], coupled_ar(100, seed=4).frame["y"])
    assert list(a.frame.columns) == ["t", "x", "y"] and len(a.frame) == 100


def test_bad_arguments():
    with pytest.raises(ValueError, match="spectral radius"):
        coupled_ar(100, target_ar=1.0)
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        coupled_ar(1)
    with pytest.raises(ValueError, match="must be positive"):
        coupled_ar(100, target_noise=0.0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        coupled_ar(100, seed=1.5)
    with pytest.raises(TypeError, match="coupling must be a finite number"):
        coupled_ar(100, coupling=float("nan"))


def test_nonlinear_pair_follows_its_generating_model_and_hides_from_least_squares():
    import numpy as _np

    from ibtf.data import nonlinear_coupled
    pair = nonlinear_coupled(20_000, seed=3)
    f = pair.frame
    resid = f["y"].to_numpy()[1:] - pair.true_mean[1:]
    assert abs(resid.std() - pair.noise_sd) < 0.01
    assert abs(_np.corrcoef(f["x"].to_numpy()[:-1], resid + pair.true_mean[1:] -
                            0.5 * f["y"].to_numpy()[:-1])[0, 1]) < 0.03   # no linear link
    assert 0.55 < pair.te < 0.65
