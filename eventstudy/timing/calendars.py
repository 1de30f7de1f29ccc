"""Trading calendars, observation instants and day-0 alignment (``docs/events-file.md``).

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
    >>> observation_instants(pd.DatetimeIndex(["2025-08-07"]), time(18, 50), "Europe/Moscow")[0]
    Timestamp('2025-08-07 15:50:00+0000', tz='UTC')
    """
    days = pd.DatetimeIndex(days).normalize()
    if observed_at is None:
        local = days + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    else:
        local = days + pd.Timedelta(hours=observed_at.hour, minutes=observed_at.minute,
                                    seconds=observed_at.second)
    return local.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").tz_convert(
        "UTC").as_unit("ns")


#: :func:`day0_positions` code: the series ends before the announcement.
DAY0_AFTER_END = -1
#: :func:`day0_positions` code: the next session is more than ``max_day0_gap`` days away.
DAY0_TOO_FAR = -2
#: Default of ``max_day0_gap`` in calendar days. Outside the 2022 halt no calendar day
#: of 2018-2026 is more than 5 days before the next IMOEX session (New Year breaks
#: included), so a week refuses only real gaps in the prices.
MAX_DAY0_GAP_DAYS = 7


def day0_positions(days: pd.DatetimeIndex, instants: pd.DatetimeIndex,
                   event_dates: pd.Series, announced: pd.Series,
                   max_day0_gap: int | None = MAX_DAY0_GAP_DAYS) -> np.ndarray:
    """Position in ``days`` of each event's day 0, or a negative code.

    Day 0 is the first session whose observation instant is at or after the
    announcement; for an event with only a date it is that date if the asset trades
    then, else its next session. That session may be far away when the prices have a
    gap (a trading halt, missing rows); day 0 is then refused rather than moved.

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
    max_day0_gap
        Most calendar days allowed between the event's date and day 0's date;
        ``None`` for no limit.

    Returns
    -------
    numpy.ndarray
        Integer positions; :data:`DAY0_AFTER_END` (-1) when the series ends before
        the announcement, :data:`DAY0_TOO_FAR` (-2) when day 0 would be more than
        ``max_day0_gap`` calendar days after the event's date (skip the pair with
        :func:`day0_gap_reason`).

    Examples
    --------
    >>> days = pd.DatetimeIndex(["2022-02-25", "2022-03-24"])
    >>> day0_positions(days, observation_instants(days, None, "Europe/Moscow"),
    ...                pd.Series(pd.to_datetime(["2022-02-25", "2022-02-28"])),
    ...                pd.Series([pd.NaT, pd.NaT])).tolist()
    [0, -2]
    """
    stamps = pd.to_datetime(announced, utc=True)
    return day0_positions_ns(pd.DatetimeIndex(days).as_unit("ns").asi8,
                             pd.DatetimeIndex(instants).as_unit("ns").asi8,
                             pd.DatetimeIndex(pd.to_datetime(event_dates)).as_unit("ns").asi8,
                             pd.DatetimeIndex(stamps).as_unit("ns").asi8, stamps.notna().to_numpy(),
                             max_day0_gap)


def day0_positions_ns(day_values: np.ndarray, instant_values: np.ndarray, dates: np.ndarray,
                      stamps: np.ndarray, timed: np.ndarray,
                      max_day0_gap: int | None = MAX_DAY0_GAP_DAYS) -> np.ndarray:
    """:func:`day0_positions` on int64 nanoseconds: the days, their instants, the events'
    dates and announcement instants (used where ``timed``)."""
    by_date = np.searchsorted(day_values, dates, side="left")
    by_time = np.searchsorted(instant_values, stamps, side="left")
    positions = np.where(timed, by_time, by_date)
    found = positions < len(day_values)
    if max_day0_gap is not None and found.any():
        gap = np.zeros(positions.shape, dtype=np.int64)
        gap[found] = (day_values[positions[found]] - dates[found]) // _NS_PER_DAY
        positions = np.where(found & (gap > max_day0_gap), DAY0_TOO_FAR, positions)
    return np.where(found, positions, DAY0_AFTER_END)


def day0_gap_reason(event_date: pd.Timestamp, day0_date: pd.Timestamp, max_day0_gap: int) -> str:
    """Why a pair is skipped when :func:`day0_positions` returned :data:`DAY0_TOO_FAR`.

    ``day0_date`` is the session day 0 would have been (the first session on or
    after ``event_date``).

    Examples
    --------
    >>> day0_gap_reason(pd.Timestamp("2022-02-28"), pd.Timestamp("2022-03-24"), 7)[:50]
    'day 0 would be 24 days after the announcement (202'
    """
    days = (pd.Timestamp(day0_date).normalize() - pd.Timestamp(event_date).normalize()).days
    return (
        f"day 0 would be {days} days after the announcement ({day0_date:%Y-%m-%d} for "
        f"{event_date:%Y-%m-%d}; more than the maximum {max_day0_gap}); the prices have a gap"
    )


def longest_gaps(days: pd.DatetimeIndex, start_pos: np.ndarray | int,
                 end_pos: np.ndarray | int) -> np.ndarray:
    """Longest step, in calendar days, between consecutive ``days`` inside each window.

    A window ``[start_pos, end_pos]`` (positions in ``days``, inclusive) covers the
    steps ``days[k] - days[k - 1]`` for ``k`` from ``start_pos`` to ``end_pos``: each
    return dated ``days[k]`` spans the step into it. Positions are clipped to
    ``days``; an empty window gives 0.
    """
    values = pd.DatetimeIndex(days).as_unit("ns").asi8
    steps = np.zeros(len(values), dtype=np.int64)
    if len(values) > 1:
        steps[1:] = np.diff(values) // _NS_PER_DAY
    starts = np.clip(np.atleast_1d(np.asarray(start_pos, dtype=np.int64)), 1, None)
    ends = np.clip(np.atleast_1d(np.asarray(end_pos, dtype=np.int64)), None, len(values) - 1)
    starts, ends = np.broadcast_arrays(starts, ends)
    return np.array([steps[a:b + 1].max() if b >= a else 0 for a, b in zip(starts, ends, strict=True)],
                    dtype=np.int64)


def window_gaps(days: pd.DatetimeIndex, start_pos: np.ndarray | int, end_pos: np.ndarray | int,
                max_gap_days: int) -> np.ndarray:
    """Whether each window spans a step longer than ``max_gap_days`` calendar days.

    See :func:`longest_gaps` for what a window covers. Used to flag (or skip) pairs
    whose event or estimation window crosses a trading halt, such as MOEX's from
    25 February to 24 March 2022 (a 27-day step).

    Examples
    --------
    >>> days = pd.DatetimeIndex(["2022-02-24", "2022-02-25", "2022-03-24", "2022-03-25"])
    >>> window_gaps(days, [0, 1, 2, 3], [1, 2, 3, 3], 10).tolist()
    [False, True, True, False]
    """
    return longest_gaps(days, start_pos, end_pos) > max_gap_days


def window_gap_reason(longest: int, max_gap_days: int, window: str = "window") -> str:
    """Text for a pair whose ``window`` spans a gap (from :func:`longest_gaps`).

    Examples
    --------
    >>> window_gap_reason(27, 10, "event window")[:50]
    'the event window spans a 27-day gap in the prices '
    """
    return (
        f"the {window} spans a {longest}-day gap in the prices (more than the maximum "
        f"{max_gap_days}); returns across it are not daily"
    )


_NS_PER_DAY = 86_400 * 10**9
