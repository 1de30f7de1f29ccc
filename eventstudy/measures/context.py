"""Context for a single move: the minimum detectable effect and "largest since".

Two plain-language companions of a CAR table row:

- the **minimum detectable effect** (MDE) of a pair: the smallest ``|CAR|`` that the
  pair's t test would call significant, ``t_{1 - alpha/2, dof} * se`` (the
  critical value of Student's t times the CAR's standard error, MacKinlay 1997,
  section 4.2; the test is two-sided). "A move had to exceed +/- x% to be
  significant at 5%";
- **largest since**: for an event's day-0 return (or abnormal return), the last
  earlier date on which the asset moved at least as much in absolute value, as in
  "the largest one-day rise since ...".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import InputError


def minimum_detectable_effect(se: np.ndarray | float, dof: np.ndarray | float,
                              alpha: float = 0.05) -> np.ndarray:
    """Smallest ``|CAR|`` significant at level ``alpha`` (two-sided): ``t_{1-alpha/2, dof} se``.

    Parameters
    ----------
    se
        Standard error of each CAR (``car.csv`` column ``se``).
    dof
        Degrees of freedom of each pair's t test (the model's residual dof).
    alpha
        Significance level, default 5%.

    Returns
    -------
    numpy.ndarray
        The threshold per pair; NaN where ``se`` is not finite or ``dof < 1``.

    Raises
    ------
    InputError
        When ``alpha`` is not in (0, 1).

    Examples
    --------
    >>> float(minimum_detectable_effect(0.0166, 237).round(5))
    0.0327
    """
    if not 0 < alpha < 1:
        raise InputError(f"significance level {alpha} is outside (0, 1)", fix="use e.g. 0.05")
    se_arr = np.asarray(se, dtype=float)
    dof_arr = np.asarray(dof, dtype=float)
    usable = np.isfinite(se_arr) & (dof_arr >= 1)
    # Pairs share few distinct dof: one quantile per distinct value.
    distinct, which = np.unique(np.where(usable, dof_arr, 1.0), return_inverse=True)
    critical = np.asarray(stats.t.ppf(1 - alpha / 2, distinct))[which.reshape(dof_arr.shape)]
    return np.where(usable, critical * se_arr, np.nan)


def largest_since(moves: pd.Series, date: str | pd.Timestamp, value: float | None = None) -> pd.Timestamp:
    """The last date before ``date`` with an absolute move at least ``|value|``.

    Parameters
    ----------
    moves
        The asset's daily returns (or abnormal returns) by date, its whole history.
    date
        The event's day 0.
    value
        The move to compare; default ``moves[date]``.

    Returns
    -------
    pandas.Timestamp
        That date, or ``NaT`` when no earlier move was as large (the largest in the
        history given: say "largest since <first date of the history>").

    Raises
    ------
    InputError
        When ``value`` is not given and ``date`` is not in ``moves`` or is NaN there.

    Examples
    --------
    >>> r = pd.Series([0.05, 0.01, -0.03, 0.02],
    ...               index=pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-06"]))
    >>> largest_since(r, "2025-01-06").date()
    datetime.date(2025, 1, 3)
    """
    when = pd.Timestamp(date)
    ordered = moves.sort_index()
    if value is None:
        if when not in ordered.index or not np.isfinite(ordered.loc[when]):
            raise InputError(f"no move on {when.date()} in the series", column=str(moves.name),
                             fix="pass the day-0 date of the series, or the value to compare")
        value = float(ordered.loc[when])
    earlier = ordered[ordered.index < when]
    larger = earlier[earlier.abs() >= abs(value)]
    return pd.Timestamp(larger.index[-1] if len(larger) else "NaT")


def last_as_large(moves: np.ndarray) -> np.ndarray:
    """For every position, the last earlier position whose absolute move is at least as large.

    The same answer as :func:`largest_since` for every date of a sorted series at once,
    in one pass with a stack of candidate positions (the "previous greater element"
    algorithm: a position hidden by a later, at least as large move can never be the
    answer again), so the cost is linear in the length of the history.

    Parameters
    ----------
    moves
        One asset's returns (or abnormal returns) in date order; NaN moves are never
        an answer.

    Returns
    -------
    numpy.ndarray
        Integer positions, ``-1`` where no earlier move was as large (and at NaN moves).

    Examples
    --------
    >>> last_as_large(np.array([0.01, -0.06, 0.02, 0.05, np.nan, -0.06])).tolist()
    [-1, -1, 1, 1, -1, 1]
    """
    size = np.abs(np.asarray(moves, dtype=float)).tolist()
    answer = np.full(len(size), -1, dtype=np.int64)
    stack: list[int] = []
    for position, value in enumerate(size):
        if value != value:  # NaN: neither an answer nor a question
            continue
        while stack and size[stack[-1]] < value:
            stack.pop()
        if stack:
            answer[position] = stack[-1]
        stack.append(position)
    return answer
