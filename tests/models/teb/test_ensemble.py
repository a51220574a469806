"""Seed ensembles: the equal mixture of the members' predictives, fitted, refitted, exported."""
import numpy as np
import pytest
from scipy import stats

from ibtf.data import coupled_ar
from ibtf.models.teb.ensemble import TEBEnsemble, members_of
from ibtf.models.teb.export import export_teb, predict_export
from ibtf.models.teb.fit import fit_teb, transfer_report
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.models.teb.surrogate_test import _retrain
from ibtf.streams import PairedStreams

SMALL = dict(hidden_units=(8,), context_units=4, latent_dim=2, epochs=8, batch_size=64)


def _streams(n=400, history=3):
    frame = coupled_ar(n, coupling=1.0, target_ar=0.5, seed=0).frame
    return PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                         history=history, horizon=2, split=(0.6, 0.2, 0.2))


def _members(distribution, use_source, k=3, **kwargs):
    # No least-squares term: the heads start random, so the members differ.
    return [TEBForecaster(history=3, horizon=2, use_source=use_source, latent_dim=2,
                          context_units=4, hidden_units=(8,), distribution=distribution,
                          num_samples=4, seed=seed, **kwargs) for seed in range(k)]


@pytest.mark.parametrize("distribution", ["normal", "student_t", "mixture"])
def test_the_ensemble_scores_with_the_equal_mixture_of_its_members(distribution):
    test = _streams().windows("test")
    members = _members(distribution, use_source=True)
    ensemble = TEBEnsemble(members)
    each = np.stack([m.log_prob(test.inputs, test.target_future) for m in members])
    assert np.ptp(each, axis=0).max() > 1e-2                  # the members differ
    mixture = np.logaddexp.reduce(each, axis=0) - np.log(len(members))
    np.testing.assert_allclose(ensemble.log_prob(test.inputs, test.target_future), mixture,
                               rtol=1e-5, atol=1e-5)
    out = ensemble.forecast(test.inputs, test.target_future)
    means = np.stack([m.forecast(test.inputs)["mean"] for m in members])
    np.testing.assert_allclose(out["mean"], means.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["log_prob"], mixture, rtol=1e-5, atol=1e-5)
    assert ensemble.num_samples == 12


def test_the_ensemble_quantiles_invert_the_mixture_cdf():
    """Target-only Normal members: each predictive is one Normal, so the mixture's cdf is
    the mean of scipy's Normal cdfs at the ensemble's quantiles. (Scales of at least 0.05:
    float32 quantiles of a component with the default floor, 1e-3, move its cdf by 1e-3.)"""
    test = _streams().windows("test")
    members = _members("normal", use_source=False, min_scale=0.05)
    levels = np.array([0.05, 0.3, 0.5, 0.9])
    out = TEBEnsemble(members).forecast(test.inputs, quantile_levels=levels)
    parts = [m.forecast(test.inputs) for m in members]
    cdf = np.mean([stats.norm.cdf(out["quantiles"], p["mean"][..., None],
                                  p["stddev"][..., None]) for p in parts], axis=0)
    np.testing.assert_allclose(cdf, np.broadcast_to(levels, cdf.shape), atol=1e-4)


def test_the_ensemble_rebuilds_from_its_config():
    test = _streams().windows("test")
    ensemble = TEBEnsemble(_members("student_t", use_source=True, k=2))
    clone = TEBEnsemble.from_config(ensemble.get_config())
    clone.set_weights(ensemble.get_weights())
    np.testing.assert_allclose(clone.log_prob(test.inputs, test.target_future),
                               ensemble.log_prob(test.inputs, test.target_future), rtol=1e-6)


def test_members_must_share_their_settings():
    with pytest.raises(TypeError, match="two or more"):
        TEBEnsemble(_members("normal", True, k=1))
    mixed = _members("normal", True, k=1) + _members("mixture", True, k=1)
    with pytest.raises(ValueError, match="differ in"):
        TEBEnsemble(mixed)


@pytest.fixture(scope="module")
def ensemble_fit():
    return fit_teb(_streams(), seed=0, surrogates=0, ensemble=2, **SMALL)


def test_fit_teb_trains_each_member_from_its_own_seed(ensemble_fit):
    fit = ensemble_fit
    assert isinstance(fit.teb, TEBEnsemble) and isinstance(fit.target_only, TEBEnsemble)
    seeds = [m.seed for m in members_of(fit.teb)]
    assert seeds[0] == 0 and seeds[1] != 0
    assert [m.seed for m in members_of(fit.target_only)] == seeds
    assert len(fit.teb_initial_weights) == 2
    # The source helps (coupling 1): the ensemble's transfer is positive.
    assert transfer_report(fit).transfer_nats > 0.1


def test_a_surrogate_refit_on_the_real_source_gives_the_ensemble_again(ensemble_fit):
    fit = ensemble_fit
    observed = transfer_report(fit).transfer_nats_raw
    trained = [m.get_weights() for m in members_of(fit.teb)]
    try:
        _retrain(fit, fit.streams, {**fit.config, "checkpoint_dir": None, "callbacks": (),
                                    "verbose": 0})
        again = transfer_report(fit).transfer_nats_raw
    finally:
        for m, w in zip(members_of(fit.teb), trained):
            m.set_weights(w)
    assert again == pytest.approx(observed, abs=1e-6)


def test_the_ensemble_exports_its_mixture(ensemble_fit, tmp_path):
    fit = ensemble_fit
    path = export_teb(fit, str(tmp_path), "ens", warmup=False)
    rows = predict_export(path, fit.streams.frame)
    test = fit.streams.windows("test")
    want = fit.teb.forecast(test.inputs)["mean"][:, :, 0]
    got = rows.set_index(["last_observed", "step"])["mean"]
    times = fit.streams.frame["t"].to_numpy()
    last = times[np.searchsorted(times, test.origin) - 1]    # each window's last observed row
    for h in range(2):
        np.testing.assert_allclose(got.loc[list(zip(last, [h + 1] * len(last)))].to_numpy(),
                                   want[:, h], rtol=1e-4, atol=1e-4)
    assert np.isfinite(rows["transfer_nats"]).all()


def test_ensemble_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="ensemble"):
        fit_teb(_streams(), ensemble=0, surrogates=0, **SMALL)
