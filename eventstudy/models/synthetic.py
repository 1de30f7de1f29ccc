"""Synthetic control for a single treated series (Abadie, Diamond & Hainmueller 2010).

The counterfactual of the treated series (say IMOEX) is a convex combination of
donor series that the event did not touch: weights ``w_j >= 0`` with
``sum w_j = 1`` minimise the estimation-window fit

    min_w  sum_t (y_t - sum_j w_j d_jt)^2      (ADH 2010, eq. 2 with V = I),

solved by sequential least squares programming (scipy SLSQP) on the scaled
problem. Here the outcomes are daily returns on the treated series' trading days,
so the synthetic return is the "normal return" and the gap ``y_t - sum_j w_j d_jt``
is an abnormal return; its sum over the event window is a CAR.

Inference is by placebo (ADH 2010, section 2.3): every donor in turn is treated as
if it were the treated unit, with the remaining donors as its pool, and each unit's
ratio of post-event to pre-event root mean squared prediction error
``RMSPE_post / RMSPE_pre`` is computed. The p-value is the rank of the treated
unit's ratio among the ``J + 1`` ratios (1 = largest) divided by ``J + 1``; with
``J`` donors the smallest attainable p-value is ``1 / (J + 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from eventstudy.errors import InputError


def convex_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that best fit ``target`` by ``donors @ w``.

    Parameters
    ----------
    target
        ``(T,)`` the treated unit's pre-event outcomes.
    donors
        ``(T, J)`` the donors' outcomes on the same days.

    Returns
    -------
    numpy.ndarray
        ``(J,)`` weights; NaN when the optimiser did not converge.

    Examples
    --------
    >>> d = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> convex_weights(d @ np.array([0.25, 0.75]), d).round(6).tolist()
    [0.25, 0.75]
    """
    j = donors.shape[1]
    if j == 1:
        return np.ones(1)
    scale = float(np.sqrt(np.mean(target**2))) or 1.0
    y, d = target / scale, donors / scale
    gram, cross = d.T @ d, d.T @ y

    def loss(w: np.ndarray) -> float:
        return float(w @ gram @ w - 2 * cross @ w)

    def gradient(w: np.ndarray) -> np.ndarray:
        return 2 * (gram @ w - cross)

    result = optimize.minimize(
        loss, np.full(j, 1.0 / j), jac=gradient, method="SLSQP", bounds=[(0.0, 1.0)] * j,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}],
        options={"ftol": 1e-15, "maxiter": 1000})
    if not result.success:
        return np.full(j, np.nan)
    w = np.clip(result.x, 0.0, None)
    return w / w.sum()


@dataclass(frozen=True)
class SyntheticControl:
    """A fitted synthetic control and its placebo inference.

    Attributes
    ----------
    weights : pandas.Series
        Donor weights (non-negative, summing to one).
    synthetic : pandas.Series
        The counterfactual ``sum_j w_j d_jt`` on the estimation and event windows.
    gap : pandas.Series
        Treated minus synthetic on the same days (abnormal returns).
    car : float
        Sum of the gap over the event window.
    rmspe_pre, rmspe_post, ratio : float
        Root mean squared gap before and after the event, and ``post / pre``.
    placebo_ratios : pandas.Series
        The ratio of every unit (treated first, then each donor treated in turn).
    rank : int
        The treated unit's rank among ``placebo_ratios`` (1 = largest).
    pvalue : float
        ``rank / (J + 1)``.
    """

    weights: pd.Series
    synthetic: pd.Series
    gap: pd.Series
    car: float
    rmspe_pre: float
    rmspe_post: float
    ratio: float
    placebo_ratios: pd.Series
    rank: int
    pvalue: float


def _fit_unit(outcomes: pd.DataFrame, unit: str, pool: list[str], pre: np.ndarray,
              post: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Weights, gap over ``pre | post`` rows, and the RMSPE ratio of one unit."""
    y, d = outcomes[unit].to_numpy(), outcomes[pool].to_numpy()
    w = convex_weights(y[pre], d[pre])
    gap = y - d @ w
    ratio = float(np.sqrt(np.mean(gap[post] ** 2)) / np.sqrt(np.mean(gap[pre] ** 2)))
    return w, gap, ratio


def synthetic_control(outcomes: pd.DataFrame, treated: str, donors: Sequence[str],
                      day0: str | pd.Timestamp, estimation: tuple[int, int] = (-250, -11),
                      window: tuple[int, int] = (0, 5)) -> SyntheticControl:
    """Synthetic control of ``treated`` from ``donors`` around one event.

    Parameters
    ----------
    outcomes
        Date x unit frame of outcomes (daily returns) on the treated unit's trading
        days, donors already aligned to them without look-ahead.
    treated, donors
        Column names: the treated unit and the donor pool (at least 2 donors).
    day0
        The event's day 0 (a date of ``outcomes``, or the next one after it).
    estimation, window
        Estimation window (weights, pre-event RMSPE) and event window (gap, CAR,
        post-event RMSPE), in the treated unit's trading days relative to day 0.

    Raises
    ------
    InputError
        For unknown columns, fewer than 2 donors, windows outside the data, or
        missing values in the windows.
    """
    pool = list(donors)
    missing = [c for c in [treated, *pool] if c not in outcomes.columns]
    if missing:
        raise InputError(f"no column {missing[0]!r} in the outcomes",
                         fix=f"use one of {', '.join(map(str, outcomes.columns))}")
    if len(pool) < 2 or treated in pool:
        raise InputError("a synthetic control needs at least 2 donors other than the treated series",
                         fix="name more donor series")
    frame = outcomes[[treated, *pool]].sort_index()
    position = int(pd.DatetimeIndex(frame.index).searchsorted(pd.Timestamp(day0), side="left"))
    first, last = position + estimation[0], position + window[1]
    if first < 0 or last >= len(frame) or estimation[1] >= window[0]:
        raise InputError(f"windows [{estimation[0]},{estimation[1]}] and [{window[0]},{window[1]}] "
                         f"around {pd.Timestamp(day0).date()} do not fit the data or overlap",
                         fix="use data covering both windows, the estimation window first")
    days = np.arange(len(frame)) - position
    pre = (days >= estimation[0]) & (days <= estimation[1])
    post = (days >= window[0]) & (days <= window[1])
    used = frame[pre | post]
    if used.isna().any().any():
        bad = used.columns[used.isna().any()][0]
        raise InputError(f"missing values of {bad!r} in the windows", column=str(bad),
                         fix="align the donors to the treated calendar (carry the last value forward)")
    pre, post = pre[pre | post], post[pre | post]

    weights, gap, ratio = _fit_unit(used, treated, pool, pre, post)
    ratios = {treated: ratio}
    for donor in pool:
        ratios[donor] = _fit_unit(used, donor, [c for c in pool if c != donor], pre, post)[2]
    placebo = pd.Series(ratios, name="rmspe_ratio")
    rank = int((placebo >= ratio).sum())
    synthetic = pd.Series(used[pool].to_numpy() @ weights, index=used.index, name="synthetic")
    return SyntheticControl(
        weights=pd.Series(weights, index=pool, name="weight"), synthetic=synthetic,
        gap=pd.Series(gap, index=used.index, name="gap"), car=float(gap[post].sum()),
        rmspe_pre=float(np.sqrt(np.mean(gap[pre] ** 2))), rmspe_post=float(np.sqrt(np.mean(gap[post] ** 2))),
        ratio=ratio, placebo_ratios=placebo, rank=rank, pvalue=rank / len(placebo))
