import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tf_agents")

from ibtf._keras import keras  # noqa: E402
from ibtf.cli.main import main  # noqa: E402
from ibtf.models.teb import TEBForecaster, fit_teb, transfer_report  # noqa: E402
from ibtf.streams import PairedStreams  # noqa: E402
from ibtf.streams.agents import buffer_rows, buffer_windows_dataset, collect  # noqa: E402


@pytest.fixture(scope="module")
def cartpole():
    buffer = collect("CartPole-v1", "random", steps=300, seed=0)
    return buffer, buffer_rows(buffer)


def test_rows_are_steps_of_episodes(cartpole):
    _, rows = cartpole
    assert list(rows.columns) == ["episode", "step", "action", "reward", "obs_0", "obs_1",
                                  "obs_2", "obs_3"]
    assert len(rows) > 300 and rows["episode"].iloc[0] == 0
    starts = rows.index[rows["step"] == 0]
    assert (np.diff(rows["episode"].to_numpy()) >= 0).all()
    assert (rows.loc[starts, "episode"].diff().dropna() == 1).all()
    assert set(rows["action"]) == {0, 1}
    # Known physics: pushing right (action 1) raises the cart velocity at the next step.
    same = rows["episode"].shift(-1) == rows["episode"]
    speedup = (rows["obs_1"].shift(-1) - rows["obs_1"])[same]
    assert ((speedup > 0) == (rows["action"][same] == 1)).mean() > 0.98
    again = buffer_rows(collect("CartPole-v1", "random", steps=300, seed=0))
    pd.testing.assert_frame_equal(rows, again)


def test_windows_from_the_buffer_train_a_forecaster(cartpole):
    buffer, rows = cartpole
    data, scaler = buffer_windows_dataset(buffer, "action", "obs_1", history=3, batch_size=32)
    inputs, future = next(iter(data))
    assert inputs["source_history"].shape == (32, 3, 1) and future.shape == (32, 1, 1)
    # Every window lies inside one episode (checked against the rows).
    n = sum(max(k - 3, 0) for k in rows.groupby("episode").size())
    assert sum(int(f.shape[0]) for _, f in buffer_windows_dataset(
        buffer, "action", "obs_1", history=3, batch_size=1, shuffle=False)[0]) == n
    model = TEBForecaster(history=3, source_dim=1, target_dim=1, scaler=scaler,
                          hidden_units=(16,), seed=0)
    model.compile(keras.optimizers.Adam(1e-2))
    history = model.fit(data, epochs=2, verbose=0)
    assert np.isfinite(history.history["nll_nats"]).all()
    with pytest.raises(ValueError, match="not row columns"):
        buffer_windows_dataset(buffer, "episode", "obs_1")


def test_collect_cli_writes_rows(tmp_path, capsys):
    out = tmp_path / "pole.csv"
    assert main(["agents", "collect", "--steps", "120", "--seed", "1", "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = pd.read_csv(out)
    assert result["rows"] == len(rows) and result["episodes"] == rows["episode"].nunique()
    # The last (unfinished) episode is dropped: every kept episode ends in a terminal row.
    assert result["dropped_partial_rows"] > 0
    assert main(["agents", "collect", "--policy", "greedy", "--out", str(out)]) == 2
    assert "--policy 'greedy' is not known" in capsys.readouterr().err


def _transfer(frame):
    streams = PairedStreams(frame, time_col="step", id_col="episode", source_cols="action",
                            target_cols="obs_1", history=4, horizon=1)
    # A normal predictive: fit_teb's distribution="auto" picks a two-component mixture from
    # the AR residuals here (the velocity change is +-force), and with it the placebo and its
    # surrogates alike gain ~0.5 nats (measured 2026-12-05: placebo +0.545 [+0.270, +0.877],
    # surrogates +0.49 +- 0.37, p = 0.62, not claimed): a fit_teb matter, reported.
    return transfer_report(fit_teb(streams, epochs=20, seed=0, distribution="normal"), "test")


@pytest.fixture(scope="module")
def long_cartpole():
    return buffer_rows(collect("CartPole-v1", "random", steps=4000, seed=0))


@pytest.mark.slow
def test_actions_transfer_to_the_cart_velocity(long_cartpole):
    report = _transfer(long_cartpole)
    # The action sets the sign of the force: it explains most of the velocity change. The
    # episodes (about 20 steps) are too short to shift one by one: the surrogates shift the
    # whole panel (ibtf.streams.surrogates).
    assert report.supported and report.transfer_nats > 0.5, report.summary()
    assert report.p_value < 0.05 and report.n_surrogates == 20


@pytest.mark.slow
def test_a_placebo_shuffled_within_episodes_shows_no_transfer(long_cartpole):
    rng = np.random.default_rng(0)
    placebo = long_cartpole.assign(action=long_cartpole.groupby("episode")["action"].transform(
        lambda a: rng.permutation(a.to_numpy())))
    report = _transfer(placebo)
    # No transfer is claimed: the interval includes 0 (measured 2026-12-05 with joint training
    # and 20 panel-shift surrogates: +0.007 [-0.005, +0.019] nats, p = 0.048; real actions
    # +6.17 [+6.12, +6.22], p = 0.048). The surrogate test ran: a claim needs it too.
    assert report.p_value is not None and report.n_surrogates == 20
    assert not report.supported and report.ci[0] <= 0, report.summary()
    assert abs(report.transfer_nats) < 0.05, report.summary()
