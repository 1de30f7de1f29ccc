"""Event-dummy regression with HAC (Newey-West) standard errors: a single-series cross-check.

For one asset, the normal-return model and the abnormal returns are estimated in one
OLS regression (Thompson 1985; Binder 1998, sec. 3; Karafiath 1988)::

    r_t = a + b' m_t + sum_e sum_{k=start..end} g_{e,k} D_{e,k,t} + u_t

where ``D_{e,k,t} = 1`` on the ``k``-th trading day after event ``e``'s day 0. Each
dummy absorbs its day, so ``g_{e,k}`` equals the abnormal return on that day with
``a, b`` fitted on the non-event days of the sample (Frisch-Waugh), and the event's
CAR is ``sum_k g_{e,k}``.

Standard error. ``CAR_e - true CAR = sum_{t in window} u_t - s'(b_hat - b)``: the
window's own disturbances plus the estimation error of the normal model. The second
term's variance is the Wald variance of ``sum_k g_{e,k}`` under the Newey-West
(1987) HAC covariance of statsmodels (``fit(cov_type="HAC")``, ``t_test``). That
covariance alone would miss the first term: each dummied day is fitted exactly
(leverage 1, zero residual), so a robust sandwich sees no disturbance there and
would overstate significance several-fold. We therefore add the HAC estimate of
``Var(sum of L2 consecutive u_t)``, ``L2 g_0 + 2 sum_l (L2 - l) g_l`` from the sample
autocovariances ``g_l`` of the non-event residuals (lags up to ``maxlags``). Then
``t = CAR / se`` is referred to the standard normal (HAC inference is asymptotic);
tests/test_dummy_regression.py checks its size by simulation.

Estimation sample
-----------------
By default the sample is the union over events of the estimation window
``[day0 + estimation[0], day0 + estimation[1]]`` and the dummied event window
``[day0 + start, day0 + end]``, in the series' own trading days: the same normal-
return days as the main engine, the gap between them left out. ``estimation=None``
uses every date of the series instead (more data for ``a, b``, but post-event days
then shape the normal model too). Dates where the asset or a benchmark is missing
are dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import InputError

__all__ = ["event_dummy_regression", "newey_west_lags"]

COLUMNS = ["day0", "car", "se", "statistic", "pvalue", "n_obs", "maxlags"]


def newey_west_lags(n_obs: int) -> int:
    """Newey & West (1994) rule of thumb ``floor(4 (T / 100)^(2/9))``."""
    return int(np.floor(4 * (n_obs / 100) ** (2 / 9)))


def event_dummy_regression(
    returns: pd.Series,
    events_day0: list[pd.Timestamp],
    window: tuple[int, int] = (0, 0),
    benchmarks: pd.DataFrame | None = None,
    maxlags: int | None = None,
    *,
    estimation: tuple[int, int] | None = (-250, -11),
) -> pd.DataFrame:
    """CAR of each event from one OLS with event-day dummies and HAC errors.

    Parameters
    ----------
    returns
        One asset's returns indexed by its trading dates (ascending).
    events_day0
        Day 0 of each event. A date the asset did not trade maps to its next
        session (``docs/events-file.md``, "When an event happened: day 0").
    window
        ``(start, end)`` relative trading days dummied for every event; the CAR is
        the sum of their coefficients.
    benchmarks
        Regressors of the normal-return model (e.g. the market return), indexed by
        date; ``None`` gives the constant-mean model.
    maxlags
        Newey-West lags; ``None`` uses :func:`newey_west_lags` of the sample size.
    estimation
        Relative days of the estimation window around each event, or ``None`` for
        the whole series (see the module notes).

    Returns
    -------
    pandas.DataFrame
        One row per event: ``day0`` (the trading date used), ``car``, ``se``
        (HAC), ``statistic`` (``car / se``), two-sided ``pvalue`` (normal),
        ``n_obs`` (regression sample) and ``maxlags``.

    Raises
    ------
    InputError
        No events, an event outside the series, event windows that overlap (their
        dummies would not be identified), or too few observations.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.bdate_range("2024-01-01", periods=400)
    >>> r = pd.Series(rng.normal(0, 0.01, 400), index=dates)
    >>> r.iloc[300] += 0.05
    >>> out = event_dummy_regression(r, [dates[300]], window=(0, 0))
    >>> round(float(out["car"].iloc[0]), 2)
    0.05
    """
    import statsmodels.api as sm

    start, end = window
    if start > end:
        raise InputError(f"window ({start}, {end}) starts after it ends", fix="give start <= end")
    if not events_day0:
        raise InputError("no events given", fix="pass at least one day-0 date")
    series = returns.sort_index().astype(float)
    dates = pd.DatetimeIndex(series.index)
    found = dates.searchsorted(pd.DatetimeIndex(pd.to_datetime(events_day0)), side="left")
    positions = np.asarray(found, dtype=np.intp)
    for day, pos in zip(events_day0, positions, strict=True):
        if pos + start < 0 or pos + end >= len(dates):
            raise InputError(
                f"event day 0 {pd.Timestamp(day).date()} with window {window} falls outside "
                f"the series ({dates[0].date()} to {dates[-1].date()})",
                fix="drop the event or extend the price history",
            )
    order = np.argsort(positions, kind="stable")
    for a, b in zip(order[:-1], order[1:], strict=True):
        if positions[b] + start <= positions[a] + end:
            raise InputError(
                f"event windows of {dates[positions[a]].date()} and {dates[positions[b]].date()} overlap",
                fix="use a shorter window or study the events separately",
            )

    n_days = end - start + 1
    n_events = len(positions)
    dummies = np.zeros((len(dates), n_events * n_days))
    in_sample = np.zeros(len(dates), dtype=bool) if estimation is not None else None
    for e, pos in enumerate(positions.tolist()):
        for k in range(n_days):
            dummies[pos + start + k, e * n_days + k] = 1.0
        if in_sample is not None and estimation is not None:
            lo, hi = max(pos + estimation[0], 0), min(pos + estimation[1], len(dates) - 1)
            in_sample[lo : hi + 1] = True
            in_sample[pos + start : pos + end + 1] = True

    columns = [np.ones(len(dates))]
    names = ["const"]
    if benchmarks is not None:
        aligned = benchmarks.reindex(dates).astype(float)
        columns += [aligned[c].to_numpy() for c in aligned.columns]
        names += [str(c) for c in aligned.columns]
    exog = np.column_stack(columns + [dummies])
    keep = np.isfinite(series.to_numpy()) & np.isfinite(exog).all(axis=1)
    if in_sample is not None:
        keep &= in_sample
    first_dummy = len(names)
    if not dummies[keep].any(axis=0).all():
        raise InputError(
            "an event-window day has no return (missing data on a dummied day)",
            fix="check the asset's prices around the events",
        )
    n_obs = int(keep.sum())
    n_params = exog.shape[1]
    if n_obs <= n_params + 2:
        raise InputError(
            f"only {n_obs} observations for {n_params} parameters in the dummy regression",
            fix="use a longer estimation window or fewer events",
        )
    lags = newey_west_lags(n_obs) if maxlags is None else int(maxlags)
    fit = sm.OLS(series.to_numpy()[keep], exog[keep]).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    window_variance = _window_disturbance_variance(
        fit.resid, np.asarray(dummies[keep].any(axis=1)), n_days, lags, n_params - dummies.shape[1]
    )
    rows = []
    for e, pos in enumerate(positions.tolist()):
        restriction = np.zeros(n_params)
        restriction[first_dummy + e * n_days : first_dummy + (e + 1) * n_days] = 1.0
        wald = fit.t_test(restriction)
        car = float(np.squeeze(wald.effect))
        estimation_variance = float(np.squeeze(wald.sd)) ** 2
        se = float(np.sqrt(estimation_variance + window_variance))
        statistic = car / se if se > 0 else float("nan")
        rows.append(
            {
                "day0": dates[pos],
                "car": car,
                "se": se,
                "statistic": statistic,
                "pvalue": float(2 * stats.norm.sf(abs(statistic))),
                "n_obs": n_obs,
                "maxlags": lags,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _window_disturbance_variance(
    resid: np.ndarray, dummied: np.ndarray, n_days: int, lags: int, k: int
) -> float:
    """HAC estimate of ``Var(sum of n_days consecutive disturbances)``.

    ``n_days * g_0 + 2 sum_{l=1}^{min(n_days-1, lags)} (n_days - l) g_l`` with ``g_l`` the
    sample autocovariances of the residuals on the non-dummied days (divided by their
    count minus the ``k`` normal-model parameters).
    """
    u = np.asarray(resid, dtype=float)[~dummied]
    dof = u.size - k
    if dof <= 0:
        return float("nan")
    total = n_days * float(u @ u) / dof
    for lag in range(1, min(n_days - 1, lags) + 1):
        total += 2 * (n_days - lag) * float(u[lag:] @ u[:-lag]) / dof
    return max(total, 0.0)
