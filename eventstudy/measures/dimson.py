"""Dimson (1979) lead-lag market model for benchmarks that trade asynchronously.

When a benchmark's price is observed at a different time from the asset's (the
S&P 500 closes in New York after Moscow's close), the same-day market return
misses part of the co-movement and OLS betas are biased towards zero. Dimson's
estimator adds lagged market returns to the market model,

    r_t = a + sum_{k=0}^{lags} b_k m_{t-k} + e_t,

and the Dimson beta is the sum ``b_0 + ... + b_lags`` (Dimson 1979, eq. 9;
Scholes & Williams 1977 for the one-lag case). Lagged returns are taken on the
asset's own trading-day axis (the engine's layout), so ``m_{t-1}`` is the
benchmark's return aligned to the asset's previous session.

:func:`lagged_regressors` builds the ``(N, T, B * (lags + 1))`` regressors that
:func:`eventstudy.models.engine.fit_pairs` fits with its vectorised OLS;
:func:`pair_coefficients` and :func:`dimson_beta` read the fitted coefficients back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from eventstudy.errors import InputError
from eventstudy.models.engine import EngineOutput
from eventstudy.models.registry import Design


def lagged_regressors(benchmark_returns: np.ndarray, lags: int = 1) -> np.ndarray:
    """Benchmark returns with their lags, ``(N, T, B) -> (N, T, B * (lags + 1))``.

    Column ``b * (lags + 1) + k`` holds benchmark ``b`` lagged ``k`` sessions of the
    asset (``k = 0`` the same day); the first ``k`` sessions of a lag are NaN, so
    they drop out of estimation.

    Raises
    ------
    InputError
        When ``lags`` is negative or ``benchmark_returns`` is not 3-dimensional.

    Examples
    --------
    >>> m = np.array([[[0.01], [0.02], [0.03]]])
    >>> lagged_regressors(m, 1)[0].tolist()
    [[0.01, nan], [0.02, 0.01], [0.03, 0.02]]
    """
    if lags < 0:
        raise InputError(f"lags = {lags} is negative", column="lags", fix="use 0 (no lag), 1 or 2")
    if benchmark_returns.ndim != 3:
        raise InputError("benchmark returns must be (assets, days, benchmarks)",
                         fix="pass the (N, T, B) array the models build")
    n, t, b = benchmark_returns.shape
    out = np.full((n, t, b * (lags + 1)), np.nan)
    for j in range(b):
        for k in range(lags + 1):
            out[:, k:, j * (lags + 1) + k] = benchmark_returns[:, : t - k, j]
    return out


def lagged_design(design: Callable[[np.ndarray], Design], lags: int) -> Callable[[np.ndarray], Design]:
    """A model's design with each benchmark's return and its ``lags`` lags as regressors.

    The ``lags`` setting: ``model = "market"`` or ``"factor"`` with ``lags = 1`` fits
    ``r_t = a + b_0 m_t + b_1 m_{t-1} + e_t`` (Dimson 1979); ``lags = 0`` returns
    ``design`` unchanged.
    """
    if lags == 0:
        return design

    def with_lags(benchmark_returns: np.ndarray) -> Design:
        return design(lagged_regressors(benchmark_returns, lags))

    return with_lags


def pair_coefficients(output: EngineOutput) -> np.ndarray:
    """The fitted OLS coefficients ``[a, b_1, ...]`` of each pair, ``(P, K)``.

    Recovered exactly from the engine's event-window design and fitted values
    (``expected = x_event @ beta`` for models without an offset) by least squares
    over the days where both are finite; NaN for unfitted pairs or when those days
    do not identify ``beta``.
    """
    x = output.arrays.x_event
    p, _, k = x.shape
    coefs = np.full((p, k), np.nan)
    for i in np.nonzero(output.fitted)[0]:
        rows = np.isfinite(output.expected[i]) & np.isfinite(x[i]).all(axis=1)
        if rows.sum() >= k and np.linalg.matrix_rank(x[i][rows]) == k:
            coefs[i] = np.linalg.lstsq(x[i][rows], output.expected[i][rows], rcond=None)[0]
    return coefs


def dimson_beta(coefficients: np.ndarray, n_benchmarks: int = 1, lags: int = 1,
                constant: bool = True) -> np.ndarray:
    """Dimson betas ``sum_k b_k`` per pair and benchmark, ``(P, B)``.

    Parameters
    ----------
    coefficients
        ``(P, K)`` from :func:`pair_coefficients` (intercept first when ``constant``).
    n_benchmarks, lags
        As given to :func:`lagged_regressors`.
    constant
        Whether the first coefficient is the intercept.
    """
    slopes = coefficients[:, int(constant):]
    if slopes.shape[1] != n_benchmarks * (lags + 1):
        raise InputError(f"{slopes.shape[1]} slope coefficients for {n_benchmarks} benchmark(s) "
                         f"with {lags} lag(s)", fix="pass the same lags as to lagged_regressors")
    return slopes.reshape(len(coefficients), n_benchmarks, lags + 1).sum(axis=2)
