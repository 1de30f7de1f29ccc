"""Synthetic control: constraints, an exact QP on small cases, and the placebo rank p-value.

The case: IMOEX on the summit day 2025-08-07 with donors that the news did not move
(emerging-market equities EEM, the S&P 500 and Brent, all closing after Moscow, so
aligned to the previous New York / London close); the rouble series (CNYRUB, CBR
USD/RUB) moved on the same news, and RTSI is IMOEX in dollars, so they are excluded.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import InputError
from eventstudy.models.synthetic import convex_weights, synthetic_control

DONORS = ["EEM", "SP500", "BRENT"]


def exact_convex_ls(y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Exact minimiser of |y - d w|^2 over the simplex by enumerating supports (KKT).

    For every support S, the equality-constrained least squares on S (Lagrange
    system) gives a candidate; feasible candidates (w >= 0) are compared by loss.
    """
    j = d.shape[1]
    best, best_loss = None, np.inf
    for size in range(1, j + 1):
        for support in combinations(range(j), size):
            cols = list(support)
            a = d[:, cols]
            kkt = np.block([[2 * a.T @ a, np.ones((size, 1))], [np.ones((1, size)), np.zeros((1, 1))]])
            rhs = np.concatenate([2 * a.T @ y, [1.0]])
            solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:size]
            if (solution >= -1e-12).all():
                w = np.zeros(j)
                w[cols] = solution
                loss = np.sum((y - d @ w) ** 2)
                if loss < best_loss:
                    best, best_loss = w, loss
    assert best is not None
    return best


def _returns(shared_data: Path) -> pd.DataFrame:
    imoex = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", parse_dates=["date"])
    imoex = imoex[imoex["date"] >= "2024-01-01"].sort_values("date")
    files = {"EEM": ("EEM_ohlcv_yahoo_2018_2026.csv", "Date", "Close"),
             "SP500": ("SP500_close_yahoo_2018_2026.csv", "Date", "Close"),
             "BRENT": ("BRENT_eia_spot_2018_2026.csv", "Date", "Price")}
    levels = {"IMOEX": imoex.set_index("date")["imoex"]}
    for name, (file, date_col, value_col) in files.items():
        donor = pd.read_csv(shared_data / file, parse_dates=[date_col])[[date_col, value_col]]
        donor = donor.rename(columns={date_col: "d", value_col: name}).sort_values("d")
        # Closes after Moscow's: the last close strictly before the Moscow date (no look-ahead).
        aligned = pd.merge_asof(imoex[["date"]], donor, left_on="date", right_on="d",
                                allow_exact_matches=False)
        levels[name] = aligned.set_index("date")[name]
    return np.log(pd.DataFrame(levels)).diff().iloc[1:]


def test_weights_match_exact_qp_on_small_cases() -> None:
    rng = np.random.default_rng(5)
    for _ in range(5):
        d = rng.normal(0, 0.01, (60, 4))
        y = d @ rng.dirichlet(np.ones(4)) + rng.normal(0, 0.004, 60) + rng.normal(0, 0.002)
        np.testing.assert_allclose(convex_weights(y, d), exact_convex_ls(y, d), atol=1e-6)
    # A target outside the hull: the solution sits on a face (a zero weight).
    d = rng.normal(0, 0.01, (60, 3))
    y = 2.0 * d[:, 0] - d[:, 1]
    w = convex_weights(y, d)
    np.testing.assert_allclose(w, exact_convex_ls(y, d), atol=1e-6)
    assert w.min() == pytest.approx(0.0, abs=1e-9)


def test_imoex_summit_synthetic_control(shared_data: Path) -> None:
    r = _returns(shared_data)
    result = synthetic_control(r, "IMOEX", DONORS, "2025-08-07", estimation=(-250, -11), window=(0, 5))
    w = result.weights.to_numpy()
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)

    p = r.index.get_loc(pd.Timestamp("2025-08-07"))
    pre, post = r.iloc[p - 250: p - 10], r.iloc[p: p + 6]
    np.testing.assert_allclose(w, exact_convex_ls(pre["IMOEX"].to_numpy(), pre[DONORS].to_numpy()), atol=1e-6)
    gap_post = post["IMOEX"] - post[DONORS].to_numpy() @ w
    assert result.car == pytest.approx(gap_post.sum(), abs=1e-12)

    # Placebo ratios by hand: each unit fitted on the others (donors exclude IMOEX).
    def ratio(unit: str, pool: list[str]) -> float:
        weights = exact_convex_ls(pre[unit].to_numpy(), pre[pool].to_numpy())
        gap_pre = pre[unit] - pre[pool].to_numpy() @ weights
        gap_event = post[unit] - post[pool].to_numpy() @ weights
        return float(np.sqrt(np.mean(gap_event**2)) / np.sqrt(np.mean(gap_pre**2)))

    ratios = {"IMOEX": ratio("IMOEX", DONORS)}
    for donor in DONORS:
        ratios[donor] = ratio(donor, [c for c in DONORS if c != donor])
    for unit, value in ratios.items():
        assert result.placebo_ratios[unit] == pytest.approx(value, rel=1e-5)
    rank = 1 + sum(ratios[d] > ratios["IMOEX"] for d in DONORS)
    assert result.rank == rank
    assert result.pvalue == pytest.approx(rank / 4)


def test_bad_inputs() -> None:
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=["A", "B", "C"],
                         index=pd.bdate_range("2024-01-01", periods=300))
    with pytest.raises(InputError):
        synthetic_control(frame, "A", ["B"], frame.index[280])
    with pytest.raises(InputError):
        synthetic_control(frame, "A", ["B", "Z"], frame.index[280])
    with pytest.raises(InputError):
        synthetic_control(frame, "A", ["B", "C"], frame.index[100])
    frame.iloc[200, 1] = np.nan
    with pytest.raises(InputError):
        synthetic_control(frame, "A", ["B", "C"], frame.index[280])
