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
    0.039594
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
    """
    order = np.searchsorted(pd.DatetimeIndex(level_instants).asi8,
                            pd.DatetimeIndex(target_instants).asi8, side="right") - 1
    values = levels.to_numpy(dtype=float)
    return np.where(order >= 0, values[np.clip(order, 0, None)], np.nan)


def returns_from_levels(levels: np.ndarray, kind: str) -> np.ndarray:
    """Returns between consecutive entries of an aligned level array (first is NaN)."""
    out = np.full(levels.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log":
            out[1:] = np.log(levels[1:] / levels[:-1])
        else:
            out[1:] = levels[1:] / levels[:-1] - 1.0
    return out


def check_return_kind(kind: str) -> None:
    """Reject an unknown return kind with the list of valid ones."""
    if kind not in RETURN_KINDS:
        raise ConfigError(f"unknown return kind {kind!r}", fix=f"use one of {', '.join(RETURN_KINDS)}")
