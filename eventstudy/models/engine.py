"""Vectorised abnormal-return engine over all event-asset pairs.

Every pair is a row: its estimation and event windows are gathered from the asset's
return array by fancy indexing, and the normal-return model is fitted for all pairs
at once by closed-form least squares (batched normal equations). There is no Python
loop over pairs; large studies are processed in chunks to bound memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from eventstudy.models.pairs import PairArrays
from eventstudy.threads import chunk_map

CHUNK_PAIRS = 512  # small chunks keep temporaries in reused heap memory (no page faults)

# A pair is not fitted when more than this share of its estimation returns are exactly
# zero: a stale series (an illiquid stock, a holiday-filled price file) whose residual
# variance understates the true one and would make any move on day 0 look significant.
STALE_ZERO_SHARE = 0.5

# The residual variance counts as zero below this fraction of the returns' variance
# (R^2 within 1e-12 of one): the model reproduces the returns, and t would be infinite.
ZERO_RESIDUAL_SHARE = 1e-12

FLAT_REASON = "estimation returns have zero variance (a flat or stale price series)"


@dataclass(frozen=True)
class EngineOutput:
    """The engine's result: per-pair arrays plus which pairs could be fitted.

    Attributes
    ----------
    arrays
        :class:`PairArrays` for all input pairs (rows of unfitted pairs are NaN).
    fitted
        ``(P,)`` bool: the pair had enough estimation observations and a regular design.
    reason
        ``(P,)`` object array: why a pair was not fitted (empty string if it was).
    expected
        ``(P, W)`` expected (normal) returns on event-window days.
    """

    arrays: PairArrays
    fitted: np.ndarray
    reason: np.ndarray
    expected: np.ndarray


class Estimator(Protocol):
    """The one signature every estimator of the model registry has (OLS, GARCH, synthetic control).

    ``returns`` is ``(N, T)`` (each asset's returns on its own calendar), ``regressors``
    ``(N, T, K)`` and ``offset`` ``(N, T)`` or ``None`` from the model's design;
    ``asset_index`` and ``day0_index`` place each of the ``P`` pairs (a negative day 0 is
    not fitted); windows are relative days (bars); ``min_estimation`` is the minimum number of
    estimation returns; ``exclude`` ``(N, T)`` marks returns left out of estimation;
    ``day0_dates`` the pairs' calendar day 0; ``constant`` whether the regression has an
    intercept. The result is an :class:`EngineOutput` for all ``P`` pairs.
    """

    def __call__(self, returns: np.ndarray, regressors: np.ndarray, offset: np.ndarray | None,
                 asset_index: np.ndarray, day0_index: np.ndarray, estimation: tuple[int, int] = ...,
                 event_window: tuple[int, int] = ..., min_estimation: int = ...,
                 exclude: np.ndarray | None = ..., day0_dates: np.ndarray | None = ...,
                 constant: bool = ...) -> EngineOutput: ...


def fit_pairs(
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
    """Fit the normal-return model and compute abnormal returns for every pair.

    The model is ``returns - offset = [1, regressors] @ beta + e`` (without the
    ``1`` when ``constant`` is false), estimated by OLS on each pair's estimation
    window.

    A pair is not fitted (``fitted`` False, the reason in ``reason``) when it has no
    data on or after the event, fewer than ``min_estimation`` estimation returns, estimation
    returns of zero variance (:data:`FLAT_REASON`), more than
    :data:`STALE_ZERO_SHARE` of its estimation returns exactly zero (a stale
    series), a residual variance below :data:`ZERO_RESIDUAL_SHARE` of the returns'
    variance (a perfect fit), or regressors that do not vary. Such a pair would
    otherwise get a zero or understated variance and an infinite or inflated t.

    Parameters
    ----------
    returns
        ``(N, T)`` returns of ``N`` assets, each on its own trading-day axis
        (NaN-padded at the end when assets have different lengths).
    regressors
        ``(N, T, B)`` regressors on each asset's axis, without the constant
        (``B = 0`` for the constant-mean and market-adjusted models).
    offset
        ``(N, T)`` subtracted from returns before the regression (the benchmark for
        market-adjusted returns), or ``None``.
    asset_index, day0_index
        ``(P,)`` the asset row and the position of day 0 on that asset's axis
        (``-1``: the asset has no data on or after the event).
    estimation, event_window
        Inclusive windows in trading days relative to day 0.
    min_estimation
        Minimum estimation observations; pairs with fewer are not fitted.
    exclude
        ``(N, T)`` bool, True where an observation must not enter estimation
        (other events' windows).
    day0_dates
        ``(P,)`` calendar dates of day 0, stored in the output for clustering checks.
        The output's ``asset_index`` and ``day0_index`` are filled too; set its
        ``calendar`` (the dates of each asset's axis, ``(N, T)``) with
        ``dataclasses.replace`` so calendar-time statistics use exact trading dates.
    constant
        Include an intercept (all models but market-adjusted).

    Returns
    -------
    EngineOutput

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(0, 0.01, (1, 400))
    >>> out = fit_pairs(r, np.empty((1, 400, 0)), None, np.array([0]), np.array([300]))
    >>> out.arrays.ar.shape
    (1, 21)
    """
    asset_index = np.asarray(asset_index, dtype=np.intp)
    day0_index = np.asarray(day0_index, dtype=np.intp)
    n_pairs = asset_index.size
    est_days = np.arange(estimation[0], estimation[1] + 1)
    event_days = np.arange(event_window[0], event_window[1] + 1)
    k = regressors.shape[2] + int(constant)
    if day0_dates is None:
        day0_dates = np.full(n_pairs, np.datetime64("NaT"), dtype="datetime64[D]")
    panel = PaddedPanel(returns, regressors, offset, exclude, est_days, event_days)

    out = allocate_outputs(n_pairs, est_days.size, event_days.size, k, filled=False)  # every row written

    def fit(rows: slice) -> None:  # each chunk writes its own rows: chunks run on threads
        _fit_chunk(panel, asset_index[rows], day0_index[rows], est_days, event_days, min_estimation,
                   constant, {name: a[rows] for name, a in out.items()})

    chunk_map([slice(a, min(a + CHUNK_PAIRS, n_pairs)) for a in range(0, n_pairs, CHUNK_PAIRS)], fit)
    arrays = PairArrays(
        event_days=event_days, ar=out["ar"], var_ar=out["var_ar"], est_days=est_days,
        est_ar=out["est_ar"], sigma2=out["sigma2"], dof=out["dof"], n_est=out["n_est"],
        xtx_inv=out["xtx_inv"], x_event=out["x_event"],
        day0=np.asarray(day0_dates, dtype="datetime64[D]"), asset_index=asset_index,
        day0_index=day0_index,
    )
    return EngineOutput(arrays=arrays, fitted=out["fitted"], reason=out["reason"],
                        expected=out["expected"])


class PaddedPanel:
    """The panel flattened with NaN margins, so any window is one ``np.take``."""

    def __init__(self, returns: np.ndarray, regressors: np.ndarray, offset: np.ndarray | None,
                 exclude: np.ndarray | None, est_days: np.ndarray, event_days: np.ndarray) -> None:
        self.left = max(0, -int(min(est_days[0], event_days[0])))
        right = max(0, int(max(est_days[-1], event_days[-1])) + 1)
        self.width = returns.shape[1] + self.left + right
        y = returns if offset is None else returns - offset
        if exclude is not None:
            self.estimation_y = self._flat(np.where(exclude, np.nan, y))
        self.y = self._flat(y)
        if exclude is None:
            self.estimation_y = self.y
        self.z = [self._flat(regressors[:, :, j]) for j in range(regressors.shape[2])]
        self.offset = None if offset is None else self._flat(offset)

    def _flat(self, values: np.ndarray) -> np.ndarray:
        padded = np.full((values.shape[0], self.width), np.nan)
        padded[:, self.left: self.left + values.shape[1]] = values
        return padded.ravel()

    def positions(self, assets: np.ndarray, day0: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Flat positions of ``days`` relative to each pair's day 0, ``(P, len(days))``."""
        return (assets * self.width + self.left + day0)[:, None] + days[None, :]


def allocate_outputs(p: int, n_est: int, n_event: int, k: int, *,
                     filled: bool = True) -> dict[str, np.ndarray]:
    """The estimators' output arrays for ``p`` pairs, NaN-filled; with ``filled=False``
    left unwritten (for a caller that writes every row, as :func:`fit_pairs` does)."""

    def floats(*shape: int) -> np.ndarray:
        return np.full(shape, np.nan) if filled else np.empty(shape)

    return {
        "ar": floats(p, n_event),
        "var_ar": floats(p, n_event),
        "expected": floats(p, n_event),
        "est_ar": floats(p, n_est),
        "sigma2": floats(p),
        "dof": np.zeros(p, dtype=np.int64),
        "n_est": np.zeros(p, dtype=np.int64),
        "xtx_inv": floats(p, k, k),
        "x_event": floats(p, n_event, k),
        "fitted": np.zeros(p, dtype=bool),
        "reason": np.full(p, "", dtype=object),
    }


def _fit_chunk(panel: PaddedPanel, assets: np.ndarray, day0: np.ndarray, est_days: np.ndarray,
               event_days: np.ndarray, min_estimation: int, constant: bool,
               out: dict[str, np.ndarray]) -> None:
    located = day0 >= 0
    day0 = np.where(located, day0, 0)
    est_pos = panel.positions(assets, day0, est_days)
    y = panel.estimation_y.take(est_pos)
    z = [column.take(est_pos) for column in panel.z]
    valid = np.isfinite(y)
    for column in z:
        valid &= np.isfinite(column)
    y0 = np.where(valid, y, 0.0)
    z0 = [np.where(valid, column, 0.0) for column in z]
    n_obs = valid.sum(axis=1)

    # Normal equations from sums: X = [1, z_1 .. z_B] over each pair's valid rows.
    columns = ([valid.astype(float)] if constant else []) + z0
    k = len(columns)
    xtx = np.empty((len(assets), k, k))
    xty = np.empty((len(assets), k))
    for i, a in enumerate(columns):
        xty[:, i] = np.einsum("pl,pl->p", a, y0)
        for j in range(i, k):
            xtx[:, i, j] = xtx[:, j, i] = np.einsum("pl,pl->p", a, columns[j])
    regular = _regular(xtx, n_obs, constant)
    enough = n_obs >= max(min_estimation, k + 2)
    ok = located & enough & regular
    safe = np.where(ok[:, None, None], xtx, np.eye(k)[None, :, :])
    xtx_inv = np.linalg.inv(safe) if k else safe
    beta = np.einsum("pkj,pj->pk", xtx_inv, xty)

    resid0 = np.where(valid, y0 - _combine(beta, z0, constant, y.shape), 0.0)
    resid = np.where(valid, resid0, np.nan)
    if k == 0:
        dof = n_obs - 1
        ssr = np.nansum((resid - _nanmean_rows(resid)[:, None]) ** 2, axis=1)
    else:
        dof = n_obs - k
        ssr = np.einsum("pl,pl->p", resid0, resid0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = np.where(dof > 0, ssr / np.maximum(dof, 1), np.nan)
    raw = y if panel.offset is None else y + panel.offset.take(est_pos)
    flat, stale, exact = _degenerate(raw, valid, n_obs, ssr)
    ok &= ~(flat | stale | exact)

    ev_pos = panel.positions(assets, day0, event_days)
    y_ev = panel.y.take(ev_pos)
    z_ev = [column.take(ev_pos) for column in panel.z]
    x_event = np.stack(([np.ones_like(y_ev)] if constant else []) + z_ev, axis=2) if k else (
        np.empty(y_ev.shape + (0,)))
    fitted_ev = _combine(beta, z_ev, constant, y_ev.shape)
    var_ar = sigma2[:, None] * (1.0 + np.einsum("pwk,pkj,pwj->pw", x_event, xtx_inv, x_event))
    offset_ev = 0.0 if panel.offset is None else panel.offset.take(ev_pos)

    blank = ~ok[:, None]
    out["ar"][:] = np.where(blank, np.nan, y_ev - fitted_ev)
    out["var_ar"][:] = np.where(blank, np.nan, var_ar)
    out["expected"][:] = np.where(blank, np.nan, fitted_ev + offset_ev)
    out["est_ar"][:] = np.where(blank, np.nan, resid)
    out["sigma2"][:] = np.where(ok, sigma2, np.nan)
    out["dof"][:] = np.where(ok, dof, 0)
    out["n_est"][:] = np.where(ok, n_obs, 0)
    out["xtx_inv"][:] = np.where(ok[:, None, None], xtx_inv, np.nan)
    out["x_event"][:] = x_event
    out["fitted"][:] = ok
    out["reason"][:] = _reasons(located, enough, regular, n_obs, min_estimation,
                                (flat, stale, exact, _zero_counts(raw, valid)))


def _combine(beta: np.ndarray, columns: list[np.ndarray], constant: bool,
             shape: tuple[int, ...]) -> np.ndarray:
    """``[1, z_1 .. z_B] @ beta`` row by row, for ``(P, L)`` regressor columns."""
    total = np.repeat(beta[:, :1], shape[1], axis=1) if constant else np.zeros(shape)
    first = int(constant)
    for j, column in enumerate(columns):
        total = total + beta[:, first + j, None] * column
    return total


def _regular(xtx: np.ndarray, n_obs: np.ndarray, constant: bool) -> np.ndarray:
    """True where the regressors vary and are not collinear over the estimation rows.

    Tested on the regressors' (centred, when there is a constant) cross-product
    matrix: every variance must be positive and the matrix well conditioned relative
    to its diagonal (a scale-free test, cheaper than a condition number by SVD).
    """
    k = xtx.shape[1]
    first = int(constant)
    if k <= first:
        return np.ones(xtx.shape[0], dtype=bool)
    moments = xtx[:, first:, first:]
    if constant:
        sums = xtx[:, 0, first:]
        with np.errstate(divide="ignore", invalid="ignore"):
            moments = moments - np.einsum("pi,pj->pij", sums, sums) / np.maximum(n_obs, 1)[:, None, None]
    diagonal = np.einsum("pii->pi", moments)
    raw = np.einsum("pii->pi", xtx[:, first:, first:])
    varies = (diagonal > 1e-12 * np.maximum(raw, np.finfo(float).tiny)).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(np.where(varies[:, None], diagonal, 1.0))
        correlation = moments / (scale[:, :, None] * scale[:, None, :])
        independent = np.linalg.det(np.where(varies[:, None, None], correlation, np.eye(k - first)))
    return varies & (independent > 1e-10)


def _zero_counts(raw: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Estimation returns exactly zero, per pair."""
    return (valid & (raw == 0)).sum(axis=1)


def _degenerate(raw: np.ndarray, valid: np.ndarray, n_obs: np.ndarray,
                ssr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of flat, stale and exactly-fitted estimation windows.

    ``raw`` are the asset's estimation returns (before subtracting any offset).
    Flat: every valid return is equal (zero variance). Stale: more than
    :data:`STALE_ZERO_SHARE` of them are exactly zero. Exact fit: the residual sum of
    squares is below :data:`ZERO_RESIDUAL_SHARE` of the returns' centred sum of squares.
    """
    high = np.where(valid, raw, -np.inf).max(axis=1, initial=-np.inf)
    low = np.where(valid, raw, np.inf).min(axis=1, initial=np.inf)
    has = n_obs > 0
    flat = has & (high == low)
    stale = has & (_zero_counts(raw, valid) > STALE_ZERO_SHARE * n_obs)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, raw, 0.0).sum(axis=1) / np.maximum(n_obs, 1)
        tss = (np.where(valid, raw - mean[:, None], 0.0) ** 2).sum(axis=1)
    exact = has & ~flat & ~(ssr > ZERO_RESIDUAL_SHARE * tss)
    return flat, stale, exact


def _reasons(located: np.ndarray, enough: np.ndarray, regular: np.ndarray, n_obs: np.ndarray,
             min_estimation: int,
             degenerate: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Why each pair was not fitted ("" when it was); strings built only for failures.

    ``degenerate`` holds the flat, stale and exact-fit masks and each pair's count of
    zero estimation returns.
    """
    flat, stale, exact, zeros = degenerate
    reasons = np.full(located.size, "", dtype=object)
    reasons[~regular] = "the model's regressors do not vary in the estimation window"
    reasons[exact] = "the model fits the estimation returns exactly (zero residual variance)"
    reasons[stale] = [f"{z} of {n} estimation returns are zero (a stale price series; more than "
                      f"{STALE_ZERO_SHARE:.0%} zero returns)" for z, n in zip(zeros[stale], n_obs[stale],
                                                                      strict=True)]
    reasons[flat] = FLAT_REASON
    short = ~enough
    reasons[short] = [f"only {n} estimation returns, fewer than the minimum {min_estimation}"
                      for n in n_obs[short]]
    reasons[~located] = "no price data on or after the event date"
    return reasons


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    counts = np.isfinite(values).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)


def empirical_pvalue(est_ar: np.ndarray, car: np.ndarray, length: int) -> np.ndarray:
    """Two-sided p-value of each CAR against same-length CARs of its estimation window.

    For each pair, every run of ``length`` consecutive estimation residuals with no
    gap gives one CAR; the p-value is ``min(1, 2 * min(P(X >= car), P(X <= car)))``
    with ``P(X >= c) = (1 + #{X >= c}) / (1 + n)``, a rank test that needs no
    normality (a single event on fat-tailed data is judged by that asset's own
    history). NaN where fewer than 20 such CARs exist.
    """
    return empirical_pvalues(est_ar, np.asarray(car)[:, None], [length])[:, 0]


def empirical_pvalues(est_ar: np.ndarray, cars: np.ndarray, lengths: Sequence[int]) -> np.ndarray:
    """:func:`empirical_pvalue` for several windows at once: ``cars`` is ``(pairs, W)``
    and ``lengths`` the ``W`` windows' lengths; the cumulative sums of the estimation
    residuals are computed once for all of them."""
    finite = np.isfinite(est_ar)
    zero = np.zeros((est_ar.shape[0], 1))
    sums = np.concatenate([zero, np.cumsum(np.where(finite, est_ar, 0.0), axis=1)], axis=1)
    counts = np.concatenate([zero, np.cumsum(finite, axis=1)], axis=1)
    out = np.empty(cars.shape)
    for k, length in enumerate(lengths):
        car = cars[:, k]
        rolling = sums[:, length:] - sums[:, :-length]
        complete = (counts[:, length:] - counts[:, :-length]) == length
        n = complete.sum(axis=1)
        above = (complete & (rolling >= car[:, None])).sum(axis=1)
        below = (complete & (rolling <= car[:, None])).sum(axis=1)
        p = 2.0 * np.minimum(1 + above, 1 + below) / (1 + n)
        out[:, k] = np.where((n >= 20) & np.isfinite(car), np.minimum(p, 1.0), np.nan)
    return out
