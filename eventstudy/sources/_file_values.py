"""Interpreting a price file's cells: the date column and the price columns.

Dates: one format per file (``YYYY-MM-DD`` or ISO date-time, ``DD.MM.YYYY``, Finam
``YYYYMMDD``), read as wall-clock times (a UTC offset is dropped); impossible dates
are rejected (see :func:`parse_dates`). Prices: decimal point or comma, chosen from
the numbers that can be read only one way; thousands separators; missing tokens.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources._file_table import (
    DATE_COLUMN_NAMES,
    DATE_FIX,
    DATE_FORMATS,
    DATE_LABELS,
    MISSING_TOKENS,
    UTC_OFFSET,
    Table,
    date_format_pattern,
    listing,
    normal_name,
)

# Preferred price columns when no column is named after the asset, best first.
CLOSE_COLUMN_NAMES = ("close", "price", "adj close", "закрытие", "цена закрытия")
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
        "объем",
        "объём",
        "время",
    }
)
_EXPONENT = r"(?:[eE][+-]?\d+)?"
# A number written with the given decimal mark; the other mark may group thousands.
NUMBER_PATTERNS = {
    ".": rf"[+-]?(?:(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|\.\d+){_EXPONENT}",
    ",": rf"[+-]?(?:(?:\d{{1,3}}(?:\.\d{{3}})+|\d+)(?:,\d*)?|,\d+){_EXPONENT}",
}
#: Earliest date a price file may hold; the latest is tomorrow (:func:`parse_dates`).
EARLIEST_DATE = pd.Timestamp("1900-01-01")
THOUSANDS_SPACE = r"(?<=\d)[ \u00a0\u202f'](?=\d{3}(?!\d))"
#: The characters THOUSANDS_SPACE removes (a cell without any needs no look-around regex).
THOUSANDS_MARKS = "[ \u00a0\u202f']"


def date_column(table: Table) -> str:
    columns = list(table.cells.columns)
    for name in DATE_COLUMN_NAMES:
        for column in columns:
            if normal_name(column) == name:
                return column
    return columns[0]


def parse_dates(table: Table, column: str) -> pd.Series:
    """Dates of every row as tz-naive wall-clock times; NaT where the date is empty.

    A date before :data:`EARLIEST_DATE` (1900-01-01) or after tomorrow is impossible
    for an observed price (a typo such as 2205 for 2025, or a placeholder such as
    9999-12-31) and is an :class:`InputError` naming its line. Tomorrow, not today,
    so that a close stamped in a time zone ahead of the reader's is accepted.
    """
    raw = table.cells[column]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        stamps = raw.reset_index(drop=True)
        _check_possible(table, column, stamps.astype(str), stamps.dt.year.to_numpy(dtype=float),
                        stamps)
        return stamps.astype("datetime64[ns]")
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
    # In every accepted format the first group of four digits is the year.
    years = pd.to_numeric(text.str.extract(r"(\d{4})", expand=False), errors="coerce")
    _check_possible(table, column, text, years.to_numpy(dtype=float), None)
    dates = pd.to_datetime(text.where(text != ""), format=date_format, errors="coerce")
    invalid = np.flatnonzero(dates.isna().to_numpy() & (text != "").to_numpy())
    if invalid.size:
        raise _date_error(table, column, text, int(invalid[0]), "is not a calendar date")
    dates = dates.reset_index(drop=True)
    _check_possible(table, column, text, years.to_numpy(dtype=float), dates)
    return dates.astype("datetime64[ns]")


def latest_possible_date() -> pd.Timestamp:
    """Tomorrow (local calendar): the latest date a price can have been observed."""
    return pd.Timestamp(date.today()) + pd.Timedelta(days=1)


def _check_possible(
    table: Table, column: str, text: pd.Series, years: np.ndarray, dates: pd.Series | None
) -> None:
    """Raise for the first date before 1900 or after tomorrow (by year, then by day)."""
    latest = latest_possible_date()
    with np.errstate(invalid="ignore"):
        impossible = (years < EARLIEST_DATE.year) | (years > latest.year)
    if dates is not None:
        days = pd.DatetimeIndex(dates).normalize()
        impossible |= np.asarray(days > latest) & ~np.isnan(years)
    bad = np.flatnonzero(impossible)
    if bad.size:
        position = int(bad[0])
        when = "before 1900" if years[position] < EARLIEST_DATE.year else (
            f"after tomorrow ({latest:%Y-%m-%d})"
        )
        raise table.error(
            position,
            column,
            f"date {text.iloc[position]!r} is impossible for a price: {when}",
            f"correct the date; prices must be dated from {EARLIEST_DATE:%Y-%m-%d} to tomorrow",
        )


def _checked_date_pattern(
    table: Table, column: str, text: pd.Series, position: int
) -> tuple[str, str]:
    """Pattern and format of the first filled date, which every other date must follow."""
    pattern = date_format_pattern(text.iloc[position])
    if pattern is None:
        raise _date_error(table, column, text, position, "is not a date")
    date_format = DATE_FORMATS[pattern]
    if date_format is None:
        raise _date_error(table, column, text, position, "is ambiguous (day/month or month/day)")
    return pattern, date_format


def _date_error(
    table: Table, column: str, text: pd.Series, position: int, problem: str
) -> InputError:
    fix = DATE_FIX
    if column == table.cells.columns[0] and normal_name(column) not in DATE_COLUMN_NAMES:
        fix += ", in a first column named 'date'"
    return table.error(position, column, f"date {text.iloc[position]!r} {problem}", fix)


def price_columns(table: Table, date_column: str, column: str | None) -> pd.DataFrame:
    """The numeric price-like columns (or just ``column``) as floats, rows in file order."""
    if column is not None:
        return _requested_column(table, date_column, column)
    candidates = [c for c in table.cells.columns if c != date_column and not _is_non_price_name(c)]
    decimal = _decimal_mark(table, candidates)
    columns = {}
    for name in candidates:
        values = _numbers(table, name, decimal, strict=normal_name(name) in SINGLE_ASSET_MARKERS)
        if values is not None:
            columns[name] = values
    if not columns:
        raise InputError(
            f"no numeric price column (columns: {listing(table.cells.columns)})",
            path=table.path,
            fix="add a column of prices such as close, with one number per date",
        )
    return pd.DataFrame(columns).reset_index(drop=True)


def _requested_column(table: Table, date_column: str, column: str) -> pd.DataFrame:
    if column not in table.cells.columns or column == date_column:
        raise InputError(
            f"no price column {column!r} (columns: {listing(table.cells.columns)})",
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
    normal = normal_name(name)
    return normal in NON_PRICE_NAMES or normal.rsplit("_", 1)[-1] in NON_PRICE_NAMES


def _clean_number_text(raw: pd.Series) -> pd.Series:
    text = raw.astype(str).str.strip()
    if not text.str.contains(THOUSANDS_MARKS, regex=True).any():
        return text  # nothing to remove: skips THOUSANDS_SPACE's look-arounds, a Python regex per cell
    return text.str.replace(THOUSANDS_SPACE, "", regex=True)


def _decimal_mark(table: Table, columns: list[str]) -> str:
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


def _mixed_decimal_marks(table: Table, first_only: dict[str, tuple[int, str]]) -> InputError:
    (point_row, point_column), (comma_row, comma_column) = first_only["."], first_only[","]
    point = table.cells[point_column].iloc[point_row]
    return table.error(
        comma_row,
        comma_column,
        f"{table.cells[comma_column].iloc[comma_row]!r} has a decimal comma, but {point!r} "
        f"({table.describe([point_row])}, column {point_column!r}) has a decimal point",
        "use one decimal mark throughout the file",
    )


def _numbers(table: Table, name: str, decimal: str, *, strict: bool) -> pd.Series | None:
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


