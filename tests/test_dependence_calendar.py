"""The average cross-correlation r̄ in calendar time, against a pandas hand computation.

Real MOEX stocks (read in place), each on its own trading days. r̄ for the window
``[start, end]`` is the mean over all ordered couples of
``corr(estimation residuals on common dates) * (shared window dates) / L2``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import TESTS, average_cross_correlation, clustering
from eventstudy.models.engine import fit_pairs
from eventstudy.models.pairs import PairArrays

TICKERS = ["SBER", "GAZP", "LKOH"]
# (ticker, day 0): two stocks on one day, SBER again 3 sessions later, LKOH 2 sessions
# after GAZP, and one isolated event.
EVENTS = [("SBER", "2025-08-07"), ("GAZP", "2025-08-07"), ("SBER", "2025-08-12"),
          ("LKOH", "2025-08-11"), ("GAZP", "2024-03-01")]


def panel(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """Log returns ``(N, T)`` on each stock's own trading days and their dates."""
    series = []
    for ticker in TICKERS:
        close = pd.read_csv(shared_data / "panel" / "moex_iss_daily" / f"{ticker}.csv",
                            index_col="date", parse_dates=True)["close"]
        series.append(np.log(close.loc["2022-06-01":]).diff().dropna())
    width = max(s.size for s in series)
    returns = np.full((len(series), width), np.nan)
    calendar = np.full((len(series), width), np.datetime64("NaT"), dtype="datetime64[D]")
    for row, s in enumerate(series):
        returns[row, : s.size] = s.to_numpy()
        calendar[row, : s.size] = s.index.to_numpy().astype("datetime64[D]")
    return returns, calendar


@pytest.fixture
def arrays(shared_data: Path) -> PairArrays:
    returns, calendar = panel(shared_data)
    assets = np.array([TICKERS.index(t) for t, _ in EVENTS])
    day0 = np.array([int(np.flatnonzero(calendar[a] == np.datetime64(d))[0])
                     for a, (_, d) in zip(assets, EVENTS, strict=True)])
    out = fit_pairs(returns, np.empty(returns.shape + (0,)), None, assets, day0,
                    day0_dates=np.array([d for _, d in EVENTS], dtype="datetime64[D]"))
    assert out.fitted.all()
    return dataclasses.replace(out.arrays, calendar=calendar)


def hand_rbar(arrays: PairArrays, start: int, end: int) -> float:
    """r̄ with pandas: pairwise-complete correlations on dates, window overlap by sets."""
    assert arrays.calendar is not None and arrays.asset_index is not None
    assert arrays.day0_index is not None
    residuals, windows = {}, []
    for p in range(arrays.n_pairs):
        row = arrays.calendar[arrays.asset_index[p]]
        est_dates = row[arrays.day0_index[p] + arrays.est_days]
        residuals[p] = pd.Series(arrays.est_ar[p], index=pd.DatetimeIndex(est_dates))
        windows.append(set(row[arrays.day0_index[p] + np.arange(start, end + 1)]))
    # Pearson on each couple's common dates; zero with fewer than 30 of them.
    corr = pd.DataFrame(residuals).corr(min_periods=30).fillna(0.0)
    n, length = arrays.n_pairs, end - start + 1
    total = sum(corr.loc[i, j] * len(windows[i] & windows[j]) / length
                for i in range(n) for j in range(n) if i != j)
    return total / (n * (n - 1))


@pytest.mark.parametrize(("start", "end"), [(0, 0), (0, 5), (-1, 1)])
def test_rbar_equals_hand_computation(arrays: PairArrays, start: int, end: int) -> None:
    expected = hand_rbar(arrays, start, end)
    assert expected > 0
    assert average_cross_correlation(arrays, start, end) == pytest.approx(expected, rel=1e-10)


def test_window_overlap_enters_as_expected(arrays: PairArrays) -> None:
    # [0, 0]: only the two 2025-08-07 pairs (SBER, GAZP) share a date.
    rho = pd.Series(arrays.est_ar[0]).corr(pd.Series(arrays.est_ar[1]))  # same calendar here
    assert average_cross_correlation(arrays, 0, 0) == pytest.approx(2 * rho / 20, rel=1e-6)
    report = clustering(arrays, 0, 5)
    assert report["n_clustered"] == 2
    assert report["n_overlapping"] == 4  # the 2024 event overlaps nothing
    assert report["rbar"] == average_cross_correlation(arrays, 0, 5)


def test_kp_uses_the_window_rbar(arrays: PairArrays) -> None:
    rbar = average_cross_correlation(arrays, 0, 5)
    n = arrays.n_pairs
    kp, bmp = TESTS["kp"](arrays, 0, 5), TESTS["bmp"](arrays, 0, 5)
    assert kp.statistic == pytest.approx(bmp.statistic * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar)))
    assert kp.note == f"r_bar = {rbar:.4g}"


def test_overlapping_windows_of_one_series(shared_data: Path) -> None:
    # Every session of IMOEX as a pseudo-event (the brief's example): with [0, 5] each
    # pair shares 5, 4, .., 1 dates with its neighbours d = 1..5 sessions away on each
    # side and, under the constant-mean model, the same residuals on common dates
    # (rho = 1), so (N - 1) r̄ = 2 (5 + 4 + 3 + 2 + 1) / 6 = 5 away from the ends.
    from eventstudy.sources.files import read_price_file

    close = read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]
    returns = np.log(close).diff().dropna()
    dates = returns.index.to_numpy().astype("datetime64[D]")
    positions = np.arange(250, returns.size - 10)
    out = fit_pairs(returns.to_numpy()[None, :], np.empty((1, returns.size, 0)), None,
                    np.zeros(positions.size, dtype=int), positions, day0_dates=dates[positions])
    arrays = dataclasses.replace(out.arrays.subset(out.fitted), calendar=dates[None, :])
    n = arrays.n_pairs
    assert n > 1800
    # The first pair lacks neighbours on one side sharing 5+4+3+2+1 dates, the second
    # 4+3+2+1, ...: 35/6 missing at each end of the sum of 5 per pair.
    expected = n * 5 - 2 * (15 + 10 + 6 + 3 + 1) / 6
    assert average_cross_correlation(arrays, 0, 5) * (n - 1) == pytest.approx(expected / n, rel=1e-9)
    assert average_cross_correlation(arrays, 0, 0) == 0.0
    # Without the calendar, Monday-Friday business days approximate the sessions:
    # Russian holidays and working Saturdays misplace some dates (4.68 instead of 5).
    approx = dataclasses.replace(arrays, calendar=None)
    assert average_cross_correlation(approx, 0, 5) * (n - 1) == pytest.approx(5, rel=0.1)


def test_dates_from_calendar_and_fallback(arrays: PairArrays) -> None:
    days = np.array([-1, 0, 1])
    exact = arrays.dates(days)
    assert exact[0].tolist() == [np.datetime64(d, "D") for d in
                                 ["2025-08-06", "2025-08-07", "2025-08-08"]]
    fallback = dataclasses.replace(arrays, calendar=None).dates(days)
    assert fallback[0].tolist() == exact[0].tolist()  # an ordinary week
    assert (fallback[:, 1] == arrays.day0).all()
