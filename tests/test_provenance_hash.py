"""The provenance hash: SHA-256 over the raw bytes of the dates and values (docs/outputs.md)."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.sources.base import SHA256_DEFINITION, series_sha256


def test_hash_is_sha256_of_little_endian_int64_dates_then_float64_values() -> None:
    days = ["2025-08-06", "2025-08-07", "2025-08-08"]
    series = pd.Series([2764.62, 2876.43, 2901.5], index=pd.to_datetime(days))
    # Independent construction with struct: nanoseconds since the epoch, then IEEE doubles.
    nanos = [int((pd.Timestamp(d) - pd.Timestamp("1970-01-01")).total_seconds()) * 10**9 for d in days]
    payload = struct.pack("<3q", *nanos) + struct.pack("<3d", 2764.62, 2876.43, 2901.5)
    assert series_sha256(series) == hashlib.sha256(payload).hexdigest()


def test_hash_ignores_the_index_resolution_and_sees_one_changed_value() -> None:
    index = pd.date_range("2020-01-01", periods=1000, freq="D")
    values = np.linspace(1.0, 2.0, 1000)
    seconds = pd.Series(values, index=index.as_unit("s"))
    nanos = pd.Series(values, index=index.as_unit("ns"))
    assert series_sha256(seconds) == series_sha256(nanos)
    changed = nanos.copy()
    changed.iloc[500] = np.nextafter(changed.iloc[500], 3.0)
    assert series_sha256(changed) != series_sha256(nanos)


def test_study_json_records_the_definition(tmp_path: Path) -> None:
    from eventstudy.cli.main import main

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    assert main(["run", str(repo / "seeds/events.csv"), "--config", str(repo / "seeds/summer-2025.toml"),
                 "--out", str(out), "--figures", "none", "-q"]) == 0
    record = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert record["sha256_definition"] == SHA256_DEFINITION
    prices = pd.read_csv(repo / "seeds/prices.csv", index_col=0, parse_dates=True)
    imoex = next(p for p in record["provenance"] if p["asset"] == "IMOEX")
    observed = prices["IMOEX"].dropna()
    assert imoex["sha256"] == series_sha256(observed[observed > 0])


def test_table_provenance_hashes_each_column_s_positive_prices() -> None:
    from eventstudy.sources.local import table_provenance

    days = ["2025-08-05", "2025-08-06", "2025-08-07", "2025-08-08"]
    prices = pd.DataFrame({"A": [np.nan, 10.0, 0.0, 11.5], "B": [5.0, 5.5, 6.0, np.nan]},
                          index=pd.DatetimeIndex(days).tz_localize("Europe/Moscow"))
    a, b = table_provenance(prices, ["A", "B"], {"A": "a.csv"})

    def nanos(day: str) -> int:  # midnight in Moscow (UTC+3), as UTC nanoseconds
        return (int((pd.Timestamp(day) - pd.Timestamp("1970-01-01")).total_seconds()) - 3 * 3600) * 10**9

    # A keeps its two positive prices (the missing first day and the zero are left out).
    payload_a = struct.pack("<2q", nanos(days[1]), nanos(days[3])) + struct.pack("<2d", 10.0, 11.5)
    assert (a.first, a.last, a.path) == ("2025-08-06", "2025-08-08", "a.csv")
    assert a.sha256 == hashlib.sha256(payload_a).hexdigest()
    payload_b = struct.pack("<3q", *map(nanos, days[:3])) + struct.pack("<3d", 5.0, 5.5, 6.0)
    assert (b.first, b.last, b.path) == ("2025-08-05", "2025-08-07", None)
    assert b.sha256 == hashlib.sha256(payload_b).hexdigest()
