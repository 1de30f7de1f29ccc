"""aggregate.csv for every scope (all, each asset, each group) against scipy on the CARs of
car.csv: a synthetic panel with several assets and groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy import EventStudy

WINDOWS = [(0, 0), (-1, 1), (0, 5)]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(11)
    n_assets, n_days, n_events = 6, 700, 90
    market = rng.normal(0.0003, 0.01, n_days)
    returns = rng.uniform(0.5, 1.5, (n_assets, 1)) * market + rng.normal(0, 0.015, (n_assets, n_days))
    days = pd.bdate_range("2018-01-01", periods=n_days + 1)
    levels = 100 * np.exp(np.cumsum(np.vstack([np.zeros((1, n_assets + 1)),
                                               np.column_stack([returns.T, market])]), axis=0))
    names = [f"S{i}" for i in range(n_assets)]
    prices = pd.DataFrame(levels, index=pd.DatetimeIndex(days, name="date"), columns=[*names, "MKT"])
    at = rng.choice(np.arange(270, n_days - 10), n_events, replace=False)  # distinct days: no tied CARs
    events = pd.DataFrame({
        "id": [f"E{i}" for i in range(n_events)], "date": days[at].strftime("%Y-%m-%d"), "event": "x",
        "group": rng.choice(["policy", "war", "trade"], n_events),
        "assets": [";".join(rng.choice(names, 2, replace=False)) if i % 3 else "" for i in range(n_events)],
    })
    return EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                      event_window=(-10, 10), windows=WINDOWS).run()


def _scope_cars(car: pd.DataFrame, scope: str, start: int, end: int) -> np.ndarray:
    rows = car[(car["start"] == start) & (car["end"] == end)]
    if scope.startswith("asset:"):
        rows = rows[rows["asset"] == scope.removeprefix("asset:")]
    elif scope.startswith("group:"):
        rows = rows[rows["group"] == scope.removeprefix("group:")]
    return rows["car"].to_numpy()


def test_every_scope_matches_scipy_on_its_cars(results) -> None:  # type: ignore[no-untyped-def]
    agg = results.aggregate
    scopes = agg["scope"].unique()
    assert len(scopes) == 1 + 6 + 3
    checked: set[str] = set()
    for (scope, start, end), rows in agg.groupby(["scope", "start", "end"], sort=False):
        cars = _scope_cars(results.car, scope, start, end)
        row = rows.set_index("test")
        assert row.loc["t_cs", "n"] == cars.size
        assert abs(row.loc["t_cs", "caar"] - cars.mean()) < 1e-12
        t = stats.ttest_1samp(cars, 0.0)
        assert abs(row.loc["t_cs", "statistic"] - t.statistic) < 1e-12
        assert abs(row.loc["t_cs", "pvalue"] - t.pvalue) < 1e-12
        nonzero = cars[cars != 0]
        positive = int((nonzero > 0).sum())
        assert abs(row.loc["sign", "pvalue"] - stats.binomtest(positive, nonzero.size, 0.5).pvalue) < 1e-12
        z = (positive - nonzero.size / 2) / np.sqrt(nonzero.size / 4)
        assert row.loc["sign", "statistic"] == pytest.approx(z, abs=1e-12)
        ranks = stats.rankdata(np.abs(nonzero))
        assert row.loc["wilcoxon", "statistic"] == pytest.approx(ranks[nonzero > 0].sum(), abs=1e-9)
        if np.unique(np.abs(nonzero)).size == nonzero.size:  # scipy's exact method assumes no ties
            w = stats.wilcoxon(nonzero, method="exact" if nonzero.size <= 50 else "approx")
            assert abs(row.loc["wilcoxon", "pvalue"] - w.pvalue) < 1e-12
            checked.add(scope)
    assert len(checked) >= 5
