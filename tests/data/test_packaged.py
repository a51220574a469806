import sys

import numpy as np
import pandas as pd
import pytest

from ibtf.data import packaged
from ibtf.streams import PairedStreams

pytest.importorskip("astsa")
pytest.importorskip("statsmodels")
pytest.importorskip("vega_datasets")


def test_soi_rec():
    df = packaged.load_soi_rec()
    assert list(df.columns) == ["date", "soi", "rec"] and len(df) == 453
    assert df["date"].iloc[0] == pd.Timestamp("1950-01-01")
    assert df["date"].iloc[-1] == pd.Timestamp("1987-09-01")   # 453 months from Jan 1950
    assert df["soi"].between(-1.1, 1.1).all() and df["rec"].between(0, 101).all()


def test_lap_aligned_weekly():
    df = packaged.load_lap()
    assert len(df) == 508 and {"time", "tempr", "cmort", "part"} <= set(df.columns)
    np.testing.assert_allclose(np.diff(df["time"]), 1 / 52, rtol=1e-6)


def test_lead_sales_differenced():
    raw = packaged.load_lead_sales(difference=False)
    diff = packaged.load_lead_sales()
    assert len(raw) == 150 and len(diff) == 149
    np.testing.assert_allclose(diff["sales"], np.diff(raw["sales"]))


def test_macro_growth_is_log_difference():
    import statsmodels.datasets
    data = statsmodels.datasets.macrodata.load_pandas().data
    df = packaged.load_macro_consumption()
    assert len(df) == 202 and df["date"].iloc[0] == pd.Timestamp("1959-06-30")
    np.testing.assert_allclose(df["cons_growth"], 100 * np.diff(np.log(data["realcons"])))


def test_temperatures_are_a_regular_hourly_year():
    df = packaged.load_sf_seattle_temps()
    assert len(df) == 8760 and not df.isna().any().any()
    assert (df["date"].diff().dropna() == pd.Timedelta("1h")).all()
    # The files jump from 02:00 to 04:00 on 2010-03-14 (DST); 03:00 is interpolated.
    gap = df[df["date"] == pd.Timestamp("2010-03-14 03:00")]
    neighbours = df[df["date"].isin(pd.to_datetime(["2010-03-14 02:00", "2010-03-14 04:00"]))]
    assert gap["sf_temp"].iloc[0] == pytest.approx(neighbours["sf_temp"].mean())


def test_every_loader_feeds_paired_streams():
    from ibtf.data import list_datasets, load_dataset
    for info in list_datasets():
        df = load_dataset(info.name)
        s = PairedStreams(df, time_col=info.time_col, source_cols=list(info.source_cols),
                          target_cols=list(info.target_cols), history=4, horizon=1)
        assert s.report.n_segments == 1 and s.report.n_dropped == 0, info.name


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "astsa", None)   # makes `import astsa` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'ibtf\[data\]' \(or pip install astsa\)"):
        packaged.load_soi_rec()
    monkeypatch.setitem(sys.modules, "vega_datasets", None)
    with pytest.raises(ImportError, match="vega_datasets"):
        packaged.load_seattle_weather()
