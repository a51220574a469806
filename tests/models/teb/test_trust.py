"""Trust in the transfer figure: equal treatment, the linear path, the surrogate test."""
import numpy as np
import pandas as pd
import pytest

from ibtf.data import coupled_ar, nonlinear_coupled
from ibtf.models.baselines import ARForecaster, ARXForecaster
from ibtf.models.teb.fit import _build_pair, _check_config, fit_teb, transfer_report
from ibtf.models.teb.surrogate_test import _retrain, effective_transfer, p_value
from ibtf.streams import PairedStreams
from ibtf.streams.bootstrap import block_bootstrap_ci

SMALL = dict(hidden_units=(8,), context_units=4, latent_dim=2, epochs=8, batch_size=64)


def _streams(n=400, coupling=1.0, source=None, seed=0, history=3):
    frame = coupled_ar(n, coupling=coupling, target_ar=0.5, seed=seed).frame
    if source is not None:
        frame = frame.assign(x=source)
    return PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                         history=history, horizon=1, split=(0.6, 0.2, 0.2))


def test_untrained_pair_is_least_squares_ar_and_arx_with_equal_shared_weights():
    streams = _streams()
    train = streams.windows("train")
    config = _check_config(dict(SMALL, distribution="normal"))
    target_only, teb = _build_pair(train, streams.scaler, config)
    shared = [*target_only.context_layers, target_only.context_out, *target_only.decoder_hidden]
    for layer in shared:
        twin = teb.get_layer(layer.name)
        for a, b in zip(layer.get_weights(), twin.get_weights()):
            np.testing.assert_array_equal(a, b)
    test = streams.windows("test")
    for model, baseline in ((target_only, ARForecaster(3)), (teb, ARXForecaster(3))):
        baseline.fit(train)
        mean, std = baseline.predict(test)
        out = model.forecast(test.inputs, test.target_future)
        np.testing.assert_allclose(out["mean"], mean, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(out["stddev"], std, rtol=1e-3)
        np.testing.assert_allclose(out["log_prob"], baseline.log_prob(test), atol=2e-3)
        np.testing.assert_allclose(model.log_prob(test.inputs, test.target_future),
                                   out["log_prob"], rtol=1e-6, atol=1e-6)


def test_p_value_is_the_monte_carlo_rank():
    assert p_value(1.0, np.zeros(20)) == pytest.approx(1 / 21)
    assert p_value(0.0, np.zeros(20)) == pytest.approx(1.0)
    assert p_value(0.5, np.arange(10) / 10) == pytest.approx(6 / 11)


@pytest.fixture(scope="module")
def real_and_placebo():
    coupled = fit_teb(_streams(), seed=0, surrogates=20, **SMALL)
    noise = np.random.default_rng(7).standard_normal(400)
    placebo = fit_teb(_streams(source=noise), seed=0, surrogates=9, **SMALL)
    return transfer_report(coupled), transfer_report(placebo)


def test_a_real_link_is_supported_with_the_smallest_p(real_and_placebo):
    report, _ = real_and_placebo
    assert report.n_surrogates == 20 and report.surrogate_kind == "shift"
    # TE = 1/2 ln 2 = 0.35 nats here; every surrogate's transfer is far below it.
    assert report.p_value == pytest.approx(1 / 21) and report.supported
    assert report.transfer_nats > report.null_mean + 5 * report.null_sd
    d = report.to_dict()
    assert d["transfer_p"] == report.p_value and d["n_surrogates"] == 20
    assert "surrogate test: p = 0.048" in report.summary()


def test_a_noise_source_trained_the_same_way_is_not_claimed(real_and_placebo):
    _, report = real_and_placebo
    assert report.p_value >= 0.05 and not report.supported
    assert report.ci[0] <= 0 <= report.ci[1]
    assert abs(report.transfer_nats) < 0.05 and abs(report.null_mean) < 0.05
    # The headline is the effective transfer: the raw gain minus the surrogates' mean gain.
    assert report.transfer_nats == pytest.approx(report.transfer_nats_raw - report.null_mean)
    assert report.to_dict()["transfer_ci_raw"] == list(report.ci_raw)


def test_a_surrogate_refit_on_the_real_source_gives_the_fit_again():
    """Equal treatment of the source and its surrogates: the refit procedure applied to the
    real source reproduces the fitted TEB model's held-out gain (so the null distribution is
    made by the same training as the observed gain). The pair is nonlinear (x^2 coupling,
    which least squares cannot see), so the trained network is kept, not its least-squares
    start: the refit repeats the training itself, batches and noise included."""
    frame = nonlinear_coupled(2000, seed=0).frame
    streams = PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=1, split=(0.6, 0.2, 0.2))
    fit = fit_teb(streams, seed=0, surrogates=0, batch_size=64)
    kept = [not np.array_equal(a, b) for a, b in zip(fit.teb.get_weights(),
                                                      fit.teb_initial_weights[0])]
    assert sum(kept) > len(kept) // 2            # trained weights, not the start
    observed = transfer_report(fit).transfer_nats_raw
    assert observed > 0.3                        # TE 0.60 nats (measured 0.61)
    trained = fit.teb.get_weights()
    try:
        _retrain(fit, fit.streams, {**fit.config, "checkpoint_dir": None, "callbacks": (),
                                    "verbose": 0})
        again = transfer_report(fit).transfer_nats_raw
    finally:
        fit.teb.set_weights(trained)
    assert again == pytest.approx(observed, abs=1e-6)


def _simulated_gains(rng, effect=0.0, n=20, windows=120):
    """Per-window gains of one real source and n surrogates: each training draws its own
    offset (a price -0.05 for useless inputs, training sd 0.04), each window its own noise."""
    offsets = rng.normal(-0.05, 0.04, n + 1)
    gains = offsets[:, None] + rng.normal(0.0, 0.3, (n + 1, windows))
    gains[0] += effect
    return gains[0], gains[1:]


def test_the_effective_transfer_interval_covers_zero_for_a_useless_source():
    rng = np.random.default_rng(0)
    covered_eff = covered_raw = 0
    for draw in range(300):
        real, null = _simulated_gains(rng)
        _, lo, hi = effective_transfer(real, null, n_boot=300, seed=draw)
        covered_eff += lo <= 0 <= hi
        _, lo, hi = block_bootstrap_ci(real, n_boot=300, seed=draw)
        covered_raw += lo <= 0 <= hi
    # Nominal 95%; the raw gain's bootstrap interval misses 0 from below (its price for
    # inputs) and leaves out training noise.
    assert covered_eff / 300 >= 0.93, covered_eff
    assert covered_raw / 300 < 0.85, covered_raw


def test_the_effective_transfer_recovers_a_known_effect():
    rng = np.random.default_rng(1)
    estimates = [effective_transfer(*_simulated_gains(rng, effect=0.3), n_boot=100)[0]
                 for _ in range(50)]
    assert abs(np.mean(estimates) - 0.3) < 0.02


def test_the_effective_transfer_needs_two_surrogates_per_window():
    with pytest.raises(ValueError, match="null_window_gains must be"):
        effective_transfer(np.zeros(5), np.zeros((1, 5)))
    with pytest.raises(ValueError, match="null_window_gains must be"):
        effective_transfer(np.zeros(5), np.zeros((3, 4)))


def test_a_constant_source_is_refused_as_carrying_no_information():
    with pytest.raises(ValueError, match="constant over the training rows.*no information"):
        fit_teb(_streams(source=np.full(400, 3.0)), surrogates=0, **SMALL)


def test_surrogate_settings_are_checked():
    with pytest.raises(ValueError, match="surrogates"):
        fit_teb(_streams(), surrogates=-1, **SMALL)
    with pytest.raises(ValueError, match="surrogate_kind"):
        fit_teb(_streams(), surrogate_kind="reverse", **SMALL)


def test_values_beyond_float32_are_refused_naming_the_column():
    frame = coupled_ar(100, seed=0).frame
    frame.loc[17, "y"] = 1e300
    with pytest.raises(ValueError, match="column 'y' has the value 1e\\+300.*rescale"):
        PairedStreams(pd.DataFrame(frame), time_col="t", source_cols=["x"], target_cols=["y"],
                      history=3)
