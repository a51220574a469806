"""beta-VAE upper bound on R(D) of Gaussian sources (Yang & Mandt 2022)."""

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.theory.rate_distortion import reverse_water_filling
from ibtf.theory.rd_upper_bound import RDUpperBoundVAE, evaluate_rd_upper_bound, fit_rd_upper_bound

VARIANCES = np.array([1.0, 0.3])


def _gaussian(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 2)) * np.sqrt(VARIANCES)


def test_upper_bound_stays_above_true_rd_after_short_training():
    res = fit_rd_upper_bound(
        _gaussian(8000, 0), lam=3.0, eval_samples=_gaussian(50_000, 1), steps=300
    )
    truth = reverse_water_filling(VARIANCES, res.distortion).rate_nats
    # The bound holds in expectation; allow 3 standard errors of the Monte Carlo evaluation
    # (the slope of R(D) is about -lam, so the distortion's error moves R(D) by lam * se).
    se = np.hypot(res.rate_se, 3.0 * res.distortion_se)
    assert res.rate_nats >= truth - 3 * se
    assert np.isfinite(res.rate_nats) and 0 < res.distortion < VARIANCES.sum()


@pytest.mark.slow
@pytest.mark.parametrize("lam", [1.0, 3.0, 10.0])
def test_trained_upper_bound_is_tight_on_a_gaussian_source(lam):
    res = fit_rd_upper_bound(
        _gaussian(20_000, 0), lam=lam, eval_samples=_gaussian(100_000, 1), steps=2000
    )
    truth = reverse_water_filling(VARIANCES, res.distortion).rate_nats
    se = np.hypot(res.rate_se, lam * res.distortion_se)
    assert res.rate_nats >= truth - 3 * se
    assert res.rate_nats - truth < 0.03  # measured 0.005-0.008 nats on this machine
    # The point sits where the slope of R(D) is -lam: theta = 1 / (2 lam).
    assert res.distortion == pytest.approx(np.minimum(1 / (2 * lam), VARIANCES).sum(), rel=0.1)


def test_model_serialization_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = RDUpperBoundVAE(2, 2, 3.0, hidden_units=(8,))
    x = _gaussian(16, 2).astype(np.float32)
    model(x)
    path = str(tmp_path / "ub")
    model.save(path, save_format="tf", save_traces=False)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, RDUpperBoundVAE)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_rate_is_the_analytic_kl_per_example():
    keras.utils.set_random_seed(1)
    model = RDUpperBoundVAE(2, 2, 1.0, hidden_units=(8,))
    x = _gaussian(64, 3).astype(np.float32)
    rate, distortion = model.rate_and_distortion(x)
    assert rate.shape == (64,) and distortion.shape == (64,)
    loc, scale = model._posterior(tf.constant(x))
    # Monte Carlo KL(q || m) for the first example against the analytic value.
    import tensorflow_probability as tfp

    q = tfp.distributions.MultivariateNormalDiag(loc[0], scale[0])
    m = tfp.distributions.MultivariateNormalDiag(model.prior_loc, tf.exp(model.prior_log_scale))
    z = q.sample(200_000, seed=4)
    mc = tf.reduce_mean(q.log_prob(z) - m.log_prob(z)).numpy()
    assert rate[0].numpy() == pytest.approx(mc, abs=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(samples=np.zeros(5)), r"samples must have shape \(n, d\)"),
        (dict(lam=0.0), "lam must be a finite number > 0"),
        (dict(steps=0), "steps must be an integer >= 1"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    args = dict(samples=_gaussian(10, 0), lam=1.0, steps=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_rd_upper_bound(**args)


def test_evaluate_reports_standard_errors():
    keras.utils.set_random_seed(2)
    model = RDUpperBoundVAE(2, 2, 1.0, hidden_units=(8,))
    res = evaluate_rd_upper_bound(model, _gaussian(1000, 5))
    assert res.rate_se > 0 and res.distortion_se > 0 and res.lam == 1.0
