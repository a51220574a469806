"""A catalogue of the packaged paired series, with the direction of transfer to expect."""
import dataclasses

from ibtf.data import packaged

__all__ = ["DatasetInfo", "list_datasets", "load_dataset"]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One packaged pair.

    Attributes:
      name: key for `load_dataset`.
      description: one line.
      time_col, source_cols, target_cols: the columns to give `PairedStreams`.
      expected_transfer: ``"positive"`` (held-out transfer source -> target expected),
        ``"none"`` (a negative control: in-sample fits look positive, held-out should not) or
        ``"unknown"`` (no published held-out figure).
      package: the pip package that ships the data.
    """

    name: str
    description: str
    time_col: str
    source_cols: tuple
    target_cols: tuple
    expected_transfer: str
    package: str
    loader: object = dataclasses.field(repr=False, compare=False)

    @property
    def direction(self):
        return f"{','.join(self.source_cols)} -> {','.join(self.target_cols)}"


_CATALOGUE = (
    DatasetInfo("soi_rec", "Southern Oscillation Index -> fish recruitment, monthly 1950-87 "
                "(astsa; El Nino)", "date", ("soi",), ("rec",), "positive", "astsa",
                packaged.load_soi_rec),
    DatasetInfo("lap", "LA temperature -> cardiovascular mortality, weekly 1970-79 (astsa; "
                "partly seasonal)", "time", ("tempr",), ("cmort",), "positive", "astsa",
                packaged.load_lap),
    DatasetInfo("lead_sales", "Box-Jenkins leading indicator -> sales, differenced, 149 steps "
                "(astsa)", "time", ("lead",), ("sales",), "positive", "astsa",
                packaged.load_lead_sales),
    DatasetInfo("macro_consumption", "US real disposable income growth -> real consumption "
                "growth, quarterly 1959-2009 (statsmodels macrodata)", "date", ("dpi_growth",),
                ("cons_growth",), "none", "statsmodels", packaged.load_macro_consumption),
    DatasetInfo("sf_seattle_temps", "San Francisco -> Seattle hourly temperature, 2010 "
                "(vega_datasets)", "date", ("sf_temp",), ("seattle_temp",), "none",
                "vega_datasets", packaged.load_sf_seattle_temps),
    DatasetInfo("seattle_weather", "Seattle wind and precipitation -> next daily maximum "
                "temperature, 2012-15 (vega_datasets)", "date", ("wind", "precipitation"),
                ("temp_max",), "none", "vega_datasets", packaged.load_seattle_weather),
    DatasetInfo("interest_inflation", "German inflation -> long-term interest rate, quarterly "
                "1972-98 (statsmodels interest_inflation)", "date", ("inflation",), ("rate",),
                "unknown", "statsmodels", packaged.load_interest_inflation),
)


def list_datasets():
    """The packaged pairs as a list of `DatasetInfo` (name, description, direction, ...)."""
    return list(_CATALOGUE)


def load_dataset(name):
    """The DataFrame of a catalogued pair, by name (see `list_datasets`).

    Raises:
      ValueError: unknown name. ImportError: the package that ships it is not installed.
    """
    for info in _CATALOGUE:
        if info.name == name:
            return info.loader()
    raise ValueError(f"unknown data set {name!r}: choose one of {[i.name for i in _CATALOGUE]}")
