"""Checks and repairs of a parsed price file: empty dates, non-positive prices, same-day rows.

Rows that can be repaired without guessing are repaired with one
:class:`~eventstudy.errors.DataQualityWarning` per kind of repair: rows with an
empty date are dropped, isolated zero or negative prices become missing, and rows
repeating another row exactly (same date, time and prices) are dropped silently.
Anything that would need a guess is an :class:`~eventstudy.errors.InputError` naming
the file and the lines: a column with no positive price at all, the same date with
different prices, several prices a day in a daily file (unless ``intraday="last"``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from eventstudy.errors import DataQualityWarning, InputError
from eventstudy.sources._file_table import Table, count, normal_name

#: Values of the ``intraday`` option of :func:`eventstudy.sources.files.read_prices`.
INTRADAY_POLICIES = ("error", "last")
#: Column names holding a time of day beside the date column (Finam ``<TIME>``).
TIME_COLUMN_NAMES = ("time", "время")


def warn(message: str) -> None:
    """Issue one :class:`DataQualityWarning` attributed to the caller's caller."""
    warnings.warn(message, DataQualityWarning, stacklevel=2)


def check_intraday_policy(intraday: str) -> None:
    """Reject an unknown ``intraday`` value, listing the valid ones."""
    if intraday not in INTRADAY_POLICIES:
        raise InputError(
            f"unknown intraday option {intraday!r}",
            fix=f"use one of {', '.join(map(repr, INTRADAY_POLICIES))}",
        )


def drop_empty_dates(table: Table, empty: np.ndarray) -> np.ndarray:
    """Positions of the rows that have a date; warns once about the others."""
    dropped = np.flatnonzero(empty)
    if dropped.size:
        warn(
            f"{table.path}: dropped {count(dropped.size, 'row')} "
            f"with an empty date ({table.describe(dropped)})"
        )
    return np.flatnonzero(~empty)


def blank_nonpositive(table: Table, frame: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    """``frame`` with zero and negative prices set to NaN (warned once).

    Raises
    ------
    InputError
        When a column has prices but none of them is positive: it is not a price
        series (a wrong column, or a broken export), and NaN everywhere would only
        fail later.
    """
    nonpositive = (frame <= 0).to_numpy()
    if not nonpositive.any():
        return frame
    positive = (frame > 0).to_numpy()
    for i, name in enumerate(frame.columns):
        if nonpositive[:, i].any() and not positive[:, i].any():
            rows = kept[np.flatnonzero(nonpositive[:, i])]
            line, prefix = table.place(int(rows[0]))
            raise InputError(
                f"{prefix}every price in the column is zero or negative "
                f"({count(rows.size, 'value')}, {table.describe(rows)})",
                path=table.path,
                line=line,
                column=str(name),
                fix="export the prices again, or choose the column that holds them",
            )
    details = "; ".join(
        f"column {name!r}: {table.describe(kept[np.flatnonzero(nonpositive[:, i])])}"
        for i, name in enumerate(frame.columns)
        if nonpositive[:, i].any()
    )
    warn(
        f"{table.path}: {count(int(nonpositive.sum()), 'zero or negative price')} set to "
        f"missing ({details})"
    )
    return frame.mask(nonpositive)


def one_row_per_day(
    table: Table, frame: pd.DataFrame, kept: np.ndarray, intraday: str
) -> pd.DataFrame:
    """``frame`` indexed by calendar date, one row per date, sorted.

    ``frame`` is indexed by the parsed time stamps, rows in file order; ``kept`` maps
    its rows to the table's. Rows on one date are compared by their time of day (the
    time stamp's, and a separate ``time`` column's if the file has one):

    - the same time and the same prices: a repeated row, dropped silently;
    - the same time and different prices: :class:`InputError` naming both lines;
    - different times: prices within the day. ``intraday="error"`` raises naming
      the lines; ``intraday="last"`` keeps each column's last price of the day.
    """
    moments = _moments(table, frame, kept)
    keyed = pd.DataFrame(frame.to_numpy(dtype=float))
    keyed["moment"] = moments
    repeated = keyed.duplicated().to_numpy()  # NaN equals NaN here
    unique_moment = pd.Series(moments).duplicated().to_numpy() & ~repeated
    if unique_moment.any():
        raise _conflict(table, frame, kept, moments, int(np.flatnonzero(unique_moment)[0]))
    frame = frame[~repeated]
    kept, moments = kept[~repeated], moments[~repeated]
    days = pd.DatetimeIndex(frame.index).normalize()
    several = days.duplicated(keep=False)
    if several.any():
        if intraday == "error":
            raise _intraday(table, days, kept, several)
        order = np.lexsort((np.arange(len(frame)), moments))
        ordered = frame.iloc[order]
        frame = ordered.groupby(pd.DatetimeIndex(ordered.index).normalize(), sort=True).last()
    frame.index = pd.DatetimeIndex(frame.index).normalize().rename("date")
    return frame.sort_index()


def _moments(table: Table, frame: pd.DataFrame, kept: np.ndarray) -> np.ndarray:
    """Each row's instant within its day as one sortable string (time stamp, time column)."""
    stamps = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%dT%H:%M:%S.%f").to_numpy(dtype=str)
    for column in table.cells.columns:
        if normal_name(column) in TIME_COLUMN_NAMES:
            text = table.cells[column].astype(str).str.strip().to_numpy(dtype=str)[kept]
            return np.char.add(np.char.add(stamps, " "), np.char.zfill(text, 12))
    return stamps


def _conflict(
    table: Table, frame: pd.DataFrame, kept: np.ndarray, moments: np.ndarray, position: int
) -> InputError:
    earlier = int(np.flatnonzero(moments[:position] == moments[position])[0])
    first, second = frame.iloc[earlier], frame.iloc[position]
    differing = [
        name for name in frame.columns
        if not (first[name] == second[name] or (np.isnan(first[name]) and np.isnan(second[name])))
    ]
    name = differing[0]
    line, prefix = table.place(int(kept[position]))
    day = pd.Timestamp(frame.index[position])
    return InputError(
        f"{prefix}date {_day_text(day)} is on {table.describe(kept[[earlier, position]])} "
        f"with different prices ({first[name]:g} and {second[name]:g})",
        path=table.path,
        line=line,
        column=str(name),
        fix="keep one of the two rows",
    )


def _intraday(
    table: Table, days: pd.DatetimeIndex, kept: np.ndarray, several: np.ndarray
) -> InputError:
    first_day = days[several][0]
    rows = kept[np.flatnonzero(days == first_day)]
    line, prefix = table.place(int(rows[0]))
    number = int(pd.Series(days[several]).nunique())
    return InputError(
        f"{prefix}several prices a day ({count(rows.size, 'row')} on {first_day:%Y-%m-%d}, "
        f"{table.describe(rows)}; {count(number, 'such day')} in all): the file is intraday, "
        "prices must be daily",
        path=table.path,
        line=line,
        fix="export daily prices, or keep the last price of each day with --same-day-prices last "
            "(same_day_prices = \"last\" in a study file, intraday=\"last\" in read_prices)",
    )


def _day_text(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}" if day == day.normalize() else f"{day:%Y-%m-%d %H:%M:%S}"
