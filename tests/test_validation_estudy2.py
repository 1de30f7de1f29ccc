"""Validation against the published estudy2 COVID-19 example (R package estudy2).

The PairArrays are built here by an independent route: prices read in place from
``../shared/data/reference``, log returns per series over its own available days
(estudy2's ``compounding = "continuous", multi_day = TRUE``), and one statsmodels OLS
market model per stock on its complete cases in 2019-04-01 .. 2020-03-13. Each
event day 2020-03-16 .. 2020-03-20 is tested as a single-day window, as estudy2
does. Published numbers and their source: ``tests/reference/estudy2_covid.py``.

Where estudy2 departs from the textbook we follow the textbook; each such test
also rebuilds estudy2's own variant by hand to show the published number is
reproduced, and states the size of the difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from reference import estudy2_covid as ref

from eventstudy import inference
from eventstudy.models.pairs import PairArrays

DAYS = range(len(ref.EVENT_DATES))


def _log_returns(prices: pd.Series) -> pd.Series:
    """estudy2 multi_day returns: log change from the previous available price."""
    present = prices.dropna()
    return np.log(present).diff()


def _load(shared: Path) -> tuple[pd.DataFrame, pd.Series]:
    folder = shared / "reference"
    prices = pd.read_csv(folder / "estudy2_prices.csv", index_col=0, parse_dates=True)
    index = pd.read_csv(folder / "estudy2_prices_indx.csv", index_col=0, parse_dates=True)
    stock = pd.DataFrame({c: _log_returns(prices[c]) for c in ref.TICKERS}).reindex(prices.index)
    market = _log_returns(index.iloc[:, 0]).reindex(prices.index)
    return stock, market


def build_arrays(shared: Path, *, estudy2_variance: bool = False) -> PairArrays:
    """PairArrays of the seven stocks from per-stock statsmodels OLS.

    With ``estudy2_variance`` the standardization is estudy2's instead of the
    textbook's: residual variance ``SSR / (n - 1)`` (R's ``sd`` of the residuals)
    instead of ``SSR / (n - 2)``, and the market mean and sum of squares taken over
    every index date of the estimation window instead of the stock's own
    estimation days (differs for ZM and UBER, listed in April and May 2019).
    """
    stock, market = _load(shared)
    dates = stock.index
    est_dates = dates[(dates >= ref.ESTIMATION[0]) & (dates <= ref.ESTIMATION[1])]
    ev_dates = pd.DatetimeIndex(ref.EVENT_DATES)
    n_pairs, n_est_days, n_ev = len(ref.TICKERS), len(est_dates), len(ev_dates)
    ar = np.empty((n_pairs, n_ev))
    est_ar = np.full((n_pairs, n_est_days), np.nan)
    sigma2 = np.empty(n_pairs)
    dof = np.empty(n_pairs, dtype=int)
    n_est = np.empty(n_pairs, dtype=int)
    xtx_inv = np.empty((n_pairs, 2, 2))
    x_event = np.empty((n_pairs, n_ev, 2))
    for i, ticker in enumerate(ref.TICKERS):
        sample = pd.concat([stock[ticker], market], axis=1).loc[est_dates].dropna()
        fit = sm.OLS(sample.iloc[:, 0], sm.add_constant(sample.iloc[:, 1])).fit()
        alpha, beta = fit.params.iloc[0], fit.params.iloc[1]
        est_ar[i, est_dates.isin(sample.index)] = fit.resid.to_numpy()
        ar[i] = (stock[ticker] - alpha - beta * market).loc[ev_dates].to_numpy()
        n_est[i] = int(fit.nobs)
        dof[i] = int(fit.df_resid)
        sigma2[i] = fit.scale
        xtx_inv[i] = fit.normalized_cov_params.to_numpy()
        x_event[i, :, 0] = 1.0
        x_event[i, :, 1] = market.loc[ev_dates].to_numpy()
        if estudy2_variance:
            sigma2[i] = fit.ssr / (n_est[i] - 1)
            m = market.loc[est_dates].dropna()
            mbar, ss = m.mean(), ((m - m.mean()) ** 2).sum()
            n = n_est[i]
            xtx_inv[i] = [[1 / n + mbar**2 / ss, -mbar / ss], [-mbar / ss, 1 / ss]]
    var_ar = sigma2[:, None] * (1 + np.einsum("pwk,pkj,pwj->pw", x_event, xtx_inv, x_event))
    return PairArrays(
        event_days=np.arange(n_ev),
        ar=ar,
        var_ar=var_ar,
        est_days=np.arange(-n_est_days, 0),
        est_ar=est_ar,
        sigma2=sigma2,
        dof=dof,
        n_est=n_est,
        xtx_inv=xtx_inv,
        x_event=x_event,
        day0=np.full(n_pairs, np.datetime64(ref.EVENT_DATES[0], "D")),
    )


@pytest.fixture(scope="module")
def arrays() -> PairArrays:
    from conftest import require_shared_data

    return build_arrays(require_shared_data())


@pytest.fixture(scope="module")
def arrays_estudy2() -> PairArrays:
    from conftest import require_shared_data

    return build_arrays(require_shared_data(), estudy2_variance=True)


def _stats(arrays: PairArrays, test: str) -> np.ndarray:
    return np.array([inference.TESTS[test](arrays, d, d).statistic for d in DAYS])


def _published(column: str) -> np.ndarray:
    table = ref.PARAMETRIC if column in ref.PARAMETRIC else ref.NONPARAMETRIC
    return np.asarray(table[column], dtype=float)


def test_data_reproduce_published_mean_abnormal_returns(arrays: PairArrays) -> None:
    # Same prices, returns and market model as estudy2: the mean AR matches to 8 dp.
    np.testing.assert_allclose(arrays.ar.mean(axis=0), _published("mean"), rtol=0, atol=ref.tolerance("mean"))
    assert list(arrays.n_est) == [240, 227, 240 - 28, 240, 240, 240, 240]


@pytest.mark.parametrize(
    ("test", "column"),
    [
        ("t_cs", "t_test_stat"),  # cross-sectional t: same definition
        ("bw_cda", "bw_1985_stat"),  # sd of the AAR series over the estimation window
        ("sign", "sign_stat"),  # (w - N/2) / sqrt(N/4)
        ("wilcoxon", "wlcx_stat"),  # W+
    ],
)
def test_same_definition_matches_published(arrays: PairArrays, test: str, column: str) -> None:
    np.testing.assert_allclose(_stats(arrays, test), _published(column), rtol=0, atol=ref.tolerance(column))


@pytest.mark.parametrize(("test", "column"), [("patell", "pt_stat"), ("bmp", "bh_stat")])
def test_standardized_tests_match_published_with_estudy2_variance(
    arrays_estudy2: PairArrays, test: str, column: str
) -> None:
    # Fed estudy2's standardization, our aggregation reproduces the print exactly.
    np.testing.assert_allclose(
        _stats(arrays_estudy2, test), _published(column), rtol=0, atol=ref.tolerance(column)
    )


@pytest.mark.parametrize(
    ("test", "column", "max_abs_diff"),
    [
        # estudy2 standardizes by R's sd() of the residuals (SSR/(n-1), not SSR/(n-2))
        # and, for ZM and UBER, by the market mean over all index dates rather than the
        # stock's own estimation days. Textbook Patell (ours) is 0.18-0.25% smaller in
        # magnitude here: 2.5444 vs 2.5507 on 2020-03-16, 8.4027 vs 8.4216 (the
        # largest gap, 0.019) on 2020-03-19.
        ("patell", "pt_stat", 0.02),
        # Same standardization inside BMP; the ratio mostly cancels: |diff| <= 0.0025.
        ("bmp", "bh_stat", 0.003),
    ],
)
def test_textbook_standardization_differs_from_estudy2_by_documented_amount(
    arrays: PairArrays, test: str, column: str, max_abs_diff: float
) -> None:
    ours, published = _stats(arrays, test), _published(column)
    diff = np.abs(ours - published)
    assert diff.max() <= max_abs_diff
    assert diff.max() > ref.tolerance(column)  # the departure is real, not rounding


def test_generalized_sign_p_hat_is_per_pair_mean_not_pooled(arrays: PairArrays) -> None:
    # Cowan (1992) averages each pair's share of positive estimation ARs; estudy2 pools
    # all estimation ARs, which weights ZM and UBER (fewer days) less. Rebuilding the
    # pooled share by hand reproduces the print; ours is 0.0014-0.0019 higher.
    est = arrays.est_ar
    pooled = np.nansum(est > 0) / np.isfinite(est).sum()
    n = arrays.n_pairs
    w = (arrays.ar > 0).sum(axis=0)
    estudy2_z = (w - n * pooled) / np.sqrt(n * pooled * (1 - pooled))
    np.testing.assert_allclose(estudy2_z, _published("gsign_stat"), atol=ref.tolerance("gsign_stat"))
    ours = _stats(arrays, "gen_sign")
    assert np.all(np.abs(ours - _published("gsign_stat")) < 0.002)
    per_pair = np.mean(np.nansum(est > 0, axis=1) / np.isfinite(est).sum(axis=1))
    np.testing.assert_allclose(ours, (w - n * per_pair) / np.sqrt(n * per_pair * (1 - per_pair)))


def _estudy2_rank_statistic(est_ar: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """Corrado (1989) with raw ranks, as in estudy2's ``rank_test`` source, in pandas.

    Note: the vignette's printed ``rank_stat`` is 2.56% smaller than this formula
    gives on every day (a constant factor, so it comes from the variance
    denominator of the estudy2 version that rendered the vignette, which we could
    not identify); the comparison with the print below therefore uses a bound.
    """
    full = pd.DataFrame(np.concatenate([est_ar, ar], axis=1).T)  # days x pairs
    ranks = full.rank(method="average")  # per pair, NaN kept
    deviation = ranks - ranks.mean()  # K_it - mean rank of pair i
    kbar = deviation.mean(axis=1)  # over pairs available that day
    delta_full = full.notna().sum().mean()
    sd = np.sqrt((kbar**2).sum() / delta_full)
    return (kbar / sd).to_numpy()[est_ar.shape[1] :]


# Largest |ours - printed rank_stat| over the five days: 0.145 on 2020-03-20 (3.070 vs
# 2.926), of which the vignette's 2.56% factor alone explains 0.077.
MAX_RANK_DIFF = 0.15


def test_corrado_equals_estudy2_rank_test_when_no_data_are_missing(arrays: PairArrays) -> None:
    # With every pair observed on every day the two definitions coincide once they
    # rank the same days: U = K/(n+1) is a common rescaling, and estudy2's mean count
    # of observations equals the number of days. Ours ranks the estimation window plus
    # the tested day only (Corrado 1989), estudy2 the estimation window plus the whole
    # event window, so the formula is applied here to the estimation days and one day.
    complete = arrays.subset(np.array([t not in ("ZM", "UBER") for t in ref.TICKERS]))
    expected = [_estudy2_rank_statistic(complete.est_ar, complete.ar[:, [d]])[0] for d in DAYS]
    np.testing.assert_allclose(_stats(complete, "corrado"), expected, rtol=1e-12)
    # Against the print (whole event window ranked, ZM and UBER scaled by their own
    # counts, and the vignette's constant 2.56% factor) the departure stays small.
    ours = _stats(arrays, "corrado")
    assert np.abs(ours - _published("rank_stat")).max() < MAX_RANK_DIFF


def test_clustered_example_flags_kp_and_adjusts(arrays: PairArrays) -> None:
    # All seven stocks share day 0, so the example is fully clustered.
    report = inference.clustering(arrays)
    assert report["n_clustered"] == 7
    assert report["n_overlapping"] == 7
    rbar = report["rbar"]
    assert 1 + 6 * rbar >= 1.1  # r̄ = 0.16: the variance of a sum almost doubles
    assert report["recommended_tests"] == ["bw_cda", "patell_adj", "kp", "corrado"]
    assert set(report["caution"]) == {"t_cs", "bmp", "patell", "sign", "gen_sign", "wilcoxon"}
    assert 0 < rbar < 1
    n = arrays.n_pairs
    np.testing.assert_allclose(
        _stats(arrays, "kp"), _stats(arrays, "bmp") * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    )
    np.testing.assert_allclose(
        _stats(arrays, "patell_adj"), _stats(arrays, "patell") / np.sqrt(1 + (n - 1) * rbar)
    )
