"""Day-0 alignment against announcement times and each asset's own sessions."""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd

from eventstudy.timing.calendars import day0_positions, observation_instants

# IMOEX sessions around the founding case (Thursday 7 August 2025; 9-10 August is a weekend).
DAYS = pd.DatetimeIndex(["2025-08-06", "2025-08-07", "2025-08-08", "2025-08-11"])
IMOEX_CLOSE = observation_instants(DAYS, time(18, 50), "Europe/Moscow")


def positions(dates: list[str], announced: list[str | None]) -> list[int]:
    return list(day0_positions(DAYS, IMOEX_CLOSE, pd.Series(pd.to_datetime(dates)),
                               pd.Series(pd.to_datetime(announced, utc=True))))


def test_observation_instant_is_the_moscow_close_in_utc() -> None:
    assert IMOEX_CLOSE[1] == pd.Timestamp("2025-08-07T15:50Z")


def test_bare_date_is_that_session_or_the_next() -> None:
    # A Saturday event moves to Monday; a trading day stays.
    assert positions(["2025-08-07", "2025-08-09"], [None, None]) == [1, 3]


def test_announcement_after_the_close_moves_to_the_next_session() -> None:
    # 19:00 Moscow is after the 18:50 close: day 0 is the next session.
    # 18:50 exactly is at the close: it counts (observation at or after announcement).
    result = positions(["2025-08-06", "2025-08-06", "2025-08-08"],
                       ["2025-08-06T16:00Z", "2025-08-06T15:50Z", "2025-08-09T01:00Z"])
    assert result == [1, 0, 3]


def test_event_after_the_last_session_has_no_day0() -> None:
    assert positions(["2025-08-12"], [None]) == [-1]


def test_unknown_observation_time_means_end_of_day() -> None:
    instants = observation_instants(DAYS, None, "UTC")
    found = day0_positions(DAYS, instants, pd.Series(pd.to_datetime(["2025-08-07"])),
                           pd.Series(pd.to_datetime(["2025-08-07T23:00Z"], utc=True)))
    np.testing.assert_array_equal(found, [1])
