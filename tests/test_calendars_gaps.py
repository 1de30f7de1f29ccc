"""Day 0 at a bounded distance, and windows across gaps in the prices (issue 11, part A).

The real case: MOEX stopped trading after 25 February 2022 and reopened on 24 March
2022 (../shared/data/README.md; the ISS export has no rows in between).
"""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd
import pytest

from eventstudy.sources.files import read_price_file
from eventstudy.timing.calendars import (
    DAY0_AFTER_END,
    DAY0_TOO_FAR,
    day0_gap_reason,
    day0_positions,
    longest_gaps,
    observation_instants,
    window_gap_reason,
    window_gaps,
)


@pytest.fixture(scope="module")
def imoex_days() -> pd.DatetimeIndex:
    from conftest import require_shared_data

    frame = read_price_file(require_shared_data() / "IMOEX_iss_history_2018_2026.csv")
    return pd.DatetimeIndex(frame.index)


def day0(days: pd.DatetimeIndex, dates: list[str], announced: list[str | None] | None = None,
         **options: int | None) -> list[int]:
    instants = observation_instants(days, time(18, 50), "Europe/Moscow")
    stamps = pd.Series(pd.to_datetime(announced or [None] * len(dates), utc=True))
    return day0_positions(days, instants, pd.Series(pd.to_datetime(dates)), stamps,
                          **options).tolist()  # type: ignore[arg-type]


def test_halt_days_have_no_day0_within_a_week(imoex_days: pd.DatetimeIndex) -> None:
    halt_end = imoex_days.get_loc(pd.Timestamp("2022-03-24"))
    last_before = imoex_days.get_loc(pd.Timestamp("2022-02-25"))
    assert halt_end == last_before + 1  # no rows in between: the gap is real
    # 2022-02-24: traded. 2022-03-01: next session 23 days later. 2022-03-18: 6 days later.
    assert day0(imoex_days, ["2022-02-24", "2022-03-01", "2022-03-18"]) == [
        last_before - 1, DAY0_TOO_FAR, halt_end,
    ]
    assert day0(imoex_days, ["2022-03-01"], max_day0_gap=None) == [halt_end]
    assert day0(imoex_days, ["2022-03-01"], max_day0_gap=23) == [halt_end]
    assert day0(imoex_days, ["2022-03-01"], max_day0_gap=22) == [DAY0_TOO_FAR]


def test_timed_announcement_after_the_last_close_before_the_halt(
    imoex_days: pd.DatetimeIndex,
) -> None:
    # Friday 25 Feb 2022 at 20:00 Moscow is after that day's 18:50 close: day 0 would be 24 March.
    found = day0(imoex_days, ["2022-02-25"], ["2022-02-25T17:00Z"])
    assert found == [DAY0_TOO_FAR]


def test_weekend_and_new_year_stay_within_the_default(imoex_days: pd.DatetimeIndex) -> None:
    # Saturday 9 Aug 2025 -> Monday 11 Aug; 1 Jan 2025 -> the first 2025 session (3 Jan).
    positions = day0(imoex_days, ["2025-08-09", "2025-01-01"])
    assert [imoex_days[p] for p in positions] == list(pd.to_datetime(["2025-08-11", "2025-01-03"]))


def test_three_year_gap_is_refused_and_the_end_keeps_its_code() -> None:
    days = pd.DatetimeIndex(["2019-01-09", "2019-01-10", "2022-01-10", "2022-01-11"])
    assert day0(days, ["2019-01-11", "2022-01-11", "2023-01-01"]) == [
        DAY0_TOO_FAR, 3, DAY0_AFTER_END,
    ]


def test_day0_gap_reason_text() -> None:
    reason = day0_gap_reason(pd.Timestamp("2022-03-01"), pd.Timestamp("2022-03-24"), 7)
    assert reason == ("day 0 would be 23 days after the announcement (2022-03-24 for 2022-03-01; "
                      "more than the maximum 7); the prices have a gap")


def test_windows_around_the_2022_halt(imoex_days: pd.DatetimeIndex) -> None:
    feb24 = imoex_days.get_loc(pd.Timestamp("2022-02-24"))
    # Event windows [-1, 1] on 24 Feb (ends 25 Feb), [-1, +1] on 25 Feb (reaches 24 Mar),
    # [-10, 0] on 24 Feb, and [0, 5] from 24 Mar (the step into 24 Mar is its day 0's return).
    starts = np.array([feb24 - 1, feb24, feb24 - 10, feb24 + 2])
    ends = np.array([feb24 + 1, feb24 + 2, feb24, feb24 + 7])
    longest = longest_gaps(imoex_days, starts, ends)
    assert longest.tolist()[1] == 27  # 25 Feb -> 24 Mar 2022
    assert longest.tolist()[3] == 27
    assert longest.tolist()[0] <= 4 and longest.tolist()[2] <= 4
    assert window_gaps(imoex_days, starts, ends, 10).tolist() == [False, True, False, True]
    assert window_gaps(imoex_days, feb24 + 3, feb24 + 20, 10).tolist() == [False]


def test_estimation_window_across_the_halt(imoex_days: pd.DatetimeIndex) -> None:
    # An event on 2022-06-01: estimation window [-250, -11] spans the halt.
    day0_pos = imoex_days.get_loc(pd.Timestamp("2022-06-01"))
    assert window_gaps(imoex_days, day0_pos - 250, day0_pos - 11, 10).tolist() == [True]
    assert window_gaps(imoex_days, day0_pos - 10, day0_pos + 10, 10).tolist() == [False]


def test_window_clipping_and_reason() -> None:
    days = pd.DatetimeIndex(["2025-01-01", "2025-01-20"])
    assert longest_gaps(days, [-5, 0, 1], [0, 0, 9]).tolist() == [0, 0, 19]
    assert window_gap_reason(27, 10, "estimation window") == (
        "the estimation window spans a 27-day gap in the prices (more than the maximum 10); "
        "returns across it are not daily"
    )


def test_default_never_refuses_an_ordinary_holiday(imoex_days: pd.DatetimeIndex) -> None:
    """Every calendar day of 2018-2026 outside the halt gets a day 0 under the default."""
    calendar = pd.date_range(imoex_days[0], imoex_days[-1])
    found = np.array(day0(imoex_days, [f"{d:%Y-%m-%d}" for d in calendar]))
    in_halt = (calendar > "2022-02-25") & (calendar < "2022-03-24")
    assert (found[~in_halt] >= 0).all()
    # Inside the halt, exactly the days more than 7 days before 24 March are refused.
    refused = calendar[in_halt & (found == DAY0_TOO_FAR)]
    assert refused.min() == pd.Timestamp("2022-02-26") and refused.max() == pd.Timestamp("2022-03-16")
