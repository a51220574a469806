import math

import numpy as np
import pytest
from scipy import stats

from ibtf._keras import keras
from ibtf.data import coupled_ar
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.models.teb.fit import fit_teb, skill_table, transfer_report
from ibtf.streams import PairedStreams, StreamScaler
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip
from ibtf.theory.transfer_entropy import linear_gaussian_te


def _windows(n=600, history=6, horizon=2, seed=0, coupling=1.0):
    sim = coupled_ar(n, coupling=coupling, target_ar=0.5, seed=seed)
    frame = sim.frame.assign(x=3.0 * sim.frame["x"] + 10.0, y=0.5 * sim.frame["y"] - 4.0)
    streams = PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=history, horizon=horizon)
    return streams


def _model(streams, **kwargs):
    args = dict(history=streams.history, horizon=streams.horizon, source_dim=1, target_dim=1,
                scaler=streams.scaler, hidden_units=(16,), context_units=8, latent_dim=4,
                seed=3, num_samples=4)
    args.update(kwargs)
    return TEBForecaster(**args)


def _batch(streams, split="train", n=64):
    w = streams.windows(split)
    return {k: v[:n] for k, v in w.inputs.items()}, w.target_future[:n]


@pytest.mark.parametrize("distribution", [
    "normal", pytest.param("student_t", marks=pytest.mark.slow),
    pytest.param("mixture", marks=pytest.mark.slow)])
def test_jit_and_plain_train_steps_agree(distribution):
    streams = _windows()
    x, y = _batch(streams)
    models = []
    for jit in (False, True):
        model = _model(streams, distribution=distribution)
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(keras.optimizers.SGD(0.05), jit_compile=jit)
        models.append(model)
    with fixed_noise():
        logs = [m.train_on_batch(x, y, return_dict=True) for m in models]
    for key in ("loss", "nll_nats", "rate_nats"):
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-4, atol=1e-5, err_msg=key)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("distribution,use_source", [
    ("normal", True), pytest.param("student_t", False, marks=pytest.mark.slow),
    pytest.param("mixture", True, marks=pytest.mark.slow)])
def test_keras_round_trip_keeps_weights_config_and_forecasts(tmp_path, distribution, use_source):
    streams = _windows()
    x, y = _batch(streams)
    model = _model(streams, distribution=distribution, use_source=use_source)
    model.compile(keras.optimizers.Adam(1e-2))
    model.fit(x, y, epochs=2, verbose=0)
    restored = keras_roundtrip(model, tmp_path / "teb")
    assert_same_weights(model, restored)
    assert restored.get_config() == model.get_config()
    a, b = model.forecast(x, y), restored.forecast(x, y)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_from_context_starts_closed_and_equals_the_target_only_model():
    streams = _windows()
    x, y = _batch(streams, "test")
    target_only = _model(streams, use_source=False)
    target_only.compile(keras.optimizers.Adam(1e-2))
    target_only.fit(*_batch(streams, n=400), epochs=2, verbose=0)
    teb = TEBForecaster.from_context(target_only)
    a, b = teb.forecast(x, y), target_only.forecast(x, y)
    np.testing.assert_allclose(a["log_prob"], b["log_prob"], atol=1e-5)
    np.testing.assert_allclose(a["mean"], b["mean"], atol=1e-5)
    assert a["rate_nats"].max() < 0.05 and a["rate_nats"].mean() < 0.01   # q starts near r
    assert teb.freeze_context and teb.use_source
    frozen = {w.name for layer in [*teb.context_layers, teb.context_out] for w in layer.weights}
    assert frozen and not frozen & {w.name for w in teb.trainable_weights}
    with pytest.raises(TypeError, match="target-only"):
        TEBForecaster.from_context(teb)


def test_raw_units_scaling_matches_a_model_on_standardised_data():
    streams = _windows()
    x, y = _batch(streams, "test")
    scaled = _model(streams)
    identity = _model(streams, scaler=None)
    identity.set_weights(scaled.get_weights())
    sc = streams.scaler
    xs = {"source_history": sc.transform_source(x["source_history"]),
          "target_history": sc.transform_target(x["target_history"])}
    a, b = scaled.forecast(x, y), identity.forecast(xs, sc.transform_target(y))
    np.testing.assert_allclose(a["mean"], sc.inverse_target(b["mean"]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a["stddev"], b["stddev"] * sc.target_scale, rtol=1e-5)
    # A density in raw units is the standardised one divided by the scale (Jacobian).
    np.testing.assert_allclose(a["log_prob"], b["log_prob"] - math.log(sc.target_scale[0]),
                               rtol=1e-5, atol=1e-5)


def test_quantiles_by_bisection_match_the_normal_closed_form_and_the_mixture_cdf():
    streams = _windows()
    x, _ = _batch(streams, "test", n=16)
    levels = (0.05, 0.3, 0.5, 0.9)
    normal = _model(streams, use_source=False)
    out = normal.forecast(x, quantile_levels=levels)
    expected = stats.norm.ppf(levels, out["mean"][..., None], out["stddev"][..., None])
    np.testing.assert_allclose(out["quantiles"], expected, rtol=1e-4, atol=1e-4)
    mixture = _model(streams, distribution="mixture", use_source=True)
    q = mixture.forecast(x, quantile_levels=levels)["quantiles"]
    assert np.all(np.diff(q, axis=-1) > 0)
    dist, _ = mixture._forward(x)
    from ibtf.models.teb.forecaster import _Predictive
    z = (q - streams.scaler.target_mean[0]) / streams.scaler.target_scale[0]
    cdf = _Predictive(dist).cdf(np.moveaxis(z, -1, 0).astype(np.float32)).numpy()
    np.testing.assert_allclose(np.moveaxis(cdf, 0, -1), np.broadcast_to(levels, q.shape),
                               atol=1e-4)


def test_bad_arguments_and_inputs_name_the_problem():
    streams = _windows()
    with pytest.raises(ValueError, match="distribution"):
        _model(streams, distribution="poisson")
    with pytest.raises(ValueError, match="encoder"):
        _model(streams, encoder="gru")
    with pytest.raises(ValueError, match="quantile_levels"):
        _model(streams, quantile_levels=(0.5, 1.0))
    with pytest.raises(ValueError, match="beta"):
        _model(streams, beta=-1)
    with pytest.raises(ValueError, match="target_dim=2"):
        _model(streams, target_dim=2)
    model = _model(streams)
    x, y = _batch(streams)
    with pytest.raises(ValueError, match=r"history=6"):
        model.forecast({"source_history": x["source_history"][:, :3],
                        "target_history": x["target_history"]})
    with pytest.raises(ValueError, match="lack 'source_history'"):
        model.forecast({"target_history": x["target_history"]})
    bad = x["target_history"].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.forecast({**x, "target_history": bad})
    with pytest.raises(ValueError, match="mode"):
        fit_teb(streams, mode="backwards")
    with pytest.raises(TypeError, match="unknown fit settings"):
        fit_teb(streams, epoch=3)


def test_conv_encoder_trains_and_forecasts():
    streams = _windows()
    model = _model(streams, encoder="conv", hidden_units=(8, 8))
    model.compile(keras.optimizers.Adam(1e-2))
    hist = model.fit(*_batch(streams, n=256), epochs=2, batch_size=64, verbose=0)
    assert hist.history["nll_nats"][-1] < hist.history["nll_nats"][0]
    out = model.forecast(_batch(streams, "test")[0])
    assert out["mean"].shape == (64, 2, 1) and out["quantiles"].shape == (64, 2, 1, 5)


@pytest.fixture(scope="module")
def coupled_fit():
    keras.backend.clear_session()
    # Small and fast: the full coupling table is benchmarks/teb_truth.py.
    sim = coupled_ar(8_000, coupling=1.0, target_ar=0.5, seed=1)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=1)
    settings = dict(epochs=15, seed=1, hidden_units=(16,), context_units=8, latent_dim=4,
                    surrogates=0)
    fit = fit_teb(streams, **settings)
    reverse = fit_teb(streams.reversed(), **settings)
    truth = linear_gaussian_te(sim.transition, sim.noise_cov, source=0, target=1, history=3,
                               source_history=3)
    return fit, reverse, truth


def test_transfer_matches_the_closed_form_and_the_reverse_control_is_near_zero(coupled_fit):
    fit, reverse, truth = coupled_fit
    assert truth == pytest.approx(0.5 * math.log(2.0), rel=1e-9)   # 1/2 ln(1 + c^2), c = 1
    report = transfer_report(fit, reverse=reverse)
    assert abs(report.transfer_nats - truth) <= max(0.05, 0.15 * truth), report.summary()
    # No surrogate test was run: the interval alone never supports a claim.
    assert not report.supported and report.p_value is None
    assert report.ci[0] > 0 and report.ci[0] < report.transfer_nats < report.ci[1]
    assert "no surrogate test" in report.summary()
    assert abs(report.reverse.transfer_nats) <= 0.03, report.summary()
    assert not report.reverse.supported or report.reverse.ci[0] < 0.01
    # A linear truth: the least-squares ARX term carries the transfer, the channel (whose rate
    # bounds only its own share) has nothing to add.
    assert report.rate_nats < 0.05
    assert report.n_windows == fit.streams.num_windows("test") == len(report.gain_series)
    assert report.nll_target_only - report.nll_teb == pytest.approx(report.transfer_nats,
                                                                     abs=1e-5)
    d = report.to_dict()
    assert d["transfer_ci"] == list(report.ci) and "reverse" in d
    assert "not claimed" in report.summary() and "reverse control" in report.summary()


def test_skill_table_compares_with_baselines(coupled_fit):
    fit, _, _ = coupled_fit
    table = skill_table(fit, quantile_levels=(0.1, 0.5, 0.9))
    assert list(table.index) == ["naive", "AR(3)", "ARX(3,3)", "target-only", "TEB"]
    assert set(table.columns) == {"mae", "rmse", "mase", "crps", "pinball", "coverage", "nll"}
    # Least-squares ARX is the optimal forecaster here: TEB should come close, and both
    # should beat the source-blind models (RMSE ~ noise sd 1 vs sqrt(2)).
    assert table.loc["TEB", "rmse"] < table.loc["target-only", "rmse"] - 0.2
    assert table.loc["TEB", "rmse"] < table.loc["ARX(3,3)", "rmse"] * 1.05
    assert table.loc["ARX(3,3)", "nll"] == pytest.approx(table.loc["TEB", "nll"], abs=0.05)
    assert 0.7 < table.loc["TEB", "coverage"] < 0.9                  # the 80% interval
    assert table.loc["TEB", "crps"] < table.loc["naive", "crps"]


def test_standard_scaler_config_round_trips_through_the_model():
    scaler = StreamScaler([1.0], [2.0], [3.0], [4.0])
    model = TEBForecaster(history=3, scaler=scaler, hidden_units=(4,), seed=0)
    assert model.get_config()["scaler"] == scaler.get_config()


@pytest.mark.slow
@pytest.mark.parametrize("mode,distribution,source_ar", [
    ("joint", "normal", 0.0), ("from_context", "mixture", 0.0),
    ("from_context", "student_t", 0.0), ("from_context", "normal", 0.8)])
def test_transfer_truth_for_other_modes_families_and_an_autoregressive_source(
        mode, distribution, source_ar):
    # An AR source makes TE depend on the history: the truth comes from the VAR's Lyapunov
    # covariance (linear_gaussian_te), not from the iid closed form.
    sim = coupled_ar(12_000, coupling=0.7, target_ar=0.5, source_ar=source_ar, seed=5)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=4, horizon=1)
    truth = linear_gaussian_te(sim.transition, sim.noise_cov, source=0, target=1, history=4,
                               source_history=4)
    fit = fit_teb(streams, mode=mode, distribution=distribution, seed=5, epochs=40,
                  surrogates=0)
    report = transfer_report(fit)
    assert abs(report.transfer_nats - truth) <= max(0.05, 0.15 * truth), (truth,
                                                                           report.summary())


def test_an_interrupted_fit_resumes_from_its_checkpoint(tmp_path):
    streams = _windows(n=500, history=3, horizon=1)
    settings = dict(epochs=4, batch_size=64, hidden_units=(8,), context_units=4, latent_dim=2,
                    seed=0, checkpoint_dir=tmp_path / "ckpt", surrogates=0)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_teb(streams, callbacks=[Interrupt()], **settings)
    assert any((tmp_path / "ckpt" / "target_only").rglob("*.index"))   # a checkpoint
    epochs = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs.append(epoch)

    fit = fit_teb(streams, callbacks=[Count()], **settings)
    assert epochs[:2] == [2, 3]                 # the target-only fit resumed after epoch 2
    assert fit.epochs_teb >= 1
    assert not any((tmp_path / "ckpt").rglob("*.index"))     # removed after success
