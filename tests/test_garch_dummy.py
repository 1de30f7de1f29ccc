"""GARCH(1,1) with an event dummy in the variance equation, against the arch package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from scipy import stats

from eventstudy.errors import InputError
from eventstudy.measures.garch_dummy import (
    arch_backcast,
    conditional_variance,
    event_variance_test,
    fit_garch_x,
    gaussian_loglik,
)


def _imoex_eem(shared_data: Path) -> pd.DataFrame:
    imoex = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"])
    eem = pd.read_csv(shared_data / "EEM_ohlcv_yahoo_2018_2026.csv", parse_dates=["Date"])[["Date", "Close"]]
    imoex = imoex[imoex["date"] >= "2022-06-01"].sort_values("date")
    # EEM closes in New York after Moscow: use its last close strictly before the Moscow date.
    joined = pd.merge_asof(imoex, eem.sort_values("Date"), left_on="date", right_on="Date",
                           allow_exact_matches=False).set_index("date")
    return pd.DataFrame({"r": np.log(joined["imoex"]).diff(), "m": np.log(joined["Close"]).diff()}).iloc[1:]


@pytest.mark.parametrize("day0", ["2025-08-07", "2023-08-15"])
def test_without_dummy_reproduces_arch(shared_data: Path, day0: str) -> None:
    data = _imoex_eem(shared_data)
    p = data.index.get_loc(pd.Timestamp(day0))
    y = 100 * data["r"].iloc[p - 250: p - 10].to_numpy()
    x = 100 * data["m"].iloc[p - 250: p - 10].to_numpy()
    reference = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, rescale=False).fit(
        disp="off", options={"ftol": 1e-14, "maxiter": 2000})
    assert reference.convergence_flag == 0
    ours = fit_garch_x(y, np.column_stack([np.ones_like(y), x]))
    assert ours.converged
    np.testing.assert_allclose(ours.params, reference.params.to_numpy(), atol=1e-4)
    assert ours.loglik == pytest.approx(reference.loglikelihood, abs=1e-6)
    # The recursion and likelihood at arch's own parameters give arch's numbers exactly.
    a, b, omega, alpha, beta = reference.params.to_numpy()
    e = y - a - b * x
    ols = np.linalg.lstsq(np.column_stack([np.ones_like(y), x]), y, rcond=None)[0]
    h = conditional_variance(e, omega, alpha, beta, np.empty((y.size, 0)), np.empty(0),
                             arch_backcast(y - ols[0] - ols[1] * x))
    np.testing.assert_allclose(h, reference.conditional_volatility**2, rtol=1e-10)
    assert gaussian_loglik(e, h) == pytest.approx(reference.loglikelihood, rel=1e-12)


def test_event_dummy_on_the_summit(shared_data: Path) -> None:
    data = _imoex_eem(shared_data)
    p = data.index.get_loc(pd.Timestamp("2025-08-07"))
    sample = data.iloc[p - 250: p + 6]  # estimation window and the CAR window [0, 5]
    days = np.zeros(len(sample), dtype=bool)
    days[-6:] = True
    result = event_variance_test(sample["r"].to_numpy(), sample["m"].to_numpy(), days)
    assert result.converged
    # The restricted model (mean dummy only) is arch's LS-GARCH with x = [m, D].
    y, x = 100 * sample["r"].to_numpy(), np.column_stack([100 * sample["m"].to_numpy(), days.astype(float)])
    restricted = arch_model(y, x=x, mean="LS", vol="GARCH", p=1, q=1, rescale=False).fit(
        disp="off", options={"ftol": 1e-14, "maxiter": 2000})
    full = fit_garch_x(y, np.column_stack([np.ones_like(y), x]), days.astype(float))
    lr = 2 * (full.loglik - restricted.loglikelihood)
    assert result.lr == pytest.approx(max(lr, 0.0), abs=1e-5)
    assert result.pvalue == pytest.approx(stats.chi2.sf(result.lr, 1), abs=1e-6)
    assert result.mean_shift == pytest.approx(full.params[2] / 100, rel=1e-10)
    assert result.delta == pytest.approx(full.params[-1] / 1e4, rel=1e-10)


def test_detects_simulated_event_variance() -> None:
    # GARCH(1,1) with the variance raised by delta on 10 event days: delta recovered as positive.
    rng = np.random.default_rng(12)
    n, omega, alpha, beta, delta = 600, 0.05, 0.08, 0.85, 6.0
    days = np.zeros(n, dtype=bool)
    days[300:310] = days[450:460] = True
    e, h_prev, e_prev = np.empty(n), omega / (1 - alpha - beta), 0.0
    for t in range(n):
        h = omega + alpha * e_prev**2 + beta * h_prev + delta * days[t]
        e[t] = np.sqrt(h) * rng.standard_normal()
        h_prev, e_prev = h, e[t]
    result = event_variance_test(e / 100, None, days)
    assert result.converged and result.pvalue < 0.01
    assert result.delta * 1e4 == pytest.approx(delta, rel=0.6)


def test_bad_inputs() -> None:
    with pytest.raises(InputError):
        event_variance_test(np.zeros(50), None, np.zeros(50, dtype=bool))
    with pytest.raises(InputError):
        fit_garch_x(np.array([1.0, np.nan] * 20), np.ones((40, 1)))
