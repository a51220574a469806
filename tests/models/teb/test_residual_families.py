"""The predictive family fitted to least-squares residuals, and distribution="auto"."""
import numpy as np
import pytest
from scipy import stats

from ibtf.data import coupled_ar
from ibtf.models.teb import residuals
from ibtf.models.teb.fit import _build_pair, _check_config
from ibtf.streams import PairedStreams

SMALL = dict(hidden_units=(8,), context_units=4, latent_dim=2, epochs=4, batch_size=64)


def test_student_t_and_mixture_fits_recover_known_parameters():
    rng = np.random.default_rng(0)
    t = stats.t.rvs(4.0, scale=2.0, size=20_000, random_state=rng)
    fit = residuals.fit_family(t, "student_t")
    assert fit["df"] == pytest.approx(4.0, rel=0.1)
    assert fit["scale"] == pytest.approx(2.0, rel=0.05)
    x = np.concatenate([rng.normal(-2.0, 0.5, 6000), rng.normal(1.0, 1.0, 14000)])
    mix = residuals.fit_family(x, "mixture", num_components=2)
    order = np.argsort(mix["means"])
    np.testing.assert_allclose(mix["weights"][order], [0.3, 0.7], atol=0.02)
    np.testing.assert_allclose(mix["means"][order], [-2.0, 1.0], atol=0.05)
    np.testing.assert_allclose(mix["sds"][order], [0.5, 1.0], atol=0.05)
    # The fitted log-density is the closed-form mixture's within sampling error.
    truth = np.logaddexp(np.log(0.3) + stats.norm.logpdf(x, -2.0, 0.5),
                         np.log(0.7) + stats.norm.logpdf(x, 1.0, 1.0))
    assert abs(np.mean(residuals.family_log_prob(mix, "mixture", x) - truth)) < 0.01


def _streams(n, noise, seed=0):
    frame = coupled_ar(n, coupling=0.0, target_ar=0.5, seed=seed).frame
    rng = np.random.default_rng(seed + 1)
    y = np.zeros(n)
    for i in range(1, n):
        y[i] = 0.5 * y[i - 1] + noise(rng)
    frame = frame.assign(y=y)
    return PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                         history=3, horizon=1, split=(0.6, 0.2, 0.2))


@pytest.mark.parametrize("family", ["student_t", "mixture"])
def test_untrained_model_is_least_squares_with_the_fitted_residual_family(family):
    """The head's biases are the residuals' ML fit: the untrained model's log-likelihood equals
    the family's density at the least-squares residuals (computed here with scipy)."""
    streams = _streams(1500, lambda r: r.standard_t(3))
    train, test = streams.windows("train"), streams.windows("test")
    config = _check_config(dict(SMALL, distribution=family))
    target_only, _ = _build_pair(train, streams.scaler, config)
    train_resid, test_resid = residuals.ar_residuals(train, test, 3)
    scale = streams.scaler.get_config()["target_scale"][0]
    params = residuals.fit_family(train_resid[:, 0] / scale, family)
    expected = residuals.family_log_prob(params, family, test_resid[:, 0] / scale) - np.log(scale)
    got = target_only.log_prob(test.inputs, test.target_future).sum(axis=1)
    np.testing.assert_allclose(got, expected, atol=5e-3)
    if family == "mixture":
        head = target_only.decoder_head.bias.numpy()
        assert len(np.unique(np.round(head[3:6], 4))) == 3, "mixture components must differ"


@pytest.mark.parametrize("noise,expected", [
    (lambda r: r.standard_normal(), "normal"),
    (lambda r: r.standard_t(2.5), "student_t"),
    (lambda r: (r.standard_normal() ** 2 - 1) / np.sqrt(2) + 0.5 * r.standard_normal(),
     "mixture"),
])
def test_auto_picks_the_family_the_validation_residuals_support(noise, expected):
    streams = _streams(3000, noise)
    train, val = streams.windows("train"), streams.windows("val")
    train_resid, val_resid = residuals.ar_residuals(train, val, 3)
    chosen, gains = residuals.choose_family(train_resid, val_resid)
    assert chosen == expected, gains
    assert gains["normal"] == 0.0


def test_fit_teb_auto_records_the_family_and_its_skill_table_runs():
    """distribution="auto" on a pair with a skewed innovation picks the mixture for both
    models, and the mixture's quantiles (bisection) feed the skill table."""
    from ibtf.data import nonlinear_coupled
    from ibtf.models.teb.fit import fit_teb, skill_table

    pair = nonlinear_coupled(3000, seed=0)
    streams = PairedStreams(pair.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=1, split=(0.6, 0.2, 0.2))
    fit = fit_teb(streams, surrogates=0, distribution="auto", **SMALL)
    assert fit.config["distribution"] == "mixture"
    assert fit.config["distribution_gains"]["mixture"] > 0.05
    assert fit.teb.distribution == fit.target_only.distribution == "mixture"
    table = skill_table(fit, "test")
    assert np.isfinite(table["crps"]).all()
    with pytest.raises(ValueError, match="distribution='gamma' must be 'auto' or one of"):
        fit_teb(streams, distribution="gamma")
