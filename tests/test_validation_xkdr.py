"""t_cs against the published t-test results of the R package eventstudies (xKDR).

Independent route: log returns from the inline prices of the reference, CARs
``[0, 0]`` and ``[0, 1]`` per event; our ``t_cs`` statistic ``t`` and the
published 95% interval must agree through ``half-width = qt(0.975, N - 1) * mean / t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference import xkdr_eventstudies as ref
from scipy import stats

from eventstudy.inference import TESTS
from eventstudy.models.pairs import PairArrays


def build() -> PairArrays:
    dates = pd.to_datetime(ref.R_DATES, unit="D")
    prices = pd.DataFrame(ref.PRICES, index=dates)
    returns = np.log(prices).diff().iloc[1:]
    ar = np.full((3, 3), np.nan)  # event days -1, 0, +1; "None" model: AR = return
    for i, (name, day) in enumerate(ref.EVENTS.items()):
        pos = returns.index.get_loc(pd.Timestamp(day))
        for j, rel in enumerate((-1, 0, 1)):
            if 0 <= pos + rel < len(returns):
                ar[i, j] = returns[name].iloc[pos + rel]
    est = np.zeros((3, 2))  # no estimation window in this example; t_cs does not use it
    return PairArrays(
        event_days=np.array([-1, 0, 1]),
        ar=ar,
        var_ar=np.ones((3, 3)),
        est_days=np.array([-3, -2]),
        est_ar=est,
        sigma2=np.ones(3),
        dof=np.ones(3, int),
        n_est=np.full(3, 2),
        xtx_inv=np.zeros((3, 0, 0)),
        x_event=np.zeros((3, 3, 0)),
        day0=np.array(list(ref.EVENTS.values()), dtype="datetime64[D]"),
    )


@pytest.mark.parametrize("end", [0, 1])
def test_t_cs_reproduces_published_t_test_interval(end: int) -> None:
    arrays = build()
    lower, mean, upper = ref.CLASSIC[end]
    car = arrays.car(0, end)
    assert car.mean() == pytest.approx(mean, rel=1e-13)
    result = TESTS["t_cs"](arrays, 0, end)
    half_width = stats.t.ppf(0.975, 2) * mean / result.statistic
    assert mean - half_width == pytest.approx(lower, rel=1e-12)
    assert mean + half_width == pytest.approx(upper, rel=1e-12)
    # the p-value is the same t.test's: the 95% interval covers 0 iff p > 0.05
    assert (result.pvalue > 0.05) == (lower < 0 < upper)
