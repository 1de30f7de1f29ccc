"""Degenerate estimation windows: flat, stale or exactly fitted series are not fitted.

A flat price series has zero-variance returns, so sigma^2 = 0 and any day-0 move
would get t = inf. The engine must refuse such pairs with a reason instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.models.engine import FLAT_REASON, STALE_ZERO_SHARE, fit_pairs
from eventstudy.sources.files import read_price_file

DAY0 = "2025-08-07"  # the Putin-Trump summit announcement


@pytest.fixture
def imoex(shared_data: Path) -> pd.Series:
    return read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]


def imoex_pairs(prices: pd.Series, model: str = "constant-mean") -> tuple[np.ndarray, int]:
    """Log returns of the series and the position of DAY0 on their axis."""
    returns = np.log(prices).diff().dropna()
    return returns.to_numpy(), int(returns.index.get_loc(pd.Timestamp(DAY0)))


def flatten_estimation_span(prices: pd.Series, share: float = 1.0) -> pd.Series:
    """The series with the first ``share`` of DAY0's estimation span held constant.

    Estimation returns are days -250 .. -11, i.e. prices -251 .. -11; holding the price
    constant from the first of those makes those returns exactly zero.
    """
    flat = prices.copy()
    day0 = flat.index.get_loc(pd.Timestamp(DAY0))
    first, last = day0 - 251, day0 - 11
    stop = first + int(round(share * (last - first)))
    flat.iloc[first : stop + 1] = flat.iloc[first]
    return flat


def test_real_series_made_flat_is_not_fitted(imoex: pd.Series) -> None:
    returns, day0 = imoex_pairs(flatten_estimation_span(imoex))
    out = fit_pairs(returns[None, :], np.empty((1, returns.size, 0)), None, np.array([0, 0]),
                    np.array([day0, day0 - 300]))
    assert out.fitted.tolist() == [False, True]  # 300 sessions earlier the window is real
    assert out.reason[0] == FLAT_REASON
    assert np.isnan(out.arrays.ar[0]).all() and np.isnan(out.arrays.sigma2[0])
    assert np.isfinite(out.arrays.ar[1]).all()


def test_real_series_made_flat_is_skipped_by_the_study(imoex: pd.Series, tmp_path: Path) -> None:
    # A price folder as users have it: the real file and a copy gone stale before the event.
    folder = tmp_path / "prices"
    folder.mkdir()
    flatten_estimation_span(imoex).rename("close").to_csv(folder / "IMOEX.csv", index_label="date")
    imoex.rename("close").to_csv(folder / "REAL.csv", index_label="date")
    events = pd.DataFrame({"date": [DAY0], "event": ["Summit agreed"], "id": ["SUMMIT"]})
    res = es.EventStudy(events, es.read_prices(folder), assets=["IMOEX", "REAL"]).run()
    skipped = res.skipped.set_index("asset")
    assert skipped.loc["IMOEX", "reason"] == FLAT_REASON
    assert set(res.car["asset"]) == {"REAL"}
    assert np.isfinite(res.car["t"]).all()


def test_all_zero_returns_with_market_model() -> None:
    rng = np.random.default_rng(1)
    market = rng.normal(0, 0.01, (1, 400, 1))
    out = fit_pairs(np.zeros((1, 400)), market, None, np.array([0]), np.array([300]))
    assert not out.fitted[0] and out.reason[0] == FLAT_REASON
    # Market-adjusted: the asset is flat even though returns minus the market vary.
    out = fit_pairs(np.zeros((1, 400)), np.empty((1, 400, 0)), market[:, :, 0], np.array([0]),
                    np.array([300]), constant=False)
    assert not out.fitted[0] and out.reason[0] == FLAT_REASON


@pytest.mark.parametrize(("share", "fitted"), [(0.6, False), (0.4, True)])
def test_stale_real_series(imoex: pd.Series, share: float, fitted: bool) -> None:
    # The price is carried forward over the first `share` of the window: that share of
    # the 240 estimation returns is zero, the rest real.
    returns, day0 = imoex_pairs(flatten_estimation_span(imoex, share))
    out = fit_pairs(returns[None, :], np.empty((1, returns.size, 0)), None, np.array([0]),
                    np.array([day0]))
    assert out.fitted[0] == fitted
    zeros = int((returns[day0 - 250 : day0 - 10] == 0).sum())
    assert (zeros > STALE_ZERO_SHARE * 240) == (not fitted)
    if not fitted:
        assert out.reason[0] == (f"{zeros} of 240 estimation returns are zero (a stale price "
                                 "series; more than 50% zero returns)")


def test_exact_fit_is_not_fitted(imoex: pd.Series) -> None:
    # An asset that is exactly 1.5 x IMOEX + 0.01%: the market model leaves no residual.
    market, day0 = imoex_pairs(imoex)
    asset = 0.0001 + 1.5 * market
    out = fit_pairs(asset[None, :], market[None, :, None], None, np.array([0]), np.array([day0]))
    assert not out.fitted[0]
    assert out.reason[0] == "the model fits the estimation returns exactly (zero residual variance)"
    noisy = asset + np.random.default_rng(2).normal(0, 1e-4, asset.size)
    out = fit_pairs(noisy[None, :], market[None, :, None], None, np.array([0]), np.array([day0]))
    assert out.fitted[0] and out.arrays.sigma2[0] == pytest.approx(1e-8, rel=0.25)
