"""One form for date indexes of the live sources and the cache."""

from __future__ import annotations

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
