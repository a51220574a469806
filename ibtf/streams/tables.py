"""Reading a user's CSV file: encoding and delimiter sniffed, errors that name the fix.

Spreadsheets export CSV in more than one dialect: comma- or semicolon-separated (the latter with
a decimal comma in many locales), tab-separated, UTF-8 with or without a byte-order mark, or
UTF-16 (Excel's "Unicode text"). `read_table` reads all of them into a DataFrame with pandas;
what it cannot read gets one line saying what the file is and how to save it instead.
"""
import codecs
import csv
import os
import re

__all__ = ["read_table", "sniff_encoding", "sniff_dialect"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_DELIMITERS = ",;\t|"
_DECIMAL_COMMA = re.compile(r"(^|;)\s*-?\d+,\d+\s*(;|$)", re.M)


def sniff_encoding(head):
    """The text encoding of a file from its first bytes: a byte-order mark, UTF-16 without one
    (every other byte NUL), or UTF-8."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if len(head) >= 4 and head[1::2].count(0) > 0.4 * len(head[1::2]) and head[0] != 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > 0.4 * len(head[0::2]):
        return "utf-16-be"
    return "utf-8"


def sniff_dialect(text):
    """``(delimiter, decimal)`` of CSV text: the delimiter among , ; tab | that splits the
    header and the first rows consistently; a decimal comma when ';'-separated numbers use
    one."""
    lines = [line for line in text.splitlines() if line.strip()][:20]
    sample = "\n".join(lines)
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in _DELIMITERS} if lines else {}
        delimiter = max(counts, key=counts.get) if counts and max(counts.values()) else ","
    decimal = "," if delimiter == ";" and _DECIMAL_COMMA.search("\n".join(lines[1:])) else "."
    return delimiter, decimal


def read_table(path, what="data file"):
    """A CSV file as a DataFrame, whatever its delimiter (, ; tab |) and encoding (UTF-8,
    UTF-8 with BOM, UTF-16, UTF-32).

    Raises:
      FileNotFoundError: no such file. ValueError: not readable as a table (one line: what was
      found and how to save the file).
    """
    import pandas as pd
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} {path!r} not found: check the path")
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ValueError(f"{what} {path!r} is empty: give a CSV file with a header row and data")
    encoding = sniff_encoding(head)
    try:
        text = head.decode(encoding, errors="strict")
    except UnicodeDecodeError as error:
        if len(head) == 65536 and error.start >= len(head) - 4:     # a cut multi-byte char
            text = head[:error.start].decode(encoding)
        else:
            byte = head[error.start]
            raise ValueError(f"{what} {path!r} is not {encoding} text (byte 0x{byte:02x} at "
                             f"offset {error.start}): save it as UTF-8 (or UTF-16 with a "
                             "byte-order mark)") from None
    delimiter, decimal = sniff_dialect(text)
    try:
        frame = pd.read_csv(path, sep=delimiter, decimal=decimal, encoding=encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"{what} {path!r} is not {encoding} text past its start ({error.reason}"
                         f" at offset {error.start}): save it as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"could not read {what} {path!r} as a {_name(delimiter)}-separated "
                         f"table ({reason}): give a CSV file with a header row and the same "
                         "number of fields on every row") from None
    if frame.shape[1] == 1 and len(frame.columns) and any(d in str(frame.columns[0])
                                                          for d in _DELIMITERS if d != delimiter):
        raise ValueError(f"{what} {path!r} was read as one column {frame.columns[0]!r}: separate "
                         "the columns with commas (or ; tab |) on every row")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _name(delimiter):
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
