"""An event dummy in the GARCH(1,1) variance equation, by maximum likelihood.

Does volatility rise on event days beyond what volatility clustering predicts? The
market model with GARCH(1,1) errors gets event dummies ``D_t`` (1 on the event
days) in both equations:

    r_t = a + b m_t + g D_t + e_t,          e_t | past ~ N(0, h_t),
    h_t = omega + alpha e_{t-1}^2 + beta h_{t-1} + delta D_t,

fitted on the estimation and event windows together; ``delta > 0`` is
event-induced variance beyond the GARCH dynamics, ``g`` the mean abnormal return
of an event day (Savickas 2003, eq. 5-6; the variance-dummy form of Bollerslev's
GARCH with exogenous variables, "GARCH-X").

The ``arch`` package has no exogenous regressors in the variance equation (its
issue #160), so the likelihood is maximised here with scipy SLSQP on arch's own
conventions: returns in percent, the recursion started from arch's backcast
(exponentially weighted mean of the first 75 squared OLS residuals, weights
``0.94^j``) for both ``e_{-1}^2`` and ``h_{-1}``, constraints ``omega > 0``,
``alpha, beta >= 0``, ``alpha + beta < 1`` and ``omega + delta > 0``. With no
variance regressor it reproduces ``arch_model(..., mean="LS", vol="GARCH")``.
``delta`` is tested by the likelihood ratio ``2 (l_1 - l_0) ~ chi2(1)`` against the
fit without the variance dummy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from eventstudy.errors import InputError

SCALE = 100.0  # returns in percent, as arch fits them
BACKCAST_LAGS = 75
BACKCAST_DECAY = 0.94


@dataclass(frozen=True)
class GarchXFit:
    """A GARCH(1,1)-X fit.

    Attributes
    ----------
    params : numpy.ndarray
        ``[mean coefficients..., omega, alpha, beta, variance coefficients...]`` on
        returns in percent (omega and delta in percent squared).
    loglik : float
        Maximised Gaussian log-likelihood (of the percent returns, as arch reports it).
    conditional_variance : numpy.ndarray
        ``h_t`` in percent squared.
    converged : bool
        Whether the optimiser reported success.
    """

    params: np.ndarray
    loglik: float
    conditional_variance: np.ndarray
    converged: bool


def arch_backcast(residuals: np.ndarray) -> float:
    """arch's starting value of the recursion: ``sum_j w_j e_j^2``, ``w_j ∝ 0.94^j``, ``j < 75``."""
    tau = min(BACKCAST_LAGS, residuals.size)
    weights = BACKCAST_DECAY ** np.arange(tau)
    return float(np.sum(residuals[:tau] ** 2 * weights / weights.sum()))


def conditional_variance(residuals: np.ndarray, omega: float, alpha: float, beta: float,
                         exog: np.ndarray, delta: np.ndarray, backcast: float) -> np.ndarray:
    """``h_t = omega + alpha e_{t-1}^2 + beta h_{t-1} + exog_t' delta``, ``h_{-1} = e_{-1}^2 = backcast``."""
    shift = exog @ delta if exog.shape[1] else np.zeros(residuals.size)
    h = np.empty(residuals.size)
    previous_e2, previous_h = backcast, backcast
    for t in range(residuals.size):
        h[t] = omega + alpha * previous_e2 + beta * previous_h + shift[t]
        previous_e2, previous_h = residuals[t] ** 2, h[t]
    return h


def gaussian_loglik(residuals: np.ndarray, h: np.ndarray) -> float:
    """``-1/2 sum (log 2 pi + log h_t + e_t^2 / h_t)``."""
    return float(-0.5 * np.sum(np.log(2 * np.pi) + np.log(h) + residuals**2 / h))


def fit_garch_x(y: np.ndarray, mean_regressors: np.ndarray,
                variance_regressors: np.ndarray | None = None) -> GarchXFit:
    """Maximum likelihood of a linear mean with GARCH(1,1)-X errors (arch's conventions).

    Parameters
    ----------
    y
        ``(T,)`` returns in percent.
    mean_regressors
        ``(T, k)`` mean-equation regressors, including the constant column.
    variance_regressors
        ``(T, m)`` variance-equation regressors (event dummies), or ``None``.

    Returns
    -------
    GarchXFit

    Raises
    ------
    InputError
        On missing values or fewer observations than parameters plus 2.
    """
    x = np.asarray(mean_regressors, dtype=float)
    z = np.empty((y.size, 0)) if variance_regressors is None else np.asarray(variance_regressors, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    k, m = x.shape[1], z.shape[1]
    if not (np.isfinite(y).all() and np.isfinite(x).all() and np.isfinite(z).all()):
        raise InputError("missing values in the GARCH sample", fix="drop the days with missing returns first")
    if y.size < k + m + 5:
        raise InputError(f"{y.size} observations for {k + m + 3} GARCH parameters",
                         fix="use a longer estimation window")
    ols = np.linalg.lstsq(x, y, rcond=None)[0]
    backcast = arch_backcast(y - x @ ols)
    variance = float(np.var(y - x @ ols))

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, float, float, float, np.ndarray]:
        return theta[:k], float(theta[k]), float(theta[k + 1]), float(theta[k + 2]), theta[k + 3:]

    def negative_loglik(theta: np.ndarray) -> float:
        mean, omega, alpha, beta, delta = unpack(theta)
        e = y - x @ mean
        h = conditional_variance(e, omega, alpha, beta, z, delta, backcast)
        if not (h > 0).all():
            return 1e10
        return -gaussian_loglik(e, h) / y.size

    constraints = [{"type": "ineq", "fun": lambda t: 1.0 - t[k + 1] - t[k + 2]}]
    if m:
        constraints += [{"type": "ineq", "fun": lambda t, j=j: t[k] + t[k + 3 + j]} for j in range(m)]
    bounds = ([(None, None)] * k + [(1e-5 * variance, 10 * variance), (0.0, 1.0), (0.0, 1.0)]
              + [(-10 * variance, 10 * variance)] * m)
    best = None
    for alpha0, persistence in [(0.05, 0.95), (0.1, 0.9), (0.05, 0.99), (0.2, 0.9)]:
        garch_start = [(1 - persistence) * variance, alpha0, persistence - alpha0]
        start = np.concatenate([ols, garch_start, np.zeros(m)])
        result = optimize.minimize(negative_loglik, start, method="SLSQP", bounds=bounds,
                                   constraints=constraints, options={"ftol": 1e-14, "maxiter": 2000})
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    mean, omega, alpha, beta, delta = unpack(best.x)
    e = y - x @ mean
    h = conditional_variance(e, omega, alpha, beta, z, delta, backcast)
    return GarchXFit(params=best.x, loglik=gaussian_loglik(e, h), conditional_variance=h,
                     converged=bool(best.success))


@dataclass(frozen=True)
class EventVarianceTest:
    """The event variance dummy of one pair.

    Attributes
    ----------
    delta : float
        Variance added on each event day, in return units squared (not percent).
    mean_shift : float
        ``g``, the event days' mean abnormal return (return units).
    lr : float, pvalue : float
        Likelihood-ratio statistic for ``delta = 0`` and its chi2(1) p-value.
    converged : bool
        Both fits converged (otherwise do not use the numbers).
    """

    delta: float
    mean_shift: float
    lr: float
    pvalue: float
    converged: bool


def event_variance_test(returns: np.ndarray, market: np.ndarray | None,
                        event_days: np.ndarray) -> EventVarianceTest:
    """GARCH(1,1) market model with event dummies in mean and variance; LR test of ``delta = 0``.

    Parameters
    ----------
    returns
        ``(T,)`` the asset's returns over the estimation and event windows, in
        return units (log or simple), no missing values.
    market
        ``(T,)`` the benchmark's returns, or ``None`` for a constant mean.
    event_days
        ``(T,)`` bool, True on the event days (the CAR window).
    """
    days = np.asarray(event_days, dtype=float)
    if days.sum() == 0 or days.sum() == days.size:
        raise InputError("the event dummy must be 1 on some days and 0 on others",
                         fix="cover the estimation window and the event window")
    y = SCALE * np.asarray(returns, dtype=float)
    columns = [np.ones_like(y)] + ([] if market is None else [SCALE * np.asarray(market, dtype=float)])
    x = np.column_stack([*columns, days])
    restricted = fit_garch_x(y, x)
    full = fit_garch_x(y, x, days)
    lr = max(0.0, 2 * (full.loglik - restricted.loglik))
    return EventVarianceTest(delta=float(full.params[-1]) / SCALE**2,
                             mean_shift=float(full.params[x.shape[1] - 1]) / SCALE, lr=lr,
                             pvalue=float(stats.chi2.sf(lr, 1)),
                             converged=restricted.converged and full.converged)
