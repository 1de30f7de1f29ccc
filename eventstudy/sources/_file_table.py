"""Reading a price file's cells: CSV or Parquet into a :class:`Table` of raw cells.

Detects the delimiter (``,`` ``;`` tab), the encoding (UTF-8 with or without BOM, else
Windows-1251 as in MOEX and Finam exports), blank lines, broken quoting, the header
(including yfinance's three header lines) and ragged rows. Nothing here interprets a
value; :mod:`eventstudy.sources._file_values` does.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError

DATE_COLUMN_NAMES = (
    "date", "tradedate", "trade_date", "begin", "datetime", "timestamp", "day", "дата",
    "дата торгов",
)
MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "."})
DELIMITERS = (";", "\t", ",")
# Date formats by the regex their text matches; `None` marks ambiguous formats.
DATE_FORMATS: dict[str, str | None] = {
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?": "ISO8601",
    r"\d{1,2}\.\d{1,2}\.\d{4}": "%d.%m.%Y",
    r"\d{8}": "%Y%m%d",
    r"\d{1,2}/\d{1,2}/\d{2,4}": None,
}
UTC_OFFSET = r"(\d:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"
DATE_LABELS = {"ISO8601": "YYYY-MM-DD", "%d.%m.%Y": "DD.MM.YYYY", "%Y%m%d": "YYYYMMDD"}
DATE_FIX = "write dates as YYYY-MM-DD (ISO 8601)"
SHOWN_LINES = 5
#: A block name alone on a line of an ISS CSV answer (``history``, ``history.cursor``).
ISS_BLOCK_NAME = r"[a-z]+(?:\.[a-z]+)*"
#: Encoding tried when a file is not UTF-8: MOEX and Finam exports, Russian Excel.
LEGACY_ENCODING = "cp1251"
#: Non-ASCII characters that Windows-1251 text may hold (Cyrillic, NBSP, typographic
#: punctuation); a file decoding to anything else is neither UTF-8 nor Windows-1251.
CYRILLIC_TEXT = "\u0400-\u04ff\u00a0\u00ab\u00bb\u00b0\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2116"


@dataclass(frozen=True)
class Table:
    """A file's cells as read, before any interpretation.

    ``cells`` holds strings for CSV files and typed columns for Parquet files;
    ``lines`` is the 1-based source line of each row (``None`` for Parquet).
    """

    path: Path
    cells: pd.DataFrame
    lines: np.ndarray | None = None
    delimiter: str = ","

    def place(self, position: int) -> tuple[int | None, str]:
        """Line number (CSV) or a ``row N:`` prefix (Parquet) of one row."""
        if self.lines is None:
            return None, f"row {position + 1}: "
        return int(self.lines[position]), ""

    def describe(self, positions: Iterable[int]) -> str:
        """``line 3`` / ``lines 3, 7, ...`` naming some rows, at most a few."""
        unit = "row" if self.lines is None else "line"
        numbers = [p + 1 if self.lines is None else int(self.lines[p]) for p in positions]
        shown = ", ".join(map(str, numbers[:SHOWN_LINES]))
        more = ", ..." if len(numbers) > SHOWN_LINES else ""
        return f"{unit}{'s' if len(numbers) > 1 else ''} {shown}{more}"

    def error(self, position: int, column: str, problem: str, fix: str) -> InputError:
        """An :class:`InputError` pointing at one cell."""
        line, prefix = self.place(position)
        return InputError(prefix + problem, path=self.path, line=line, column=column, fix=fix)


def normal_name(name: object) -> str:
    """Column name compared case-insensitively, without Finam's ``<...>`` brackets."""
    return str(name).strip().strip("<>").strip().lower()


def listing(names: Iterable[object]) -> str:
    """Names quoted and comma-separated, for messages."""
    return ", ".join(repr(str(name)) for name in names)


def date_format_pattern(text: str) -> str | None:
    """The :data:`DATE_FORMATS` pattern that ``text`` matches, if any."""
    bare = re.sub(UTC_OFFSET, r"\1", text.strip())
    return next((p for p in DATE_FORMATS if re.fullmatch(p, bare)), None)


def count(number: int, noun: str) -> str:
    """``1 row`` / ``3 rows``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def read_parquet_table(path: Path) -> Table:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, ImportError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(
            f"not a readable Parquet file ({reason})",
            path=path,
            fix="write it with DataFrame.to_parquet, or save it as CSV",
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    if frame.empty:
        raise InputError("no data rows", path=path, fix="write at least one dated price")
    return Table(path=path, cells=frame)


def read_csv_table(path: Path) -> Table:
    text = _decode(path)
    delimiter = _sniff_delimiter(text)
    return table_from_records(path, _csv_records(path, text, delimiter), delimiter)


def table_from_records(path: Path, records: list[tuple[int, list[str]]], delimiter: str = ",") -> Table:
    """A table from numbered records of cell texts (a CSV file's lines, a sheet's rows)."""
    names, data = _split_header(path, records)
    cells, lines = _rectangle(path, names, data)
    return Table(path=path, cells=cells, lines=lines, delimiter=delimiter)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise InputError("the file is empty", path=path, fix="export the prices again")
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(
            "contains NUL bytes: not a text CSV (binary, or UTF-16 text)",
            path=path,
            line=data.count(b"\n", 0, nul) + 1,
            fix="save it as a UTF-8 CSV",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8_error = error
    text = data.decode(LEGACY_ENCODING, errors="replace")
    foreign = re.search(rf"[^\x00-\x7f{CYRILLIC_TEXT}]", text)
    if foreign is None:
        return text  # a Windows-1251 export (MOEX, Finam)
    start = utf8_error.start
    raise InputError(
        f"neither UTF-8 nor Windows-1251 text (byte 0x{data[start]:02x} is not UTF-8, and "
        f"read as Windows-1251 the file has {foreign.group()!r})",
        path=path,
        line=data.count(b"\n", 0, start) + 1,
        fix="save it as a UTF-8 CSV",
    )


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    header = text.lstrip("\r\n").splitlines()[0]

    def fields(delimiter: str) -> int:
        return len(next(csv.reader([header], delimiter=delimiter)))

    return max(DELIMITERS, key=fields)


def _csv_records(path: Path, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the 1-based line each starts on."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    records = []
    start = 1
    try:
        for record in reader:
            if any(field.strip() for field in record):
                records.append((start, [field.strip() for field in record]))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InputError(
            f"broken quoting ({error})",
            path=path,
            line=start,
            fix='close every opening " and double quotes inside quoted fields ("")',
        ) from None
    return records


def _split_header(
    path: Path, records: list[tuple[int, list[str]]]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Column names and data records; handles yfinance's three header lines."""
    records = _first_iss_block(records)
    names = records[0][1]
    if _is_yfinance_header(records):
        names, data = _yfinance_header(path, records)
    else:
        data = records[1:]
    if date_format_pattern(names[0]) is not None:
        raise InputError(
            f"the first line {','.join(names)!r} is data, not a header",
            path=path,
            line=records[0][0],
            fix="add a header line such as date,close",
        )
    if not data:
        raise InputError("only a header, no data rows", path=path, fix="export the prices again")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(
            f"duplicate column names {listing(duplicated)} in the header",
            path=path,
            line=records[0][0],
            fix="give every column its own name",
        )
    return names, data


def _first_iss_block(records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The records of the first block of an ISS CSV answer, without its name line.

    ISS ``.csv`` answers put each block's name alone on a line (``history``) before
    its header, and may add further blocks (``history.cursor``) after its rows.
    """
    if len(records) < 2 or not _is_block_name(records[0][1]):
        return records
    block = records[1:]
    end = next((i for i, (_, record) in enumerate(block) if _is_block_name(record)), len(block))
    return block[:end]


def _is_block_name(record: list[str]) -> bool:
    return len(record) == 1 and re.fullmatch(ISS_BLOCK_NAME, record[0]) is not None


def _is_yfinance_header(records: list[tuple[int, list[str]]]) -> bool:
    first_cells = {record[0].lower() for _, record in records[:2]}
    return len(records) > 1 and first_cells == {"price", "ticker"}


def _yfinance_header(
    path: Path, records: list[tuple[int, list[str]]]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """``Price,Close,...`` / ``Ticker,^GSPC,...`` / ``Date,,,`` header of ``yf.download``."""
    by_kind = {record[0].lower(): record for _, record in records[:2]}
    tickers = sorted(set(by_kind["ticker"][1:]) - {""})
    if len(tickers) > 1:
        raise InputError(
            f"a yfinance file with several tickers ({', '.join(tickers)})",
            path=path,
            line=records[0][0],
            fix="download one ticker per file, named <ASSET>.csv",
        )
    names = ["date", *by_kind["price"][1:]]
    rest = records[2:]
    if rest and normal_name(rest[0][1][0]) in DATE_COLUMN_NAMES and not any(rest[0][1][1:]):
        rest = rest[1:]
    return names, rest


def _rectangle(
    path: Path, names: list[str], data: list[tuple[int, list[str]]]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Data records as a frame of strings; short rows are padded, empty extras dropped."""
    width = len(names)
    rows = []
    for line, record in data:
        if len(record) > width and any(record[width:]):
            raise InputError(
                f"{len(record)} fields but the header has {width}",
                path=path,
                line=line,
                fix="check the delimiter and quoting on that line",
            )
        rows.append((record + [""] * width)[:width])
    cells = pd.DataFrame(rows, columns=names, dtype=object).astype(str)
    return cells, np.array([line for line, _ in data])

