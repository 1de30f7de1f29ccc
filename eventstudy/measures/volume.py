"""Abnormal trading volume: abnormal log volume (Campbell & Wasley 1996).

The volume measure of a day is the log of its trading volume (shares, lots) or
turnover (value traded), ``V_t = log(v_t)``. Abnormal log volume is ``V_t`` minus its
normal level, estimated on the estimation window exactly as for returns:

- mean-adjusted (the engine's ``constant-mean`` model): ``AV_t = V_t - mean(V_est)``,
  Campbell & Wasley (1996, eq. 2);
- market model (the engine's ``market`` model on the market's log volume):
  ``AV_t = V_t - (a + b V_m,t)``, Campbell & Wasley (1996, eq. 3), with ``a, b`` by OLS.

So the volume series enters the engine in place of returns ("returns-like"): the
same estimation, AR, CAR and test machinery applies unchanged.

Zero-volume days. The log is undefined at zero. Campbell & Wasley add a small
constant to turnover in percent (``log(100 n_t + 0.000255)``, after Cready & Ramanan
1991). Here the default is to treat a zero-volume day as **missing** (NaN): the
shared MOEX panel has no zero-volume rows; a session without trades in our data is
a halt or a data gap rather than a low-volume observation; and a constant shift is
unit-dependent (one share vs one rouble vs one lot), so ``log(1 + v)`` would make a
zero day an arbitrary, extreme outlier that dominates the estimation variance. A
missing event-window day makes the CARs covering it NaN, as for a missing price;
:func:`zero_volume_days` lists such days so a caller can give the reason. Pass
``shift`` (e.g. ``0.000255`` for turnover in percent) for Campbell & Wasley's
constant instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.models.engine import EngineOutput, fit_pairs
from eventstudy.sources.volumes import VOLUME_COLUMNS


def pick_volume_column(columns: Iterable[object], source: str | None = None,
                       requested: str | None = None) -> str:
    """The volume column to use among a file's ``columns``.

    Parameters
    ----------
    columns
        The file's column names.
    source
        ``"moex"``, ``"panel"`` or ``"yahoo"`` (keys of :data:`VOLUME_COLUMNS`); ``None``
        tries every source's names in that order.
    requested
        A column the user named (the ``volume_column`` setting); used as is if present.

    Raises
    ------
    InputError
        For an unknown source, or when no volume column (or the requested one) exists.

    Examples
    --------
    >>> pick_volume_column(["date", "close", "volume", "value"], "panel")
    'value'
    """
    names = [str(c) for c in columns]
    if requested is not None:
        if requested in names:
            return requested
        raise InputError(f"no volume column {requested!r} (columns: {', '.join(names)})",
                         column=requested, fix="set volume_column to one of the columns listed")
    if source is not None and source not in VOLUME_COLUMNS:
        raise InputError(f"unknown volume source {source!r}", fix=f"use one of {', '.join(VOLUME_COLUMNS)}")
    candidates = VOLUME_COLUMNS[source] if source else tuple(c for cs in VOLUME_COLUMNS.values() for c in cs)
    for candidate in candidates:
        if candidate in names:
            return candidate
    raise InputError(f"no volume column among {', '.join(names)}",
                     fix=f"name one with volume_column (known names: {', '.join(candidates)})")


def log_volume(volume: pd.Series, shift: float = 0.0) -> pd.Series:
    """The log volume ``log(v_t + shift)``, the series the engine fits.

    Parameters
    ----------
    volume
        Volume or turnover by date (non-negative).
    shift
        ``0`` (default): zero-volume days become NaN (missing). ``> 0``: added before
        the log, as Campbell & Wasley's (1996) ``0.000255`` on turnover in percent.

    Raises
    ------
    InputError
        On a negative volume or a negative shift.

    Examples
    --------
    >>> log_volume(pd.Series([1.0, 0.0, np.e])).tolist()
    [0.0, nan, 1.0]
    """
    values = volume.to_numpy(dtype=float)
    if shift < 0:
        raise InputError(f"volume shift {shift} is negative", fix="use 0 or a small positive constant")
    if (values[np.isfinite(values)] < 0).any():
        first = volume.index[np.nonzero(values < 0)[0][0]]
        raise InputError(f"negative volume on {first}", column=str(volume.name),
                         fix="check the volume column (volumes are counts or turnover)")
    shifted = values + shift
    with np.errstate(divide="ignore"):
        logged = np.where(shifted > 0, np.log(np.where(shifted > 0, shifted, 1.0)), np.nan)
    return pd.Series(np.where(np.isfinite(values), logged, np.nan), index=volume.index, name=volume.name)


def zero_volume_days(volume: pd.Series) -> pd.DatetimeIndex:
    """Dates with zero volume (missing under the default ``shift = 0``)."""
    return pd.DatetimeIndex(volume.index[volume.to_numpy(dtype=float) == 0])


def abnormal_log_volume(
    volume: pd.Series,
    event_dates: Sequence[str | pd.Timestamp],
    estimation: tuple[int, int] = (-250, -11),
    event_window: tuple[int, int] = (-10, 10),
    market_volume: pd.Series | None = None,
    shift: float = 0.0,
    min_estimation: int = 100,
) -> EngineOutput:
    """Abnormal log volume of one series around each event, through the engine.

    ``AV_t = log v_t - mean(log v)`` over the estimation window (Campbell & Wasley
    1996, eq. 2), or, with ``market_volume``, ``AV_t = log v_t - (a + b log v_m,t)``
    with ``a, b`` fitted by OLS on the estimation window (their eq. 3). Day 0 is the
    first date of ``volume`` on or after each event date; windows count the series'
    own trading days. The market's volume enters on the same dates (NaN where it
    has none).

    Parameters
    ----------
    volume
        Volume or turnover by date (the asset's own trading days), sorted.
    event_dates
        Event dates (bare dates: day 0 is that date or the next trading day).
    estimation, event_window
        Inclusive windows in trading days relative to day 0.
    market_volume
        The market's volume or turnover by date, for the market model.
    shift
        See :func:`log_volume`.
    min_estimation
        Minimum estimation observations.

    Returns
    -------
    EngineOutput
        ``arrays.ar`` is the abnormal log volume ``(events, W)``; ``expected`` the
        normal log volume; ``arrays.car`` cumulates it over a window.
    """
    series = log_volume(volume.sort_index(), shift)
    y = series.to_numpy()[None, :]
    if market_volume is None:
        regressors = np.empty((1, y.shape[1], 0))
    else:
        market = log_volume(market_volume.sort_index(), shift).reindex(series.index)
        regressors = market.to_numpy()[None, :, None]
    dates = pd.DatetimeIndex(series.index)
    wanted = pd.DatetimeIndex([pd.Timestamp(d) for d in event_dates])
    positions = dates.searchsorted(wanted, side="left")
    day0 = np.where(positions < len(dates), positions, -1)
    day0_dates = np.array([dates[p] if p >= 0 else pd.NaT for p in day0], dtype="datetime64[D]")
    return fit_pairs(y, regressors, None, np.zeros(len(day0), dtype=np.intp), day0,
                     estimation=estimation, event_window=event_window, min_estimation=min_estimation,
                     day0_dates=day0_dates)
