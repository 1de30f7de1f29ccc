"""Read intraday bar files (CSV or Parquet) into closes indexed by each bar's UTC start.

Timestamps may be written three ways, told apart by their form:

* ISO 8601 with a UTC offset (``2024-03-20 14:00:00-04:00``, ``...Z``): the instant
  is taken as written, whatever the asset's ``timezone``;
* naive (``2022-06-01 10:00:00``): wall-clock time in the asset's ``timezone``;
* whole numbers: Unix seconds (UTC); values above ``10**11`` are read as milliseconds.

Parquet columns of type ``datetime64`` are naive or zoned in the same way.
``bar_label = "end"`` moves every stamp back by one interval (the file marks each bar
by its end); ``shift`` (e.g. ``"-3h"``) corrects a clock written wrongly, such as
Moscow time plus 3 hours written with ``+03:00`` (the ISS 10-minute files in
``shared/data/intraday``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources.base import SeriesProvenance, series_sha256
from eventstudy.timing.bars import parse_shift

#: Time-column names tried in order (case-insensitive); else the first column.
TIME_COLUMNS = ("time", "datetime", "begin", "dt", "timestamp", "date", "end")
PARQUET_SUFFIXES = (".parquet", ".pq")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_MILLISECONDS_ABOVE = 10**11


@dataclass(frozen=True)
class BarFile:
    """An intraday file bound to an asset by the study file (``[assets.NAME] file = ...``).

    Attributes
    ----------
    path
        The CSV or Parquet file.
    column
        The price column (default ``close``).
    timezone
        Zone of naive timestamps.
    bar_label
        ``start`` or ``end``: which end of the bar the timestamp marks.
    shift
        Added to every timestamp (``"-3h"``); empty for none.
    """

    path: Path
    column: str | None = None
    timezone: str = "UTC"
    bar_label: str = "start"
    shift: str = ""


def read_bar_file(spec: BarFile, interval: pd.Timedelta, name: str = "") -> pd.Series:
    """Closes of one intraday file, indexed by the UTC start of each bar.

    Parameters
    ----------
    spec
        The file and how its clock reads.
    interval
        The bar length (to move end-labelled bars to their start).
    name
        The asset, to name the series.

    Raises
    ------
    InputError
        For a missing or unreadable file, a missing price column, a timestamp that cannot
        be read (with its line), timestamps mixing offsets and naive times, or repeated bars.
    """
    path = Path(spec.path)
    frame = _read_table(path)
    time_column = _time_column(frame)
    stamps = _instants(frame[time_column], spec.timezone, path, time_column)
    if spec.bar_label == "end":
        stamps = stamps - interval
    try:
        stamps = stamps + parse_shift(spec.shift)
    except ValueError:
        raise InputError(f"shift {spec.shift!r} is not a duration", path=path,
                         fix='write it as e.g. "-3h" or "+30min"') from None
    price_column = _price_column(frame, spec.column, time_column, path)
    closes = pd.to_numeric(frame[price_column], errors="coerce")
    bad = closes.isna() & frame[price_column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"price {frame[price_column].iloc[row]!r} is not a number", path=path,
                         line=row + 2, column=str(price_column), fix="write prices as plain numbers")
    series = pd.Series(closes.to_numpy(dtype=float), index=stamps, name=name or path.stem)
    repeated = series.index.duplicated()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise InputError(f"bar {series.index[row]} appears twice", path=path, line=row + 2,
                         column=str(time_column), fix="keep one row per bar")
    return series.sort_index()


def bar_provenance(name: str, series: pd.Series, path: str | Path) -> SeriesProvenance:
    """Provenance of an intraday series: first and last bar as UTC instants."""
    observed = series[series.notna() & (series > 0)]
    return SeriesProvenance(asset=name, source="file", symbol=name, path=str(path),
                            first=f"{observed.index.min():%Y-%m-%dT%H:%M:%SZ}",
                            last=f"{observed.index.max():%Y-%m-%dT%H:%M:%SZ}",
                            sha256=series_sha256(observed))


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "is not a file", path=path,
                         fix="give the path of a CSV or Parquet file of bars")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read as a table of bars ({error})", path=path,
                         fix="give a CSV file with a header row, or a Parquet file") from None


def _time_column(frame: pd.DataFrame) -> str:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in TIME_COLUMNS:
        if name in lower:
            return str(lower[name])
    return str(frame.columns[0])


def _instants(values: pd.Series, timezone: str, path: Path, column: str) -> pd.DatetimeIndex:
    """UTC instants from one time column (see the module docstring for the forms)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(pd.DatetimeIndex(values), timezone, path, column)
    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    if numeric.notna().all():
        counts = numeric.to_numpy(dtype=np.int64)
        if float(numeric.abs().max()) > _MILLISECONDS_ABOVE:
            return pd.DatetimeIndex(counts * 1_000_000, tz="UTC").as_unit("ns")
        return pd.DatetimeIndex(counts * 1_000_000_000, tz="UTC").as_unit("ns")
    with_offset = text.str.contains(_OFFSET)
    if with_offset.any() and not with_offset.all():
        row = int(np.flatnonzero((~with_offset).to_numpy() if with_offset.iloc[0] else
                                 with_offset.to_numpy())[0])
        raise InputError(f"timestamp {text.iloc[row]!r} mixes with timestamps of another form",
                         path=path, line=row + 2, column=column,
                         fix="write every timestamp with its UTC offset, or none of them")
    parsed = pd.to_datetime(text, format="ISO8601", utc=bool(with_offset.all()), errors="coerce")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise InputError(f"cannot read the timestamp {text.iloc[row]!r}", path=path, line=row + 2,
                         column=column, fix="write timestamps as YYYY-MM-DD HH:MM[:SS][+HH:MM] or "
                                            "as Unix seconds")
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        return index.tz_convert("UTC").as_unit("ns")
    return _localize(index, timezone, path, column)


def _localize(index: pd.DatetimeIndex, timezone: str, path: Path, column: str) -> pd.DatetimeIndex:
    local = index.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    if local.isna().any():
        row = int(np.flatnonzero(local.isna())[0])
        raise InputError(f"naive timestamp {index[row]} does not exist or is ambiguous in {timezone} "
                         "(a daylight-saving change)", path=path, line=row + 2, column=column,
                         fix="write the timestamps with their UTC offset")
    return local.tz_convert("UTC").as_unit("ns")


def _price_column(frame: pd.DataFrame, column: str | None, time_column: str, path: Path) -> str:
    lower = {str(c).strip().lower(): str(c) for c in frame.columns}
    wanted = column or "close"
    if wanted.lower() in lower:
        return lower[wanted.lower()]
    others = [str(c) for c in frame.columns if str(c) != time_column]
    if column is None and len(others) == 1:
        return others[0]
    raise InputError(f"no price column {wanted!r}", path=path,
                     fix=f"name it with [assets.NAME] column = \"...\"; the file has: {', '.join(others)}")
