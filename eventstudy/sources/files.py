"""Local price files: CSV and Parquet in the export formats users really have.

One file becomes a frame indexed by a tz-naive ``DatetimeIndex`` named ``date``
(sorted, unique) with one float column per price-like column of the file. Detected
without options: delimiter (``,`` ``;`` tab), UTF-8 with or without BOM, decimal
comma and unambiguous thousands separators, date formats (``YYYY-MM-DD``,
``DD.MM.YYYY``, Finam ``YYYYMMDD``, ISO date-times), and the layouts of the MOEX ISS
export, the Finam export (plain or ``<BRACKETED>`` header), the yfinance multi-header
CSV, plain ``date,close`` / OHLCV files and wide files (one column per asset).

Bad files raise :class:`~eventstudy.errors.InputError` naming the file, the line and
the column; rows that can be repaired (empty dates, zero prices, duplicate dates) are
repaired with one :class:`~eventstudy.errors.DataQualityWarning` per kind of repair.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import DataQualityWarning, InputError
from eventstudy.sources.excel import EXCEL_SUFFIXES, is_excel, read_sheet

__all__ = ["pick_price_column", "read_price_file", "read_prices"]

PRICE_FILE_SUFFIXES = (".csv", ".parquet", *EXCEL_SUFFIXES)
DATE_COLUMN_NAMES = ("date", "tradedate", "trade_date", "begin", "datetime", "timestamp", "day")
# Preferred price columns when no column is named after the asset, best first.
CLOSE_COLUMN_NAMES = ("close", "price", "adj close")
# Any of these marks a file holding one asset (OHLC, ISS, Finam, yfinance).
SINGLE_ASSET_MARKERS = frozenset({*CLOSE_COLUMN_NAMES, "open", "high", "low"})
# Numeric columns that are not prices; matched on the whole name or its last `_` part.
NON_PRICE_NAMES = frozenset(
    {
        "volume",
        "vol",
        "value",
        "numtrades",
        "trades",
        "duration",
        "yield",
        "decimals",
        "capitalization",
        "divisor",
        "tradingsession",
        "time",
        "period",
        "per",
        "openposition",
        "dividends",
        "stock splits",
        "capital gains",
    }
)
SYMBOL_COLUMN_NAMES = ("secid", "ticker")
MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "."})
DELIMITERS = (";", "\t", ",")

_EXPONENT = r"(?:[eE][+-]?\d+)?"
# A number written with the given decimal mark; the other mark may group thousands.
NUMBER_PATTERNS = {
    ".": rf"[+-]?(?:(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|\.\d+){_EXPONENT}",
    ",": rf"[+-]?(?:(?:\d{{1,3}}(?:\.\d{{3}})+|\d+)(?:,\d*)?|,\d+){_EXPONENT}",
}
THOUSANDS_SPACE = r"(?<=\d)[ \u00a0\u202f'](?=\d{3}(?!\d))"
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


@dataclass(frozen=True)
class _Table:
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


@dataclass(frozen=True)
class _PriceFile:
    """A parsed file: its price frame and the security it names (ISS SECID, Finam ticker)."""

    frame: pd.DataFrame
    symbol: str | None


# --------------------------------------------------------------------------- public API


def read_price_file(path: str | Path, *, column: str | None = None) -> pd.DataFrame:
    """Read one CSV or Parquet price file into a frame of float prices by date.

    Parameters
    ----------
    path
        The file. CSV (``,`` ``;`` or tab, UTF-8 with or without BOM, decimal point or
        comma) in any of the layouts listed in the module docstring, or Parquet.
    column
        Read only this column (as written in the header), even if its name does not
        look like a price.

    Returns
    -------
    pandas.DataFrame
        Indexed by a sorted, unique, tz-naive ``DatetimeIndex`` named ``date``; one
        float column per price-like numeric column (volumes, turnover, trade counts
        and text columns are left out). Zero or negative prices are NaN.

    Raises
    ------
    InputError
        When the file is missing, empty, not text, has unreadable dates or non-numeric
        prices, broken quoting or no numeric column; the message names the file, the
        line and the column, and says how to fix it.

    Warns
    -----
    DataQualityWarning
        When rows with an empty date are dropped, zero or negative prices are set to
        NaN, or duplicate dates are collapsed (the last row is kept).

    Examples
    --------
    >>> frame = read_price_file("IMOEX_iss_history_2018_2026.csv")  # doctest: +SKIP
    >>> frame.loc["2025-08-07", "CLOSE"]  # doctest: +SKIP
    2876.43
    """
    return _load(Path(path), column).frame


def pick_price_column(
    frame: pd.DataFrame,
    asset: str,
    *,
    column: str | None = None,
    path: str | Path | None = None,
) -> pd.Series:
    """Choose the price series of ``asset`` among the columns of ``frame``.

    Parameters
    ----------
    frame
        A frame as returned by :func:`read_price_file`.
    asset
        The asset's name; the returned series is named after it.
    column
        Use this column; an error lists the available ones if it is absent.
    path
        The file ``frame`` came from, named in error messages.

    Returns
    -------
    pandas.Series
        In this order of preference: ``column``; the column named like the asset
        (case-insensitive, or whose name starts with the asset's name, e.g.
        ``usdrub_cbr`` for ``USDRUB``); ``close`` / ``<CLOSE>`` / ``Price`` /
        ``Adj Close``; the only column.

    Raises
    ------
    InputError
        When ``column`` is absent, or no rule above picks exactly one column.

    Examples
    --------
    >>> frame = pd.DataFrame({"date": ["2025-08-07"], "CLOSE": [2876.43]}).set_index("date")
    >>> pick_price_column(frame, "IMOEX")
    date
    2025-08-07    2876.43
    Name: IMOEX, dtype: float64
    """
    chosen = column if column is not None else _default_price_column(frame, asset, path)
    if chosen not in frame.columns:
        raise InputError(
            f"no column {chosen!r} for asset {asset!r} (columns: {_listing(frame.columns)})",
            path=path,
            fix="pass column= one of the columns listed",
        )
    return frame[chosen].rename(asset)


def read_prices(path: str | Path, assets: Sequence[str] | None = None) -> pd.DataFrame:
    """Read local prices into a wide frame, one column per asset (``es.read_prices``).

    Parameters
    ----------
    path
        A folder of one file per asset named ``<ASSET>.csv`` or ``<ASSET>.parquet``
        (the asset is the file stem as written; other files are ignored); or one wide
        CSV (a date column and one column per asset); or one single-asset file (OHLCV,
        MOEX ISS, Finam, yfinance), whose asset is its ISS ``SECID`` / Finam ticker if
        present, else the file stem.
    assets
        Return exactly these assets, in this order. In a wide file an asset also
        matches a column whose name starts with it, case-insensitively.

    Returns
    -------
    pandas.DataFrame
        Dates (the union over assets, sorted) by assets; NaN where an asset has no
        price on a date, so each asset keeps its own trading days.

    Raises
    ------
    InputError
        For an unreadable file, or an asset that is not there (naming the expected file
        names and what the folder holds, or the file's columns).

    Examples
    --------
    >>> prices = read_prices("prices/", ["IMOEX", "RUBUSD"])  # doctest: +SKIP
    >>> list(prices.columns)  # doctest: +SKIP
    ['IMOEX', 'RUBUSD']
    """
    path = Path(path)
    if assets is not None and not assets:
        raise InputError("no assets requested", fix="name at least one asset, or pass None")
    if path.is_dir():
        return _read_folder(path, assets)
    return _read_one_file(path, assets)


# ------------------------------------------------------------------- choosing columns


def _normal_name(name: object) -> str:
    """Column name compared case-insensitively, without Finam's ``<...>`` brackets."""
    return str(name).strip().strip("<>").strip().lower()


def _listing(names: Iterable[object]) -> str:
    return ", ".join(repr(str(name)) for name in names)


def _columns_named_like(columns: Iterable[object], asset: str) -> list[object]:
    """Columns equal to ``asset`` case-insensitively, else those starting with it."""
    wanted = asset.lower()
    equal = [c for c in columns if _normal_name(c) == wanted]
    return equal or [c for c in columns if _normal_name(c).startswith(wanted)]


def _default_price_column(frame: pd.DataFrame, asset: str, path: str | Path | None) -> object:
    named = _columns_named_like(frame.columns, asset)
    if len(named) == 1:
        return named[0]
    for close_name in CLOSE_COLUMN_NAMES:
        closes = [c for c in frame.columns if _normal_name(c) == close_name]
        if closes:
            return closes[0]
    if len(frame.columns) == 1:
        return frame.columns[0]
    raise InputError(
        f"cannot tell which column holds the price of {asset!r} "
        f"(columns: {_listing(frame.columns)})",
        path=path,
        fix="pass column= naming the price column",
    )


def _select_assets(wide: pd.DataFrame, assets: Sequence[str], path: Path) -> pd.DataFrame:
    columns = {}
    for asset in assets:
        named = _columns_named_like(wide.columns, asset)
        if len(named) != 1:
            problem = "no column" if not named else f"several columns ({_listing(named)})"
            raise InputError(
                f"{problem} for asset {asset!r} (columns: {_listing(wide.columns)})",
                path=path,
                fix="name assets as the file's columns, or rename the columns",
            )
        columns[asset] = wide[named[0]]
    return pd.DataFrame(columns, index=wide.index)


# ----------------------------------------------------------------------- read_prices


def _read_folder(folder: Path, assets: Sequence[str] | None) -> pd.DataFrame:
    files = _price_files(folder)
    if assets is None and not files:
        raise InputError(
            "no .csv or .parquet files in this folder",
            path=folder,
            fix="put one file per asset in it, named <ASSET>.csv or <ASSET>.parquet",
        )
    wanted = list(assets) if assets is not None else sorted(files)
    missing = [asset for asset in wanted if asset not in files]
    if missing:
        expected = ", ".join(f"{a}.csv or {a}.parquet" for a in missing)
        raise InputError(
            f"no price file for {_listing(missing)}: expected {expected}; "
            f"the folder holds {_listing(sorted(p.name for p in folder.iterdir()))}",
            path=folder,
            fix="name each file after its asset, exactly as written in the study",
        )
    series = [
        pick_price_column(_load(files[asset]).frame, asset, path=files[asset]) for asset in wanted
    ]
    return pd.concat(series, axis=1, sort=True)


def _price_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in PRICE_FILE_SUFFIXES:
            continue
        if path.stem in files:
            raise InputError(
                f"two files for asset {path.stem!r}: {files[path.stem].name} and {path.name}",
                path=folder,
                fix="keep one file per asset",
            )
        files[path.stem] = path
    return files


def _read_one_file(path: Path, assets: Sequence[str] | None) -> pd.DataFrame:
    loaded = _load(path)
    if not SINGLE_ASSET_MARKERS.intersection(map(_normal_name, loaded.frame.columns)):
        wide = loaded.frame
        return wide if assets is None else _select_assets(wide, assets, path)
    asset = _single_asset_name(loaded, path, assets)
    return pick_price_column(loaded.frame, asset, path=path).to_frame()


def _single_asset_name(loaded: _PriceFile, path: Path, assets: Sequence[str] | None) -> str:
    """The asset of a one-asset file: the requested one if it fits, else symbol or stem."""
    names = [name for name in (loaded.symbol, path.stem) if name]
    if assets is None:
        return names[0]
    if len(assets) == 1 and _columns_named_like(names, assets[0]):
        return assets[0]
    raise InputError(
        f"the file holds one asset ({names[0]!r}), not {_listing(assets)}",
        path=path,
        fix="ask for that asset, or pass a folder with one file per asset",
    )


# ---------------------------------------------------------------------- one file


def _load(path: Path, column: str | None = None) -> _PriceFile:
    if is_excel(path):  # a sheet read as the CSV records it would export to
        sheet = read_sheet(path)
        try:
            names, data = _split_header(sheet.path, sheet.records())
            table = _Table(sheet.path, *_rectangle(sheet.path, names, data))
            return _PriceFile(frame=_price_frame(table, column), symbol=_symbol(table))
        except InputError as error:
            raise sheet.locate(error) from None
    _check_is_file(path)
    is_parquet = path.suffix.lower() == ".parquet"
    table = _read_parquet_table(path) if is_parquet else _read_csv_table(path)
    symbol = _symbol(table)
    return _PriceFile(frame=_price_frame(table, column), symbol=symbol)


def _check_is_file(path: Path) -> None:
    if path.is_dir():
        raise InputError(
            "is a folder, not a price file", path=path, fix="name a .csv or .parquet file"
        )
    if not path.is_file():
        raise InputError("no such file", path=path, fix="check the path and the file name")


def _read_parquet_table(path: Path) -> _Table:
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
    return _Table(path=path, cells=frame)


def _read_csv_table(path: Path) -> _Table:
    text = _decode(path)
    delimiter = _sniff_delimiter(text)
    records = _csv_records(path, text, delimiter)
    names, data = _split_header(path, records)
    cells, lines = _rectangle(path, names, data)
    return _Table(path=path, cells=cells, lines=lines, delimiter=delimiter)


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
        raise InputError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} cannot be decoded)",
            path=path,
            line=data.count(b"\n", 0, error.start) + 1,
            fix="save it as a UTF-8 CSV",
        ) from None


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
    names = records[0][1]
    if _is_yfinance_header(records):
        names, data = _yfinance_header(path, records)
    else:
        data = records[1:]
    if _date_format_pattern(names[0]) is not None:
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
            f"duplicate column names {_listing(duplicated)} in the header",
            path=path,
            line=records[0][0],
            fix="give every column its own name",
        )
    return names, data


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
    if rest and _normal_name(rest[0][1][0]) in DATE_COLUMN_NAMES and not any(rest[0][1][1:]):
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


def _symbol(table: _Table) -> str | None:
    """The ISS ``SECID`` or Finam ticker the file is about, if it names one."""
    for column in table.cells.columns:
        if _normal_name(column) in SYMBOL_COLUMN_NAMES:
            values = sorted(set(table.cells[column].astype(str).str.strip()) - {""})
            if len(values) > 1:
                raise InputError(
                    f"several securities in one file ({', '.join(values[:SHOWN_LINES])})",
                    path=table.path,
                    column=str(column),
                    fix="export one security per file",
                )
            return values[0] if values else None
    return None


# ------------------------------------------------------------------ table -> prices


def _price_frame(table: _Table, column: str | None) -> pd.DataFrame:
    date_column = _date_column(table)
    dates = _parse_dates(table, date_column)
    prices = _price_columns(table, date_column, column)
    prices.index = pd.DatetimeIndex(dates, name="date")
    kept = _drop_empty_dates(table, dates.isna().to_numpy())
    frame = prices.iloc[kept]
    frame = _blank_nonpositive(table, frame, kept)
    return _drop_duplicate_dates(table, frame, kept).sort_index()


def _date_column(table: _Table) -> str:
    columns = list(table.cells.columns)
    for name in DATE_COLUMN_NAMES:
        for column in columns:
            if _normal_name(column) == name:
                return column
    return columns[0]


def _date_format_pattern(text: str) -> str | None:
    """The :data:`DATE_FORMATS` pattern that ``text`` matches, if any."""
    bare = re.sub(UTC_OFFSET, r"\1", text.strip())
    return next((p for p in DATE_FORMATS if re.fullmatch(p, bare)), None)


def _parse_dates(table: _Table, column: str) -> pd.Series:
    """Dates of every row as tz-naive wall-clock times; NaT where the date is empty."""
    raw = table.cells[column]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.reset_index(drop=True).astype("datetime64[ns]")
    text = raw.astype(str).str.strip().str.replace(UTC_OFFSET, r"\1", regex=True)
    text = text.mask(text.str.lower().isin(MISSING_TOKENS), "")
    filled = np.flatnonzero(text.to_numpy() != "")
    if filled.size == 0:
        raise InputError(
            "no dates in the date column", path=table.path, column=column, fix=DATE_FIX
        )
    pattern, date_format = _checked_date_pattern(table, column, text, int(filled[0]))
    mismatched = np.flatnonzero(~text.str.fullmatch(pattern).to_numpy() & (text != ""))
    if mismatched.size:
        problem = f"is not in the file's date format {DATE_LABELS[date_format]}"
        raise _date_error(table, column, text, int(mismatched[0]), problem)
    dates = pd.to_datetime(text.where(text != ""), format=date_format, errors="coerce")
    invalid = np.flatnonzero(dates.isna().to_numpy() & (text != "").to_numpy())
    if invalid.size:
        raise _date_error(table, column, text, int(invalid[0]), "is not a calendar date")
    return dates.reset_index(drop=True).astype("datetime64[ns]")


def _checked_date_pattern(
    table: _Table, column: str, text: pd.Series, position: int
) -> tuple[str, str]:
    """Pattern and format of the first filled date, which every other date must follow."""
    pattern = _date_format_pattern(text.iloc[position])
    if pattern is None:
        raise _date_error(table, column, text, position, "is not a date")
    date_format = DATE_FORMATS[pattern]
    if date_format is None:
        raise _date_error(table, column, text, position, "is ambiguous (day/month or month/day)")
    return pattern, date_format


def _date_error(
    table: _Table, column: str, text: pd.Series, position: int, problem: str
) -> InputError:
    fix = DATE_FIX
    if column == table.cells.columns[0] and _normal_name(column) not in DATE_COLUMN_NAMES:
        fix += ", in a first column named 'date'"
    return table.error(position, column, f"date {text.iloc[position]!r} {problem}", fix)


def _price_columns(table: _Table, date_column: str, column: str | None) -> pd.DataFrame:
    """The numeric price-like columns (or just ``column``) as floats, rows in file order."""
    if column is not None:
        return _requested_column(table, date_column, column)
    candidates = [c for c in table.cells.columns if c != date_column and not _is_non_price_name(c)]
    decimal = _decimal_mark(table, candidates)
    columns = {}
    for name in candidates:
        values = _numbers(table, name, decimal, strict=_normal_name(name) in SINGLE_ASSET_MARKERS)
        if values is not None:
            columns[name] = values
    if not columns:
        raise InputError(
            f"no numeric price column (columns: {_listing(table.cells.columns)})",
            path=table.path,
            fix="add a column of prices such as close, with one number per date",
        )
    return pd.DataFrame(columns).reset_index(drop=True)


def _requested_column(table: _Table, date_column: str, column: str) -> pd.DataFrame:
    if column not in table.cells.columns or column == date_column:
        raise InputError(
            f"no price column {column!r} (columns: {_listing(table.cells.columns)})",
            path=table.path,
            fix="pass column= one of the columns listed",
        )
    values = _numbers(table, column, _decimal_mark(table, [column]), strict=True)
    if values is None:
        raise InputError(
            "the column is empty", path=table.path, column=column, fix="choose another column"
        )
    return values.to_frame().reset_index(drop=True)


def _is_non_price_name(name: object) -> bool:
    normal = _normal_name(name)
    return normal in NON_PRICE_NAMES or normal.rsplit("_", 1)[-1] in NON_PRICE_NAMES


def _clean_number_text(raw: pd.Series) -> pd.Series:
    return raw.astype(str).str.strip().str.replace(THOUSANDS_SPACE, "", regex=True)


def _decimal_mark(table: _Table, columns: list[str]) -> str:
    """``.`` or ``,``, from the numbers that can be read only one way.

    ``2764,62`` and ``1.234,5`` need a decimal comma; ``5.4768`` and ``1,234.5`` a
    decimal point. ``1,234`` and ``1.234`` could be either: alone in a file they are
    read with the lone mark as the decimal mark unless the file is comma-separated.
    """
    first_only: dict[str, tuple[int, str]] = {}
    has_comma = False
    for name in columns:
        if pd.api.types.is_numeric_dtype(table.cells[name]):
            continue
        text = _clean_number_text(table.cells[name])
        reads = {mark: text.str.fullmatch(pattern) for mark, pattern in NUMBER_PATTERNS.items()}
        for mark, other in ((".", ","), (",", ".")):
            only = np.flatnonzero((reads[mark] & ~reads[other]).to_numpy())
            if only.size and mark not in first_only:
                first_only[mark] = (int(only[0]), name)
        has_comma = has_comma or bool(text.str.contains(",", regex=False).any())
    if len(first_only) == 2:
        raise _mixed_decimal_marks(table, first_only)
    if first_only:
        return next(iter(first_only))
    return "," if has_comma and table.delimiter != "," else "."


def _mixed_decimal_marks(table: _Table, first_only: dict[str, tuple[int, str]]) -> InputError:
    (point_row, point_column), (comma_row, comma_column) = first_only["."], first_only[","]
    point = table.cells[point_column].iloc[point_row]
    return table.error(
        comma_row,
        comma_column,
        f"{table.cells[comma_column].iloc[comma_row]!r} has a decimal comma, but {point!r} "
        f"({table.describe([point_row])}, column {point_column!r}) has a decimal point",
        "use one decimal mark throughout the file",
    )


def _numbers(table: _Table, name: str, decimal: str, *, strict: bool) -> pd.Series | None:
    """Column ``name`` as floats; ``None`` if it is empty or text.

    A column is text when at least half its filled cells are not numbers and it is
    not ``strict``; otherwise any cell that is not a number is an error.
    """
    raw = table.cells[name]
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        return None if values.isna().all() else values
    text = _clean_number_text(raw)
    filled = ~text.str.lower().isin(MISSING_TOKENS)
    numeric = text.str.fullmatch(NUMBER_PATTERNS[decimal]) & filled
    bad = np.flatnonzero((filled & ~numeric).to_numpy())
    if not filled.any() or (bad.size and not strict and bad.size * 2 >= filled.sum()):
        return None
    if bad.size:
        mark = "point" if decimal == "." else "comma"
        raise table.error(
            int(bad[0]),
            name,
            f"price {raw.iloc[bad[0]]!r} is not a number",
            f"write prices as plain numbers with a decimal {mark}; leave missing ones empty",
        )
    other = "," if decimal == "." else "."
    canonical = text.str.replace(other, "", regex=False).str.replace(decimal, ".", regex=False)
    return pd.to_numeric(canonical.where(numeric), errors="coerce").astype(float)


# --------------------------------------------------------------------- repairs


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _warn(message: str) -> None:
    warnings.warn(message, DataQualityWarning, stacklevel=2)


def _drop_empty_dates(table: _Table, empty: np.ndarray) -> np.ndarray:
    """Positions of the rows that have a date; warns once about the others."""
    dropped = np.flatnonzero(empty)
    if dropped.size:
        _warn(
            f"{table.path}: dropped {_count(dropped.size, 'row')} "
            f"with an empty date ({table.describe(dropped)})"
        )
    return np.flatnonzero(~empty)


def _blank_nonpositive(table: _Table, frame: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    nonpositive = (frame <= 0).to_numpy()
    if not nonpositive.any():
        return frame
    details = "; ".join(
        f"column {name!r}: {table.describe(kept[np.flatnonzero(nonpositive[:, i])])}"
        for i, name in enumerate(frame.columns)
        if nonpositive[:, i].any()
    )
    _warn(
        f"{table.path}: {_count(int(nonpositive.sum()), 'zero or negative price')} set to "
        f"missing ({details})"
    )
    return frame.mask(nonpositive)


def _drop_duplicate_dates(table: _Table, frame: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    repeated = frame.index.duplicated(keep="last")
    if not repeated.any():
        return frame
    clashing = np.flatnonzero(frame.index.isin(frame.index[repeated]))
    _warn(
        f"{table.path}: {_count(int(repeated.sum()), 'duplicate date')}, kept the last row of each "
        f"({table.describe(kept[clashing])})"
    )
    return frame[~repeated]
