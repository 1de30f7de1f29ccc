"""Intraday bars: the interval, exchange sessions, bar 0 and the bars that carry a gap.

An intraday series is one asset's bars, each known by the UTC instant at which it
starts and lasting one ``interval``. Bar ``k``'s return runs from the close of bar
``k - 1`` to the close of bar ``k``; so the first bar of each local trading day (the
*opening bar*) carries the overnight (or weekend) gap since the previous close.

Bar 0 is the bar whose interval ``[start, start + interval)`` contains the
announcement. When no bar does (the market is closed, or no trade happened in that
minute), bar 0 is the next bar; when that is an opening bar, the announcement came
while the market was closed, and bar 0 is flagged ``overnight``: its return includes
the gap.

Clock times (``HH:MM``) and local days are read in the asset's time zone (its
``timezone``), the zone of its exchange.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError

#: The study intervals (``[study] interval``) and their lengths; ``1d`` is the daily study.
INTERVALS: dict[str, pd.Timedelta] = {
    "1min": pd.Timedelta(minutes=1),
    "5min": pd.Timedelta(minutes=5),
    "10min": pd.Timedelta(minutes=10),
    "1h": pd.Timedelta(hours=1),
    "1d": pd.Timedelta(days=1),
}
DAILY = "1d"
BAR_LABELS = ("start", "end")
#: Slot name of opening bars in the time-of-day variance (they carry the gap).
OPENING_SLOT = "open"
#: Most calendar days allowed between an announcement and its bar 0.
MAX_BAR0_GAP_DAYS = 7
#: :func:`bar0_positions` code: the series ends before the announcement.
BAR0_AFTER_END = -1
#: :func:`bar0_positions` code: the next bar is more than ``MAX_BAR0_GAP_DAYS`` away.
BAR0_TOO_FAR = -2


def interval_length(interval: str) -> pd.Timedelta:
    """Length of one bar of ``interval`` (a key of :data:`INTERVALS`).

    Examples
    --------
    >>> interval_length("10min")
    Timedelta('0 days 00:10:00')
    """
    return INTERVALS[interval]


@dataclass(frozen=True)
class Session:
    """The exchange's session in local time: bars starting in ``[start, end)`` on weekdays.

    Examples
    --------
    >>> Session.parse("09:50-18:50")
    Session(start=datetime.time(9, 50), end=datetime.time(18, 50))
    """

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Session:
        """``"HH:MM-HH:MM"`` to a session; ``ValueError`` if the text is not of that form."""
        parts = text.replace(" ", "").split("-")
        if len(parts) != 2:
            raise ValueError(f"{text!r} is not HH:MM-HH:MM")
        start, end = (_clock(p) for p in parts)
        if start >= end:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _clock(text: str) -> time:
    hour, minute = (int(v) for v in text.split(":"))
    return time(hour, minute)


def check_bar_keys(table: Mapping[str, Any], where: str, path: str | Path | None) -> None:
    """Check the intraday keys of an ``[assets.NAME]`` table: ``bar_label``, ``session``, ``shift``.

    Raises
    ------
    ConfigError
        Naming the key and the fix.
    """
    if "bar_label" in table and table["bar_label"] not in BAR_LABELS:
        raise ConfigError(f"{where} bar_label = {table['bar_label']!r} is not valid", path=path,
                          fix='write bar_label = "start" or "end" (which end of the bar the time marks)')
    if table.get("session"):
        try:
            Session.parse(str(table["session"]))
        except ValueError:
            raise ConfigError(f"{where} session = {table['session']!r} is not a session", path=path,
                              fix='write it as "HH:MM-HH:MM" in the asset\'s time zone, '
                                  'e.g. "09:50-18:50"') from None
    if table.get("shift"):
        try:
            parse_shift(str(table["shift"]))
        except ValueError:
            raise ConfigError(f"{where} shift = {table['shift']!r} is not a duration", path=path,
                              fix='write it as e.g. "-3h" or "+30min"') from None


def parse_shift(text: str) -> pd.Timedelta:
    """A clock shift such as ``"-3h"``, ``"+30min"`` or ``""`` (none); ``ValueError`` if unreadable.

    Examples
    --------
    >>> parse_shift("-3h")
    Timedelta('-1 days +21:00:00')
    """
    if not text:
        return pd.Timedelta(0)
    value = pd.Timedelta(text.strip().lstrip("+"))
    if pd.isna(value):
        raise ValueError(f"{text!r} is not a duration")
    return value


def in_session(starts: pd.DatetimeIndex, timezone: str, session: Session) -> np.ndarray:
    """True for bars that start inside ``session`` on a weekday (local time).

    Off-exchange bars (a broker's night and weekend trading) fall outside and are dropped
    by the caller.

    Examples
    --------
    >>> starts = pd.DatetimeIndex(["2025-09-12 06:30", "2025-09-12 07:00",
    ...                            "2025-09-13 08:00"], tz="UTC")
    >>> in_session(starts, "Europe/Moscow", Session.parse("09:50-18:50")).tolist()
    [False, True, False]
    """
    local = pd.DatetimeIndex(starts).tz_convert(timezone)
    minutes = local.hour * 60 + local.minute
    first = session.start.hour * 60 + session.start.minute
    last = session.end.hour * 60 + session.end.minute
    weekday = local.day_of_week < 5
    return np.asarray(weekday & (minutes >= first) & (minutes < last))


@dataclass(frozen=True)
class BarSeries:
    """One asset's bars on its own bar axis.

    Attributes
    ----------
    starts
        UTC start instant of each bar (sorted, unique).
    closes
        The bar's close.
    returns
        Return of each bar from the previous bar's close (``NaN`` for the first bar).
    opening
        True for the first bar of each local day: its return carries the gap since the
        previous session's close.
    slots
        Time-of-day class of each bar: the local ``HH:MM`` of its start, or
        :data:`OPENING_SLOT` for opening bars.
    timezone
        The local zone of clock times and days.
    """

    starts: pd.DatetimeIndex
    closes: np.ndarray
    returns: np.ndarray
    opening: np.ndarray
    slots: np.ndarray
    timezone: str

    def local_starts(self) -> pd.DatetimeIndex:
        """Bar starts in the local zone."""
        return self.starts.tz_convert(self.timezone)


def bar_series(closes: pd.Series, timezone: str, kind: str = "log") -> BarSeries:
    """Bars from closes indexed by UTC bar start (missing and non-positive closes dropped).

    Examples
    --------
    >>> closes = pd.Series([100.0, 101.0, 103.0], index=pd.DatetimeIndex(
    ...     ["2025-08-06 15:00", "2025-08-07 06:00", "2025-08-07 07:00"], tz="UTC"))
    >>> bars = bar_series(closes, "Europe/Moscow", "simple")
    >>> bars.opening.tolist(), bars.slots.tolist()
    ([True, True, False], ['open', 'open', '10:00'])
    """
    observed = closes[closes.notna() & (closes > 0)].sort_index()
    observed = observed[~observed.index.duplicated(keep="last")]
    starts = pd.DatetimeIndex(observed.index).tz_convert("UTC").as_unit("ns")
    values = observed.to_numpy(dtype=float)
    returns = np.full(values.shape, np.nan)
    if kind == "log":
        returns[1:] = np.diff(np.log(values))
    else:
        returns[1:] = values[1:] / values[:-1] - 1.0
    local = starts.tz_convert(timezone)
    day = local.normalize().asi8
    opening = np.ones(len(day), dtype=bool)
    opening[1:] = day[1:] != day[:-1]
    slots = np.where(opening, OPENING_SLOT, local.strftime("%H:%M").to_numpy(dtype=object))
    return BarSeries(starts=starts, closes=values, returns=returns, opening=opening,
                     slots=slots.astype(object), timezone=timezone)


def bar0_positions(starts: pd.DatetimeIndex, interval: pd.Timedelta,
                   announced: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Position of each announcement's bar 0, and whether the market was closed then.

    Bar 0 is the bar whose ``[start, start + interval)`` contains the announcement; when
    none does, the next bar. For an announcement with only a date (``announced`` is the
    local midnight, see :func:`announcement_instants`) that is the day's opening bar.

    Returns
    -------
    positions : numpy.ndarray
        Integer positions in ``starts``; :data:`BAR0_AFTER_END` when the series ends
        before the announcement, :data:`BAR0_TOO_FAR` when the next bar is more than
        :data:`MAX_BAR0_GAP_DAYS` calendar days later (a gap in the prices).
    outside : numpy.ndarray
        True where no bar contains the announcement (bar 0 is the next bar).

    Examples
    --------
    >>> starts = pd.DatetimeIndex(["2025-08-07 06:00", "2025-08-07 07:00"], tz="UTC")
    >>> pos, outside = bar0_positions(starts, pd.Timedelta(hours=1), pd.Series(pd.to_datetime(
    ...     ["2025-08-06 17:00", "2025-08-07 07:30", "2025-08-07 09:00"], utc=True)))
    >>> pos.tolist(), outside.tolist()
    ([0, 1, -1], [True, False, True])
    """
    values = pd.DatetimeIndex(starts).as_unit("ns").asi8
    stamps = pd.DatetimeIndex(pd.to_datetime(announced, utc=True)).as_unit("ns").asi8
    step = int(pd.Timedelta(interval).value)
    before = np.searchsorted(values, stamps, side="right") - 1
    inside = (before >= 0) & (stamps < values[np.clip(before, 0, None)] + step) if len(values) else (
        np.zeros(stamps.shape, dtype=bool))
    positions = np.where(inside, before, before + 1)
    found = positions < len(values)
    gap = np.zeros(positions.shape, dtype=np.int64)
    gap[found] = (values[positions[found]] - stamps[found]) // (86_400 * 10**9)
    positions = np.where(found & (gap > MAX_BAR0_GAP_DAYS), BAR0_TOO_FAR, positions)
    positions = np.where(found, positions, BAR0_AFTER_END)
    return positions.astype(np.int64), ~inside


def announcement_instants(frame: pd.DataFrame, timezone: str) -> pd.Series:
    """Each event's announcement instant (UTC): its time, else the start of its date in ``timezone``.

    An event without a time is placed at local midnight of its date, so its bar 0 is that
    day's opening bar (or the next trading day's).
    """
    dates = pd.DatetimeIndex(pd.to_datetime(frame["date"])).tz_localize(timezone).tz_convert("UTC")
    announced = pd.to_datetime(frame["announced"], utc=True)
    return pd.Series(np.where(announced.notna(), announced, dates), index=frame.index).pipe(
        pd.to_datetime, utc=True)


def bar0_reason(code: int, announced: pd.Timestamp) -> str:
    """Why a pair has no bar 0 (``code`` from :func:`bar0_positions`)."""
    if code == BAR0_TOO_FAR:
        return (f"bar 0 would be more than {MAX_BAR0_GAP_DAYS} days after the announcement "
                f"({announced:%Y-%m-%d %H:%M} UTC); the prices have a gap")
    return "no price data on or after the announcement"


def local_iso(starts: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Bar instants as ISO text in local time with the UTC offset, e.g. ``2025-08-07T11:00:00+03:00``."""
    local = pd.DatetimeIndex(starts).tz_convert(timezone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S%z").to_numpy(dtype=object)
    return np.array([t[:-2] + ":" + t[-2:] if isinstance(t, str) else "" for t in text], dtype=object)
