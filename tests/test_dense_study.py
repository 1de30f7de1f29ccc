"""A dense study (5,000 events on one asset) writes a car.csv that grows linearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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
