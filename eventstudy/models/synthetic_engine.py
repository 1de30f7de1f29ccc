"""The ``synthetic`` model: a synthetic-control benchmark per pair, with the engine's signature.

For each event-asset pair, the donors (the study's ``benchmark`` series, aligned to the
asset's sessions) get non-negative weights summing to one that best fit the asset's
returns over the pair's estimation window (:func:`eventstudy.models.synthetic.convex_weights`,
Abadie, Diamond & Hainmueller 2010, eq. 2 with ``V = I``). The normal return is the
synthetic return ``sum_j w_j d_jt``; the abnormal return is the gap. The pair's own
weights enter :func:`~eventstudy.models.engine.fit_pairs` as a fixed offset, so every
table and test reads the pair as for any other model.

The residual variance counts the ``J - 1`` free weights as estimated parameters:
``sigma2 = SSR / (n - J + 1)`` with ``n - J + 1`` degrees of freedom; the weights'
estimation error is not added to the AR variance (there is no closed form under the
simplex constraint), so the per-pair t is approximate. The placebo-rank p-value of
``synthetic.csv`` (:func:`eventstudy.models.synthetic.synthetic_control`) is the
inference ADH recommend for a single treated unit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from eventstudy.models.engine import EngineOutput, fit_pairs
from eventstudy.models.synthetic import convex_weights


def fit_synthetic_pairs(
    returns: np.ndarray,
    regressors: np.ndarray,
    offset: np.ndarray | None,
    asset_index: np.ndarray,
    day0_index: np.ndarray,
    estimation: tuple[int, int] = (-250, -11),
    event_window: tuple[int, int] = (-10, 10),
    min_estimation: int = 100,
    exclude: np.ndarray | None = None,
    day0_dates: np.ndarray | None = None,
    constant: bool = False,
) -> EngineOutput:
    """Synthetic-control abnormal returns for every pair (the engine's arguments).

    Parameters
    ----------
    returns, regressors
        ``(N, T)`` asset returns and ``(N, T, J)`` donor returns on each asset's axis.
    offset, constant
        Unused (the synthetic model has neither); accepted for the common signature.
    asset_index, day0_index, estimation, event_window, min_estimation, exclude, day0_dates
        As for :func:`eventstudy.models.engine.fit_pairs`.

    Returns
    -------
    EngineOutput
        With ``dof = n_est - J + 1`` and ``sigma2``, ``var_ar`` scaled to match.
    """
    del offset, constant
    n_pairs, length, donors = len(asset_index), returns.shape[1], regressors.shape[2]
    y = returns[asset_index]
    d = regressors[asset_index]
    synthetic = np.full((n_pairs, length), np.nan)
    for i in range(n_pairs):
        if day0_index[i] < 0:
            continue
        lo = max(int(day0_index[i]) + estimation[0], 0)
        hi = min(int(day0_index[i]) + estimation[1] + 1, length)
        usable = np.isfinite(y[i, lo:hi]) & np.isfinite(d[i, lo:hi]).all(axis=1)
        if exclude is not None:
            usable &= ~exclude[asset_index[i], lo:hi]
        if usable.sum() < max(min_estimation, donors + 1):
            continue
        weights = convex_weights(y[i, lo:hi][usable], d[i, lo:hi][usable])
        synthetic[i] = d[i] @ weights
    output = fit_pairs(y, np.empty((n_pairs, length, 0)), synthetic, np.arange(n_pairs), day0_index,
                       estimation=estimation, event_window=event_window, min_estimation=min_estimation,
                       exclude=None if exclude is None else exclude[asset_index], day0_dates=day0_dates,
                       constant=False)
    arrays = output.arrays
    n_est = np.asarray(arrays.n_est, dtype=float)
    dof = n_est - (donors - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(dof > 0, n_est / dof, np.nan)
    arrays = dataclasses.replace(arrays, dof=np.maximum(dof, 0).astype(arrays.dof.dtype),
                                 sigma2=arrays.sigma2 * scale, var_ar=arrays.var_ar * scale[:, None])
    return dataclasses.replace(output, arrays=arrays)
