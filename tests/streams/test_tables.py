import pandas as pd
import pytest

from ibtf.streams.tables import read_table

FRAME = pd.DataFrame({"time": [1, 2, 3], "lead": [0.5, -1.25, 2.0], "sales": [10.0, 11.5, 9.0]})


@pytest.mark.parametrize("sep,decimal,encoding", [
    (",", ".", "utf-8"), (";", ",", "utf-8"), (";", ".", "utf-8"), ("\t", ".", "utf-8"),
    ("|", ".", "utf-8"), (",", ".", "utf-8-sig"), (",", ".", "utf-16"), (";", ",", "utf-16"),
    (",", ".", "utf-16-le"), (",", ".", "utf-32")])
def test_dialects_and_encodings_are_sniffed(tmp_path, sep, decimal, encoding):
    path = tmp_path / "pair.csv"
    FRAME.to_csv(path, sep=sep, decimal=decimal, index=False, encoding=encoding)
    pd.testing.assert_frame_equal(read_table(path), FRAME, check_dtype=False)


def test_unreadable_files_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        read_table(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("time,caf\xe9\n1,2\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not utf-8 text.*save it as UTF-8"):
        read_table(latin)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(ValueError, match="comma-separated table"):
        read_table(ragged)
