"""The vectorised engine against statsmodels OLS, pair by pair, and hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.models.engine import empirical_pvalue, fit_pairs

T = 700


@pytest.fixture
def panel() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    market = rng.standard_t(4, (3, T)) * 0.01
    returns = 0.0005 + np.array([[0.8], [1.2], [0.3]]) * market + rng.standard_t(4, (3, T)) * 0.012
    returns[1, 420:425] = np.nan  # a gap inside an estimation window
    return {"returns": returns, "market": market}


def test_market_model_matches_statsmodels(panel: dict[str, np.ndarray]) -> None:
    returns, market = panel["returns"], panel["market"]
    asset_index, day0_index = np.array([0, 1, 2, 1]), np.array([400, 600, 300, 660])
    out = fit_pairs(returns, market[:, :, None], None, asset_index, day0_index)
    assert out.fitted.all()
    arrays = out.arrays
    for p, (a, d) in enumerate(zip(asset_index, day0_index, strict=True)):
        est = slice(d - 250, d - 10)
        y, x = returns[a, est], sm.add_constant(market[a, est])
        ok = np.isfinite(y)
        fit = sm.OLS(y[ok], x[ok]).fit()
        assert arrays.n_est[p] == ok.sum()
        assert arrays.dof[p] == fit.df_resid
        np.testing.assert_allclose(arrays.sigma2[p], fit.scale, rtol=1e-10)
        np.testing.assert_allclose(arrays.est_ar[p][np.isfinite(arrays.est_ar[p])], fit.resid, atol=1e-14)
        ev = slice(d - 10, d + 11)
        x_ev = sm.add_constant(market[a, ev])
        prediction = fit.get_prediction(x_ev)
        np.testing.assert_allclose(arrays.ar[p], returns[a, ev] - prediction.predicted_mean, atol=1e-14)
        # Variance of each AR: disturbance plus estimation error (MacKinlay 1997, eq. 7).
        np.testing.assert_allclose(arrays.var_ar[p], fit.scale + prediction.var_pred_mean, rtol=1e-10)
        # Variance of CAR[-1, 1]: sigma^2 * (3 + s'(X'X)^-1 s) with s the summed regressors.
        s = x_ev[9:12].sum(axis=0)
        expected = fit.scale * 3 + s @ fit.cov_params() @ s
        np.testing.assert_allclose(arrays.car_variance(-1, 1)[p], expected, rtol=1e-10)
        # The CAR path's variances from day -3, each end at once (the abnormal-return table's se_car).
        path = arrays.car_variances(-3, np.arange(-3, 11))[p]
        sums = np.cumsum(x_ev[7:], axis=0)
        by_hand = [fit.scale * (k + 1) + s_k @ fit.cov_params() @ s_k for k, s_k in enumerate(sums)]
        np.testing.assert_allclose(path, by_hand, rtol=1e-10)
        assert np.array_equal(path[[0, 4, 13]], [arrays.car_variance(-3, e)[p] for e in (-3, 1, 10)])


def test_constant_mean_by_hand() -> None:
    returns = np.arange(1.0, 31.0)[None, :] / 100  # 0.01 .. 0.30
    out = fit_pairs(returns, np.empty((1, 30, 0)), None, np.array([0]), np.array([25]),
                    estimation=(-20, -6), event_window=(0, 1), min_estimation=10)
    # Estimation returns 0.06..0.20: mean 0.13; day 0 return 0.26 -> AR 0.13.
    np.testing.assert_allclose(out.arrays.ar[0], [0.13, 0.14])
    sample_var = np.var(np.arange(6, 21) / 100, ddof=1)
    np.testing.assert_allclose(out.arrays.sigma2[0], sample_var)
    # Var(AR) = sigma^2 (1 + 1/n) for the constant-mean model.
    np.testing.assert_allclose(out.arrays.var_ar[0], sample_var * (1 + 1 / 15))


def test_market_adjusted_has_no_estimated_parameters(panel: dict[str, np.ndarray]) -> None:
    returns, market = panel["returns"], panel["market"]
    out = fit_pairs(returns, np.empty((3, T, 0)), market, np.array([0]), np.array([400]), constant=False)
    ar_est = returns[0, 150:390] - market[0, 150:390]
    np.testing.assert_allclose(out.arrays.sigma2[0], np.var(ar_est, ddof=1))
    np.testing.assert_allclose(out.arrays.ar[0], returns[0, 390:411] - market[0, 390:411])
    np.testing.assert_allclose(out.arrays.car_variance(0, 5)[0], 6 * np.var(ar_est, ddof=1))


def test_unfittable_pairs_have_reasons(panel: dict[str, np.ndarray]) -> None:
    returns = panel["returns"]
    flat = np.full((3, T, 1), 0.002)  # a benchmark that never moves
    out = fit_pairs(returns, flat, None, np.array([0, 0, 0]), np.array([-1, 50, 400]))
    assert list(out.reason) == [
        "no price data on or after the event date",
        "only 40 estimation returns, fewer than the minimum 100",
        "the model's regressors do not vary in the estimation window",
    ]
    assert not out.fitted.any()
    assert np.isnan(out.arrays.ar).all()


def test_exclusion_mask_removes_observations_from_estimation(panel: dict[str, np.ndarray]) -> None:
    returns = panel["returns"]
    exclude = np.zeros((3, T), dtype=bool)
    exclude[0, 200:221] = True
    out = fit_pairs(returns, np.empty((3, T, 0)), None, np.array([0]), np.array([400]), exclude=exclude)
    kept = np.r_[returns[0, 150:200], returns[0, 221:390]]
    assert out.arrays.n_est[0] == kept.size
    np.testing.assert_allclose(out.arrays.sigma2[0], np.var(kept, ddof=1))


def test_large_batches_are_chunked_identically(panel: dict[str, np.ndarray], monkeypatch) -> None:
    import eventstudy.models.engine as engine

    returns = panel["returns"]
    design = panel["market"][:, :, None]
    pairs = (np.array([0, 1, 2, 0, 1]), np.array([300, 400, 500, 600, 650]))
    whole = fit_pairs(returns, design, None, *pairs)
    monkeypatch.setattr(engine, "CHUNK_PAIRS", 2)
    chunked = fit_pairs(returns, design, None, *pairs)
    np.testing.assert_array_equal(whole.arrays.ar, chunked.arrays.ar)


def test_empirical_pvalue_is_the_rank_among_estimation_cars() -> None:
    est = np.array([[0.01, -0.02, 0.03, -0.01, 0.02] * 8])  # 40 residuals
    # 3-day CARs of the cycle: 0.02, 0.0, 0.04, 0.02, 0.01 (38 windows, 8 of them 0.04).
    rolling = np.convolve(est[0], np.ones(3), mode="valid")
    car = np.array([0.035])
    above = (rolling >= 0.035).sum()
    below = (rolling <= 0.035).sum()
    expected = min(1.0, 2 * min(1 + above, 1 + below) / (1 + rolling.size))
    np.testing.assert_allclose(empirical_pvalue(est, car, 3), [expected])
    assert expected == pytest.approx(2 * (1 + 8) / 39)


def test_empirical_pvalue_is_calibrated_under_the_null() -> None:
    rng = np.random.default_rng(3)
    est = rng.standard_t(3, (4000, 240))
    car = rng.standard_t(3, 4000) + rng.standard_t(3, 4000) + rng.standard_t(3, 4000)
    p = empirical_pvalue(est, car, 3)
    rejection = (p < 0.05).mean()
    # Binomial sd of a 5% rate over 4,000 draws is 0.34 points; allow 4 sd.
    assert abs(rejection - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 4000)
    assert stats.kstest(p, "uniform").pvalue > 1e-3
