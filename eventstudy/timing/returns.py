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
    observed = prices[prices.notna() & (prices > 0)].astype(float)
    return returns_of_observed(observed.to_numpy(), observed.index, kind, prices.name)


def returns_of_observed(values: np.ndarray, index: pd.Index, kind: str, name: object = None) -> pd.Series:
    """:func:`asset_returns` of prices already observed (positive, none missing): ``values``
    on the days ``index``, as floats; dated by the later day."""
    check_return_kind(kind)
    returns = np.diff(np.log(values)) if kind == "log" else values[1:] / values[:-1] - 1.0
    return pd.Series(returns, index=index[1:], name=name)


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
    order = last_at_or_before(instants_ns(level_instants), instants_ns(target_instants))
    return level_at(levels.to_numpy(dtype=float), order)


def level_at(levels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``levels`` at the positions :func:`last_at_or_before` found (NaN at -1)."""
    return np.append(levels, np.nan)[order]  # order -1 reads the NaN


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
    levels = instants_ns(level_instants)
    targets = instants_ns(target_instants)
    return age_in_days(levels, targets, last_at_or_before(levels, targets))


def age_in_days(level_ns: np.ndarray, target_ns: np.ndarray, order: np.ndarray) -> np.ndarray:
    """:func:`level_age_days` from the instants in nanoseconds and :func:`last_at_or_before`'s ``order``."""
    if len(level_ns) == 0:
        return np.full(target_ns.shape, np.nan)
    age = (target_ns - level_ns[np.clip(order, 0, None)]) // _NS_PER_DAY
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


def instants_ns(instants: pd.Index | np.ndarray) -> np.ndarray:
    """Instants (or days) as int64 nanoseconds since 1970 (UTC for tz-aware ones)."""
    return pd.DatetimeIndex(instants).as_unit("ns").asi8


def last_at_or_before(level_ns: np.ndarray, target_ns: np.ndarray) -> np.ndarray:
    """Index of the last level at or before each target (instants in int64 nanoseconds, levels
    sorted); -1 before the first or after the last."""
    order = np.searchsorted(level_ns, target_ns, side="right") - 1
    if len(level_ns) == 0:
        return np.full(target_ns.shape, -1)
    return np.where(target_ns > level_ns[-1], -1, order)
