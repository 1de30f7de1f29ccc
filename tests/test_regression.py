"""Cross-sectional CAR regressions against statsmodels and hand sandwich formulas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.errors import InputError
from eventstudy.inference.regression import regress, regression_table, write_regression_csv


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n_events, assets = 12, ["IMOEX", "SBER", "GAZP"]
    events = pd.DataFrame({
        "id": [f"E{i}" for i in range(n_events)],
        "event": [f"decision {i}" for i in range(n_events)],
        "surprise": rng.normal(0, 50, n_events),
        "group": ["cut", "hold", "hike"] * 4,
    })
    day0 = pd.date_range("2024-01-10", periods=n_events, freq="21D")
    rows = []
    for i in range(n_events):
        shock = rng.normal(0, 0.01)  # common to every asset on that day: clustering
        for asset in assets:
            for window in [(0, 0), (-1, 1)]:
                rows.append({"event_id": f"E{i}", "event": f"decision {i}", "asset": asset,
                             "start": window[0], "end": window[1], "day0": day0[i],
                             "car": -0.0002 * events["surprise"][i] + shock + rng.normal(0, 0.01)})
    car = pd.DataFrame(rows)
    car.loc[4, "car"] = np.nan  # a pair without a CAR (E0, GAZP, [0,0]) is dropped
    return car, events


def _design(car: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    rows = car[(car["start"] == 0) & (car["end"] == 0)].dropna(subset=["car"])
    return rows.merge(events[["id", "surprise", "group"]], left_on="event_id", right_on="id")


def test_hc3_equals_statsmodels_and_hand() -> None:
    car, events = _tables()
    fit = regress(car, events, "car ~ surprise")
    data = _design(car, events)
    x = sm.add_constant(data["surprise"].to_numpy())
    y = data["car"].to_numpy()
    direct = sm.OLS(y, x).fit(cov_type="HC3")
    np.testing.assert_allclose(fit.params.to_numpy(), direct.params, rtol=1e-12)
    np.testing.assert_allclose(fit.bse.to_numpy(), direct.bse, rtol=1e-10)
    # HC3 by hand: (X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1.
    xtx_inv = np.linalg.inv(x.T @ x)
    e = y - x @ xtx_inv @ x.T @ y
    h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    meat = x.T @ (x * (e**2 / (1 - h) ** 2)[:, None])
    np.testing.assert_allclose(fit.bse.to_numpy(), np.sqrt(np.diag(xtx_inv @ meat @ xtx_inv)), rtol=1e-10)
    assert int(fit.nobs) == 35
    t = fit.params.iloc[1] / fit.bse.iloc[1]
    assert fit.pvalues.iloc[1] == pytest.approx(2 * stats.t.sf(abs(t), 33), rel=1e-10)


def test_cluster_by_day0_equals_statsmodels_and_hand() -> None:
    car, events = _tables()
    fit = regress(car, events, "car ~ surprise", cov_type="cluster")
    data = _design(car, events)
    x = sm.add_constant(data["surprise"].to_numpy())
    y = data["car"].to_numpy()
    groups = pd.factorize(data["day0"])[0]
    direct = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(fit.bse.to_numpy(), direct.bse, rtol=1e-10)
    # By hand: sum over clusters of (X_g' e_g)(X_g' e_g)', with the small-sample factor
    # G/(G-1) * (N-1)/(N-K) (Stata's, statsmodels' default).
    xtx_inv = np.linalg.inv(x.T @ x)
    e = y - x @ (xtx_inv @ x.T @ y)
    scores = np.array([x[groups == g].T @ e[groups == g] for g in np.unique(groups)])
    n, k, g = len(y), 2, len(np.unique(groups))
    cov = xtx_inv @ (scores.T @ scores) @ xtx_inv * g / (g - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(fit.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-10)
    assert g == 12
    t = fit.params.iloc[1] / fit.bse.iloc[1]
    assert fit.pvalues.iloc[1] == pytest.approx(2 * stats.t.sf(abs(t), g - 1), rel=1e-10)


def test_categorical_and_window() -> None:
    car, events = _tables()
    fit = regress(car, events, "car ~ C(group) + asset", window=(-1, 1), cov_type="nonrobust")
    assert int(fit.nobs) == 36
    assert "C(group)[T.hold]" in fit.params.index and "asset[T.SBER]" in fit.params.index


def test_regression_csv(tmp_path: Path) -> None:
    car, events = _tables()
    fit = regress(car, events, "car ~ surprise")
    path = write_regression_csv(fit, tmp_path / "regression.csv")
    table = pd.read_csv(path)
    assert list(table.columns) == ["term", "coef", "se", "t", "pvalue", "n", "cov_type"]
    assert list(table["term"]) == ["Intercept", "surprise"]
    np.testing.assert_allclose(table["coef"], fit.params.to_numpy())
    np.testing.assert_allclose(table["t"], table["coef"] / table["se"])
    assert set(table["n"]) == {35} and set(table["cov_type"]) == {"HC3"}
    assert regression_table(fit).shape == (2, 7)


def test_bad_inputs() -> None:
    car, events = _tables()
    with pytest.raises(InputError) as unknown:
        regress(car, events, "car ~ surprize")
    assert unknown.value.column == "surprize"
    with pytest.raises(InputError):
        regress(car, events, "car ~ np.log(volume)")
    with pytest.raises(InputError):
        regress(car, events, "car ~ surprise", window=(0, 5))
    with pytest.raises(InputError):
        regress(car, events, "car ~ surprise", cov_type="HAC-ish")
    with pytest.raises(InputError):
        regress(car, events, "car ~ (surprise")


def test_hc3_with_a_single_event_category_is_refused() -> None:
    car = pd.DataFrame({"event_id": ["A", "B", "C", "D"], "asset": "X", "start": 0, "end": 0,
                        "car": [0.01, -0.02, 0.015, 0.03],
                        "day0": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-06"]})
    events = pd.DataFrame({"id": ["A", "B", "C", "D"], "group": ["war", "trade", "trade", "trade"]})
    with pytest.raises(InputError, match="leverage 1"):
        regress(car, events, "car ~ C(group)", cov_type="HC3")
    fit = regress(car, events, "car ~ C(group)", cov_type="HC1")
    assert np.isfinite(fit.bse).all()
