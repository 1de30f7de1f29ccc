"""GARCH(1,1) market model against a direct fit with the arch package on real series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

import eventstudy as es
from eventstudy.timing.assets import Asset

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "events.csv"


def test_garch_pair_matches_a_direct_arch_fit(shared_data: Path) -> None:
    def close(name: str, date: str, value: str) -> pd.Series:
        frame = pd.read_csv(shared_data / name, usecols=[date, value], parse_dates=[date])
        return frame.set_index(date)[value]

    prices = pd.concat({"IMOEX": close("IMOEX_close_candles_2014_2026.csv", "date", "imoex"),
                        "EEM": close("EEM_ohlcv_yahoo_2018_2026.csv", "Date", "Close")},
                       axis=1, sort=True).dropna()
    same_clock = {name: Asset(name, "file", name) for name in prices.columns}
    results = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="garch", benchmark="EEM",
                            asset_info=same_clock).run()
    pair = int(np.flatnonzero((results.pairs["event_id"] == "SUMMIT_AGREED").to_numpy())[0])

    # Independent fit: arch on the same 240 log returns in percent.
    log_returns = np.log(prices).diff().dropna()
    day0 = log_returns.index.get_loc(pd.Timestamp("2025-08-07"))
    sample = log_returns.iloc[day0 - 250: day0 - 10]
    model = arch_model(100 * sample["IMOEX"], x=100 * sample[["EEM"]], mean="LS", vol="GARCH", p=1, q=1,
                       rescale=False)
    fit = model.fit(disp="off")
    const, beta_market = fit.params.iloc[0] / 100, fit.params.iloc[1]
    day0_row = log_returns.iloc[day0]
    expected_ar = day0_row["IMOEX"] - const - beta_market * day0_row["EEM"]
    car = results.car.query("event_id == 'SUMMIT_AGREED' and start == 0 and end == 0").iloc[0]
    assert car["car"] == pytest.approx(expected_ar, abs=1e-6)

    # Day 0 is 11 steps after the last estimation day: arch's own variance forecast.
    future_x = np.zeros((1, 11))  # the variance forecast does not depend on the regressor
    forecast = fit.forecast(horizon=11, x={"EEM": future_x}, reindex=False).variance.to_numpy()[-1] / 1e4
    arrays = results.arrays
    assert arrays.disturbance_var[pair, arrays.columns(0, 0)][0] == pytest.approx(forecast[-1], rel=1e-4)
    # CAR variance: the forecast plus the estimation error of the intercept and slope.
    x0 = np.array([1.0, day0_row["EEM"]])
    cov = fit.param_cov.to_numpy()[:2, :2] * np.array([[1e-4, 1e-2], [1e-2, 1.0]])
    assert car["se"] ** 2 == pytest.approx(forecast[-1] + x0 @ cov @ x0, rel=1e-4)
    assert arrays.dof[pair] == 240 - 5
    # The CAR path from day 0 (se_car of the abnormal-return table): arch's forecasts summed,
    # plus the estimation error of the summed regressors.
    x_path = np.column_stack([np.ones(6), log_returns["EEM"].iloc[day0: day0 + 6]])
    path = arrays.car_variances(0, np.arange(6))[pair]
    long_forecast = fit.forecast(horizon=16, x={"EEM": np.zeros((1, 16))},
                                 reindex=False).variance.to_numpy()[-1] / 1e4
    for end in range(6):
        s = x_path[: end + 1].sum(axis=0)
        assert path[end] == pytest.approx(long_forecast[10: 11 + end].sum() + s @ cov @ s, rel=1e-4)


def test_garch_needs_one_benchmark() -> None:
    with pytest.raises(es.ConfigError, match="model 'garch' takes exactly one benchmark, got 0"):
        es.EventStudy(SEEDS, pd.DataFrame({"IMOEX": [1.0]}, index=pd.to_datetime(["2025-01-01"])),
                      model="garch")


def test_captions_name_the_garch_model() -> None:
    from types import SimpleNamespace

    from eventstudy.output.describe import model_text
    from eventstudy.spec import StudySpec

    results = SimpleNamespace(spec=StudySpec(model="garch", benchmark=("EEM",)))
    assert model_text(results) == "GARCH(1,1) market model on EEM, log returns, estimation [-250,-11]"
