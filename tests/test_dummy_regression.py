"""Event-dummy regression with HAC errors: algebra by hand, size by simulation, real IMOEX."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.errors import InputError
from eventstudy.models.dummy_regression import event_dummy_regression, newey_west_lags


def market_series(n: int = 400, seed: int = 0, beta: float = 1.2) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n)
    market = pd.Series(rng.normal(0, 0.01, n), index=dates, name="mkt")
    asset = pd.Series(0.0005 + beta * market.to_numpy() + rng.normal(0, 0.012, n), index=dates)
    return asset, market


def test_car_equals_sum_of_market_model_prediction_errors() -> None:
    # Frisch-Waugh: a dummy per event day is the same as fitting the market model on
    # the other sample days and taking prediction errors on the event days.
    asset, market = market_series()
    events = [asset.index[200], asset.index[330]]
    out = event_dummy_regression(
        asset, events, window=(-1, 1), benchmarks=market.to_frame(), estimation=(-100, -11)
    )
    sample = np.zeros(len(asset), dtype=bool)
    for pos in (200, 330):
        sample[pos - 100 : pos - 11 + 1] = True  # estimation windows only
    x = np.column_stack([np.ones(len(asset)), market.to_numpy()])
    coef, *_ = np.linalg.lstsq(x[sample], asset.to_numpy()[sample], rcond=None)
    ar = asset.to_numpy() - x @ coef
    expected = [ar[199:202].sum(), ar[329:332].sum()]
    np.testing.assert_allclose(out["car"], expected, rtol=1e-10)
    assert list(out["day0"]) == events
    assert (out["n_obs"] == 2 * 90 + 2 * 3).all()


def test_standard_error_by_hand_newey_west() -> None:
    asset, market = market_series(n=300, seed=1)
    lags = 3
    out = event_dummy_regression(
        asset,
        [asset.index[250]],
        window=(-1, 1),
        benchmarks=market.to_frame(),
        maxlags=lags,
        estimation=None,
    )
    n = len(asset)
    dummies = np.zeros((n, 3))
    dummies[249:252] = np.eye(3)
    x = np.column_stack([np.ones(n), market.to_numpy(), dummies])
    y = asset.to_numpy()
    b = np.linalg.solve(x.T @ x, x.T @ y)
    u = y - x @ b
    bread = np.linalg.inv(x.T @ x)
    xu = x * u[:, None]
    meat = xu.T @ xu
    for lag in range(1, lags + 1):  # Bartlett weights 1 - l/(L+1), no small-sample factor
        gamma = xu[lag:].T @ xu[:-lag]
        meat += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    r = np.array([0, 0, 1, 1, 1.0])
    estimation_var = r @ bread @ meat @ bread @ r
    # Var of the sum of 3 consecutive disturbances from the non-event residuals
    e = np.delete(u, [249, 250, 251])
    dof = e.size - 2
    g = [e @ e / dof, e[1:] @ e[:-1] / dof, e[2:] @ e[:-2] / dof]
    window_var = 3 * g[0] + 2 * (2 * g[1] + 1 * g[2])
    assert out["car"].iloc[0] == pytest.approx(b[2:].sum())
    assert out["se"].iloc[0] == pytest.approx(np.sqrt(estimation_var + window_var))
    assert out["statistic"].iloc[0] == pytest.approx(b[2:].sum() / out["se"].iloc[0])


def test_statsmodels_dummy_covariance_alone_misses_the_event_day_variance() -> None:
    # Documented pitfall: the HAC variance of the dummies sees zero residuals on the
    # dummied days, so its se is an order of magnitude too small here.
    asset, market = market_series(n=300, seed=2)
    out = event_dummy_regression(
        asset, [asset.index[250]], benchmarks=market.to_frame(), maxlags=3, estimation=None
    )
    x = np.column_stack([np.ones(300), market.to_numpy(), np.eye(300)[:, 250]])
    hac = sm.OLS(asset.to_numpy(), x).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    assert hac.bse[2] < out["se"].iloc[0] / 5
    assert out["se"].iloc[0] == pytest.approx(0.012, rel=0.15)  # about the disturbance sd


@pytest.mark.slow
def test_size_is_nominal_under_the_null_by_simulation() -> None:
    reps, rejections = 400, 0
    for seed in range(reps):
        asset, market = market_series(n=160, seed=100 + seed)
        out = event_dummy_regression(
            asset, [asset.index[140]], window=(0, 2), benchmarks=market.to_frame(), estimation=(-120, -11)
        )
        rejections += int(out["pvalue"].iloc[0] < 0.05)
    rate = rejections / reps
    sd = np.sqrt(0.05 * 0.95 / reps)  # binomial sd of the rejection rate, about 0.011
    assert abs(rate - 0.05) < 3 * sd + 0.01  # +0.01: normal vs t(108) critical value


def test_injected_effect_on_real_imoex_is_recovered(shared_data) -> None:
    prices = pd.read_csv(
        shared_data / "IMOEX_close_candles_2014_2026.csv", index_col=0, parse_dates=True
    ).iloc[:, 0]
    returns = np.log(prices).diff().dropna()
    day0 = pd.Timestamp("2025-08-07")  # Kremlin announces the Putin-Trump summit
    base = event_dummy_regression(returns, [day0], window=(0, 0))
    shocked = returns.copy()
    shocked.loc[day0] += 0.05
    out = event_dummy_regression(shocked, [day0], window=(0, 0))
    # Adding 0.05 to the dummied day moves only its coefficient, by exactly 0.05.
    assert out["car"].iloc[0] - base["car"].iloc[0] == pytest.approx(0.05, abs=1e-12)
    assert out["se"].iloc[0] == pytest.approx(base["se"].iloc[0])
    assert out["pvalue"].iloc[0] < 0.01
    assert out["day0"].iloc[0] == day0


def test_day0_on_a_non_trading_day_moves_to_next_session() -> None:
    asset, _ = market_series()
    saturday = pd.Timestamp("2021-06-05")
    out = event_dummy_regression(asset, [saturday])
    assert out["day0"].iloc[0] == pd.Timestamp("2021-06-07")


def test_newey_west_rule_of_thumb() -> None:
    assert newey_west_lags(100) == 4
    assert newey_west_lags(250) == int(np.floor(4 * 2.5 ** (2 / 9)))


@pytest.mark.parametrize(
    ("events", "window", "match"),
    [
        ([], (0, 0), "no events given"),
        (["2021-03-01", "2021-03-03"], (-1, 1), "overlap"),
        (["2030-01-01"], (0, 0), "falls outside the series"),
        (["2021-03-01"], (2, 1), "starts after it ends"),
    ],
)
def test_bad_requests_are_rejected(events: list[str], window: tuple[int, int], match: str) -> None:
    asset, _ = market_series()
    with pytest.raises(InputError, match=match):
        event_dummy_regression(asset, [pd.Timestamp(e) for e in events], window=window)
