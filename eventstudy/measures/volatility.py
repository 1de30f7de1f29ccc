"""Abnormal volatility: Beaver's variance ratio per pair, Savickas' GARCH-standardised test.

- :func:`variance_ratio` (Beaver 1968): for each pair, the event window's mean
  squared abnormal return over the estimation-window residual variance,
  ``U = (1/L) sum_{t in window} AR_t^2 / sigma^2``. Under the null of no change in
  volatility (normal disturbances, ``AR_t ~ N(0, sigma^2)`` independent of the
  estimation residuals), ``sum AR_t^2 / sigma_true^2 ~ chi2(L)`` and
  ``dof * sigma^2 / sigma_true^2 ~ chi2(dof)``, so ``U ~ F(L, dof)``. The p-value is
  the upper tail ``P(F >= U)`` (a volatility increase), or two-sided on request.
  The prediction-error term of the ARs is ignored, as in Beaver; it is of order
  ``1/dof``.
- :func:`savickas` (Savickas 2003): the event-window CAR of each pair is divided by
  the square root of the sum of its GARCH conditional variance forecasts
  (``PairArrays.disturbance_var``, from the ``garch`` model), and these
  standardised CARs are tested with the Boehmer-Musumeci-Poulsen (1991)
  cross-sectional t, ``t = mean(S) / (sd(S) / sqrt(N))`` with ``N - 1`` dof: the
  standardisation removes predictable volatility clustering, the cross-sectional
  variance absorbs event-induced volatility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from eventstudy.errors import InputError
from eventstudy.inference import TestResult
from eventstudy.models.pairs import PairArrays

ALTERNATIVES = ("greater", "two-sided")


@dataclass(frozen=True)
class VarianceRatio:
    """Beaver's variance ratio per pair over one window.

    Attributes
    ----------
    ratio : (P,) float
        ``mean(AR_t^2 over the window) / sigma^2``; NaN where an AR is missing.
    pvalue : (P,) float
        Reference p-value from ``F(days, dof)``.
    days : int
        Window length ``L`` (numerator degrees of freedom).
    dof : (P,) int
        Estimation residual degrees of freedom (denominator).
    """

    ratio: np.ndarray
    pvalue: np.ndarray
    days: int
    dof: np.ndarray


def variance_ratio(arrays: PairArrays, start: int, end: int,
                   alternative: str = "greater") -> VarianceRatio:
    """Beaver (1968) variance ratio ``U = mean(AR^2) / sigma^2`` with its F p-value.

    Parameters
    ----------
    arrays
        The engine's per-pair arrays.
    start, end
        The window in event days (inclusive).
    alternative
        ``"greater"`` (default): ``P(F(L, dof) >= U)``, evidence of higher volatility;
        ``"two-sided"``: twice the smaller tail.

    Raises
    ------
    InputError
        For an unknown ``alternative``.

    Examples
    --------
    >>> ar = np.array([[0.0, 0.02, -0.02]])
    >>> a = PairArrays(np.arange(-1, 2), ar, ar * 0, np.arange(-5, -1), ar[:, :1] * 0,
    ...                np.array([1e-4]), np.array([100]), np.array([101]), np.zeros((1, 1, 1)),
    ...                np.zeros((1, 3, 1)), np.array(["2025-01-01"], dtype="datetime64[D]"))
    >>> float(variance_ratio(a, 0, 1).ratio[0].round(6))
    4.0
    """
    if alternative not in ALTERNATIVES:
        raise InputError(f"unknown alternative {alternative!r}", fix=f"use one of {', '.join(ALTERNATIVES)}")
    window = arrays.ar[:, arrays.columns(start, end)]
    days = window.shape[1]
    dof = np.asarray(arrays.dof)
    usable = (dof > 0) & (arrays.sigma2 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, (window**2).mean(axis=1) / arrays.sigma2, np.nan)
    safe_dof = np.where(usable, dof, 1)
    upper = stats.f.sf(ratio, days, safe_dof)
    pvalue = upper if alternative == "greater" else np.minimum(1.0, 2 * np.minimum(
        upper, stats.f.cdf(ratio, days, safe_dof)))
    return VarianceRatio(ratio=ratio, pvalue=np.where(np.isfinite(ratio), pvalue, np.nan),
                         days=days, dof=dof)


def savickas(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Savickas (2003) GARCH-standardised cross-sectional test of the CAAR.

    ``S_i = CAR_i / sqrt(sum_{t in window} h_{i,t})`` with ``h_{i,t}`` the GARCH(1,1)
    conditional variance forecast of pair ``i`` on day ``t`` (``disturbance_var``),
    then ``t = mean(S) / (sd(S) / sqrt(N))`` (``ddof = 1``), Student t with ``N - 1``
    degrees of freedom, two-sided (Savickas 2003, eq. 9-10; the cross-sectional
    form of Boehmer, Musumeci & Poulsen 1991).

    Parameters
    ----------
    arrays
        Per-pair arrays from the ``garch`` model (``disturbance_var`` set).
    start, end
        The CAR window in event days (inclusive).

    Returns
    -------
    TestResult
        Test ``savickas``; NaN with a ``note`` when it cannot be computed.
    """
    name = "savickas"
    if arrays.disturbance_var is None:
        return TestResult(name, np.nan, np.nan, "needs GARCH conditional variances (model 'garch')")
    cols = arrays.columns(start, end)
    car = arrays.ar[:, cols].sum(axis=1)
    variance = arrays.disturbance_var[:, cols].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        standardised = car / np.sqrt(variance)
    values = standardised[np.isfinite(standardised) & (variance > 0)]
    n = values.size
    if n < 2:
        return TestResult(name, np.nan, np.nan, "needs at least 2 pairs with a GARCH variance forecast")
    sd = values.std(ddof=1)
    if sd == 0:
        return TestResult(name, np.nan, np.nan, "standardised CARs have zero dispersion")
    statistic = float(values.mean() / (sd / np.sqrt(n)))
    return TestResult(name, statistic, float(2 * stats.t.sf(abs(statistic), n - 1)))
