"""Dimson lead-lag betas through the engine against statsmodels OLS on IMOEX / S&P 500."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.errors import InputError
from eventstudy.measures.dimson import dimson_beta, lagged_regressors, pair_coefficients
from eventstudy.models.engine import fit_pairs


def _imoex_sp500(shared_data: Path) -> pd.DataFrame:
    imoex = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"])
    sp = pd.read_csv(shared_data / "SP500_close_yahoo_2018_2026.csv", parse_dates=["Date"])
    imoex = imoex[imoex["date"] >= "2023-01-01"].sort_values("date")
    # New York closes after Moscow: on Moscow day t the last S&P close known is the previous NY day's.
    joined = pd.merge_asof(imoex, sp.rename(columns={"Date": "sp_date"}).sort_values("sp_date"),
                           left_on="date", right_on="sp_date", allow_exact_matches=False)
    joined = joined.set_index("date")
    return pd.DataFrame({"r": np.log(joined["imoex"]).diff(), "m": np.log(joined["Close"]).diff()}).iloc[1:]


def test_engine_dimson_betas_equal_statsmodels(shared_data: Path) -> None:
    data = _imoex_sp500(shared_data)
    p = data.index.get_loc(pd.Timestamp("2025-08-07"))
    regressors = lagged_regressors(data["m"].to_numpy()[None, :, None], lags=1)
    out = fit_pairs(data["r"].to_numpy()[None, :], regressors, None, np.array([0]), np.array([p]))
    coefs = pair_coefficients(out)

    est = data.iloc[p - 250: p - 10]
    lagged = data["m"].shift(1).iloc[p - 250: p - 10]
    x = sm.add_constant(np.column_stack([est["m"], lagged]))
    fit = sm.OLS(est["r"].to_numpy(), x, missing="drop").fit()
    np.testing.assert_allclose(coefs[0], fit.params, rtol=1e-8, atol=1e-12)
    assert dimson_beta(coefs)[0, 0] == pytest.approx(fit.params[1] + fit.params[2], rel=1e-8)
    assert out.arrays.sigma2[0] == pytest.approx(fit.scale, rel=1e-10)
    assert out.arrays.dof[0] == int(fit.df_resid) == 237
    # The summit-day abnormal return under the Dimson model.
    day0 = data.iloc[p]
    expected = fit.params[0] + fit.params[1] * day0["m"] + fit.params[2] * data["m"].iloc[p - 1]
    assert out.arrays.ar[0, 10] == pytest.approx(day0["r"] - expected, abs=1e-12)


def test_lag_layout_and_errors() -> None:
    m = np.arange(12, dtype=float).reshape(1, 6, 2)  # two benchmarks
    lagged = lagged_regressors(m, lags=2)
    assert lagged.shape == (1, 6, 6)
    np.testing.assert_array_equal(lagged[0, 2:, 0], m[0, 2:, 0])
    np.testing.assert_array_equal(lagged[0, 2:, 2], m[0, :4, 0])  # benchmark 0, lag 2
    np.testing.assert_array_equal(lagged[0, 1:, 4], m[0, :5, 1])  # benchmark 1, lag 1
    assert np.isnan(lagged[0, :2, 2]).all()
    np.testing.assert_allclose(dimson_beta(np.array([[0.1, 1.0, 0.5, 0.2, 2.0, 0.3, 0.1]]), 2, 2),
                               [[1.7, 2.4]])
    with pytest.raises(InputError):
        lagged_regressors(m, lags=-1)
    with pytest.raises(InputError):
        dimson_beta(np.zeros((1, 3)), 1, 2)
