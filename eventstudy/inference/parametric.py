"""Parametric tests of CAAR: cross-sectional, Brown-Warner, Patell, BMP and the
Kolari-Pynnönen adjustments for cross-correlation (README, "Models and statistics")."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.inference.base import (
    CACHE,
    NAN,
    Layout,
    TestResult,
    nan_result,
    register,
    standardized_car,
    two_sided_normal,
    two_sided_t,
)
from eventstudy.inference.dependence import average_cross_correlation
from eventstudy.inference.scope_columns import average_by_segment
from eventstudy.models.pairs import PairArrays


@register("t_cs")
def t_cs(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Cross-sectional t test of CAAR (MacKinlay 1997; Brown & Warner 1985).

    ``t = CAAR / (s_CAR / sqrt(N))`` with ``s_CAR`` the cross-sectional standard
    deviation of the pairs' CARs; Student t with ``N - 1`` degrees of freedom.
    """
    car = arrays.car(start, end)
    car = car[np.isfinite(car)]
    n = car.size
    if n < 2:
        return TestResult("t_cs", NAN, NAN, "needs at least 2 pairs")
    sd = car.std(ddof=1)
    if sd == 0:
        return TestResult("t_cs", NAN, NAN, "CARs have zero dispersion")
    statistic = car.mean() / (sd / np.sqrt(n))
    return TestResult("t_cs", float(statistic), float(2 * stats.t.sf(abs(statistic), n - 1)))


@register("bw_cda")
def bw_cda(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Brown & Warner (1985) crude dependence adjustment.

    ``AAR_t`` is the mean AR over the pairs available on event day ``t``. Its
    standard deviation is estimated from the time series of ``AAR_t`` over the
    estimation window (event time), ``S = sqrt(sum_t (AAR_t - mean AAR)^2 / (T - 1))``
    with ``T`` the estimation days that have data, so the test is robust to
    cross-sectional dependence. For ``L2 = end - start + 1`` days,
    ``t = sum_{t=start..end} AAR_t / (sqrt(L2) * S)`` (Brown & Warner 1985, sec. 3 and
    the multi-day form of their eq. for the CAAR), Student t with ``T - 1`` d.o.f.
    """
    single = [Layout.single(arrays.n_pairs)]
    aar_est = CACHE.get(arrays, "aar_est", lambda: average_by_segment(arrays.est_ar, single)[0][0])
    aar_window = average_by_segment(arrays.ar[:, arrays.columns(start, end)], single)[0][0]
    return bw_cda_statistic(aar_est, aar_window)


def bw_cda_statistic(aar_est: np.ndarray, aar_window: np.ndarray) -> TestResult:
    """Brown & Warner's ``t`` from one scope's ``AAR_t`` over the estimation days and
    the tested window (:func:`bw_cda`)."""
    name = "bw_cda"
    aar_est = aar_est[np.isfinite(aar_est)]
    t_days = aar_est.size
    if t_days < 3:
        return nan_result(name, "needs at least 3 estimation days with data")
    s = aar_est.std(ddof=1)
    if s == 0:
        return nan_result(name, "AAR has zero variance over the estimation window")
    if not np.isfinite(aar_window).all():
        return nan_result(name, "a day of the window has no pair with data")
    statistic = float(aar_window.sum() / (np.sqrt(aar_window.size) * s))
    return TestResult(name, statistic, two_sided_t(statistic, t_days - 1))


@register("patell")
def patell(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Patell (1976) standardized-residual test, multi-day via standardized CARs.

    ``Z = sum_i SCAR_i / sqrt(sum_i (L1_i - K) / (L1_i - K - 2))``: each pair's
    ``SCAR_i`` (CAR over its standard error including estimation error, MacKinlay
    1997 eq. 14) is Student t with ``dof_i = L1_i - K`` under H0, with variance
    ``dof_i / (dof_i - 2)`` (Patell 1976, eq. 8-10; Campbell, Lo & MacKinlay 1997,
    sec. 4.4.3). Standard normal. Assumes cross-sectional independence.
    """
    name = "patell"
    scar, ok = standardized_car(arrays, start, end)
    if not ok.any():
        return nan_result(name, "no pair has a standardized CAR (needs dof > 2 and variance > 0)")
    dof = arrays.dof[ok].astype(float)
    statistic = float(scar[ok].sum() / np.sqrt((dof / (dof - 2)).sum()))
    return TestResult(name, statistic, two_sided_normal(statistic))


@register("bmp")
def bmp(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Boehmer, Musumeci & Poulsen (1991) standardized cross-sectional test.

    ``t = mean(SCAR) / (sd(SCAR) / sqrt(N))`` with the Patell-standardized CARs and
    their cross-sectional standard deviation (``ddof = 1``), so event-induced
    variance is allowed for (BMP 1991, eq. 6). Student t with ``N - 1`` d.o.f.
    """
    name = "bmp"
    scar, ok = standardized_car(arrays, start, end)
    values = scar[ok]
    n = values.size
    if n < 2:
        return nan_result(name, "needs at least 2 pairs with a standardized CAR")
    sd = values.std(ddof=1)
    if sd == 0:
        return nan_result(name, "standardized CARs have zero dispersion")
    statistic = float(values.mean() / (sd / np.sqrt(n)))
    return TestResult(name, statistic, two_sided_t(statistic, n - 1))


@register("patell_adj")
def patell_adj(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Patell test adjusted for cross-correlation (Kolari & Pynnönen 2010, eq. 19).

    ``Z_adj = Z_patell * sqrt(1 / (1 + (N - 1) r̄))`` with ``r̄`` the average
    correlation of the pairs' standardized estimation-window residuals
    (:func:`average_cross_correlation`: in calendar time, only pairs whose windows
    share calendar dates count as correlated). Standard normal.
    """
    name = "patell_adj"
    base = patell(arrays, start, end)
    if not np.isfinite(base.statistic):
        return nan_result(name, base.note)
    _, ok = standardized_car(arrays, start, end)
    n = int(ok.sum())
    rbar = average_cross_correlation(arrays, start, end)
    factor = 1 + (n - 1) * rbar
    if not np.isfinite(factor) or factor <= 0:
        return nan_result(name, f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(base.statistic / np.sqrt(factor))
    return TestResult(name, statistic, two_sided_normal(statistic), _rbar_note(rbar))


@register("kp")
def kp(arrays: PairArrays, start: int, end: int) -> TestResult:
    """BMP test adjusted for cross-correlation (Kolari & Pynnönen 2010, eq. 16).

    ``t_adj = t_bmp * sqrt((1 - r̄) / (1 + (N - 1) r̄))`` with ``r̄`` the average
    correlation of the standardized CARs, from the estimation-window residuals of
    pairs whose windows share calendar dates (:func:`average_cross_correlation`).
    Student t, ``N - 1`` d.o.f.
    """
    name = "kp"
    base = bmp(arrays, start, end)
    if not np.isfinite(base.statistic):
        return nan_result(name, base.note)
    _, ok = standardized_car(arrays, start, end)
    n = int(ok.sum())
    rbar = average_cross_correlation(arrays, start, end)
    factor = (1 - rbar) / (1 + (n - 1) * rbar) if 1 + (n - 1) * rbar > 0 else NAN
    if not np.isfinite(factor) or factor <= 0:
        return nan_result(name, f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(base.statistic * np.sqrt(factor))
    return TestResult(name, statistic, two_sided_t(statistic, n - 1), _rbar_note(rbar))


def _rbar_note(rbar: float) -> str:
    if rbar == 0:
        return "no two windows share a calendar date: r_bar = 0, same as the unadjusted test"
    return f"r_bar = {rbar:.4g}"
