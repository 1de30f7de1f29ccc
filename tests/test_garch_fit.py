"""The fast GARCH(1,1) fit against arch itself, on real MOEX series.

``fit_garch11`` claims arch's numbers to the last bit: every comparison with a direct
``arch_model(...).fit()`` below is exact (``assert_array_equal``), and the study's
abnormal returns and CAR variances match the ones built from a direct fit far inside
issue 10's 1e-6.
"""

from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from scipy.optimize._numdiff import approx_derivative

import eventstudy as es
from eventstudy.models import garch_fit as garch_fit_module
from eventstudy.models.garch_fit import STEP, fit_garch11, forward_difference, grid_start
from eventstudy.timing.assets import Asset

STOCKS = ("SBER", "GAZP", "LKOH")


def _closes(shared_data: Path) -> pd.DataFrame:
    """Daily closes of three large caps and the MOEX index on their common sessions."""
    stocks = {name: pd.read_csv(shared_data / "panel" / "moex_iss_daily" / f"{name}.csv",
                                usecols=["date", "close"], parse_dates=["date"]).set_index("date")["close"]
              for name in STOCKS}
    index = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"])
    stocks["IMOEX"] = index.set_index("date")["imoex"]
    return pd.concat(stocks, axis=1, sort=True).dropna()


def _direct(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist="normal", rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp="off", show_warning=False)
    return (fit.params.to_numpy(), fit.param_cov.to_numpy(), np.asarray(fit.conditional_volatility),
            fit.convergence_flag)


def _windows(shared_data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """240-day windows in percent, every 40 sessions (overlapping), for each stock on IMOEX."""
    returns = 100 * np.log(_closes(shared_data)).diff().dropna()
    return [(returns[name].to_numpy()[end - 240:end], returns["IMOEX"].to_numpy()[end - 240:end])
            for name in STOCKS for end in range(400, len(returns), 160)]


def test_fit_is_arch_fit_bit_for_bit(shared_data: Path) -> None:
    windows = _windows(shared_data)
    assert len(windows) == 33
    for y, x in windows:
        params, cov, volatility, flag = _direct(y, x)
        fit = fit_garch11(y, x)
        np.testing.assert_array_equal(fit.params, params)
        np.testing.assert_array_equal(fit.param_cov, cov)
        np.testing.assert_array_equal(fit.conditional_volatility, volatility)
        assert fit.converged == (flag == 0)


def test_fit_through_scipys_own_driver_is_arch_fit_bit_for_bit(shared_data: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the step-by-step SLSQP (scipy before 1.16) the fit goes through ``minimize``:
    the same numbers."""
    from eventstudy.models import garch_fit

    monkeypatch.setattr(garch_fit, "_SLSQP_STEP", None)
    for y, x in _windows(shared_data)[::6]:
        params, cov, volatility, flag = _direct(y, x)
        fit = fit_garch11(y, x)
        np.testing.assert_array_equal(fit.params, params)
        np.testing.assert_array_equal(fit.param_cov, cov)
        np.testing.assert_array_equal(fit.conditional_volatility, volatility)


@pytest.mark.skipif(garch_fit_module._SLSQP_STEP is None,
                    reason="scipy before 1.16 has no step-by-step SLSQP")
@pytest.mark.parametrize("start", [np.array([-1.2, 1.0, 0.5]), np.array([2.0, -0.5, 0.1]),
                                   np.array([0.0, 0.0, 3.0])])
def test_slsqp_steps_are_scipys_minimize(start: np.ndarray) -> None:
    """The step-by-step driver against scipy's ``minimize(method="SLSQP")`` on a problem of its
    own (a bounded Rosenbrock valley with two linear inequalities): the same iterates, so the
    same solution and exit mode, bit for bit."""
    from scipy.optimize import minimize

    from eventstudy.models.garch_fit import slsqp_steps

    lower, upper = np.array([-2.0, -np.inf, 0.0]), np.array([2.0, 3.0, np.inf])

    def objective(p: np.ndarray) -> float:
        return float((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2 + (p[2] - 0.3) ** 2 * np.exp(p[0] / 3))

    def gradient(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, lower, upper)
        return forward_difference(objective, p, objective(p), lower, upper)

    constraints = [{"type": "ineq", "fun": lambda p: float(1.5 - p[0] - p[1]),
                    "jac": lambda p: np.array([-1.0, -1.0, 0.0])},
                   {"type": "ineq", "fun": lambda p: float(p[2] + p[0] + 0.5),
                    "jac": lambda p: np.array([1.0, 0.0, 1.0])}]
    bounds = list(zip(lower, upper, strict=True))
    expected = minimize(objective, start, method="SLSQP", jac=gradient, bounds=bounds,
                        constraints=constraints, options={"disp": False})
    solution, mode = slsqp_steps(objective, gradient, start, lower, upper, constraints)
    assert expected.nit > 3
    np.testing.assert_array_equal(solution, expected.x)
    assert mode == expected.status


def test_grid_start_is_arch_starting_values(shared_data: Path) -> None:
    for y, x in _windows(shared_data)[::4]:
        model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, rescale=False)
        model._adjust_sample(None, None)
        resids = np.asarray(model.resids(model.starting_values()))
        volatility = model.volatility
        loglikelihood = partial(volatility._gaussian_loglikelihood, resids=resids,
                                backcast=volatility.backcast(resids),
                                var_bounds=volatility.variance_bounds(resids))
        np.testing.assert_array_equal(grid_start(resids, loglikelihood), volatility.starting_values(resids))


@pytest.mark.parametrize("x0", [
    np.array([0.05, 0.9, 0.02, 0.1, 0.85]),  # inside every bound
    np.array([-0.3, 1.2, 3e-9, 1.0, 1.0 - 1e-9]),  # at and just below upper bounds: steps turn back
    np.array([2e8, -3e9, 0.5, 0.0, 0.0]),  # |x| so large that x + sqrt(eps) == x: relative steps
])
def test_forward_difference_is_scipys_slsqp_difference(x0: np.ndarray) -> None:
    # scipy's SLSQP differentiates with approx_derivative(method="2-point",
    # abs_step=sqrt(eps), bounds=...): the same numbers must come out.
    lower = np.array([-np.inf, -np.inf, 0.0, 0.0, 0.0])
    upper = np.array([np.inf, np.inf, 1.0, 1.0, 1.0])

    def function(p: np.ndarray) -> float:
        return float(np.sin(p[0] / 1e9) + p[1] ** 2 / 1e18 + np.log1p(p[2]) * p[3] - p[3] * p[4] ** 3)

    expected = approx_derivative(function, x0, method="2-point", abs_step=STEP, bounds=(lower, upper))
    np.testing.assert_array_equal(forward_difference(function, x0, function(x0), lower, upper), expected)


def test_study_numbers_equal_direct_arch_fits(shared_data: Path) -> None:
    """30 events (10 a stock, 15 sessions apart, so their estimation windows overlap)
    through EventStudy(model="garch"): ARs, AR and CAR variances from a direct arch fit
    of each pair's 240 returns."""
    prices = _closes(shared_data)
    sessions = prices.index
    days = [sessions[position] for position in range(600, 750, 15)]
    events = pd.DataFrame([{"id": f"{name}{i}", "date": day.strftime("%Y-%m-%d"), "event": "test",
                            "assets": name} for name in STOCKS for i, day in enumerate(days)])
    same_clock = {name: Asset(name, "file", name) for name in prices.columns}
    results = es.EventStudy(events, prices, assets=list(STOCKS), model="garch", benchmark="IMOEX",
                            asset_info=same_clock, windows=[(0, 0), (-1, 1), (0, 5)]).run()
    arrays, pairs, car = results.arrays, results.pairs, results.car
    assert len(pairs) == 30 and arrays.dof.min() == 235

    # The study's formulas: an asset's log return is log p_t - log p_{t-1}, the benchmark's
    # log(m_t / m_{t-1}) (the same number up to rounding, and a GARCH optimum moves with rounding).
    log_returns = pd.DataFrame({name: np.diff(np.log(prices[name].to_numpy())) for name in STOCKS},
                               index=prices.index[1:])
    levels = prices["IMOEX"].to_numpy()
    log_returns["IMOEX"] = np.log(levels[1:] / levels[:-1])
    for p, (event_id, asset) in enumerate(zip(pairs["event_id"], pairs["asset"], strict=True)):
        day0 = log_returns.index.get_loc(pd.Timestamp(events.set_index("id").loc[event_id, "date"]))
        window = log_returns.iloc[day0 - 250: day0 - 10]
        params, cov, volatility, flag = _direct(100 * window[asset].to_numpy(),
                                                100 * window["IMOEX"].to_numpy())
        assert flag == 0
        const, slope, omega, alpha, beta = params[0] / 100, params[1], params[2] / 1e4, params[3], params[4]
        event = log_returns.iloc[day0 - 10: day0 + 11]
        ar = event[asset].to_numpy() - const - slope * event["IMOEX"].to_numpy()
        np.testing.assert_allclose(arrays.ar[p], ar, rtol=0, atol=1e-12)
        # h_{T+k}: one step from the last residual and variance, then omega + (alpha + beta) h.
        last_resid = window[asset].iloc[-1] - const - slope * window["IMOEX"].iloc[-1]
        forecast = [omega + alpha * last_resid**2 + beta * (volatility[-1] / 100) ** 2]
        for _ in range(20):
            forecast.append(omega + (alpha + beta) * forecast[-1])
        forecast = np.array(forecast)
        design = np.column_stack([np.ones(21), event["IMOEX"].to_numpy()])
        mean_cov = cov[:2, :2] * np.array([[1e-4, 1e-2], [1e-2, 1.0]])
        var_ar = forecast + np.einsum("wk,kj,wj->w", design, mean_cov, design)
        np.testing.assert_allclose(arrays.var_ar[p], var_ar, rtol=1e-12)
        for start, end in ((0, 0), (-1, 1), (0, 5)):
            days_in = slice(start + 10, end + 11)
            ones = design[days_in].sum(axis=0)
            car_var = np.sum(forecast[days_in]) + ones @ mean_cov @ ones
            row = car.query("event_id == @event_id and start == @start and end == @end").iloc[0]
            assert row["car"] == pytest.approx(ar[days_in].sum(), rel=0, abs=1e-12)
            assert row["se"] ** 2 == pytest.approx(car_var, rel=1e-12)
