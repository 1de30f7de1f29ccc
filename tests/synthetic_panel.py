"""A synthetic daily panel and events for the distributed tests and benchmark (no real data)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_prices(n_assets: int, n_days: int, seed: int = 0) -> pd.DataFrame:
    """Wide date x asset prices of ``n_assets`` stocks ``SYN000..`` and a market ``MKT``.

    Returns follow a one-factor model (betas 0.5..1.5, idiosyncratic s.d. 1-3%); every
    fifth asset starts later and has a few missing days, so the assets' calendars differ.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-02", periods=n_days)
    market = rng.normal(0.0003, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, n_assets)
    noise = rng.normal(0, 1, (n_days, n_assets)) * rng.uniform(0.01, 0.03, n_assets)
    returns = market[:, None] * beta[None, :] + noise
    prices = 100 * np.exp(np.cumsum(returns, axis=0))
    frame = pd.DataFrame(prices, index=dates, columns=[f"SYN{i:03d}" for i in range(n_assets)])
    for i in range(0, n_assets, 5):
        frame.iloc[: 20 + i, i] = np.nan
        frame.iloc[rng.choice(n_days, 15, replace=False), i] = np.nan
    frame["MKT"] = 1000 * np.exp(np.cumsum(market))
    frame.index.name = "date"
    return frame


def synthetic_events(n_events: int, dates: pd.DatetimeIndex, seed: int = 1) -> pd.DataFrame:
    """``n_events`` events (each for every asset) on dates after day 300, some sharing a date."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(dates[300: len(dates) - 30], n_events, replace=True)
    return pd.DataFrame({"id": [f"E{n:05d}" for n in range(n_events)],
                         "event": [f"event {n}" for n in range(n_events)],
                         "date": pd.DatetimeIndex(chosen).strftime("%Y-%m-%d"),
                         "group": [("a", "b")[n % 2] for n in range(n_events)]})
