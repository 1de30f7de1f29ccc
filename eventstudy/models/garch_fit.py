"""One GARCH(1,1) market-model fit, computed exactly as ``arch`` computes it, at lower cost.

``arch_model(y, x=x, mean="LS", vol="GARCH", p=1, q=1, rescale=False).fit()`` (arch 8,
Sheppard et al.) maximises the Gaussian log-likelihood of ``y_t = a + b x_t + e_t``,
``h_t = omega + alpha e_{t-1}^2 + beta h_{t-1}`` with scipy's SLSQP from arch's starting
values, then computes the Bollerslev-Wooldridge (1992) covariance from numerical
derivatives. Most of its time is overhead around arch's compiled variance recursion:
parameter parsing and bookkeeping in each likelihood evaluation, scipy's set-up of a
finite difference for the objective and for each of the four linear constraints at every
SLSQP iteration, 64 likelihoods for 16 distinct starting points, and a result object
holding a deep copy of the model.

:func:`fit_garch11` runs the same steps on the same arch model object, with the same
floating-point operations, so every number is arch's to the last bit:

1. starting values, backcast, variance bounds, parameter bounds and constraints come from
   the model (``starting_values`` of the mean, ``backcast``, ``variance_bounds``,
   ``bounds``, ``constraints``); the volatility's grid start (:func:`grid_start`) evaluates
   each of its 16 distinct points once instead of four times;
2. the objective is arch's negative log-likelihood: residuals from the model
   (``resids``), variances from the compiled recursion arch's ``compute_variance`` calls,
   the expression and sum of arch's ``Normal.loglikelihood``;
3. the gradients SLSQP needs (objective and constraints) are scipy's own one-sided
   differences (:func:`forward_difference`), computed without its per-call set-up; a
   constraint ``x_j >= 0`` gets its Jacobian, the unit row, which is what that difference
   gives bit for bit (``(x_j + h) - x_j`` over itself);
4. SLSQP runs with arch's arguments (bounds, tolerance, options), its compiled solver
   driven step by step as scipy's own driver does (:func:`slsqp_steps`, scipy 1.16+;
   ``minimize`` itself on older scipy);
5. the covariance is arch's ``compute_param_cov``: the statsmodels Hessian and scores of
   the same objective, ``H^-1 S H^-1 / n``.

``tests/test_garch_fit.py`` asserts bitwise equality of the parameters, covariance,
conditional volatilities and convergence flag with a direct ``arch_model(...).fit()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from arch import arch_model
from arch.univariate.volatility import rec as _RECURSIONS  # the recursions arch's GARCH calls
from scipy.optimize import minimize
from statsmodels.tools.numdiff import approx_fprime, approx_hess

try:  # scipy >= 1.16: the compiled SLSQP, one step per call (what its own driver calls)
    from scipy.optimize._slsqplib import slsqp as _SLSQP_STEP
except ImportError:  # pragma: no cover - older scipy
    _SLSQP_STEP = None

LOG_2PI = np.log(2 * np.pi)  # the constant of arch's Normal.loglikelihood, computed the same way
STEP = float(np.sqrt(np.finfo(float).eps))  # SLSQP's default finite-difference step (``eps``)
SLSQP_ACC = 1e-6  # SLSQP's ``ftol`` as arch calls it (scipy's default)
SLSQP_MAX_ITERATIONS = 100  # SLSQP's ``maxiter`` (scipy's default)
GRID_ALPHA = (0.01, 0.05, 0.1, 0.2)  # arch's GARCH.starting_values grid: alpha ...
GRID_PERSISTENCE = (0.5, 0.7, 0.9, 0.98)  # ... and alpha + beta


@dataclass(frozen=True)
class GarchFit:
    """The numbers of one fit, named as arch names them.

    Attributes
    ----------
    params
        ``const, x, omega, alpha, beta`` in the units of ``y`` and ``x``.
    param_cov
        Bollerslev-Wooldridge covariance of ``params`` (arch's ``cov_type="robust"``).
    conditional_volatility
        ``sqrt(h_t)`` at the estimate, one per observation.
    converged
        SLSQP's exit status was 0 (arch's ``convergence_flag == 0``).
    """

    params: np.ndarray
    param_cov: np.ndarray
    conditional_volatility: np.ndarray
    converged: bool


def fit_garch11(y: np.ndarray, x: np.ndarray) -> GarchFit:
    """Fit ``y_t = a + b x_t + e_t`` with GARCH(1,1) normal errors, as arch's ``fit()`` does.

    Parameters
    ----------
    y, x
        The dependent series and the one regressor, equal length, no missing value, in
        the scale the optimiser should see (arch's ``rescale`` is off).

    Returns
    -------
    GarchFit
        Bitwise the numbers of ``arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1,
        q=1, dist="normal", rescale=False).fit(disp="off")``: ``params``, ``param_cov``,
        ``conditional_volatility`` and ``convergence_flag == 0``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300)
    >>> fit = fit_garch11(0.1 + 0.8 * x + rng.normal(size=300), x)
    >>> fit.params.shape, fit.converged
    ((5,), True)
    """
    model = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist="normal",
                       rescale=False)
    model._adjust_sample(None, None)  # what fit() does first: the full sample
    mean_start = model.starting_values()
    likelihood = _Likelihood(model, np.asarray(model.resids(mean_start)))
    start = np.hstack([mean_start, grid_start(likelihood.start_resids,
                                                  likelihood.volatility_loglikelihood)])
    volatility = model.volatility
    bounds = model.bounds() + volatility.bounds(likelihood.start_resids)
    lower = np.array([bound[0] for bound in bounds], dtype=float)
    upper = np.array([bound[1] for bound in bounds], dtype=float)

    def gradient(params: np.ndarray) -> np.ndarray:
        params = np.clip(params, lower, upper)
        return forward_difference(likelihood.value, params, likelihood.value_again(params), lower, upper)

    constraints = _constraints(*volatility.constraints(), mean_start.size, lower, upper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if _SLSQP_STEP is not None:
            params, status = slsqp_steps(likelihood.value, gradient, start, lower, upper, constraints)
        else:  # scipy before 1.16: its driver, the same numbers at more cost
            opt = minimize(likelihood.value, start, method="SLSQP", jac=gradient, bounds=bounds,
                           constraints=constraints, options={"disp": False})
            params, status = opt.x, opt.status
        nobs = likelihood.start_resids.size
        hessian = approx_hess(params, likelihood.value) / nobs
        inv_hessian = np.linalg.inv(hessian)
        scores = approx_fprime(params, likelihood.individual)
        param_cov = inv_hessian.dot(np.cov(scores.T)).dot(inv_hessian) / nobs
    return GarchFit(params=params, param_cov=param_cov,
                    conditional_volatility=np.sqrt(likelihood.variance(params)),
                    converged=status == 0)


class _Likelihood:
    """arch's GARCH(1,1)-LS negative log-likelihood for one sample, remembering its last value."""

    def __init__(self, model: Any, start_resids: np.ndarray) -> None:
        self.recursion = model.volatility
        self.n_mean = model.num_params
        # The arrays arch's LS.resids reads, used with its expression y - X.dot(params).
        self.y, self.regressors = model._fit_y, np.asarray(model._fit_regressors, dtype=float)
        self.start_resids = start_resids
        self.backcast = self.recursion.backcast(start_resids)
        self.var_bounds = self.recursion.variance_bounds(start_resids)
        self.sigma2 = np.zeros(start_resids.size)
        self.signs = np.zeros(start_resids.size)  # arch's sresids; GARCH(1,1) has no asymmetry to read them
        self.start_squared = np.absolute(start_resids) ** 2.0
        self.last: tuple[bytes, float] = (b"", 0.0)

    def resids(self, params: np.ndarray) -> np.ndarray:
        """``y - a - b x`` (arch's ``LS.resids``)."""
        return self.y - self.regressors.dot(params[:self.n_mean])

    def _variance(self, volatility_params: np.ndarray, squared: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``h_t`` into ``out``: arch's ``GARCH.compute_variance`` (power 2) without its
        wrapper. ``squared`` is its ``fresids``, ``|e|**2.0`` (equal to ``e**2.0`` bit for bit,
        so the terms reuse it); its final ``sigma2 **= 1.0`` is an identity, left out."""
        _RECURSIONS.garch_recursion(volatility_params, squared, self.signs, out, 1, 0, 1, squared.size,
                                    self.backcast, self.var_bounds)  # p, o, q = 1, 0, 1
        return out

    def _gaussian_terms(self, volatility_params: np.ndarray, squared: np.ndarray,
                        out: np.ndarray) -> np.ndarray:
        """arch's ``Normal.loglikelihood`` terms of residuals whose squares are ``squared``."""
        variance = self._variance(volatility_params, squared, out)
        return -0.5 * (LOG_2PI + np.log(variance) + squared / variance)

    def _terms(self, params: np.ndarray) -> np.ndarray:
        squared = np.absolute(self.resids(params)) ** 2.0
        return self._gaussian_terms(params[self.n_mean:], squared, self.sigma2)

    def value(self, params: np.ndarray) -> float:
        """``-sum(log-likelihood terms)`` (arch's ``_loglikelihood``)."""
        value = -float(self._terms(params).sum())
        self.last = (params.tobytes(), value)
        return value

    def value_again(self, params: np.ndarray) -> float:
        """:meth:`value`, remembered when ``params`` is the last point evaluated."""
        return self.last[1] if self.last[0] == params.tobytes() else self.value(params)

    def individual(self, params: np.ndarray) -> np.ndarray:
        """The negative terms, one per observation (arch's ``individual=True``)."""
        return -self._terms(params)

    def variance(self, params: np.ndarray) -> np.ndarray:
        """``h_t`` at ``params``."""
        squared = np.absolute(self.resids(params)) ** 2.0
        return self._variance(params[self.n_mean:], squared, np.zeros(squared.size))

    def volatility_loglikelihood(self, volatility_params: np.ndarray) -> float:
        """The Gaussian log-likelihood of the starting residuals (arch's
        ``_gaussian_loglikelihood``, used to pick starting values)."""
        squared = self.start_squared
        return float(self._gaussian_terms(volatility_params, squared, np.zeros(squared.size)).sum())


def grid_start(resids: np.ndarray, loglikelihood: Callable[[np.ndarray], float]) -> np.ndarray:
    """arch's GARCH(1,1) starting values: the best of a grid of ``(alpha, alpha + beta)``.

    arch (``GARCH.starting_values``) scores ``omega = (1 - persistence) * var(e)``, ``alpha``,
    ``beta = persistence - alpha`` for every ``alpha`` in :data:`GRID_ALPHA` and persistence
    in :data:`GRID_PERSISTENCE`, repeated for four ``gamma`` values that a model without
    asymmetry ignores, and keeps the first best. The same 16 points once each, in the
    same order, give the same first best.

    Parameters
    ----------
    resids
        Residuals of the mean's starting values.
    loglikelihood
        Gaussian log-likelihood of ``resids`` at volatility parameters ``omega, alpha, beta``.

    Returns
    -------
    numpy.ndarray
        ``omega, alpha, beta``.
    """
    target = np.mean(np.absolute(resids) ** 2.0)
    scale = np.mean(resids**2) / (target ** (2.0 / 2.0))
    target *= scale ** (2.0 / 2)
    points = []
    for alpha in GRID_ALPHA:
        for persistence in GRID_PERSISTENCE:
            point = (1.0 - persistence) * target * np.ones(3, dtype=float)
            point[1] = alpha / 1
            point[2] = (persistence - alpha) / 1
            points.append(point)
    scores = np.array([loglikelihood(point) for point in points])
    return points[int(np.argmax(scores))]


def forward_difference(function: Callable[[np.ndarray], Any], x0: np.ndarray, f0: float,
                       lower: np.ndarray, upper: np.ndarray,
                       coordinates: np.ndarray | None = None) -> np.ndarray:
    """The gradient SLSQP computes when it is given none, with the same arithmetic.

    scipy's ``minimize(method="SLSQP")`` differentiates the objective and each constraint
    by ``approx_derivative(..., method="2-point", abs_step=sqrt(eps), bounds=...)``: a
    step ``h = sqrt(eps)`` in each coordinate (relative to ``|x|`` where ``x + h == x``),
    reversed where it would cross a bound, and ``(f(x0 + h e_i) - f(x0)) / ((x0 + h
    e_i)_i - x0_i)``. Done here, it saves scipy's per-call set-up, which costs more than
    the GARCH likelihood itself.

    Parameters
    ----------
    function
        Scalar function of the parameter vector.
    x0
        Point inside ``[lower, upper]``.
    f0
        ``function(x0)``.
    lower, upper
        The parameter bounds (``-inf``/``inf`` where there is none).
    coordinates
        Differentiate only along these; the others are 0, exactly what the difference
        gives for a function that does not depend on them (a linear constraint's zero
        loadings).

    Returns
    -------
    numpy.ndarray
        The forward-difference gradient.
    """
    gradient = np.zeros(x0.size)
    for i in range(x0.size) if coordinates is None else coordinates:
        offset = np.zeros(x0.size)
        offset[i] = _step(float(x0[i]), float(lower[i]), float(upper[i]))
        moved = x0 + offset
        gradient[i] = (function(moved) - f0) / (moved[i] - x0[i])
    return gradient


def _step(x: float, low: float, high: float) -> float:
    """scipy's one-sided step for coordinate value ``x`` in ``[low, high]`` (``_numdiff``)."""
    step = STEP
    if (x + STEP) - x == 0:
        step = STEP * (1.0 if x >= 0 else -1.0) * max(1.0, abs(x))
    below, above = x - low, high - x
    if abs(step) <= max(below, above):
        return -step if (x + step < low) or (x + step > high) else step
    return above if above >= below else -below


def slsqp_steps(objective: Callable[[np.ndarray], float], gradient: Callable[[np.ndarray], np.ndarray],
                start: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                constraints: list[dict[str, Any]]) -> tuple[np.ndarray, int]:
    """``minimize(objective, start, method="SLSQP", jac=gradient, bounds=..., constraints=...)``
    with scipy's defaults, driven step by step as scipy's ``_minimize_slsqp`` drives its
    compiled solver (scipy 1.16+), without its per-call wrappers and caches.

    The solver asks for the objective and the constraints (mode 1) or their gradients
    (mode -1) at its current ``x``, as in scipy: the objective at ``x`` as given (the first
    one at ``start`` clipped to the bounds), the gradient as ``gradient(x)`` (which clips),
    the constraints at ``x``. The steps, and so the result, are scipy's (the tests compare
    with arch's own fit bit for bit).

    Parameters
    ----------
    objective, gradient
        The function minimised and its gradient.
    start
        Starting point (clipped to the bounds, as scipy does).
    lower, upper
        Bounds (``-inf``/``inf`` where there is none).
    constraints
        ``{"type": "ineq", "fun": ..., "jac": ...}`` dictionaries (inequalities only).

    Returns
    -------
    tuple
        The solution and SLSQP's exit mode (0: converged).
    """
    assert _SLSQP_STEP is not None
    x = np.clip(np.asarray(start, dtype=float), lower, upper)
    n, m = x.size, len(constraints)
    xl, xu = lower.copy(), upper.copy()
    xl[~np.isfinite(xl)] = np.nan  # the compiled code marks a missing bound so
    xu[~np.isfinite(xu)] = np.nan
    state = {"acc": SLSQP_ACC, "alpha": 0.0, "f0": 0.0, "gs": 0.0, "h1": 0.0, "h2": 0.0, "h3": 0.0, "h4": 0.0,
             "t": 0.0, "t0": 0.0, "tol": 10.0 * SLSQP_ACC, "exact": 0, "inconsistent": 0, "reset": 0,
             "iter": 0, "itermax": SLSQP_MAX_ITERATIONS, "line": 0, "m": m, "meq": 0, "mode": 0, "n": n}
    indices = np.zeros([max(m + 2 * n + 2, 1)], dtype=np.int32)
    # scipy's workspace size for meq = 0 equality constraints
    buffer = np.zeros(max(n * (n + 1) // 2 + 3 * m * n + 9 * m + 8 * n * n + 35 * n + 28
                          + (2 * n * (n + 1) if m == 0 else 0), 1), dtype=np.float64)
    multipliers = np.zeros([max(1, m + 2 * n + 2)], dtype=np.float64)
    normals = np.zeros([max(1, m), n], dtype=np.float64, order="F")
    values = np.zeros([max(1, m)], dtype=np.float64)

    def constraint_values() -> None:
        for row, constraint in enumerate(constraints):
            values[row] = constraint["fun"](x)

    def constraint_normals() -> None:
        for row, constraint in enumerate(constraints):
            normals[row, :] = constraint["jac"](x)

    fx = objective(np.clip(x, lower, upper))
    g = gradient(x)
    constraint_normals()
    constraint_values()
    while True:
        _SLSQP_STEP(state, fx, g, normals, values, x, multipliers, xl, xu, buffer, indices)
        mode = state["mode"]
        if mode == 1:
            fx = objective(x.copy())
            constraint_values()
        elif mode == -1:
            g = gradient(x)
            constraint_normals()
        if abs(mode) != 1:
            return x, int(mode)


def _constraints(a: np.ndarray, b: np.ndarray, n_mean: int, lower: np.ndarray,
                 upper: np.ndarray) -> list[dict[str, object]]:
    """arch's ``a @ params - b >= 0`` rows (volatility part), one SLSQP constraint each,
    with the Jacobian scipy would compute (:func:`forward_difference`)."""
    loadings = np.zeros((a.shape[0], lower.size))
    loadings[:, n_mean:] = a
    constraints: list[dict[str, object]] = []
    for row, bound in zip(loadings, b, strict=True):
        loaded = np.flatnonzero(row)

        def value(params: np.ndarray, row: np.ndarray = row, bound: float = bound) -> float:
            return float(np.dot(row, params) - bound)

        def unit_row(params: np.ndarray, row: np.ndarray = row) -> np.ndarray:
            return row  # x_j >= 0: the difference of x_j is exactly 1

        def difference(params: np.ndarray, value: Callable[[np.ndarray], float] = value,
                       loaded: np.ndarray = loaded) -> np.ndarray:
            params = np.clip(params, lower, upper)
            return forward_difference(value, params, value(params), lower, upper, loaded)

        selects = bound == 0 and loaded.size == 1 and row[loaded[0]] == 1
        constraints.append({"type": "ineq", "fun": value, "jac": unit_row if selects else difference})
    return constraints
