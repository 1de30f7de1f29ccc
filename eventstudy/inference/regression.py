"""Cross-sectional regressions of CARs on event characteristics.

``CAR_i = x_i' b + u_i`` by OLS over the event-asset pairs of one CAR window, with
``x_i`` built from the events file's own columns by a formula (``"car ~ surprise"``,
``"car ~ C(group) + asset"``), through the statsmodels formula API. Standard errors:
``HC3`` (MacKinnon & White 1985) by default, robust to the heteroskedasticity that
differing CAR variances cause; ``cluster`` clusters by day 0 (pairs sharing a day 0
are cross-correlated: the same news hits every asset that day; Cameron & Miller
2015), ``nonrobust`` the classical OLS errors.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import InputError

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: Names a formula may use besides columns: patsy's transforms and contrasts, numpy.
FORMULA_FUNCTIONS = frozenset({
    "C", "I", "Q", "np", "center", "standardize", "scale", "bs", "cr", "cc", "te",
    "Treatment", "Sum", "Diff", "Poly", "Helmert"}) | frozenset(dir(builtins))
REGRESSION_COLUMNS = ["term", "coef", "se", "t", "pvalue", "n", "cov_type"]


def regression_data(car_table: pd.DataFrame, events_frame: pd.DataFrame,
                    window: tuple[int, int] = (0, 0)) -> pd.DataFrame:
    """The rows of one CAR window joined with their events' columns.

    ``car_table`` (``car.csv``: ``event_id, asset, start, end, car, ..., day0``) is
    filtered to ``start, end == window`` and joined on ``event_id == id`` with
    ``events_frame``; columns already in the CAR table keep the CAR table's values.

    Raises
    ------
    InputError
        When the window has no rows or a needed column is missing.
    """
    for column in ("event_id", "start", "end", "car"):
        if column not in car_table.columns:
            raise InputError(f"the CAR table has no column {column!r}", column=column,
                             fix="pass the car table of a study (Results.car or car.csv)")
    if "id" not in events_frame.columns:
        raise InputError("the events frame has no column 'id'", column="id",
                         fix="pass Events.frame or events.csv")
    rows = car_table[(car_table["start"] == window[0]) & (car_table["end"] == window[1])]
    if rows.empty:
        pairs = zip(car_table["start"], car_table["end"], strict=True)
        windows = sorted({(int(s), int(e)) for s, e in pairs})
        raise InputError(f"no CAR rows for window [{window[0]}, {window[1]}]",
                         fix=f"use one of the study's windows: {', '.join(f'[{s},{e}]' for s, e in windows)}")
    extra = [c for c in events_frame.columns if c not in rows.columns and c != "id"]
    return rows.merge(events_frame[["id", *extra]], left_on="event_id", right_on="id",
                      how="left").drop(columns="id")


def check_formula(formula: str, columns: list[str]) -> None:
    """Reject a formula naming a column that the data does not have.

    Raises
    ------
    InputError
        Naming the unknown column and listing the available ones.
    """
    from patsy import ModelDesc, PatsyError

    try:
        description = ModelDesc.from_formula(formula)
    except PatsyError as error:
        raise InputError(f"cannot parse regression formula {formula!r}: {error}",
                         fix="write it as 'car ~ column + column', e.g. 'car ~ surprise'") from None
    codes = [factor.code for term in description.lhs_termlist + description.rhs_termlist
             for factor in term.factors]
    if not description.lhs_termlist:
        raise InputError(f"regression formula {formula!r} has no left-hand side",
                         fix="start it with 'car ~'")
    for code in codes:
        for node in ast.walk(ast.parse(code, mode="eval")):
            if isinstance(node, ast.Name) and node.id not in columns and node.id not in FORMULA_FUNCTIONS:
                raise InputError(f"regression formula names unknown column {node.id!r}", column=node.id,
                                 fix=f"use columns of the CAR table or the events file: {', '.join(columns)}")


def regress(car_table: pd.DataFrame, events_frame: pd.DataFrame, formula: str,
            window: tuple[int, int] = (0, 0), cov_type: str = "HC3") -> Any:
    """OLS of the CAR on event characteristics (statsmodels formula API).

    Parameters
    ----------
    car_table
        The study's CAR table (``Results.car`` / ``car.csv``).
    events_frame
        The events (``Events.frame`` / ``events.csv``) with their own columns, e.g. a
        ``surprise`` or ``group`` column.
    formula
        A patsy formula on the joined columns, e.g. ``"car ~ surprise"``.
    window
        The CAR window whose rows are regressed.
    cov_type
        ``HC3`` (default), ``HC0``-``HC2``, ``nonrobust``, or ``cluster`` (by day 0).

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper
        The fitted results; rows with a missing CAR or regressor are dropped.
        P-values use Student t: ``n - k`` dof, or ``G - 1`` with ``G`` day-0
        clusters (Stata's convention; normal p-values over-reject with few events).

    Raises
    ------
    InputError
        For an unknown column in the formula, an unknown ``cov_type``, a window
        without rows, fewer observations than parameters plus one, or HC2/HC3 errors
        with an observation of leverage 1 (they divide by ``1 - h_ii``, MacKinnon &
        White 1985).

    Examples
    --------
    >>> fit = regress(res.car, events.frame, "car ~ surprise", cov_type="cluster")  # doctest: +SKIP
    >>> fit.params["surprise"]  # doctest: +SKIP
    """
    import statsmodels.formula.api as smf

    if cov_type not in COV_TYPES:
        raise InputError(f"unknown covariance type {cov_type!r}", fix=f"use one of {', '.join(COV_TYPES)}")
    data = regression_data(car_table, events_frame, window)
    check_formula(formula, [str(c) for c in data.columns])
    model = smf.ols(formula, data, missing="drop")
    n, k = model.exog.shape
    if n <= k:
        raise InputError(f"{n} usable rows for {k} regression parameters",
                         fix="use a window with more events or a simpler formula")
    if cov_type in ("HC2", "HC3"):
        leverage = np.einsum("ij,ij->i", model.exog, np.linalg.pinv(model.exog).T)
        if np.any(leverage > 1 - 1e-10):
            raise InputError(f"{cov_type} standard errors are undefined: an observation has leverage 1 "
                             "(e.g. a category of the formula with a single event)",
                             fix="merge that category with another, drop it, or use cov_type='HC1'")
    if cov_type != "cluster":
        return model.fit(cov_type=cov_type, use_t=True)
    if "day0" not in data.columns:
        raise InputError("clustering by day 0 needs the CAR table's 'day0' column", column="day0",
                         fix="pass the car table of a study, or use cov_type='HC3'")
    used = data.loc[model.data.row_labels, "day0"]
    groups = pd.factorize(pd.to_datetime(used).to_numpy())[0]
    return model.fit(cov_type="cluster", cov_kwds={"groups": np.asarray(groups)}, use_t=True)


def default_cov_type(car_table: pd.DataFrame, window: tuple[int, int]) -> str:
    """``cluster`` (by day 0) when two rows of ``window`` share a day 0, else ``HC3``.

    Pairs that share a day 0 are hit by the same news, so their CARs are correlated
    and heteroskedasticity-robust errors understate the uncertainty (Cameron & Miller
    2015); with one pair per day 0, clustering would change nothing but the dof.
    """
    rows = car_table[(car_table["start"] == window[0]) & (car_table["end"] == window[1])]
    if "day0" not in rows.columns or rows.empty:
        return "HC3"
    return "cluster" if rows["day0"].duplicated().any() else "HC3"


def regression_table(results: Any) -> pd.DataFrame:
    """One row per term: ``term, coef, se, t, pvalue, n, cov_type`` (``regression.csv``).

    ``t`` is the coefficient over its standard error and ``pvalue`` its two-sided
    p-value (Student t, see :func:`regress`).
    """
    return pd.DataFrame({
        "term": list(results.params.index),
        "coef": results.params.to_numpy(),
        "se": results.bse.to_numpy(),
        "t": results.tvalues.to_numpy(),
        "pvalue": results.pvalues.to_numpy(),
        "n": int(results.nobs),
        "cov_type": results.cov_type,
    }, columns=REGRESSION_COLUMNS)


def write_regression_csv(results: Any, path: str | Path) -> Path:
    """Write :func:`regression_table` to ``path`` (``regression.csv``) and return the path."""
    target = Path(path)
    regression_table(results).to_csv(target, index=False)
    return target
