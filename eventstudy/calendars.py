"""Trading calendars, observation instants and day-0 alignment (DESIGN section 4).

Each asset's calendar is the set of days on which it has a price: returns, windows
and day 0 are all counted in the asset's own trading days. A day's price is
observed at the asset's ``observed_at`` local time (the close, the fixing); an
unknown time means "end of that day".
"""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd


def observation_instants(days: pd.DatetimeIndex, observed_at: time | None,
                         timezone: str) -> pd.DatetimeIndex:
    """UTC instants at which the prices of ``days`` were observed.

    Examples
    --------
    >>> observation_instants(pd.DatetimeIndex(["2025-08-07"]), time(18, 50), "Europe/Moscow")
    DatetimeIndex(['2025-08-07 15:50:00+00:00'], dtype='datetime64[ns, UTC]', freq=None)
    """
    days = pd.DatetimeIndex(days).normalize()
    if observed_at is None:
        local = days + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    else:
        local = days + pd.Timedelta(hours=observed_at.hour, minutes=observed_at.minute,
                                    seconds=observed_at.second)
    return local.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").tz_convert(
        "UTC").as_unit("ns")


def day0_positions(days: pd.DatetimeIndex, instants: pd.DatetimeIndex,
                   event_dates: pd.Series, announced: pd.Series) -> np.ndarray:
    """Position in ``days`` of each event's day 0, or -1 when the series ends before it.

    Day 0 is the first session whose observation instant is at or after the
    announcement; for an event with only a date it is that date if the asset trades
    then, else its next session.

    Parameters
    ----------
    days
        The asset's trading days (sorted).
    instants
        Their observation instants (UTC), from :func:`observation_instants`.
    event_dates
        Each event's calendar date (``Timestamp``).
    announced
        Each event's announcement instant (UTC ``Timestamp``) or ``NaT``.
    """
    day_values = pd.DatetimeIndex(days).as_unit("ns").asi8
    instant_values = pd.DatetimeIndex(instants).as_unit("ns").asi8
    dates = pd.DatetimeIndex(pd.to_datetime(event_dates)).as_unit("ns").asi8
    stamps = pd.to_datetime(announced, utc=True)
    timed = stamps.notna().to_numpy()
    by_date = np.searchsorted(day_values, dates, side="left")
    by_time = np.searchsorted(instant_values, pd.DatetimeIndex(stamps).as_unit("ns").asi8,
                              side="left")
    positions = np.where(timed, by_time, by_date)
    return np.where(positions < len(day_values), positions, -1)
