"""BHAR, the Lyon-Barber-Tsai skewness-adjusted t and its bootstrap, against hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.errors import InputError
from eventstudy.measures.bhar import bhar_tests, bootstrap_t_sa, buy_and_hold, skewness_adjusted_t

# Bank of Russia key-rate decisions (panel/events/cbr_key_rate_decisions_2020-03_2025-10.csv).
DECISIONS = ["2023-07-21", "2023-09-15", "2023-10-27", "2023-12-15", "2024-02-16", "2024-03-22",
             "2024-04-26", "2024-06-07", "2024-07-26", "2024-09-13", "2024-10-25", "2024-12-20"]


def _closes(shared_data: Path) -> tuple[pd.Series, pd.Series]:
    sber = pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv", parse_dates=["date"],
                       index_col="date")["close"]
    mcftrr = pd.read_csv(shared_data / "panel/MCFTRR_iss_close_2003_2026.csv", parse_dates=["date"],
                         index_col="date")["close"]
    return sber, mcftrr


def test_bhar_equals_compounded_returns_by_hand(shared_data: Path) -> None:
    sber, mcftrr = _closes(shared_data)
    bhar = buy_and_hold(sber, mcftrr, DECISIONS, window=(0, 59))
    for when in DECISIONS:
        p = sber.index.searchsorted(pd.Timestamp(when))
        asset_leg = np.prod(1 + sber.pct_change().iloc[p: p + 60])  # days 0..59
        # Benchmark compounded on its own calendar, from its last close on or before
        # day -1 to its last close on or before day 59.
        first = mcftrr.index[mcftrr.index <= sber.index[p - 1]][-1]
        last = mcftrr.index[mcftrr.index <= sber.index[p + 59]][-1]
        bench_leg = np.prod(1 + mcftrr.loc[first:last].pct_change().iloc[1:])
        assert bhar[pd.Timestamp(when)] == pytest.approx(asset_leg - bench_leg, abs=1e-12)
    assert buy_and_hold(sber, mcftrr, ["2026-06-01"], window=(0, 59)).isna().all()


def test_skewness_adjusted_t_by_hand() -> None:
    x = np.array([0.12, -0.05, 0.31, 0.02, -0.08, 0.55, 0.04, -0.11])
    n, mean, sd = 8, x.mean(), x.std(ddof=1)
    s = mean / sd
    gamma = np.sum((x - mean) ** 3) / (n * sd**3)
    by_hand = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n))
    assert skewness_adjusted_t(x) == pytest.approx(by_hand, rel=1e-12)
    # gamma relates to scipy's biased skewness g1 = m3 / m2^1.5: gamma = g1 * ((n-1)/n)^1.5.
    assert gamma == pytest.approx(stats.skew(x) * ((n - 1) / n) ** 1.5, rel=1e-12)
    # Symmetric sample: gamma = 0 and t_sa is the ordinary t.
    sym = np.array([-0.2, -0.1, 0.0, 0.1, 0.2]) + 0.05
    assert skewness_adjusted_t(sym) == pytest.approx(stats.ttest_1samp(sym, 0).statistic, rel=1e-12)


def test_bootstrap_by_definition() -> None:
    x = np.random.default_rng(2).lognormal(0, 0.6, 40) - 1.15
    boot = bootstrap_t_sa(x, resamples=200, seed=7)
    rng = np.random.default_rng(7)
    draws = rng.integers(0, 40, size=(200, 10))
    by_hand = []
    for row in draws:
        sample = x[row]
        sd = sample.std(ddof=1)
        s = (sample.mean() - x.mean()) / sd
        gamma = np.sum((sample - sample.mean()) ** 3) / (10 * sd**3)
        by_hand.append(np.sqrt(10) * (s + gamma * s**2 / 3 + gamma / 60))
    np.testing.assert_allclose(boot, by_hand, rtol=1e-12)

    result = bhar_tests(x, resamples=200, seed=7)
    t_sa = skewness_adjusted_t(x)
    expected_p = 2 * min(np.mean(np.array(by_hand) <= t_sa), np.mean(np.array(by_hand) >= t_sa))
    assert result.pvalue_bootstrap == pytest.approx(min(1.0, expected_p), abs=1e-12)
    assert result.t == pytest.approx(stats.ttest_1samp(x, 0).statistic, rel=1e-12)
    assert result.pvalue_t == pytest.approx(stats.ttest_1samp(x, 0).pvalue, rel=1e-10)
    assert bhar_tests(x, resamples=200, seed=7) == result  # fixed seed: reproducible


def test_bhar_errors() -> None:
    with pytest.raises(InputError):
        bhar_tests(np.array([0.1, np.nan]))
    s = pd.Series([1.0, 2.0], index=pd.date_range("2025-01-01", periods=2))
    with pytest.raises(InputError):
        buy_and_hold(s, s, ["2025-01-01"], window=(5, 0))
