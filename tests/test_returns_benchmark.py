"""A benchmark on an asset's calendar: as-of levels, no carrying past the end, staleness.

Real data: EEM (New York close, 16:00 America/New_York) put on the IMOEX calendar
(Moscow close, 18:50), which differ in holidays and in the 2022 MOEX halt. Expected
values are read from the CSV files by hand (``csv`` module) and cross-checked with
``pandas.merge_asof``.
"""

from __future__ import annotations

import csv
import math
from datetime import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.sources.files import read_price_file
from eventstudy.timing.calendars import observation_instants
from eventstudy.timing.returns import (
    aligned_level,
    level_age_days,
    returns_from_levels,
    stale_benchmark,
    stale_benchmark_reason,
)

EEM_FILE = "EEM_ohlcv_yahoo_2018_2026.csv"
IMOEX_FILE = "IMOEX_iss_history_2018_2026.csv"
# EEM closes, their instants, IMOEX days, their instants.
Aligned = tuple[pd.Series, pd.DatetimeIndex, pd.DatetimeIndex, pd.DatetimeIndex]


def eem_closes(shared_data: Path) -> dict[str, float]:
    with open(shared_data / EEM_FILE, newline="") as handle:
        return {row["Date"]: float(row["Close"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def series() -> Aligned:
    from conftest import require_shared_data

    data = require_shared_data()
    eem = read_price_file(data / EEM_FILE)["Close"]
    imoex_days = pd.DatetimeIndex(read_price_file(data / IMOEX_FILE).index)
    eem_instants = observation_instants(pd.DatetimeIndex(eem.index), time(16, 0), "America/New_York")
    imoex_instants = observation_instants(imoex_days, time(18, 50), "Europe/Moscow")
    return eem, eem_instants, imoex_days, imoex_instants


def test_return_over_the_moex_halt_spans_the_gap(series: Aligned, shared_data: Path) -> None:
    eem, eem_instants, days, instants = series
    levels = aligned_level(eem, eem_instants, instants)
    returns = returns_from_levels(levels, "log")
    reopen = days.get_loc(pd.Timestamp("2022-03-24"))
    assert days[reopen - 1] == pd.Timestamp("2022-02-25")
    closes = eem_closes(shared_data)
    # Moscow 24 Mar 18:50 sees New York's 23 Mar close; Moscow 25 Feb sees 24 Feb's.
    assert levels[reopen] == closes["2022-03-23"]
    assert levels[reopen - 1] == closes["2022-02-24"]
    assert returns[reopen] == pytest.approx(math.log(closes["2022-03-23"] / closes["2022-02-24"]),
                                            rel=1e-12)


def test_as_of_levels_agree_with_merge_asof(series: Aligned) -> None:
    eem, eem_instants, days, instants = series
    levels = aligned_level(eem, eem_instants, instants)
    left = pd.DataFrame({"t": instants})
    right = pd.DataFrame({"t": eem_instants, "level": eem.to_numpy()})
    expected = pd.merge_asof(left, right, on="t", direction="backward")["level"].to_numpy().copy()
    expected[instants > eem_instants[-1]] = np.nan  # not carried past the end
    np.testing.assert_array_equal(levels, expected)


def test_benchmark_is_not_carried_past_its_last_observation(series: Aligned, shared_data: Path) -> None:
    eem, eem_instants, days, instants = series
    cut = eem.index <= pd.Timestamp("2025-08-05")
    levels = aligned_level(eem[cut], eem_instants[cut], instants)
    on = pd.Series(levels, index=days)
    assert on["2025-08-05"] == eem_closes(shared_data)["2025-08-04"]
    assert np.isnan(on["2025-08-06":]).all()  # 2025-08-05's close is never reused
    assert np.isnan(on[:"2018-01-02"]).all()
    ages = pd.Series(level_age_days(eem_instants[cut], instants), index=days)
    assert np.isnan(ages["2025-08-06":]).all()


def test_age_and_stale_flag_around_us_holidays(series: Aligned) -> None:
    eem, eem_instants, days, instants = series
    ages = pd.Series(level_age_days(eem_instants, instants), index=days)
    # NY closed Friday 4 July 2025: Moscow's Monday 7 July still sees Thursday's close.
    assert ages["2025-07-04"] == 0  # Thu 16:00 NY (20:00 UTC) -> Fri 15:50 UTC
    assert ages["2025-07-07"] == 3  # Thu 20:00 UTC -> Mon 15:50 UTC: 3.83 days
    assert ages["2025-08-05"] == 0
    assert ages["2025-08-04"] == 2  # an ordinary weekend
    stale = pd.Series(stale_benchmark(eem_instants, instants, 2), index=days)
    assert stale["2025-07-07"] and not stale["2025-08-04"]
    hand = (instants - eem_instants[np.searchsorted(eem_instants, instants, side="right") - 1])
    assert ages["2025-07-07"] == hand[days.get_loc(pd.Timestamp("2025-07-07"))].days


def test_stale_benchmark_reason() -> None:
    assert stale_benchmark_reason("EEM", 3, pd.Timestamp("2025-07-07")) == (
        "benchmark EEM is stale for 3 days on 2025-07-07 (no newer observation)"
    )


def test_empty_benchmark_gives_nan() -> None:
    empty = pd.DatetimeIndex([], tz="UTC")
    targets = pd.DatetimeIndex(["2025-08-07 15:50"], tz="UTC")
    assert np.isnan(aligned_level(pd.Series([], dtype=float), empty, targets)).all()
    assert np.isnan(level_age_days(empty, targets)).all()
