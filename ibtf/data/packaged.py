"""Real paired series that ship inside PyPI packages, as DataFrames with a time column.

Nothing here is copied: the files are read at run time from the installed packages ``astsa``
(GPL-3; the data of Shumway & Stoffer, "Time Series Analysis and Its Applications", 4th ed.),
``statsmodels`` (BSD) and ``vega_datasets`` (BSD). Each loader returns a tidy frame that
`ibtf.streams.PairedStreams` accepts as it is (regular steps, no NaN).
"""
import importlib.resources

import numpy as np
import pandas as pd

from ibtf.data._optional import require

__all__ = ["load_soi_rec", "load_lap", "load_lead_sales", "load_macro_consumption",
           "load_sf_seattle_temps", "load_seattle_weather", "load_interest_inflation"]


def _astsa_csv(name):
    """One CSV of the installed astsa package (its ``load_*`` helpers cover only some files)."""
    require("astsa", f"the astsa data set {name!r}")
    path = importlib.resources.files("astsa").joinpath("data", "csv", f"{name}.csv")
    with importlib.resources.as_file(path) as file:
        return pd.read_csv(file)


def _decimal_year_to_month(values):
    """1950.0833 -> 1950-02-01: astsa stores monthly times as fractional years."""
    years = np.floor(values + 1e-9).astype(int)
    months = np.rint((values - years) * 12).astype(int) + 1
    return pd.to_datetime({"year": years, "month": months, "day": 1})


def load_soi_rec():
    """Southern Oscillation Index and fish recruitment, monthly 1950-1987 (453 months).

    Shumway & Stoffer (2017), sec. 1.1 and example 2.33: SOI leads recruitment by about
    6 months (El Nino). Columns: ``date`` (month start), ``soi``, ``rec``.
    """
    soi, rec = _astsa_csv("soi"), _astsa_csv("rec")
    if not np.allclose(soi["Time"], rec["Time"]):
        raise RuntimeError("astsa's soi and rec files are not aligned: reinstall astsa")
    return pd.DataFrame({"date": _decimal_year_to_month(soi["Time"].to_numpy()),
                         "soi": soi["Value"].to_numpy(float), "rec": rec["Value"].to_numpy(float)})


def load_lap():
    """LA Pollution-Mortality study, weekly 1970-1979 (508 weeks).

    Shumway & Stoffer (2017), example 2.2: temperature and particulates predict cardiovascular
    mortality. Columns: ``time`` (decimal year, step 1/52 as in astsa), ``tempr``, ``cmort``,
    ``part`` and the rest of astsa's ``lap`` table.
    """
    lap, cmort = _astsa_csv("lap"), _astsa_csv("cmort")
    if len(lap) != len(cmort) or not np.allclose(lap["cmort"], cmort["Value"]):
        raise RuntimeError("astsa's lap and cmort files are not aligned: reinstall astsa")
    frame = lap.astype(float)
    frame.insert(0, "time", cmort["Time"].to_numpy(float))
    return frame


def load_lead_sales(difference=True):
    """Box & Jenkins' leading indicator and sales (series M), 150 steps.

    Shumway & Stoffer (2017), example 5.12: sales follow the leading indicator about 3 steps
    later; both are nonstationary, so by default they are differenced once (149 rows).
    Columns: ``time`` (step number), ``lead``, ``sales``.
    """
    lead, sales = _astsa_csv("lead"), _astsa_csv("sales")
    frame = pd.DataFrame({"time": lead["Time"].to_numpy(int), "lead": lead["Value"].to_numpy(float),
                          "sales": sales["Value"].to_numpy(float)})
    if difference:
        frame = frame.assign(lead=frame["lead"].diff(), sales=frame["sales"].diff())
        frame = frame.iloc[1:].reset_index(drop=True)
    return frame


def load_macro_consumption():
    """US real disposable income and real consumption growth, quarterly 1959Q2-2009Q3.

    From statsmodels' ``macrodata``: 100 * log-differences of ``realdpi`` and ``realcons``
    (202 quarters). A negative control: little held-out transfer income -> consumption.
    Columns: ``date`` (quarter end), ``dpi_growth``, ``cons_growth``.
    """
    sm_data = require("statsmodels.datasets", "the statsmodels macrodata set")
    data = sm_data.macrodata.load_pandas().data
    # Period strings parse the same way on every pandas >= 2.0.
    labels = [f"{int(y)}Q{int(q)}" for y, q in zip(data["year"], data["quarter"])]
    dates = pd.PeriodIndex(labels, freq="Q")
    frame = pd.DataFrame({"date": dates.to_timestamp(how="end").normalize(),
                          "dpi_growth": 100.0 * np.log(data["realdpi"]).diff(),
                          "cons_growth": 100.0 * np.log(data["realcons"]).diff()})
    return frame.iloc[1:].reset_index(drop=True)


def load_sf_seattle_temps():
    """Hourly temperatures (deg F) of San Francisco and Seattle in 2010 (8760 hours).

    From vega_datasets (``sf_temps``, ``seattle_temps``). Both files lack the hour lost to the
    DST switch (they jump from 02:00 to 04:00 on 2010-03-14); it is put back on the hourly
    grid by linear interpolation so the series are regular. A negative control: the cities are
    ~1000 km apart, though they share the solar diurnal and seasonal cycle.
    Columns: ``date``, ``sf_temp``, ``seattle_temp``.
    """
    local = require("vega_datasets", "the vega_datasets temperature sets").local_data
    sf = local.sf_temps().rename(columns={"temp": "sf_temp"})
    se = local.seattle_temps().rename(columns={"temp": "seattle_temp"})
    frame = sf.merge(se, on="date", how="outer").set_index("date").sort_index()
    frame = frame.asfreq("h").interpolate(method="time")
    return frame.reset_index()[["date", "sf_temp", "seattle_temp"]]


def load_seattle_weather():
    """Daily Seattle weather 2012-2015 (1461 days) from vega_datasets.

    A negative control: wind and precipitation carry little held-out information about the next
    day's maximum temperature beyond its own past. Columns: ``date``, ``precipitation``,
    ``temp_max``, ``temp_min``, ``wind`` (the categorical ``weather`` column is left out).
    """
    local = require("vega_datasets", "the vega_datasets seattle_weather set").local_data
    frame = local.seattle_weather()
    return frame[["date", "precipitation", "temp_max", "temp_min", "wind"]].reset_index(drop=True)


def load_interest_inflation():
    """German inflation and interest rate, quarterly 1972Q2-1998Q4 (107 quarters).

    From statsmodels' ``interest_inflation`` (Luetkepohl 2005, "New Introduction to Multiple
    Time Series Analysis"): ``Dp``, the quarterly change of the log GDP deflator, and ``R``, the
    nominal long-term interest rate. Columns: ``date`` (quarter end), ``inflation``, ``rate``.
    """
    sm_data = require("statsmodels.datasets", "the statsmodels interest_inflation set")
    data = sm_data.interest_inflation.load_pandas().data
    labels = [f"{int(y)}Q{int(q)}" for y, q in zip(data["year"], data["quarter"])]
    dates = pd.PeriodIndex(labels, freq="Q")
    return pd.DataFrame({"date": dates.to_timestamp(how="end").normalize(),
                         "inflation": data["Dp"].to_numpy(float),
                         "rate": data["R"].to_numpy(float)})

