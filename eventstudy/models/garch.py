"""Market model with GARCH(1,1) errors, fitted pair by pair with the ``arch`` package.

``r_t = a + b m_t + e_t``, ``e_t ~ N(0, h_t)``, ``h_t = omega + alpha e_{t-1}^2 + beta h_{t-1}``,
estimated by maximum likelihood on each pair's estimation window (returns scaled to
percent for the optimiser). Abnormal returns are ``r_t - a - b m_t``; the variance of
each event-window AR is the conditional variance forecast from the end of the
estimation window, ``h_{T+k} = omega + (alpha + beta) h_{T+k-1}`` (with
``h_{T+1} = omega + alpha e_T^2 + beta h_T``), plus the estimation error of ``a, b``
(``x_t' Cov(a, b) x_t``). A CAR's variance is the sum of its days' forecasts plus
``s' Cov(a, b) s``, the heteroskedastic counterpart of MacKinlay (1997, eq. 14).

Unlike the OLS models this is a loop over pairs (one likelihood maximisation each, by
:func:`eventstudy.models.garch_fit.fit_garch11`, which gives arch's ``fit()`` numbers bit
for bit at a fraction of its cost; split across :data:`N_PROCESSES` forked worker
processes when there are enough pairs),
an optional extra for single-market studies where volatility clustering matters
(Bollerslev 1986; see Corhay & Tourani Rad 1996 on GARCH in event studies).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.errors import ConfigError
from eventstudy.models.engine import EngineOutput, PaddedPanel, allocate_outputs
from eventstudy.models.pairs import PairArrays

if TYPE_CHECKING:
    from eventstudy.models.garch_fit import GarchFit

SCALE = 100.0  # returns in percent for the optimiser
N_PARAMS = 5  # a, b, omega, alpha, beta


def fit_garch_pairs(
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
    constant: bool = True,
) -> EngineOutput:
    """GARCH(1,1) market model for every pair; same arguments and output as :func:`fit_pairs`.

    ``regressors`` must hold exactly one column (the market). Pairs whose likelihood
    maximisation does not converge are reported as not fitted, with the reason.

    Raises
    ------
    ConfigError
        When the ``arch`` package is not installed.
    """
    try:
        from eventstudy.models.garch_fit import fit_garch11
    except ImportError:
        raise ConfigError("model 'garch' needs the arch package",
                          fix="install it with: pip install 'eventstudy[garch]'") from None
    est_days = np.arange(estimation[0], estimation[1] + 1)
    event_days = np.arange(event_window[0], event_window[1] + 1)
    n_pairs = len(asset_index)
    panel = PaddedPanel(returns, regressors, offset, exclude, est_days, event_days)
    job = _Job(panel, np.asarray(asset_index), np.asarray(day0_index), est_days, event_days,
               event_days - estimation[1], min_estimation, fit_garch11)
    out = allocate_outputs(n_pairs, est_days.size, event_days.size, 2)
    out["disturbance_var"] = np.full((n_pairs, event_days.size), np.nan)
    for rows, part in _fit_all(job, n_pairs):
        for key, values in part.items():
            out[key][rows] = values
    disturbance_var = out.pop("disturbance_var")

    if day0_dates is None:
        day0_dates = np.full(n_pairs, np.datetime64("NaT"), dtype="datetime64[D]")
    fitted = out["fitted"]
    arrays = PairArrays(
        event_days=event_days, ar=out["ar"], var_ar=out["var_ar"], est_days=est_days,
        est_ar=out["est_ar"], sigma2=out["sigma2"], dof=out["dof"], n_est=out["n_est"],
        xtx_inv=out["xtx_inv"], x_event=out["x_event"],
        day0=np.asarray(day0_dates, dtype="datetime64[D]"),
        disturbance_var=np.where(fitted[:, None], disturbance_var, np.nan),
    )
    return EngineOutput(arrays=arrays, fitted=fitted, reason=out["reason"], expected=out["expected"])


# Worker processes for the per-pair fits: arch's optimiser is the cost and holds the GIL,
# so the pairs are split across processes (forked, so the panel is shared, not copied).
# Each fit is deterministic, so the numbers do not depend on the split.
N_PROCESSES = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else (os.cpu_count() or 1)))
MIN_PAIRS_PER_PROCESS = 25  # below this a worker costs more than it saves
CHUNKS_PER_PROCESS = 4  # smaller tasks even out workers slowed by other load on the machine


@dataclass(frozen=True)
class _Job:
    panel: PaddedPanel
    asset_index: np.ndarray
    day0_index: np.ndarray
    est_days: np.ndarray
    event_days: np.ndarray
    horizons: np.ndarray
    min_estimation: int
    fit: Callable[[np.ndarray, np.ndarray], GarchFit]


_JOB: _Job | None = None  # the job a forked worker reads


def _fit_all(job: _Job, n_pairs: int) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Fit every pair, in :data:`N_PROCESSES` forked workers when there are enough pairs."""
    global _JOB
    workers = min(N_PROCESSES, n_pairs // MIN_PAIRS_PER_PROCESS)
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        return [(np.arange(n_pairs), _fit_rows(job, np.arange(n_pairs)))]
    chunks = [c for c in np.array_split(np.arange(n_pairs), workers * CHUNKS_PER_PROCESS) if c.size]
    _JOB = job
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return list(zip(chunks, pool.map(_fit_rows_in_worker, chunks), strict=True))
    finally:
        _JOB = None


def _fit_rows_in_worker(rows: np.ndarray) -> dict[str, np.ndarray]:
    assert _JOB is not None
    return _fit_rows(_JOB, rows)


def _fit_rows(job: _Job, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The outputs of :func:`allocate_outputs` (and ``disturbance_var``) for pairs ``rows``."""
    panel, est_days, event_days, horizons = job.panel, job.est_days, job.event_days, job.horizons
    out = allocate_outputs(rows.size, est_days.size, event_days.size, 2)
    out["disturbance_var"] = np.full((rows.size, event_days.size), np.nan)
    for p, (asset, day0) in enumerate(zip(job.asset_index[rows], job.day0_index[rows], strict=True)):
        if day0 < 0:
            out["reason"][p] = "no price data on or after the event date"
            continue
        est_pos = panel.positions(np.array([asset]), np.array([day0]), est_days)[0]
        ev_pos = panel.positions(np.array([asset]), np.array([day0]), event_days)[0]
        y, x = panel.estimation_y.take(est_pos), panel.z[0].take(est_pos)
        valid = np.isfinite(y) & np.isfinite(x)
        n_obs = int(valid.sum())
        if n_obs < max(job.min_estimation, N_PARAMS + 2):
            out["reason"][p] = f"only {n_obs} estimation returns, fewer than the minimum {job.min_estimation}"
            continue
        fit = job.fit(SCALE * y[valid], SCALE * x[valid])
        params = fit.params
        if not fit.converged or not np.isfinite(params).all():
            out["reason"][p] = "the GARCH(1,1) likelihood maximisation did not converge"
            continue
        intercept, slope = params[0] / SCALE, params[1]
        omega, alpha, beta = params[2] / SCALE**2, params[3], params[4]
        mean_cov = fit.param_cov[:2, :2] / SCALE**2 * np.array([[1, SCALE], [SCALE, SCALE**2]])
        residuals = y[valid] - intercept - slope * x[valid]
        conditional = (fit.conditional_volatility / SCALE) ** 2
        forecast = _variance_forecast(omega, alpha, beta, residuals[-1], conditional[-1], horizons.max())
        persistence = alpha + beta
        sigma2 = omega / (1 - persistence) if persistence < 1 else float(conditional.mean())

        x_ev = panel.z[0].take(ev_pos)
        design_ev = np.column_stack([np.ones_like(x_ev), x_ev])
        expected = intercept + slope * x_ev
        offset_ev = 0.0 if panel.offset is None else panel.offset.take(ev_pos)
        out["ar"][p] = panel.y.take(ev_pos) - expected
        out["disturbance_var"][p] = forecast[horizons - 1]
        estimation_error = np.einsum("wk,kj,wj->w", design_ev, mean_cov, design_ev)
        out["var_ar"][p] = out["disturbance_var"][p] + estimation_error
        out["expected"][p] = expected + offset_ev
        out["est_ar"][p] = np.where(valid, y - intercept - slope * x, np.nan)
        out["sigma2"][p] = sigma2
        out["dof"][p] = n_obs - N_PARAMS
        out["n_est"][p] = n_obs
        out["xtx_inv"][p] = mean_cov / sigma2
        out["x_event"][p] = design_ev
        out["fitted"][p] = True
    return out



def _variance_forecast(omega: float, alpha: float, beta: float, last_residual: float,
                       last_variance: float, horizon: int) -> np.ndarray:
    """Conditional variances ``h_{T+1} .. h_{T+horizon}`` from the end of the sample."""
    forecast = np.empty(horizon)
    forecast[0] = omega + alpha * last_residual**2 + beta * last_variance
    for k in range(1, horizon):
        forecast[k] = omega + (alpha + beta) * forecast[k - 1]
    return forecast
