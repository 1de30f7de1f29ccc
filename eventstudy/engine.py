"""Vectorised abnormal-return engine over all event-asset pairs.

Every pair is a row: its estimation and event windows are gathered from the asset's
return array by fancy indexing, and the normal-return model is fitted for all pairs
at once by closed-form least squares (batched normal equations). There is no Python
loop over pairs; large studies are processed in chunks to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.pairs import PairArrays

CHUNK_PAIRS = 20_000


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


def fit_pairs(
    returns: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray | None,
    asset_index: np.ndarray,
    day0_index: np.ndarray,
    estimation: tuple[int, int] = (-250, -11),
    event_window: tuple[int, int] = (-10, 10),
    min_obs: int = 100,
    exclude: np.ndarray | None = None,
    day0_dates: np.ndarray | None = None,
) -> EngineOutput:
    """Fit the normal-return model and compute abnormal returns for every pair.

    Parameters
    ----------
    returns
        ``(N, T)`` returns of ``N`` assets, each on its own trading-day axis
        (NaN-padded at the end when assets have different lengths).
    design
        ``(N, T, K)`` regressors on each asset's axis, including the constant column.
    offset
        ``(N, T)`` subtracted from returns before the regression (the benchmark for
        market-adjusted returns), or ``None``.
    asset_index, day0_index
        ``(P,)`` the asset row and the position of day 0 on that asset's axis.
    estimation, event_window
        Inclusive windows in trading days relative to day 0.
    min_obs
        Minimum estimation observations; pairs with fewer are not fitted.
    exclude
        ``(N, T)`` bool, True where an observation must not enter estimation
        (other events' windows).
    day0_dates
        ``(P,)`` calendar dates of day 0, stored in the output for clustering checks.

    Returns
    -------
    EngineOutput

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(0, 0.01, (1, 400))
    >>> out = fit_pairs(r, np.ones((1, 400, 1)), None, np.array([0]), np.array([300]))
    >>> out.arrays.ar.shape
    (1, 21)
    """
    asset_index = np.asarray(asset_index, dtype=np.intp)
    day0_index = np.asarray(day0_index, dtype=np.intp)
    n_pairs = asset_index.size
    est_days = np.arange(estimation[0], estimation[1] + 1)
    event_days = np.arange(event_window[0], event_window[1] + 1)
    k = design.shape[2]
    if day0_dates is None:
        day0_dates = np.full(n_pairs, np.datetime64("NaT"), dtype="datetime64[D]")

    out = _allocate(n_pairs, est_days.size, event_days.size, k)
    for start in range(0, n_pairs, CHUNK_PAIRS):
        rows = slice(start, min(start + CHUNK_PAIRS, n_pairs))
        _fit_chunk(returns, design, offset, exclude, asset_index[rows], day0_index[rows],
                   est_days, event_days, min_obs, {name: a[rows] for name, a in out.items()})
    arrays = PairArrays(
        event_days=event_days, ar=out["ar"], var_ar=out["var_ar"], est_days=est_days,
        est_ar=out["est_ar"], sigma2=out["sigma2"], dof=out["dof"], n_est=out["n_est"],
        xtx_inv=out["xtx_inv"], x_event=out["x_event"],
        day0=np.asarray(day0_dates, dtype="datetime64[D]"),
    )
    return EngineOutput(arrays=arrays, fitted=out["fitted"], reason=out["reason"],
                        expected=out["expected"])


def _allocate(p: int, n_est: int, n_event: int, k: int) -> dict[str, np.ndarray]:
    return {
        "ar": np.full((p, n_event), np.nan),
        "var_ar": np.full((p, n_event), np.nan),
        "expected": np.full((p, n_event), np.nan),
        "est_ar": np.full((p, n_est), np.nan),
        "sigma2": np.full(p, np.nan),
        "dof": np.zeros(p, dtype=np.int64),
        "n_est": np.zeros(p, dtype=np.int64),
        "xtx_inv": np.full((p, k, k), np.nan),
        "x_event": np.full((p, n_event, k), np.nan),
        "fitted": np.zeros(p, dtype=bool),
        "reason": np.full(p, "", dtype=object),
    }


def _gather(values: np.ndarray, asset_index: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values[asset, position]`` for ``(P, L)`` positions; NaN outside the axis."""
    t = values.shape[1]
    inside = (positions >= 0) & (positions < t)
    taken = values[asset_index[:, None], np.clip(positions, 0, t - 1)]
    if taken.ndim == 3:
        return np.where(inside[:, :, None], taken, np.nan)
    return np.where(inside, taken, np.nan)


def _fit_chunk(returns: np.ndarray, design: np.ndarray, offset: np.ndarray | None,
               exclude: np.ndarray | None, assets: np.ndarray, day0: np.ndarray,
               est_days: np.ndarray, event_days: np.ndarray, min_obs: int,
               out: dict[str, np.ndarray]) -> None:
    k = design.shape[2]
    located = day0 >= 0
    day0 = np.where(located, day0, 0)
    est_pos = day0[:, None] + est_days[None, :]
    ev_pos = day0[:, None] + event_days[None, :]
    y_raw = returns if offset is None else returns - offset
    y_est = _gather(y_raw, assets, est_pos)
    x_est = _gather(design, assets, est_pos)
    if exclude is not None:
        excluded = _gather(exclude.astype(float), assets, est_pos) == 1.0
        y_est = np.where(excluded, np.nan, y_est)
    valid = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    n_obs = valid.sum(axis=1)
    y0 = np.where(valid, y_est, 0.0)
    x0 = np.where(valid[:, :, None], x_est, 0.0)

    xtx = np.einsum("plk,plj->pkj", x0, x0)
    xty = np.einsum("plk,pl->pk", x0, y0)
    regular = _regular(xtx)
    enough = n_obs >= max(min_obs, k + 2)
    ok = located & enough & regular
    safe_xtx = np.where(ok[:, None, None], xtx, np.eye(k)[None, :, :])
    xtx_inv = np.linalg.inv(safe_xtx) if k else safe_xtx
    beta = np.einsum("pkj,pj->pk", xtx_inv, xty)

    resid = np.where(valid, y_est - np.einsum("plk,pk->pl", x_est, beta), np.nan)
    if k == 0:
        dof = n_obs - 1
        centred = resid - _nanmean_rows(resid)[:, None]
        ssr = np.nansum(centred**2, axis=1)
    else:
        dof = n_obs - k
        ssr = np.nansum(resid**2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = np.where(dof > 0, ssr / np.maximum(dof, 1), np.nan)

    y_ev = _gather(y_raw, assets, ev_pos)
    x_ev = _gather(design, assets, ev_pos)
    fitted_part = np.einsum("pwk,pk->pw", x_ev, beta)
    ar = y_ev - fitted_part
    var_ar = sigma2[:, None] * (1.0 + np.einsum("pwk,pkj,pwj->pw", x_ev, xtx_inv, x_ev))
    offset_ev = 0.0 if offset is None else _gather(offset, assets, ev_pos)

    blank = ~ok
    out["ar"][:] = np.where(blank[:, None], np.nan, ar)
    out["var_ar"][:] = np.where(blank[:, None], np.nan, var_ar)
    out["expected"][:] = np.where(blank[:, None], np.nan, fitted_part + offset_ev)
    out["est_ar"][:] = np.where(blank[:, None], np.nan, resid)
    out["sigma2"][:] = np.where(ok, sigma2, np.nan)
    out["dof"][:] = np.where(ok, dof, 0)
    out["n_est"][:] = np.where(ok, n_obs, 0)
    out["xtx_inv"][:] = np.where(ok[:, None, None], xtx_inv, np.nan)
    out["x_event"][:] = x_ev
    out["fitted"][:] = ok
    out["reason"][:] = np.select(
        [~located, ~enough, ~regular],
        ["no price data on or after the event date",
         np.char.add(np.char.add("only ", n_obs.astype(str)),
                     f" estimation returns, fewer than the minimum {min_obs}").astype(object),
         "the model's regressors do not vary in the estimation window"],
        default="",
    )


def _regular(xtx: np.ndarray) -> np.ndarray:
    """True where a batch of ``X'X`` matrices is safely invertible."""
    k = xtx.shape[1]
    if k == 0:
        return np.ones(xtx.shape[0], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.linalg.cond(xtx)
    return np.isfinite(cond) & (cond < 1e12)


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
    finite = np.isfinite(est_ar)
    filled = np.where(finite, est_ar, 0.0)
    zero = np.zeros((est_ar.shape[0], 1))
    sums = np.concatenate([zero, np.cumsum(filled, axis=1)], axis=1)
    counts = np.concatenate([zero, np.cumsum(finite, axis=1)], axis=1)
    rolling = sums[:, length:] - sums[:, :-length]
    complete = (counts[:, length:] - counts[:, :-length]) == length
    n = complete.sum(axis=1)
    above = (complete & (rolling >= car[:, None])).sum(axis=1)
    below = (complete & (rolling <= car[:, None])).sum(axis=1)
    p = 2.0 * np.minimum(1 + above, 1 + below) / (1 + n)
    return np.where((n >= 20) & np.isfinite(car), np.minimum(p, 1.0), np.nan)
