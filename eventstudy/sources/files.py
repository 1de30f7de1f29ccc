"""Local price files: CSV and Parquet in the export formats users really have.

One file becomes a frame indexed by a tz-naive ``DatetimeIndex`` named ``date``
(sorted, unique) with one float column per price-like column of the file. Detected
without options: delimiter (``,`` ``;`` tab), UTF-8 with or without BOM, decimal
comma and unambiguous thousands separators, date formats (``YYYY-MM-DD``,
``DD.MM.YYYY``, Finam ``YYYYMMDD``, ISO date-times), and the layouts of the MOEX ISS
export, the Finam export (plain or ``<BRACKETED>`` header), the yfinance multi-header
CSV, plain ``date,close`` / OHLCV files and wide files (one column per asset), in
UTF-8 or Windows-1251.

Bad files raise :class:`~eventstudy.errors.InputError` naming the file, the line and
the column; rows that can be repaired without guessing (empty dates, isolated zero
prices, repeated rows) are repaired with one
:class:`~eventstudy.errors.DataQualityWarning` per kind of repair (none for repeated
rows). The steps live in ``_file_table`` (cells), ``_file_values`` (dates and numbers)
and ``_file_repairs`` (checks and repairs); see ``docs/data-trust.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources._file_repairs import (
    blank_nonpositive,
    check_intraday_policy,
    drop_empty_dates,
    one_row_per_day,
)
from eventstudy.sources._file_table import (
    SHOWN_LINES,
    Table,
    listing,
    normal_name,
    read_csv_table,
    read_parquet_table,
    table_from_records,
)
from eventstudy.sources._file_values import (
    CLOSE_COLUMN_NAMES,
    SINGLE_ASSET_MARKERS,
    date_column,
    parse_dates,
    price_columns,
)
from eventstudy.sources.excel import EXCEL_SUFFIXES, is_excel, read_sheet

__all__ = ["pick_price_column", "read_price_file", "read_prices"]

PRICE_FILE_SUFFIXES = (".csv", ".parquet", *EXCEL_SUFFIXES)
SYMBOL_COLUMN_NAMES = ("secid", "ticker")


@dataclass(frozen=True)
class _PriceFile:
    """A parsed file: its price frame and the security it names (ISS SECID, Finam ticker)."""

    frame: pd.DataFrame
    symbol: str | None


# --------------------------------------------------------------------------- public API


def read_price_file(
    path: str | Path, *, column: str | None = None, intraday: str = "error"
) -> pd.DataFrame:
    """Read one CSV or Parquet price file into a frame of float prices by date.

    Parameters
    ----------
    path
        The file. CSV (``,`` ``;`` or tab, UTF-8 with or without BOM, decimal point or
        comma) in any of the layouts listed in the module docstring, or Parquet.
    column
        Read only this column (as written in the header), even if its name does not
        look like a price.
    intraday
        ``"error"`` (default): several rows on one date at different times (an
        intraday file) are an error. ``"last"``: keep each column's last price of the
        day (rows ordered by their time stamp, then by a ``time`` column).

    Returns
    -------
    pandas.DataFrame
        Indexed by a sorted, unique, tz-naive ``DatetimeIndex`` named ``date``; one
        float column per price-like numeric column (volumes, turnover, trade counts
        and text columns are left out). Zero or negative prices are NaN.

    Raises
    ------
    InputError
        When the file is missing, empty, not text, has unreadable or impossible dates
        (before 1900, after tomorrow), non-numeric prices, broken quoting, no numeric
        column, a column without any positive price, one date twice with different
        prices, or several prices a day (with ``intraday="error"``); the message names
        the file, the line and the column, and says how to fix it.

    Warns
    -----
    DataQualityWarning
        When rows with an empty date are dropped or zero or negative prices are set
        to NaN. Rows repeating another exactly are dropped without a warning.

    Examples
    --------
    >>> frame = read_price_file("IMOEX_iss_history_2018_2026.csv")  # doctest: +SKIP
    >>> frame.loc["2025-08-07", "CLOSE"]  # doctest: +SKIP
    2876.43
    """
    return _load(Path(path), column, intraday).frame


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
            f"no column {chosen!r} for asset {asset!r} (columns: {listing(frame.columns)})",
            path=path,
            fix="pass column= one of the columns listed",
        )
    return frame[chosen].rename(asset)


def read_prices(
    path: str | Path, assets: Sequence[str] | None = None, *, intraday: str = "error"
) -> pd.DataFrame:
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
    intraday
        What to do with several prices a day, as in :func:`read_price_file`.

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
        return _read_folder(path, assets, intraday)
    return _read_one_file(path, assets, intraday)


# ------------------------------------------------------------------- choosing columns


def _columns_named_like(columns: Iterable[object], asset: str) -> list[object]:
    """Columns equal to ``asset`` case-insensitively, else those starting with it."""
    wanted = asset.lower()
    equal = [c for c in columns if normal_name(c) == wanted]
    return equal or [c for c in columns if normal_name(c).startswith(wanted)]


def _default_price_column(frame: pd.DataFrame, asset: str, path: str | Path | None) -> object:
    named = _columns_named_like(frame.columns, asset)
    if len(named) == 1:
        return named[0]
    for close_name in CLOSE_COLUMN_NAMES:
        closes = [c for c in frame.columns if normal_name(c) == close_name]
        if closes:
            return closes[0]
    if len(frame.columns) == 1:
        return frame.columns[0]
    raise InputError(
        f"cannot tell which column holds the price of {asset!r} "
        f"(columns: {listing(frame.columns)})",
        path=path,
        fix="pass column= naming the price column",
    )


def _select_assets(wide: pd.DataFrame, assets: Sequence[str], path: Path) -> pd.DataFrame:
    columns = {}
    for asset in assets:
        named = _columns_named_like(wide.columns, asset)
        if len(named) != 1:
            problem = "no column" if not named else f"several columns ({listing(named)})"
            raise InputError(
                f"{problem} for asset {asset!r} (columns: {listing(wide.columns)})",
                path=path,
                fix="name assets as the file's columns, or rename the columns",
            )
        columns[asset] = wide[named[0]]
    return pd.DataFrame(columns, index=wide.index)


# ----------------------------------------------------------------------- read_prices


def _read_folder(folder: Path, assets: Sequence[str] | None, intraday: str) -> pd.DataFrame:
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
            f"no price file for {listing(missing)}: expected {expected}; "
            f"the folder holds {listing(sorted(p.name for p in folder.iterdir()))}",
            path=folder,
            fix="name each file after its asset, exactly as written in the study",
        )
    series = [
        pick_price_column(_load(files[asset], intraday=intraday).frame, asset, path=files[asset])
        for asset in wanted
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


def _read_one_file(path: Path, assets: Sequence[str] | None, intraday: str) -> pd.DataFrame:
    loaded = _load(path, intraday=intraday)
    if not SINGLE_ASSET_MARKERS.intersection(map(normal_name, loaded.frame.columns)):
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
        f"the file holds one asset ({names[0]!r}), not {listing(assets)}",
        path=path,
        fix="ask for that asset, or pass a folder with one file per asset",
    )


# ---------------------------------------------------------------------- one file


def _load(path: Path, column: str | None = None, intraday: str = "error") -> _PriceFile:
    check_intraday_policy(intraday)
    if is_excel(path):  # a sheet read as the CSV records it would export to
        sheet = read_sheet(path)
        try:
            table = table_from_records(sheet.path, sheet.records())
            return _PriceFile(frame=_price_frame(table, column, intraday), symbol=_symbol(table))
        except InputError as error:
            raise sheet.locate(error) from None
    _check_is_file(path)
    is_parquet = path.suffix.lower() == ".parquet"
    table = read_parquet_table(path) if is_parquet else read_csv_table(path)
    symbol = _symbol(table)
    return _PriceFile(frame=_price_frame(table, column, intraday), symbol=symbol)


def _check_is_file(path: Path) -> None:
    if path.is_dir():
        raise InputError(
            "is a folder, not a price file", path=path, fix="name a .csv or .parquet file"
        )
    if not path.is_file():
        raise InputError("no such file", path=path, fix="check the path and the file name")



def _symbol(table: Table) -> str | None:
    """The ISS ``SECID`` or Finam ticker the file is about, if it names one."""
    for column in table.cells.columns:
        if normal_name(column) in SYMBOL_COLUMN_NAMES:
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


def _price_frame(table: Table, column: str | None, intraday: str) -> pd.DataFrame:
    dates_in = date_column(table)
    dates = parse_dates(table, dates_in)
    prices = price_columns(table, dates_in, column)
    prices.index = pd.DatetimeIndex(dates, name="date")
    kept = drop_empty_dates(table, dates.isna().to_numpy())
    frame = prices.iloc[kept]
    frame = blank_nonpositive(table, frame, kept)
    return one_row_per_day(table, frame, kept, intraday)


