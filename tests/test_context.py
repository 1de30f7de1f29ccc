"""Minimum detectable effect and "largest since" on the IMOEX 2025-08-07 case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.errors import InputError
from eventstudy.measures.context import largest_since, last_as_large, minimum_detectable_effect


def _imoex_log_returns(shared_data: Path) -> pd.Series:
    close = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"],
                        index_col="date")["imoex"]
    return np.log(close).diff().dropna()


def test_largest_since_summit_day(shared_data: Path) -> None:
    r = _imoex_log_returns(shared_data)
    assert r.loc["2025-08-07"] == pytest.approx(np.log(2876.43 / 2764.62), abs=1e-12)  # +3.96%
    # By hand: the last earlier day with |r| >= 3.96% (2025-04-10, +4.20%).
    before = r.loc[:"2025-08-06"]
    by_hand = before[before.abs() >= abs(r.loc["2025-08-07"])].index[-1]
    assert by_hand == pd.Timestamp("2025-04-10")
    assert largest_since(r, "2025-08-07") == by_hand


def test_largest_since_counts_falls_and_none() -> None:
    r = pd.Series([0.01, -0.06, 0.02, 0.05], index=pd.bdate_range("2025-01-06", periods=4))
    assert largest_since(r, r.index[3]) == r.index[1]  # a fall of 6% is larger
    assert largest_since(r, r.index[1]) is pd.NaT
    assert largest_since(r, r.index[3], value=-0.015) == r.index[2]
    with pytest.raises(InputError):
        largest_since(r, "2024-01-01")


def test_last_as_large_agrees_with_largest_since_at_every_date() -> None:
    rng = np.random.default_rng(3)
    # Rounded moves so that ties (|r| equal, of either sign) occur; some NaN.
    values = np.round(rng.standard_t(3, 400), 1) / 100
    values[rng.choice(400, 20, replace=False)] = np.nan
    r = pd.Series(values, index=pd.bdate_range("2020-01-01", periods=400))
    previous = last_as_large(values)
    for position, when in enumerate(r.index):
        if np.isnan(values[position]):
            assert previous[position] == -1
            continue
        since = largest_since(r, when)
        assert (previous[position] == -1) if since is pd.NaT else (r.index[previous[position]] == since)
    # By hand on the documented example: -0.06 at position 1 answers positions 2, 3 and 5.
    assert last_as_large(np.array([0.01, -0.06, 0.02, 0.05, np.nan, -0.06])).tolist() == [-1, -1, 1, 1, -1, 1]


def test_minimum_detectable_effect_by_hand() -> None:
    se = np.array([0.0166, 0.0289, np.nan, 0.01])
    dof = np.array([238, 238, 238, 0])
    mde = minimum_detectable_effect(se, dof)
    assert mde[0] == pytest.approx(stats.t.ppf(0.975, 238) * 0.0166, rel=1e-12)
    assert mde[0] == pytest.approx(1.970 * 0.0166, abs=1e-4)  # t(0.975, 238) = 1.970 from tables
    assert np.isnan(mde[2]) and np.isnan(mde[3])
    # Exactly at the threshold the two-sided p-value is alpha.
    assert 2 * stats.t.sf(mde[1] / 0.0289, 238) == pytest.approx(0.05, rel=1e-10)
    assert minimum_detectable_effect(0.01, 10**6, alpha=0.10) == pytest.approx(0.01645, abs=1e-5)
    with pytest.raises(InputError):
        minimum_detectable_effect(0.01, 100, alpha=5)
