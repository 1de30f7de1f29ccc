"""One form for date indexes of the live sources and the cache."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd


def date_index(values: Any) -> pd.DatetimeIndex:
    """A tz-naive ``DatetimeIndex`` named ``date`` at nanosecond resolution.

    pandas 3 parses strings to microseconds, pandas 2 to nanoseconds; fixing the unit
    keeps series from the network and from the cache identical on both.
    """
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.as_unit("ns").rename("date")


def as_date(value: Any) -> date:
    """A ``datetime.date`` from a date, datetime, ``pandas.Timestamp`` or ISO string."""
    if isinstance(value, datetime):  # includes pandas.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return pd.Timestamp(value).date()
