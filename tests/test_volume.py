"""Abnormal log volume on real SBER turnover around a Bank of Russia decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.errors import InputError
from eventstudy.measures.volume import (
    abnormal_log_volume,
    log_volume,
    pick_volume_column,
    zero_volume_days,
)

DECISION = "2024-12-20"  # CBR held the key rate at 21% against expectations of a hike


def _sber(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv", parse_dates=["date"], index_col="date")


def _imoex_value(shared_data: Path) -> pd.Series:
    frame = pd.read_csv(shared_data / "IMOEX_iss_history_2018_2026.csv", sep=";", decimal=",")
    dates = pd.to_datetime(frame["TRADEDATE"], format="%d.%m.%Y")
    return pd.Series(frame["VALUE"].to_numpy(dtype=float), index=dates, name="VALUE")


def test_mean_adjusted_equals_hand_pandas(shared_data: Path) -> None:
    value = _sber(shared_data)["value"]
    out = abnormal_log_volume(value, [DECISION])
    # By hand: position of day 0, estimation rows -250..-11, event rows -10..10.
    logs = np.log(value)
    p = value.index.get_loc(pd.Timestamp(DECISION))
    normal = logs.iloc[p - 250: p - 10].mean()
    expected = (logs.iloc[p - 10: p + 11] - normal).to_numpy()
    np.testing.assert_allclose(out.arrays.ar[0], expected, rtol=0, atol=1e-12)
    # Day 0: turnover about six times its normal level (log 1.83).
    assert out.arrays.ar[0, 10] == pytest.approx(1.826, abs=1e-3)
    assert out.arrays.car(0, 1)[0] == pytest.approx(expected[10] + expected[11], abs=1e-12)
    assert out.arrays.dof[0] == 239


def test_market_model_equals_statsmodels(shared_data: Path) -> None:
    value = _sber(shared_data)["value"]
    market = _imoex_value(shared_data)
    out = abnormal_log_volume(value, [DECISION], market_volume=market)
    logs = np.log(value)
    p = value.index.get_loc(pd.Timestamp(DECISION))
    est = logs.iloc[p - 250: p - 10]
    x_est = np.log(market.reindex(est.index))
    fit = sm.OLS(est.to_numpy(), sm.add_constant(x_est.to_numpy()), missing="drop").fit()
    ev = logs.iloc[p - 10: p + 11]
    x_ev = np.log(market.reindex(ev.index)).to_numpy()
    expected = ev.to_numpy() - fit.params[0] - fit.params[1] * x_ev
    np.testing.assert_allclose(out.arrays.ar[0], expected, rtol=0, atol=1e-10)
    assert out.arrays.sigma2[0] == pytest.approx(fit.scale, rel=1e-10)
    assert out.arrays.dof[0] == int(fit.df_resid)


def test_zero_volume_is_missing_by_default() -> None:
    volume = pd.Series([10.0, 0.0, 100.0], index=pd.date_range("2025-01-01", periods=3))
    np.testing.assert_allclose(log_volume(volume), [np.log(10), np.nan, np.log(100)])
    np.testing.assert_allclose(log_volume(volume, shift=0.000255),
                               np.log([10.000255, 0.000255, 100.000255]))
    assert list(zero_volume_days(volume)) == [pd.Timestamp("2025-01-02")]


def test_zero_event_day_gives_nan_abnormal_volume() -> None:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2024-01-01", periods=300)
    volume = pd.Series(np.exp(rng.normal(10, 0.3, 300)), index=dates)
    volume.iloc[280] = 0.0
    out = abnormal_log_volume(volume, [dates[280]], estimation=(-200, -11), event_window=(-2, 2))
    assert np.isnan(out.arrays.ar[0, 2]) and np.isfinite(out.arrays.ar[0, 1])
    assert np.isnan(out.arrays.car(0, 0)[0])


def test_column_choice() -> None:
    assert pick_volume_column(["TRADEDATE", "CLOSE", "VALUE", "VOLUME"], "moex") == "VALUE"
    assert pick_volume_column(["Date", "Close", "Volume"], "yahoo") == "Volume"
    assert pick_volume_column(["date", "close", "volume", "value"]) == "value"
    assert pick_volume_column(["date", "volume"], requested="volume") == "volume"
    with pytest.raises(InputError):
        pick_volume_column(["date", "close"])
    with pytest.raises(InputError):
        pick_volume_column(["date", "close"], requested="turnover")
    with pytest.raises(InputError):
        log_volume(pd.Series([-1.0]))
