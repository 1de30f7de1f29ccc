"""Prices to returns, each asset on its own trading days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError

RETURN_KINDS = ("log", "simple")


def asset_returns(prices: pd.Series, kind: str = "log") -> pd.Series:
    """Returns between consecutive observed prices of one asset.

    Missing and non-positive prices are dropped first, so a return always spans
    two consecutive trading days of that asset. The return is dated by the later day.

    Examples
    --------
    >>> p = pd.Series([2764.62, 2876.43], index=pd.to_datetime(["2025-08-06", "2025-08-07"]))
    >>> round(float(asset_returns(p).iloc[0]), 6)
    0.039647
    """
    check_return_kind(kind)
    observed = prices[prices.notna() & (prices > 0)].astype(float)
    if kind == "log":
        values = np.diff(np.log(observed.to_numpy()))
    else:
        values = observed.to_numpy()[1:] / observed.to_numpy()[:-1] - 1.0
    return pd.Series(values, index=observed.index[1:], name=prices.name)


def aligned_level(levels: pd.Series, level_instants: pd.DatetimeIndex,
                  target_instants: pd.DatetimeIndex) -> np.ndarray:
    """The last value of ``levels`` observed at or before each target instant.

    Used to put a benchmark on an asset's calendar without look-ahead: for a
    Moscow close at 18:50 the S&P 500 level used is the previous New York close.
    Inside the benchmark's series this is as-of alignment, so when the asset has a
    gap (a halt) the benchmark's return over the gap is the change between the
    levels at the two asset days around it. Before the first observation, and after
    the last one, the level is NaN: past its end a series says nothing about the
    days it lacks, so its last level is never carried forward.

    Examples
    --------
    >>> level_instants = pd.DatetimeIndex(["2025-08-06 20:00", "2025-08-07 20:00"], tz="UTC")
    >>> targets = pd.DatetimeIndex(["2025-08-07 15:50", "2025-08-08 15:50"], tz="UTC")
    >>> aligned_level(pd.Series([100.0, 101.0]), level_instants, targets).tolist()
    [100.0, nan]
    """
    order = _last_at_or_before(level_instants, target_instants)
    values = np.append(levels.to_numpy(dtype=float), np.nan)  # order -1 reads the NaN
    return values[order]


def level_age_days(level_instants: pd.DatetimeIndex, target_instants: pd.DatetimeIndex) -> np.ndarray:
    """Age in whole days of the level :func:`aligned_level` uses at each target instant.

    ``floor((target instant - instant of the level used) / 24 h)``; NaN where
    :func:`aligned_level` gives NaN. A New York close used at the next Moscow close
    is 0 days old, a Friday close used on Monday 2 days; a benchmark that did not
    trade for a week (a holiday, missing data) shows its true age.

    Examples
    --------
    >>> level_instants = pd.DatetimeIndex(["2025-08-01 20:00", "2025-08-04 20:00",
    ...                                    "2025-08-05 20:00"], tz="UTC")
    >>> targets = pd.DatetimeIndex(["2025-08-04 15:50", "2025-08-05 15:50"], tz="UTC")
    >>> level_age_days(level_instants, targets).tolist()
    [2.0, 0.0]
    """
    levels = pd.DatetimeIndex(level_instants).as_unit("ns").asi8
    targets = pd.DatetimeIndex(target_instants).as_unit("ns").asi8
    order = _last_at_or_before(level_instants, target_instants)
    if len(levels) == 0:
        return np.full(targets.shape, np.nan)
    age = (targets - levels[np.clip(order, 0, None)]) // _NS_PER_DAY
    return np.where(order >= 0, age.astype(float), np.nan)


def stale_benchmark(level_instants: pd.DatetimeIndex, target_instants: pd.DatetimeIndex,
                    max_age_days: int) -> np.ndarray:
    """True where the aligned benchmark level is more than ``max_age_days`` days old.

    A benchmark return on such a day spans several of the benchmark's missing days
    (or is 0 because no new level came), so a pair whose event window holds one is
    flagged with :func:`stale_benchmark_reason`. Days without a level (NaN) are not
    stale; they are missing and give NaN returns.
    """
    age = level_age_days(level_instants, target_instants)
    with np.errstate(invalid="ignore"):
        return np.asarray(age > max_age_days)


def stale_benchmark_reason(benchmark: str, age_days: int, day: pd.Timestamp) -> str:
    """Flag text for a pair whose window has a stale benchmark level.

    Examples
    --------
    >>> stale_benchmark_reason("EEM", 5, pd.Timestamp("2022-03-24"))
    'benchmark EEM is stale for 5 days on 2022-03-24 (no newer observation)'
    """
    return f"benchmark {benchmark} is stale for {age_days} days on {day:%Y-%m-%d} (no newer observation)"


#: The "return" of a level series that is studied in logs itself (abnormal log volume).
LOG_LEVEL = "log-level"


def returns_from_levels(levels: np.ndarray, kind: str) -> np.ndarray:
    """Returns between consecutive entries of an aligned level array (first is NaN); with
    :data:`LOG_LEVEL` the log of each entry (the first still NaN, as for returns)."""
    out = np.full(levels.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log":
            out[1:] = np.log(levels[1:] / levels[:-1])
        elif kind == LOG_LEVEL:
            out[1:] = np.log(levels[1:])
        else:
            out[1:] = levels[1:] / levels[:-1] - 1.0
    return out


def check_return_kind(kind: str) -> None:
    """Reject an unknown return kind with the list of valid ones."""
    if kind not in RETURN_KINDS:
        raise ConfigError(f"unknown return kind {kind!r}", fix=f"use one of {', '.join(RETURN_KINDS)}")


_NS_PER_DAY = 86_400 * 10**9


def _last_at_or_before(level_instants: pd.DatetimeIndex, target_instants: pd.DatetimeIndex) -> np.ndarray:
    """Index of the last level at or before each target; -1 before the first or after the last."""
    levels = pd.DatetimeIndex(level_instants).as_unit("ns").asi8
    targets = pd.DatetimeIndex(target_instants).as_unit("ns").asi8
    order = np.searchsorted(levels, targets, side="right") - 1
    if len(levels) == 0:
        return np.full(targets.shape, -1)
    return np.where(targets > levels[-1], -1, order)
