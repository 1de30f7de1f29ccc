"""write_csv writes the bytes of DataFrame.to_csv(index=False, date_format=...), faster."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.results import csvfile
from eventstudy.results.csvfile import write_csv

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 1e-4, 9.999e-5, 1e-5, 1e15, 9999999999999998.0, 1e16, 1.5e300,
               5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, np.inf, -np.inf, np.nan, 2.0**53,
               123456.789, -0.010593290916734617, 1 / 3]
EDGE_TEXTS = ["plain", "", "a, b", 'say "hi"', "two\nlines", "cr\rreturn", "tab\there", " spaced ",
              "unicode é ₽", "semi;colon", "'quote'", "trailing,", '"', ",", "x" * 300]


def _pandas_bytes(frame: pd.DataFrame, path: Path, date_format: str | None = "%Y-%m-%d") -> bytes:
    frame.to_csv(path, index=False, date_format=date_format)
    return path.read_bytes()


def _ours(frame: pd.DataFrame, path: Path, date_format: str | None = "%Y-%m-%d") -> bytes:
    write_csv(frame, path, date_format=date_format)
    return path.read_bytes()


def test_edge_values_of_every_handled_type(tmp_path: Path) -> None:
    n = len(EDGE_TEXTS)
    floats = (EDGE_FLOATS * 2)[:n]
    frame = pd.DataFrame({
        "text": EDGE_TEXTS, "float": floats, "int": np.arange(n, dtype=np.int64) - 7,
        "flag": np.arange(n) % 2 == 0, "small": np.arange(n, dtype=np.uint8),
        "date": pd.to_datetime(["1969-12-31 23:59", "2025-08-07 00:00", None]
                               + ["2020-02-29 12:00"] * (n - 3)),
        "mixed": [None, np.nan, 1.5, 2, "x,y", True] + ["z"] * (n - 6),
        "string": pd.array([None, *EDGE_TEXTS[1:]], dtype="string"),
        "zoned": pd.date_range("2025-03-30", periods=n, freq="6h", tz="Europe/Moscow"),
    })
    frame.columns = ["text", "float", "int", "flag", "small", "date", "mixed", "string", "zone, d"]
    before = frame.copy()
    assert _ours(frame, tmp_path / "ours.csv") == _pandas_bytes(frame, tmp_path / "pandas.csv")
    pd.testing.assert_frame_equal(frame, before)  # the table written is left as it was
    # Known fields, by hand: the quoted texts, an empty field for NaN, repr of floats.
    lines = (tmp_path / "ours.csv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == 'text,float,int,flag,small,date,mixed,string,"zone, d"'
    assert lines[1].startswith("plain,0.0,-7,True,0,1969-12-31,,,")
    assert lines[3].startswith('"a, b",1.0,-5,True,2,,1.5,"a, b",')


def test_random_floats_and_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-25, 25, n)
    values[rng.choice(n, 100, replace=False)] = np.nan
    frame = pd.DataFrame({"event_id": [f"E{i % 97}" for i in range(n)], "ar": values,
                          "car": np.cumsum(np.nan_to_num(values)), "day": rng.integers(-10, 11, n)})
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 333)  # many chunks, the last one short
    assert _ours(frame, tmp_path / "ours.csv") == _pandas_bytes(frame, tmp_path / "pandas.csv")


def test_floats_around_where_arrow_and_python_notations_part(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow prints the floats of magnitude in [1e-4, 1e10) that are not integral; the
    others go through repr. Both sides of each bound, integral values, returns-like
    values of every digit count, and text and dates with missing values: pandas' bytes."""
    rng = np.random.default_rng(11)
    n = 40_000
    low, high = csvfile.ARROW_FLOATS
    bounds = [low, high, -low, -high]
    edges = [f(b) for b in bounds for f in (lambda b: b, lambda b: np.nextafter(b, 0.0),
                                             lambda b: np.nextafter(b, 2 * b))]
    values = np.concatenate([
        rng.normal(0, 0.02, n // 4),  # returns and abnormal returns
        [round(float(v), int(d))  # prices
         for v, d in zip(rng.normal(0, 1, n // 4) * 10.0 ** rng.integers(-5, 12, n // 4),
                         rng.integers(0, 9, n // 4), strict=True)],
        rng.standard_normal(n // 4) * 10.0 ** rng.uniform(-8, 18, n // 4),
        rng.integers(-10**6, 10**6, n // 4 - len(edges) - 4).astype(float),  # integral values
        edges, [0.0, -0.0, np.nan, 2.5],
    ])
    frame = pd.DataFrame({
        "asset": pd.array(rng.choice(["SBER", "GAZP", None, "a, b"], n), dtype="string"),
        "value": values,
        "date": pd.to_datetime(rng.choice(["2025-08-07", "2025-08-08", None], n)),
        "flag": rng.random(n) < 0.5,
        "day": rng.integers(-10, 11, n).astype(np.int32),
    })
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 7_001)
    ours = _ours(frame, tmp_path / "ours.csv")
    assert ours == _pandas_bytes(frame, tmp_path / "pandas.csv")
    # And the values read back exactly.
    with open(tmp_path / "ours.csv", newline="", encoding="utf-8") as handle:
        fields = [row[1] for row in csv.reader(handle)][1:]
    np.testing.assert_array_equal([float(f) if f else np.nan for f in fields], values)


def test_empty_table_and_frames_left_to_pandas(tmp_path: Path) -> None:
    empty = pd.DataFrame(columns=["event_id", "asset", "reason"])
    header = b"event_id,asset,reason\n"
    assert _ours(empty, tmp_path / "a.csv") == _pandas_bytes(empty, tmp_path / "b.csv") == header
    lone = pd.DataFrame({"text": ["", "a"]})  # a lone empty field is quoted by the csv module
    assert _ours(lone, tmp_path / "a.csv") == _pandas_bytes(lone, tmp_path / "b.csv") == b'text\n""\na\n'
    others = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "c": pd.Categorical(["x", "y"]),
                           "f": np.array([0.1, 2.5], dtype=np.float32), "d": pd.to_timedelta([1, 2], "D")})
    assert _ours(others, tmp_path / "a.csv") == _pandas_bytes(others, tmp_path / "b.csv")
    dates = pd.DataFrame({"date": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 00:00"]), "x": [1.0, 2.0]})
    assert _ours(dates, tmp_path / "a.csv", None) == _pandas_bytes(dates, tmp_path / "b.csv", None)
