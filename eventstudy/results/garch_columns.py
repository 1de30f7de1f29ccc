"""``car.csv`` columns of the GARCH event-variance dummy (``model = "garch"``, ``measure = "volatility"``).

For each pair and CAR window, the market model with GARCH(1,1) errors is fitted on the
pair's returns from the start of its estimation window to the end of the CAR window,
with an event dummy on the window's days in the mean and in the variance equation
(Savickas 2003, eq. 5-6; :func:`eventstudy.measures.garch_dummy.event_variance_test`):

- ``garch_delta``: the variance added on each event day (return units squared);
- ``pvalue_garch_delta``: the likelihood-ratio p-value of ``delta = 0`` (chi2(1)).

Days with a missing return or benchmark value are left out of the fit. A fit that does
not converge, or a window that cannot be fitted, gives NaN. Two maximum-likelihood fits
per pair and window make this slow (about a second each), hence only on request.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.measures.garch_dummy import event_variance_test
from eventstudy.results.extras import pair_rows
from eventstudy.spec import StudySpec
from eventstudy.timing.placement import Panel

GARCH_COLUMNS = ["garch_delta", "pvalue_garch_delta"]


def with_garch_variance_dummy(car: pd.DataFrame, pairs: pd.DataFrame, panel: Panel,
                              spec: StudySpec) -> pd.DataFrame:
    """``car`` with :data:`GARCH_COLUMNS` appended (``pairs``: ``asset_row``, ``day0_pos``)."""
    rows = pair_rows(pairs, car)
    asset_rows = pairs["asset_row"].to_numpy()
    day0 = pairs["day0_pos"].to_numpy()
    delta = np.full(len(car), np.nan)
    pvalue = np.full(len(car), np.nan)
    for k, (i, start, end) in enumerate(zip(rows, car["start"], car["end"], strict=True)):
        days = np.arange(spec.estimation[0], int(end) + 1)
        positions = day0[i] + days
        inside = (positions >= 0) & (positions < panel.returns.shape[1])
        r = panel.returns[asset_rows[i], positions[inside]]
        m = panel.regressors[asset_rows[i], positions[inside], 0]
        event = (days[inside] >= start) & (days[inside] <= end)
        usable = np.isfinite(r) & np.isfinite(m)
        try:
            result = event_variance_test(r[usable], m[usable], event[usable])
        except InputError:
            continue
        if result.converged:
            delta[k], pvalue[k] = result.delta, result.pvalue
    return car.assign(garch_delta=delta, pvalue_garch_delta=pvalue)
