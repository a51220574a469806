import numpy as np
import pandas as pd
import pytest

from ibtf.streams import PairedStreams


def trend_frame(n=200):
    t = pd.date_range("2001-01-01", periods=n, freq="D")
    return pd.DataFrame({"date": t, "x": np.arange(n) * 0.5 + 10, "y": np.arange(n, dtype=float)})


def streams(df=None, **kw):
    args = dict(time_col="date", source_cols=["x"], target_cols=["y"], history=8, horizon=3)
    args.update(kw)
    return PairedStreams(trend_frame() if df is None else df, **args)


def test_windows_hold_the_right_rows():
    s = streams()
    w = s.windows("train")
    # y = row number, so each window's values are its row indices.
    assert len(w) == 140 - 8 - 3 + 1
    np.testing.assert_array_equal(w.target_history[0, :, 0], np.arange(8))
    np.testing.assert_array_equal(w.target_future[0, :, 0], [8, 9, 10])
    np.testing.assert_array_equal(w.source_history[5, :, 0], (np.arange(5, 13)) * 0.5 + 10)
    assert w.origin[0] == pd.Timestamp("2001-01-09")


def test_split_membership_is_by_future_rows():
    s = streams()
    for split, (lo, hi) in {"train": (0, 140), "val": (140, 170), "test": (170, 200)}.items():
        w = s.windows(split)
        assert w.target_future.min() >= lo and w.target_future.max() < hi
        first_future = 8 if split == "train" else lo   # train windows need 8 rows of history
        assert len(w) == hi - first_future - 3 + 1
    val = s.windows("val")
    assert val.target_history[0, 0, 0] == 140 - 8   # history reaches back into train
    assert s.num_windows("test") == len(s.windows("test"))


def test_scaler_fitted_on_training_rows_only():
    s = streams()
    np.testing.assert_allclose(s.scaler.target_mean, np.arange(140).mean(), rtol=1e-6)
    np.testing.assert_allclose(s.scaler.target_scale, np.arange(140).std(), rtol=1e-6)
    assert abs(s.scaler.target_mean[0] - np.arange(200).mean()) > 10   # not the whole series
    scaled = s.windows("test", scaled=True)
    np.testing.assert_allclose(s.scaler.inverse_target(scaled.target_future),
                               s.windows("test").target_future, atol=1e-4)


def test_dataset_matches_windows_and_shapes():
    s = streams()
    ds = s.dataset("val", batch_size=8)   # validation is not shuffled by default
    ys = np.concatenate([y.numpy() for _, y in ds])
    np.testing.assert_array_equal(ys, s.windows("val").target_future)
    x, y = next(iter(s.dataset("train", batch_size=16, drop_remainder=True, seed=3)))
    assert x["source_history"].shape == (16, 8, 1) and y.shape == (16, 3, 1)


def test_panel_windows_stay_inside_series():
    a, b = trend_frame(60), trend_frame(80)
    a["id"], b["id"] = "a", "b"
    b["y"] += 1000
    s = streams(pd.concat([a, b], ignore_index=True), id_col="id", split=(0.5, 0.25, 0.25))
    w = s.windows("train")
    low_history = w.target_history.min(axis=(1, 2)) < 1000
    crossing = low_history & (w.target_future.max(axis=(1, 2)) >= 1000)
    assert not crossing.any()
    assert set(w.series) == {"a", "b"} and s.series_ids == ["a", "b"]
    assert (w.series == "a").sum() == 30 - 11 + 1 and (w.series == "b").sum() == 40 - 11 + 1


def test_nan_drop_windows_do_not_cross_the_hole():
    df = trend_frame()
    df.loc[50, "x"] = np.nan
    s = streams(df, nan_policy="drop")
    w = s.windows("train")
    rows = np.concatenate([w.target_history[..., 0], w.target_future[..., 0]], axis=1)
    assert not ((rows.min(axis=1) < 50) & (rows.max(axis=1) > 50)).any()
    assert s.report.n_dropped == 1 and s.report.n_segments == 2


def test_from_csv_round_trip(tmp_path):
    path = tmp_path / "pair.csv"
    trend_frame().to_csv(path, index=False)
    s = PairedStreams.from_csv(path, time_col="date", source_cols="x", target_cols="y",
                               history=8, horizon=3)
    np.testing.assert_array_equal(s.windows("test").target_future,
                                  streams().windows("test").target_future)
    with pytest.raises(FileNotFoundError, match="not found"):
        PairedStreams.from_csv(tmp_path / "nope.csv", time_col="date", source_cols="x",
                               target_cols="y", history=8)


def test_backtest_folds_use_only_the_past():
    s = streams(history=8, horizon=1)
    folds = s.backtest_folds(3, test_size=10)
    last_rows = []
    for fold in folds:
        train, test, scaler = s.fold_windows(fold)
        assert train.target_future.max() < test.target_future.min()
        np.testing.assert_allclose(scaler.target_mean, train.target_future.max() / 2, rtol=1e-6)
        last_rows.append(test.target_future.max())
    assert last_rows == [179, 189, 199] and len(test) == 10
    ys = np.concatenate([y.numpy() for _, y in s.fold_dataset(folds[-1], "test", batch_size=4)])
    np.testing.assert_array_equal(ys, test.target_future)
    xs = np.concatenate([x["target_history"].numpy() for x, _ in
                         s.fold_dataset(folds[-1], "test", batch_size=4, scaled=True)])
    np.testing.assert_allclose(xs, s.fold_windows(folds[-1], scaled=True)[1].target_history,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="use fewer folds"):
        s.backtest_folds(30, test_size=10)


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="history must be a positive integer"):
        streams(history=0)
    with pytest.raises(ValueError, match="needs at least 211"):
        streams(history=200, horizon=11)
    with pytest.raises(ValueError, match="split 'val' has no complete window"):
        streams(split=(0.9, 0.05, 0.05), history=8, horizon=11).windows("val")
    with pytest.raises(ValueError, match="split must be one of"):
        streams().windows("validation")


def test_reversed_swaps_roles():
    s = streams()
    r = s.reversed()
    assert r.source_cols == ["y"] and r.target_cols == ["x"] and r.history == s.history
    np.testing.assert_array_equal(r.windows("test").source_history,
                                  s.windows("test").target_history)


def test_csv_panel_with_date_strings_and_interleaved_rows(tmp_path):
    a, b = trend_frame(40), trend_frame(40)
    a["id"], b["id"] = "a", "b"
    b["y"] += 1000
    # Rows of the two series interleaved, as a long CSV export often is.
    df = pd.concat([a, b]).sort_values(["date", "id"]).reset_index(drop=True)
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    s = PairedStreams.from_csv(path, time_col="date", source_cols="x", target_cols="y",
                               id_col="id", history=5, horizon=2)
    w = s.windows("train")
    assert s.report.n_series == 2 and set(w.series) == {"a", "b"}
    b_windows = w.target_future[w.series == "b"]
    assert (b_windows >= 1000).all() and (w.target_future[w.series == "a"] < 1000).all()
    np.testing.assert_array_equal(b_windows[0, :, 0], [1005, 1006])


def _episodes(lengths):
    parts = []
    for k, n in enumerate(lengths):
        parts.append(pd.DataFrame({"ep": k, "step": np.arange(n), "x": np.sin(np.arange(n) + k),
                                   "y": np.arange(n) + 1000.0 * k}))
    return pd.concat(parts, ignore_index=True)


def test_a_panel_of_short_episodes_holds_out_whole_episodes():
    rng = np.random.default_rng(0)
    frame = _episodes(rng.integers(12, 30, size=40))
    kw = dict(time_col="step", source_cols="x", target_cols="y", id_col="ep", history=4)
    s = PairedStreams(frame, **kw)
    # Median ~20 rows: a 15% cut would leave ~3 held-out rows per episode, under one window (5).
    assert s.split_by == "series"
    episode = {split: set(np.floor(s.windows(split).target_future[:, 0, 0] / 1000))
               for split in ("train", "val", "test")}
    assert not (episode["train"] & episode["val"]) and not (episode["val"] & episode["test"])
    assert max(episode["train"]) < min(episode["val"]) <= max(episode["val"]) < \
        min(episode["test"])
    # Test windows start at each episode's beginning, not only at its last steps.
    assert (s.windows("test").target_history[:, 0, 0] % 1000 == 0).sum() == len(episode["test"])
    assert PairedStreams(frame, split_by="rows", **kw).split_by == "rows"
    assert PairedStreams(_episodes([200] * 40), **kw).split_by == "rows"      # long series
    assert PairedStreams(_episodes([20] * 5), **kw).split_by == "rows"        # few series
    with pytest.raises(ValueError, match="split_by='series' needs an id_col"):
        PairedStreams(frame.drop(columns="ep").assign(step=np.arange(len(frame))), split_by=
                      "series", **{**kw, "id_col": None})
    with pytest.raises(ValueError, match="split_by='episodes' must be"):
        PairedStreams(frame, split_by="episodes", **kw)
