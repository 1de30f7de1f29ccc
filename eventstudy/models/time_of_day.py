"""Normal returns for intraday bars with a variance for each time of day.

The normal-return model is fitted on each pair's estimation bars, as for days: the
constant mean (``r = mu + e``) or the market model on an intraday benchmark
(``r = alpha + beta * r_m + e``), by OLS. Intraday volatility is not constant: it is
high at the open and around scheduled releases and low at lunch (Wood, McInish & Ord
1985; Andersen & Bollerslev 1997). So each event bar's disturbance variance is the
variance of the estimation residuals of the bars at the same clock time (its *slot*,
e.g. every 13:30 bar of the estimation days), and the opening bar, whose return
carries the overnight gap, is its own slot (:data:`eventstudy.timing.bars.OPENING_SLOT`).

``var(AR_t) = s2_slot(t) + sigma2 * x_t' (X'X)^-1 x_t`` with ``s2_slot`` the sample
variance (``ddof = 1``) of the slot's estimation residuals about their mean, and the
second term the estimation error of the model's parameters (MacKinlay 1997, eq. 7,
with ``sigma2`` the residual variance over all estimation bars). A slot with fewer than
:data:`MIN_SLOT_BARS` estimation bars has no variance (NaN: no test).

The per-pair arrays are :class:`~eventstudy.models.pairs.PairArrays` with
``disturbance_var`` set to the slot variances, so the CAR variance and the aggregate
tests work as for days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.models.engine import FLAT_REASON, EngineOutput
from eventstudy.models.pairs import PairArrays

#: Fewest estimation bars of a slot for its variance (below: NaN).
MIN_SLOT_BARS = 10
#: Fewest same-clock-time estimation CARs for an empirical p-value.
MIN_EMPIRICAL = 20


@dataclass(frozen=True)
class BarFit:
    """The fit of every pair: engine output plus the slots needed by the clock-time tests.

    Attributes
    ----------
    output
        :class:`EngineOutput` whose arrays carry the slot variances as ``disturbance_var``.
    event_slots, est_slots
        ``(P, W)`` and ``(P, L)`` slot codes of the event and estimation bars (-1: none).
    slot_bars
        ``(P, W)`` estimation bars in each event bar's slot (the variance's sample size).
    """

    output: EngineOutput
    event_slots: np.ndarray
    est_slots: np.ndarray
    slot_bars: np.ndarray


def fit_bar_pairs(returns: np.ndarray, slots: np.ndarray, benchmark: np.ndarray | None,
                  asset_index: np.ndarray, bar0_index: np.ndarray, estimation: tuple[int, int],
                  event_window: tuple[int, int], min_estimation: int) -> BarFit:
    """Fit the constant-mean (``benchmark`` None) or market model and the slot variances.

    Parameters
    ----------
    returns
        ``(N, T)`` bar returns of ``N`` assets on their own bar axes (NaN-padded).
    slots
        ``(N, T)`` integer slot code of each bar (``-1`` beyond the data).
    benchmark
        ``(N, T)`` benchmark returns on each asset's bars, or ``None`` (constant mean).
    asset_index, bar0_index
        ``(P,)`` each pair's asset row and the position of bar 0 (``-1``: none).
    estimation, event_window
        Inclusive windows in bars relative to bar 0.
    min_estimation
        Fewest estimation bars; pairs with fewer are not fitted.

    Returns
    -------
    BarFit

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> r = rng.normal(0, 0.01, (1, 600)); codes = np.tile(np.arange(10), 60)[None, :]
    >>> fit = fit_bar_pairs(r, codes, None, np.array([0]), np.array([500]), (-400, -11), (-2, 2), 100)
    >>> fit.output.arrays.ar.shape, int(fit.slot_bars[0, 2])
    ((1, 5), 39)
    """
    asset_index = np.asarray(asset_index, dtype=np.intp)
    located = np.asarray(bar0_index) >= 0
    bar0 = np.where(located, bar0_index, 0).astype(np.intp)
    est_bars = np.arange(estimation[0], estimation[1] + 1)
    event_bars = np.arange(event_window[0], event_window[1] + 1)
    take = _Gather(returns.shape[1], est_bars, event_bars)
    y = take(returns, asset_index, bar0, est_bars)
    s = take(slots.astype(float), asset_index, bar0, est_bars, fill=-1.0).astype(np.int64)
    y_ev = take(returns, asset_index, bar0, event_bars)
    s_ev = take(slots.astype(float), asset_index, bar0, event_bars, fill=-1.0).astype(np.int64)
    x = None if benchmark is None else take(benchmark, asset_index, bar0, est_bars)
    x_ev = None if benchmark is None else take(benchmark, asset_index, bar0, event_bars)

    valid = np.isfinite(y) & (s >= 0)
    if x is not None:
        valid &= np.isfinite(x)
    n = valid.sum(axis=1)
    k = 1 if x is None else 2
    columns = [valid.astype(float)] + ([] if x is None else [np.where(valid, x, 0.0)])
    y0 = np.where(valid, y, 0.0)
    xtx = np.einsum("ipl,jpl->pij", np.stack(columns), np.stack(columns))
    xty = np.einsum("ipl,pl->pi", np.stack(columns), y0)
    det = np.linalg.det(xtx)
    scale = np.einsum("pii->p", xtx) ** k
    regular = det > 1e-12 * np.maximum(scale, np.finfo(float).tiny)
    enough = n >= max(min_estimation, k + 2)
    ok = located & enough & regular
    xtx_inv = np.linalg.inv(np.where(ok[:, None, None], xtx, np.eye(k)[None]))
    beta = np.einsum("pij,pj->pi", xtx_inv, xty)
    fitted_est = beta[:, :1] + (0.0 if x is None else beta[:, 1:2] * np.where(valid, x, 0.0))
    resid = np.where(valid, y - fitted_est, np.nan)
    ssr = np.nansum(resid ** 2, axis=1)
    dof = n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.where(dof > 0, ssr / np.maximum(dof, 1), np.nan)
    flat = ok & ~(sigma2 > 0)
    ok &= ~flat

    slot_var, slot_n = _slot_variances(resid, s, int(max(slots.max(initial=0), 0)) + 1)
    rows = np.arange(len(asset_index))[:, None]
    safe_ev = np.clip(s_ev, 0, None)
    event_var = np.where(s_ev >= 0, slot_var[rows, safe_ev], np.nan)
    event_n = np.where(s_ev >= 0, slot_n[rows, safe_ev], 0)
    x_event = np.stack([np.ones_like(y_ev)] + ([] if x_ev is None else [x_ev]), axis=2)
    expected = np.einsum("pwk,pk->pw", x_event, beta)
    estimation_term = sigma2[:, None] * np.einsum("pwk,pkj,pwj->pw", x_event, xtx_inv, x_event)
    blank = ~ok[:, None]
    arrays = PairArrays(
        event_days=event_bars, ar=np.where(blank, np.nan, y_ev - expected),
        var_ar=np.where(blank, np.nan, event_var + estimation_term), est_days=est_bars,
        est_ar=np.where(blank, np.nan, resid), sigma2=np.where(ok, sigma2, np.nan),
        dof=np.where(ok, dof, 0), n_est=np.where(ok, n, 0),
        xtx_inv=np.where(ok[:, None, None], xtx_inv, np.nan), x_event=x_event,
        day0=np.full(len(asset_index), np.datetime64("NaT"), dtype="datetime64[D]"),
        disturbance_var=np.where(blank, np.nan, event_var), asset_index=asset_index,
        day0_index=np.asarray(bar0_index, dtype=np.intp),
    )
    reason = np.full(len(asset_index), "", dtype=object)
    reason[~regular & located] = "the model's regressors do not vary in the estimation bars"
    reason[flat] = FLAT_REASON
    reason[~enough & located] = [f"only {m} estimation bars, fewer than the minimum {min_estimation}"
                                 for m in n[~enough & located]]
    reason[~located] = "no price data on or after the announcement"
    output = EngineOutput(arrays=arrays, fitted=ok, reason=reason,
                          expected=np.where(blank, np.nan, expected))
    return BarFit(output=output, event_slots=s_ev, est_slots=s, slot_bars=event_n)


def _slot_variances(resid: np.ndarray, slots: np.ndarray, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """``(P, S)`` sample variance (``ddof = 1``) of each slot's residuals, and its count."""
    p = resid.shape[0]
    valid = np.isfinite(resid) & (slots >= 0)
    index = (np.arange(p)[:, None] * n_slots + np.clip(slots, 0, None))[valid]
    values = resid[valid]
    counts = np.bincount(index, minlength=p * n_slots).reshape(p, n_slots)
    sums = np.bincount(index, values, minlength=p * n_slots).reshape(p, n_slots)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    squares = np.bincount(index, (values - means.ravel()[index]) ** 2, minlength=p * n_slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = squares.reshape(p, n_slots) / (counts - 1)
    return np.where(counts >= MIN_SLOT_BARS, variance, np.nan), counts


class _Gather:
    """Take windows relative to each pair's bar 0 from ``(N, T)`` arrays, NaN outside."""

    def __init__(self, length: int, est_bars: np.ndarray, event_bars: np.ndarray) -> None:
        self.left = max(0, -int(min(est_bars[0], event_bars[0])))
        self.right = max(0, int(max(est_bars[-1], event_bars[-1])) + 1)
        self.width = length + self.left + self.right

    def __call__(self, values: np.ndarray, assets: np.ndarray, bar0: np.ndarray, bars: np.ndarray,
                 fill: float = np.nan) -> np.ndarray:
        padded = np.full((values.shape[0], self.width), fill)
        padded[:, self.left: self.left + values.shape[1]] = values
        positions = (assets * self.width + self.left + bar0)[:, None] + bars[None, :]
        return padded.ravel().take(positions)


def clock_time_pvalue(est_ar: np.ndarray, est_slots: np.ndarray, anchor_slot: np.ndarray,
                      start: int, end: int, car: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided empirical p-value of each CAR against same-clock-time CARs of estimation days.

    For pair ``p``, every estimation bar ``j`` in bar 0's slot (``anchor_slot[p]``: a
    13:30 bar 0 is compared with the 13:30 bars, an opening bar 0 with opening bars)
    gives one CAR, the sum of residuals over bars ``j + start .. j + end``, when all of
    them lie in the estimation window and are present. The p-value is
    ``min(1, 2 * min(1 + #{X >= car}, 1 + #{X <= car}) / (1 + n))``, the rank test of
    :func:`eventstudy.models.engine.empirical_pvalue` restricted to that clock time;
    NaN with fewer than :data:`MIN_EMPIRICAL` such CARs.

    Returns
    -------
    pvalue, n : numpy.ndarray
        Per pair.
    """
    p, length = est_ar.shape
    finite = np.isfinite(est_ar)
    zero = np.zeros((p, 1))
    sums = np.concatenate([zero, np.cumsum(np.where(finite, est_ar, 0.0), axis=1)], axis=1)
    counts = np.concatenate([zero, np.cumsum(finite, axis=1)], axis=1)
    first, last = max(0, -start), length - 1 - max(0, end)
    anchors = np.arange(first, last + 1)
    if anchors.size == 0:
        return np.full(p, np.nan), np.zeros(p, dtype=np.int64)
    lo, hi = anchors + start, anchors + end + 1
    rolling = sums[:, hi] - sums[:, lo]
    complete = (counts[:, hi] - counts[:, lo]) == (end - start + 1)
    usable = complete & (est_slots[:, anchors] == np.asarray(anchor_slot)[:, None])
    n = usable.sum(axis=1)
    above = (usable & (rolling >= car[:, None])).sum(axis=1)
    below = (usable & (rolling <= car[:, None])).sum(axis=1)
    pvalue = np.minimum(2.0 * np.minimum(1 + above, 1 + below) / (1 + n), 1.0)
    return np.where((n >= MIN_EMPIRICAL) & np.isfinite(car), pvalue, np.nan), n
