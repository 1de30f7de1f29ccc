"""A dense study (5,000 events on one asset) writes a car.csv that grows linearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy


def test_dense_study_car_csv_stays_under_500_bytes_a_row(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    n_days, n_events = 6000, 5000
    market = rng.normal(0.0003, 0.01, n_days)
    stock = 0.9 * market + rng.normal(0, 0.015, n_days)
    days = pd.bdate_range("2000-01-03", periods=n_days + 1)
    levels = 100 * np.exp(np.cumsum(np.vstack([np.zeros((1, 2)), np.column_stack([stock, market])]), axis=0))
    prices = pd.DataFrame(levels, index=pd.DatetimeIndex(days, name="date"), columns=["STOCK", "MKT"])
    at = rng.integers(270, n_days - 10, n_events)  # many share a day 0; every window overlaps others
    events = pd.DataFrame({"id": [f"EVENT{i:05d}" for i in range(n_events)],
                           "date": days[at].strftime("%Y-%m-%d"), "event": "dense", "group": "g"})
    results = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                         event_window=(-10, 10), windows=[(0, 0), (-1, 1), (0, 5)]).run()
    car = results.car
    assert len(car) == 3 * n_events
    flagged = car["flags"].str.contains("estimation window contains", regex=False)
    assert flagged.mean() > 0.99  # the flags are there, and short
    path = tmp_path / "car.csv"
    car.to_csv(path, index=False)
    assert path.stat().st_size / len(car) < 500
    assert car["flags"].str.len().max() < 300


def _flags_by_hand(pairs, span, estimation, excluded):  # type: ignore[no-untyped-def]
    """The flag of each pair, pair by pair: the other events of its asset whose window
    meets its estimation window, and those sharing its day 0 (at most 5 ids shown)."""
    lo, hi = span
    e0, e1 = estimation
    out = []
    for row in pairs.itertuples(index=False):
        if row.day0_pos < 0:
            out.append("")
            continue
        same = pairs[(pairs["asset"] == row.asset) & (pairs["day0_pos"] >= 0)].sort_values(
            "day0_pos", kind="stable")
        days = same["day0_pos"].to_numpy()
        inside = same[(days >= row.day0_pos + e0 - hi) & (days <= row.day0_pos + e1 - lo)]
        sharing = same[(days == row.day0_pos) & (same["event_id"] != row.event_id).to_numpy()]
        notes = []
        if len(inside):
            shown = [i for i in inside["event_id"] if i != row.event_id][:5]
            total = len(inside) - int((inside["event_id"] == row.event_id).any())
            more = f" and {total - 5} more" if total > 5 else ""
            notes.append(f"estimation window contains {', '.join(shown)}{more}"
                         + (" (excluded from estimation)" if excluded else ""))
        if len(sharing):
            more = f" and {len(sharing) - 5} more" if len(sharing) > 5 else ""
            notes.append(f"shares day 0 with {', '.join(list(sharing['event_id'])[:5])}{more}")
        out.append("; ".join(notes))
    return out


@pytest.mark.parametrize("span, estimation, excluded", [((-10, 10), (-250, -11), False),
                                                        ((-2, 2), (-30, -3), True)])
def test_overlap_flags_equal_a_pair_by_pair_count(span, estimation, excluded) -> None:  # type: ignore[no-untyped-def]
    from eventstudy.results.flags import overlap_flags

    rng = np.random.default_rng(4)
    n = 400
    pairs = pd.DataFrame({"event_id": [f"E{i}" for i in rng.permutation(n)],
                          "asset": rng.choice(["A", "B", "C", "D"], n),
                          "day0_pos": np.where(rng.random(n) < 0.05, -1, rng.integers(0, 300, n))})
    got = overlap_flags(pairs, span, estimation, excluded).tolist()
    assert got == _flags_by_hand(pairs, span, estimation, excluded)
    assert sum("and" in g for g in got) > 20 and sum("shares day 0" in g for g in got) > 20
