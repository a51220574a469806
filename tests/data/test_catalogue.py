import pytest

from ibtf.data.catalogue import list_datasets, load_dataset


def test_catalogue_entries_are_complete():
    infos = list_datasets()
    names = [i.name for i in infos]
    assert len(set(names)) == len(names) == 7
    for info in infos:
        assert info.description and info.expected_transfer in ("positive", "none", "unknown")
        assert info.package in ("astsa", "statsmodels", "vega_datasets")
        assert " -> " in info.direction
    positive = {i.name for i in infos if i.expected_transfer == "positive"}
    assert positive == {"soi_rec", "lap", "lead_sales"}


def test_loaded_frames_hold_the_catalogued_columns():
    pytest.importorskip("astsa")
    pytest.importorskip("statsmodels")
    pytest.importorskip("vega_datasets")
    for info in list_datasets():
        df = load_dataset(info.name)
        assert {info.time_col, *info.source_cols, *info.target_cols} <= set(df.columns)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data set 'nino'.*soi_rec"):
        load_dataset("nino")
