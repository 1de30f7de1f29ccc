"""Benchmark: an intraday study of 100 events on 1-minute bars over three months.

Run from the repository root (needs ``../shared/data``)::

    python benchmarks/bench_intraday.py

What is timed: ``EventStudy.run()`` (bar axes, bar 0, the time-of-day model, CAR table,
the ten aggregate tests, the AR table) for 100 announcements at random minutes of the
Moscow session on the SBER, GAZP and LKOH 1-minute files (T-Invest, 2025-08-10 to
2025-11-08, 88,000-96,000 bars each; 300 pairs), estimation ``[-11000, -31]`` bars
(about 20 sessions), event window ``[-30, 60]``. For scale, the same 100 events are run as
a daily study on the three stocks' daily closes (the last 1-minute close of each day,
estimation ``[-40, -2]``). Each side is timed three times and the best kept; the
ratio intraday / daily is printed, so machines compare.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

import eventstudy as es
from eventstudy.timing.assets import Asset

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "intraday"
STOCKS = ("SBER", "GAZP", "LKOH")
MOSCOW = "Europe/Moscow"


def main() -> None:
    closes = {s: pd.read_parquet(DATA / f"{s}_1m_tinvest_utc_2025-08-10_2025-11-08.parquet")
              .set_index("time")["close"] for s in STOCKS}
    bars = pd.concat(closes, axis=1, sort=True)
    rng = np.random.default_rng(12)
    days = pd.bdate_range("2025-09-15", "2025-11-05")
    chosen = rng.choice(len(days), 100)
    minutes = rng.integers(10 * 60, 18 * 60 + 40, 100)
    events = pd.DataFrame({
        "id": [f"E{i:03d}" for i in range(100)],
        "date": [f"{days[d]:%Y-%m-%d}" for d in chosen],
        "time": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
        "timezone": MOSCOW, "event": "random minute"})
    info = {s: Asset(s, "file", s, timezone=MOSCOW, session="09:50-18:50") for s in STOCKS}
    intraday = es.EventStudy(events, bars, interval="1min", estimation=(-11000, -31),
                             event_window=(-30, 60), windows=[(0, 0), (0, 10), (0, 60)],
                             asset_info=info)
    local = bars.index.tz_convert(MOSCOW)
    daily_prices = bars.groupby(local.date).last()
    daily_prices.index = pd.DatetimeIndex(daily_prices.index)
    daily = es.EventStudy(events.drop(columns=["time", "timezone"]), daily_prices,
                          estimation=(-40, -2), event_window=(-1, 3), windows=[(0, 0), (0, 1)],
                          min_estimation=30)
    n_bars = {s: int(bars[s].notna().sum()) for s in STOCKS}

    def best(study: es.EventStudy) -> tuple[float, es.Results]:
        times, result = [], None
        for _ in range(3):
            started = time.perf_counter()
            result = study.run()
            _ = result.abnormal_returns
            times.append(time.perf_counter() - started)
        assert result is not None
        return min(times), result

    t_intraday, r_intraday = best(intraday)
    t_daily, _ = best(daily)
    print(f"bars per asset: {n_bars}")
    print(f"intraday: {len(r_intraday.car) // 3} pairs computed, {len(r_intraday.skipped)} skipped, "
          f"best of 3 {t_intraday:.2f} s")
    print(f"daily, same events: best of 3 {t_daily:.2f} s")
    print(f"ratio intraday / daily: {t_intraday / t_daily:.1f}x")


if __name__ == "__main__":
    main()
