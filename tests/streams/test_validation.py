import numpy as np
import pandas as pd
import pytest

from ibtf.streams.validation import SEGMENT_COL, validate_streams


def frame(n=20, **extra):
    df = pd.DataFrame({"t": np.arange(n), "x": np.arange(n, dtype=float) * 2,
                       "y": np.arange(n, dtype=float)})
    for k, v in extra.items():
        df[k] = v
    return df


def check(df, **kw):
    args = dict(time_col="t", source_cols=["x"], target_cols=["y"])
    args.update(kw)
    return validate_streams(df, **args)


def test_clean_frame_passes_unchanged():
    clean, report = check(frame())
    assert len(clean) == 20 and report.n_rows_out == 20 and report.n_segments == 1
    assert report.step == 1.0 and report.n_gaps == 0
    np.testing.assert_array_equal(clean["y"], np.arange(20.0))
    assert (clean[SEGMENT_COL] == 0).all()


def test_comma_separated_columns():
    df = frame(z=np.ones(20))
    clean, _ = check(df, source_cols="x, z")
    assert list(clean.columns[:4]) == ["t", "x", "z", "y"]


def test_missing_column_named_with_available():
    with pytest.raises(ValueError, match=r"source_cols.*\['nope'\].*available columns"):
        check(frame(), source_cols=["nope"])
    with pytest.raises(ValueError, match="time_col"):
        check(frame(), time_col="when")


def test_overlapping_source_and_target():
    with pytest.raises(ValueError, match="both source and target"):
        check(frame(), source_cols=["x", "y"])


def test_non_numeric_value_names_column_row_and_value():
    df = frame()
    df["y"] = df["y"].astype(object)
    df.loc[7, "y"] = "n/a?"
    with pytest.raises(ValueError, match=r"column 'y'.*'n/a\?'.*row 7.*t=7"):
        check(df)


def test_numeric_strings_are_accepted():
    df = frame()
    df["y"] = df["y"].astype(str)
    clean, _ = check(df)
    assert clean["y"].dtype == np.float64


def test_infinite_value_rejected():
    df = frame()
    df.loc[3, "x"] = np.inf
    with pytest.raises(ValueError, match="column 'x' has an infinite value at row 3"):
        check(df)


def test_nan_error_policy_names_row():
    df = frame()
    df.loc[5, "x"] = np.nan
    with pytest.raises(ValueError, match=r"column 'x' has NaN at row 5.*nan_policy='ffill'"):
        check(df)


def test_nan_ffill_counts_and_values():
    df = frame()
    df.loc[[0, 5, 6], "x"] = np.nan   # row 0 cannot be filled: dropped
    df.loc[9, "y"] = np.nan
    clean, report = check(df, nan_policy="ffill")
    assert report.nan_counts == {"x": 3, "y": 1}
    assert report.n_filled == 3 and report.n_dropped == 1 and len(clean) == 19
    assert clean.loc[5, "x"] == clean.loc[6, "x"] == df.loc[4, "x"]
    assert clean.loc[9, "y"] == 8.0
    assert report.n_segments == 1   # a leading drop leaves one contiguous run


def test_nan_drop_splits_segments():
    df = frame()
    df.loc[[5, 6, 12], "y"] = np.nan
    clean, report = check(df, nan_policy="drop")
    assert report.n_dropped == 3 and len(clean) == 17
    seg = clean[SEGMENT_COL].to_numpy()
    assert report.n_segments == 3
    np.testing.assert_array_equal(clean["t"][seg == 0], np.arange(5))
    np.testing.assert_array_equal(clean["t"][seg == 1], np.arange(7, 12))
    np.testing.assert_array_equal(clean["t"][seg == 2], np.arange(13, 20))


def test_duplicated_timestamps():
    df = frame()
    df.loc[4, "t"] = 3
    with pytest.raises(ValueError, match=r"duplicated timestamps.*rows \[3, 4\].*aggregate"):
        check(df)


def test_unsorted_timestamps_and_sort_option():
    df = frame().iloc[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match=r"not sorted: row 3 \(t=3\).*sort=True"):
        check(df)
    clean, _ = check(df, sort=True)
    np.testing.assert_array_equal(clean["t"], np.arange(10))


def test_irregular_spacing_error_split_ignore():
    df = frame().drop(index=[10, 11]).reset_index(drop=True)
    with pytest.raises(ValueError, match=r"irregularly spaced: the step is 1.0 but row 10 "
                                         r"\(t=12\) follows 9.*spacing='split'"):
        check(df)
    clean, report = check(df, spacing="split")
    assert report.n_gaps == 1 and report.n_segments == 2
    assert (clean[SEGMENT_COL].to_numpy() == np.r_[np.zeros(10), np.ones(8)]).all()
    _, report = check(df, spacing="ignore")
    assert report.n_segments == 1


def test_monthly_dates_are_regular_and_a_missing_month_is_found():
    dates = pd.date_range("2000-01-01", periods=30, freq="MS")
    df = pd.DataFrame({"t": dates, "x": np.zeros(30), "y": np.zeros(30)})
    _, report = check(df)
    assert report.step == "MS"
    with pytest.raises(ValueError, match=r"step is MS but row 14 \(t=2001-03-01"):
        check(df.drop(index=13))


def test_date_strings_parsed_and_bad_dates_named():
    df = frame(5)
    df["t"] = ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"]
    clean, report = check(df)
    assert pd.api.types.is_datetime64_any_dtype(clean["t"]) and report.step == "D"
    df.loc[2, "t"] = "yesterday"
    with pytest.raises(ValueError, match=r"'yesterday' at row 2"):
        check(df)


def test_too_few_rows_for_history_and_horizon():
    with pytest.raises(ValueError, match=r"has 20 rows but needs at least 33 \(history \+ "):
        check(frame(), min_rows=33)


def test_panel_checked_per_series():
    a, b = frame(10), frame(12)
    a["id"], b["id"] = "a", "b"
    b["y"] += 100
    df = pd.concat([a, b], ignore_index=True)   # timestamps repeat across series: fine
    clean, report = check(df, id_col="id")
    assert report.n_series == 2 and report.n_segments == 2
    assert set(clean[clean["id"] == "b"][SEGMENT_COL]) == {1}
    df.loc[15, "t"] = 4   # duplicate inside series b
    with pytest.raises(ValueError, match="of series 'b' has duplicated timestamps"):
        check(df, id_col="id")


def test_bad_arguments():
    with pytest.raises(TypeError, match="pandas.DataFrame"):
        validate_streams(np.zeros((3, 3)), time_col="t", source_cols="x", target_cols="y")
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        check(frame(), nan_policy="zero")
    with pytest.raises(ValueError, match="spacing must be one of"):
        check(frame(), spacing="maybe")
    with pytest.raises(TypeError, match="source_cols must be"):
        check(frame(), source_cols=[1])
    with pytest.raises(ValueError, match="source_cols is empty"):
        check(frame(), source_cols=[])
