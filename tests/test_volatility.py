"""Abnormal volatility: Beaver's variance ratio (and Savickas' test) against hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from eventstudy.errors import InputError
from eventstudy.measures.volatility import variance_ratio
from eventstudy.models.engine import fit_pairs

SUMMIT = "2025-08-07"


def _imoex_returns(shared_data: Path) -> pd.Series:
    close = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"],
                        index_col="date")["imoex"]
    return np.log(close).diff().dropna()


def _constant_mean(r: pd.Series, day0: str):
    p = r.index.get_loc(pd.Timestamp(day0))
    return fit_pairs(r.to_numpy()[None, :], np.empty((1, len(r), 0)), None, np.array([0]), np.array([p]))


def test_beaver_ratio_on_imoex_summit_by_hand(shared_data: Path) -> None:
    r = _imoex_returns(shared_data)
    out = _constant_mean(r, SUMMIT)
    result = variance_ratio(out.arrays, 0, 5)

    p = r.index.get_loc(pd.Timestamp(SUMMIT))
    est = r.iloc[p - 250: p - 10]
    sigma2 = est.var(ddof=1)
    ar = r.iloc[p: p + 6] - est.mean()
    u = float((ar**2).mean() / sigma2)
    assert result.ratio[0] == pytest.approx(u, rel=1e-10)
    assert result.days == 6 and result.dof[0] == 239
    # F upper tail from scipy, and from its definition via the regularized incomplete beta:
    # P(F(d1, d2) >= u) = I_{d2 / (d2 + d1 u)}(d2 / 2, d1 / 2).
    assert result.pvalue[0] == pytest.approx(stats.f.sf(u, 6, 239), rel=1e-10)
    assert result.pvalue[0] == pytest.approx(special.betainc(239 / 2, 6 / 2, 239 / (239 + 6 * u)), rel=1e-10)


def test_beaver_single_day_matches_squared_t() -> None:
    # With L = 1, U = AR^2 / sigma^2 and F(1, dof) is the square of t(dof):
    # the two-sided t p-value of AR / sigma equals the F upper tail.
    rng = np.random.default_rng(3)
    r = rng.normal(0, 0.01, 400)
    r[300] = 0.04
    out = fit_pairs(r[None, :], np.empty((1, 400, 0)), None, np.array([0]), np.array([300]))
    result = variance_ratio(out.arrays, 0, 0)
    z = out.arrays.ar[0, 10] / np.sqrt(out.arrays.sigma2[0])
    assert result.pvalue[0] == pytest.approx(2 * stats.t.sf(abs(z), out.arrays.dof[0]), rel=1e-10)
    two = variance_ratio(out.arrays, 0, 0, alternative="two-sided")
    assert two.pvalue[0] == pytest.approx(2 * min(result.pvalue[0], 1 - result.pvalue[0]), rel=1e-10)


def test_beaver_missing_ar_and_bad_alternative() -> None:
    rng = np.random.default_rng(4)
    r = rng.normal(0, 0.01, 400)
    r[302] = np.nan
    out = fit_pairs(r[None, :], np.empty((1, 400, 0)), None, np.array([0]), np.array([300]))
    assert np.isnan(variance_ratio(out.arrays, 0, 5).pvalue[0])
    assert np.isfinite(variance_ratio(out.arrays, 0, 1).pvalue[0])
    with pytest.raises(InputError):
        variance_ratio(out.arrays, 0, 1, alternative="less-ish")


def _panel_returns(shared_data: Path, tickers: list[str]) -> pd.DataFrame:
    closes = {t: pd.read_csv(shared_data / f"panel/moex_iss_daily/{t}.csv", parse_dates=["date"],
                             index_col="date")["close"] for t in tickers}
    imoex = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"],
                        index_col="date")["imoex"]
    frame = pd.DataFrame({**closes, "IMOEX": imoex}).loc["2023-06-01":"2025-03-31"].dropna()
    return np.log(frame).diff().dropna()


def test_savickas_by_hand_on_real_pairs(shared_data: Path) -> None:
    from arch import arch_model

    from eventstudy.measures.volatility import savickas
    from eventstudy.models.garch import fit_garch_pairs

    tickers = ["SBER", "GAZP", "LKOH"]
    r = _panel_returns(shared_data, tickers)
    p = r.index.get_loc(pd.Timestamp("2024-12-20"))  # CBR surprise hold
    y = r[tickers].to_numpy().T
    x = np.repeat(r["IMOEX"].to_numpy()[None, :, None], 3, axis=0)
    out = fit_garch_pairs(y, x, None, np.arange(3), np.full(3, p))
    assert out.fitted.all()

    scores = []
    for ticker in tickers:
        est = slice(p - 250, p - 10)
        model = arch_model(100 * r[ticker].iloc[est], x=100 * r[["IMOEX"]].iloc[est], mean="LS",
                           vol="GARCH", p=1, q=1, rescale=False)
        fit = model.fit(disp="off")
        const, beta = fit.params.iloc[0] / 100, fit.params.iloc[1]
        days = slice(p - 1, p + 2)  # window [-1, 1]: 10, 11, 12 steps after day -11
        ar = r[ticker].iloc[days] - const - beta * r["IMOEX"].iloc[days]
        # Variance forecast recursion by hand from arch's parameters and last state.
        omega, alpha, garch_beta = fit.params["omega"], fit.params["alpha[1]"], fit.params["beta[1]"]
        h = omega + alpha * fit.resid.iloc[-1] ** 2 + garch_beta * fit.conditional_volatility.iloc[-1] ** 2
        path = [h]
        for _ in range(11):
            path.append(omega + (alpha + garch_beta) * path[-1])
        h_window = np.array(path[9:12]) / 100**2
        scores.append(ar.sum() / np.sqrt(h_window.sum()))
    scores_arr = np.array(scores)
    t_hand = scores_arr.mean() / (scores_arr.std(ddof=1) / np.sqrt(3))
    result = savickas(out.arrays, -1, 1)
    assert result.statistic == pytest.approx(t_hand, rel=1e-4)
    assert result.pvalue == pytest.approx(2 * stats.t.sf(abs(t_hand), 2), rel=1e-4)


def test_savickas_needs_garch() -> None:
    from eventstudy.measures.volatility import savickas

    rng = np.random.default_rng(5)
    r = rng.normal(0, 0.01, (2, 400))
    out = fit_pairs(r, np.empty((2, 400, 0)), None, np.arange(2), np.array([300, 300]))
    result = savickas(out.arrays, 0, 0)
    assert np.isnan(result.statistic) and result.note
