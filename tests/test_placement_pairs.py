"""place_events builds its pairs with array operations: same pairs, order and day 0 as a
per-event, per-asset loop written out by hand."""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd

from eventstudy.timing.assets import Asset
from eventstudy.timing.placement import asset_series, place_events, table_series


def _series(name: str, days: pd.DatetimeIndex, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, days.size))), index=days, name=name)


def test_pairs_follow_the_file_order_then_the_assets_and_match_a_hand_loop() -> None:
    days = pd.bdate_range("2024-01-01", periods=120)
    # Asset B misses two weeks (a halt), so a day 0 inside it is refused.
    b_days = days[(days < "2024-03-04") | (days > "2024-03-15")]
    series = {
        name: asset_series(Asset(name, "file", name, observed_at=time(18, 50), timezone="Europe/Moscow"),
                           _series(name, d, i), "log")
        for i, (name, d) in enumerate([("A", days), ("B", b_days), ("C", days)])
    }
    events = pd.DataFrame({
        "id": ["E1", "E2", "E3", "E4", "E5"],
        "date": pd.to_datetime(["2024-02-05", "2024-03-06", "2024-02-10", "2024-04-01", "2024-06-20"]),
        "announced": pd.to_datetime([None, None, None, "2024-04-01T16:00Z", None], utc=True),
        "assets": [None, ("B", "C"), ("C", "A", "C"), ("B",), None],
    })
    pairs = place_events(events, series, span=(-2, 2), max_day0_gap=7, max_window_gap=10,
                         skip_window_gaps=False)
    expected_keys = [("E1", "A"), ("E1", "B"), ("E1", "C"), ("E2", "B"), ("E2", "C"), ("E3", "A"),
                     ("E3", "C"), ("E4", "B"), ("E5", "A"), ("E5", "B"), ("E5", "C")]
    assert list(zip(pairs["event_id"], pairs["asset"], strict=True)) == expected_keys
    assert pairs["asset_row"].tolist() == [{"A": 0, "B": 1, "C": 2}[a] for _, a in expected_keys]
    for row in pairs.itertuples():
        event = events.set_index("id").loc[row.event_id]
        returns_days = series[row.asset].returns.index
        if row.event_id == "E4":  # 16:00 UTC is after the 15:50 UTC close: the next session
            after = returns_days[returns_days > pd.Timestamp("2024-04-01")]
        else:
            after = returns_days[returns_days >= event["date"]]
        if after.size == 0:  # E5: 20 June is after the last session (14 June)
            assert (row.day0_pos, row.reason) == (-1, "") and pd.isna(row.day0)
        elif (after[0] - event["date"]).days > 7:  # E2 on B: inside B's halt
            assert row.day0_pos == -2 and row.reason != "" and pd.isna(row.day0)
        else:
            assert row.day0 == after[0] and returns_days[row.day0_pos] == after[0] and row.reason == ""
    assert pairs.set_index(["event_id", "asset"]).loc[("E2", "B"), "day0_pos"] == -2
    assert (pairs.loc[pairs["event_id"] == "E5", "day0_pos"] == -1).all()
    # E1 on B: the window [-2, 2] around 5 February is far from the halt; E2 on C spans no gap.
    assert (pairs["data_flags"] == "").all()


def test_no_event_gives_no_pair() -> None:
    days = pd.bdate_range("2024-01-01", periods=30)
    series = {"A": asset_series(Asset("A", "file", "A"), _series("A", days, 0), "log")}
    events = pd.DataFrame({"id": pd.Series([], dtype=object), "date": pd.to_datetime([]),
                           "announced": pd.to_datetime([], utc=True), "assets": pd.Series([], dtype=object)})
    pairs = place_events(events, series, span=(-1, 1), max_day0_gap=7, max_window_gap=10,
                         skip_window_gaps=False)
    assert len(pairs) == 0


def test_exclusion_mask_marks_every_placed_event_window_as_a_loop_would() -> None:
    from eventstudy.timing.placement import exclusion_mask

    rng = np.random.default_rng(0)
    for _ in range(200):
        n, width = int(rng.integers(1, 30)), int(rng.integers(1, 60))
        pairs = pd.DataFrame({"asset_row": rng.integers(0, 4, n), "day0_pos": rng.integers(-3, width + 5, n)})
        lo, hi = sorted(int(v) for v in rng.integers(-8, 8, 2))
        expected = np.zeros((4, width), dtype=bool)
        for row, day0 in zip(pairs["asset_row"], pairs["day0_pos"], strict=True):
            if day0 >= 0:  # windows clipped to the axis; a pair that is not placed marks nothing
                expected[row, max(day0 + lo, 0): max(day0 + hi + 1, 0)] = True
        np.testing.assert_array_equal(exclusion_mask(pairs, (4, width), (lo, hi)), expected)


def test_table_series_shares_each_clocks_instants_and_equals_asset_series(shared_data) -> None:
    """Real series on three clocks (Moscow 18:50, New York 16:00 across its DST changes, and
    no time: the end of the day), with gaps of their own in one wide table: the shared
    instants and everything else equal each asset read on its own."""
    from pathlib import Path

    data = Path(shared_data)
    imoex = pd.read_csv(data / "IMOEX_close_candles_2014_2026.csv", index_col="date", parse_dates=["date"])
    sp500 = pd.read_csv(data / "SP500_close_yahoo_2018_2026.csv", index_col="Date", parse_dates=["Date"])
    wide = pd.concat({"IMOEX": imoex["imoex"], "SP500": sp500.iloc[:, 0], "SBERX": imoex["imoex"] * 0.1},
                     axis=1, sort=True)
    wide.loc[wide.index[100:130], "SBERX"] = np.nan  # a halt of its own
    assets = {"IMOEX": Asset("IMOEX", "file", "IMOEX", observed_at=time(18, 50), timezone="Europe/Moscow"),
              "SP500": Asset("SP500", "file", "SP500", observed_at=time(16, 0), timezone="America/New_York"),
              "SBERX": Asset("SBERX", "file", "SBERX", observed_at=None, timezone="Europe/Moscow")}
    shared = table_series(assets, wide, ["IMOEX", "SP500", "SBERX"], "log")
    for name, asset in assets.items():
        alone = asset_series(asset, wide[name], "log")
        assert shared[name].price_instants.equals(alone.price_instants)
        pd.testing.assert_series_equal(shared[name].prices, alone.prices)
        pd.testing.assert_series_equal(shared[name].returns, alone.returns)
    summer = shared["SP500"].price_instants[shared["SP500"].prices.index == "2024-07-01"]
    assert str(summer[0]) == "2024-07-01 20:00:00+00:00"  # 16:00 in New York, daylight time
