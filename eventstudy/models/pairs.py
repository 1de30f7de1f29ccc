"""Stacked per-pair arrays: the hand-off from the engine to the statistical tests.

The engine (:mod:`eventstudy.models.engine`) fits the normal-return model for every
event-asset pair at once and stores what the tests need as arrays whose first axis
is the pair. Event time runs along the second axis: column ``j`` of ``ar`` is the
relative day ``event_days[j]``, column ``j`` of ``est_ar`` is ``est_days[j]``.
Calendar dates of any relative day come from :meth:`PairArrays.dates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairArrays:
    """Abnormal returns and model terms for ``P`` event-asset pairs.

    Attributes
    ----------
    event_days : (W,) int
        Relative trading days of the event window, e.g. ``-10 .. 10``.
    ar : (P, W) float
        Abnormal returns in the event window; NaN where the asset has no data.
    var_ar : (P, W) float
        Variance of each AR including estimation error,
        ``sigma2 * (1 + x_t' (X'X)^-1 x_t)`` (MacKinlay 1997, eq. 7).
    est_days : (L,) int
        Relative trading days of the estimation window, e.g. ``-250 .. -11``.
    est_ar : (P, L) float
        Estimation-window residuals (abnormal returns) in event time; NaN where an
        observation is missing or excluded from estimation.
    sigma2 : (P,) float
        Residual variance ``SSR / dof``.
    dof : (P,) int
        Residual degrees of freedom ``n_est - K``.
    n_est : (P,) int
        Estimation observations actually used.
    xtx_inv : (P, K, K) float
        ``(X'X)^-1`` of the estimation regression (``K = 0`` for models with no
        estimated parameters, such as market-adjusted).
    x_event : (P, W, K) float
        Regressors on the event-window days.
    day0 : (P,) datetime64[D]
        Calendar date of day 0 for each pair (used to detect clustering).
    disturbance_var : (P, W) float or None
        Variance of the disturbance on each event-window day when it is not the
        constant ``sigma2`` (GARCH: the conditional variance forecast); ``None`` for
        the OLS models.
    asset_index, day0_index : (P,) int or None
        The pair's row in ``calendar`` (its asset) and the position of day 0 on that
        row, as given to :func:`~eventstudy.models.engine.fit_pairs` (which fills them).
    calendar : (N, T) datetime64[D] or None
        The date of every position of each asset's return axis (NaT beyond its data),
        the axes the engine was given. With it and the two indices, :meth:`dates`
        gives each pair's trading dates exactly; without it they are approximated.
    """

    event_days: np.ndarray
    ar: np.ndarray
    var_ar: np.ndarray
    est_days: np.ndarray
    est_ar: np.ndarray
    sigma2: np.ndarray
    dof: np.ndarray
    n_est: np.ndarray
    xtx_inv: np.ndarray
    x_event: np.ndarray
    day0: np.ndarray
    disturbance_var: np.ndarray | None = None
    asset_index: np.ndarray | None = None
    day0_index: np.ndarray | None = None
    calendar: np.ndarray | None = None

    @property
    def n_pairs(self) -> int:
        """Number of pairs ``P``."""
        return int(self.ar.shape[0])

    def columns(self, start: int, end: int) -> slice:
        """Slice of event-window columns covering relative days ``start..end``."""
        first = int(self.event_days[0])
        if start < first or end > int(self.event_days[-1]) or start > end:
            raise ValueError(f"window [{start}, {end}] is outside the event window")
        return slice(start - first, end - first + 1)

    def car(self, start: int, end: int) -> np.ndarray:
        """Cumulative abnormal return over ``[start, end]`` per pair (NaN if any AR is)."""
        return self.ar[:, self.columns(start, end)].sum(axis=1)

    def car_variance(self, start: int, end: int) -> np.ndarray:
        """MacKinlay (1997, eq. 14) variance of CAR over ``[start, end]`` per pair.

        ``sigma2 * (L2 + s' (X'X)^-1 s)`` with ``s`` the sum of the window's
        regressor rows: the ``L2 * sigma2`` disturbance term plus the estimation
        error of the model's parameters. With ``disturbance_var`` (GARCH), the
        disturbance term is the sum of the window's daily variances instead.
        """
        return self.car_variances(start, np.array([end]))[:, 0]

    def car_variances(self, start: int, ends: np.ndarray) -> np.ndarray:
        """:meth:`car_variance` over ``[start, end]`` for each of ``ends`` (ascending, from
        ``start``), ``(P, len(ends))``: the windows' regressor sums and daily variances as
        running sums, so a path of CARs costs one pass, not one per day (and the path's last
        variance is the window's, to the bit)."""
        ends = np.asarray(ends, dtype=np.int64)
        cols = self.columns(start, int(ends[-1]))
        at = ends - start
        s = np.cumsum(self.x_event[:, cols, :], axis=1)[:, at, :]
        estimation_term = self.sigma2[:, None] * np.einsum("pek,pkj,pej->pe", s, self.xtx_inv, s)
        if self.disturbance_var is None:
            return self.sigma2[:, None] * (at + 1)[None, :] + estimation_term
        return np.cumsum(self.disturbance_var[:, cols], axis=1)[:, at] + estimation_term

    def dates(self, days: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Calendar dates of relative trading ``days`` for each pair, ``(P, len(days))``.

        Read from ``calendar`` at ``day0_index + day`` on the pair's asset row when the
        three are known (NaT outside the asset's data); otherwise approximated by
        Monday-Friday business days counted from the pair's ``day0`` date
        (``numpy.busday_offset``; day 0 itself is kept even on a weekend; holidays and
        weekend sessions are not known then).
        A pair with an unknown day 0 gets NaT. ``rows`` selects pairs (default all).
        """
        days = np.asarray(days, dtype=np.int64)
        rows = slice(None) if rows is None else rows
        if self.calendar is None or self.asset_index is None or self.day0_index is None:
            day0 = np.asarray(self.day0, dtype="datetime64[D]")[rows][:, None]
            after = np.busday_offset(day0, np.maximum(days, 0)[None, :], roll="backward")
            before = np.busday_offset(day0, np.minimum(days, 0)[None, :], roll="forward")
            return np.where(days[None, :] > 0, after, np.where(days[None, :] < 0, before, day0))
        n_assets, width = self.calendar.shape
        day0_index = np.asarray(self.day0_index)[rows]
        position = day0_index[:, None] + days[None, :]
        inside = (position >= 0) & (position < width) & (day0_index[:, None] >= 0)
        flat = np.asarray(self.asset_index)[rows][:, None] * width + np.where(inside, position, 0)
        values = np.asarray(self.calendar, dtype="datetime64[D]").ravel().take(flat)
        return np.where(inside, values, np.datetime64("NaT"))

    def subset(self, mask: np.ndarray) -> PairArrays:
        """The pairs selected by a boolean mask (or an index array)."""
        return PairArrays(
            event_days=self.event_days,
            ar=self.ar[mask],
            var_ar=self.var_ar[mask],
            est_days=self.est_days,
            est_ar=self.est_ar[mask],
            sigma2=self.sigma2[mask],
            dof=self.dof[mask],
            n_est=self.n_est[mask],
            xtx_inv=self.xtx_inv[mask],
            x_event=self.x_event[mask],
            day0=self.day0[mask],
            disturbance_var=None if self.disturbance_var is None else self.disturbance_var[mask],
            asset_index=None if self.asset_index is None else self.asset_index[mask],
            day0_index=None if self.day0_index is None else self.day0_index[mask],
            calendar=self.calendar,
        )
