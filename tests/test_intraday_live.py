"""Intraday studies on live MOEX ISS candles, against the replay server on 127.0.0.1.

The server answers in ISS's candles format from the real files of ../shared/data/intraday
(IMOEX hourly, SBER 1-minute written as Moscow-time ``begin`` rows), 500 rows a page.
Every expectation is computed here from those files with plain pandas/hashlib.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import CacheMissError, ConfigError, DataUnavailableError
from eventstudy.sources.bar_cache import BarCache
from eventstudy.sources.moex_bars import MoexBarSource
from eventstudy.timing.assets import Asset

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

MOSCOW = "Europe/Moscow"
HOURLY = dict(interval="1h", assets=["IMOEX"], estimation=(-300, -11), windows=[(0, 0), (0, 2)],
              event_window=(-5, 5))
SBER = Asset("SBER", "moex", "SBER", timezone=MOSCOW, session="09:50-18:50",
             options={"engine": "stock", "market": "shares", "board": "TQBR"})
MINUTES = dict(interval="1min", assets=["SBER"], estimation=(-11500, -30), windows=[(0, 0), (0, 10)],
               event_window=(-10, 30))


def cbr_events(*days: str) -> pd.DataFrame:
    return pd.DataFrame([{"id": f"CBR_{d}", "event": "key rate", "date": d, "time": "13:30",
                          "timezone": MOSCOW} for d in days])


def imoex_hourly(shared_data: Path) -> pd.Series:
    frame = pd.read_csv(shared_data / "intraday" / "IMOEX_hourly_iss_2022-06_2026-05.csv")
    index = pd.DatetimeIndex(pd.to_datetime(frame["dt"])).tz_localize(MOSCOW).tz_convert("UTC")
    return pd.Series(frame["close"].to_numpy(dtype=float), index=index, name="IMOEX")


def sber_minutes(shared_data: Path) -> pd.Series:
    frame = pd.read_parquet(shared_data / "intraday" / "SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet")
    return pd.Series(frame["close"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["time"]), name="SBER")


def assert_same_results(live: es.Results, local: es.Results) -> None:
    for table in ("car", "aggregate", "abnormal_returns", "skipped"):
        pd.testing.assert_frame_equal(getattr(live, table), getattr(local, table), rtol=0, atol=1e-12,
                                      obj=table)


def moscow_dates(series: pd.Series, start: str, end: str) -> pd.Series:
    local = pd.DatetimeIndex(series.index).tz_convert(MOSCOW).normalize().tz_localize(None)
    return series[(local >= pd.Timestamp(start)) & (local <= pd.Timestamp(end))]


# -- the live study equals the study on the local file ----------------------------------------------


def test_live_hourly_study_equals_the_file_study(replay, shared_data, tmp_path) -> None:
    events = cbr_events("2024-12-20", "2025-07-25")
    live = es.EventStudy(events, cache_dir=tmp_path, **HOURLY).run()
    closes = imoex_hourly(shared_data)
    local = es.EventStudy(events, closes.to_frame(), **HOURLY,
                          asset_info={"IMOEX": Asset("IMOEX", "file", "IMOEX", timezone=MOSCOW)}).run()
    assert_same_results(live, local)
    assert np.isfinite(live.car["t"]).all() and np.isfinite(live.car["pvalue_empirical"]).all()
    (record,) = live.provenance
    # 300 hourly bars at 8 a session: 39 sessions x 1.5 + 10 days before; 1 x 1.5 + 5 after
    assert record.url == (f"{replay.url}/iss/engines/stock/markets/index/boards/SNDX/securities/IMOEX/"
                          "candles.json?from=2024-10-13&till=2025-08-02&interval=60")
    assert record.interval == "1h" and record.source == "moex" and record.base_url == replay.url
    used = moscow_dates(closes, "2024-10-13", "2025-08-02")
    assert (record.first, record.last) == (f"{used.index[0]:%Y-%m-%dT%H:%M:%SZ}",
                                           f"{used.index[-1]:%Y-%m-%dT%H:%M:%SZ}")
    # the documented definition: int64 nanoseconds since the epoch (UTC), then the float64 values
    raw = (np.asarray(pd.DatetimeIndex(used.index).as_unit("ns").asi8, dtype="<i8").tobytes()
           + np.asarray(used.to_numpy(), dtype="<f8").tobytes())
    assert record.sha256 == hashlib.sha256(raw).hexdigest()
    assert Path(record.path).parent == tmp_path / "moex-bars-1h" and record.fetched_at
    starts = [int(r.params["start"]) for r in replay.requests]
    assert starts == list(range(0, len(used), 500)) + [len(used)]
    assert {r.params["interval"] for r in replay.requests} == {"60"}


def test_live_minute_study_equals_the_file_study(replay, shared_data, tmp_path) -> None:
    events = cbr_events("2025-09-12")
    live = es.EventStudy(events, cache_dir=tmp_path, asset_info={"SBER": SBER}, **MINUTES).run()
    local = es.EventStudy(events, sber_minutes(shared_data).to_frame(), **MINUTES,
                          asset_info={"SBER": SBER.replace(source="file")}).run()
    assert_same_results(live, local)
    row = live.car.query("end == 0").iloc[0]
    assert row["day0"] == "2025-09-12T13:30:00+03:00"
    assert np.isfinite(row["t"]) and np.isfinite(row["pvalue_empirical"])


def test_live_ten_minute_study_equals_the_shifted_file_study(replay, shared_data, tmp_path) -> None:
    path = shared_data / "intraday" / "SBER_10min_iss_shifted_2022-01_2024-12.csv"
    settings = dict(interval="10min", assets=["SBER"], estimation=(-1800, -10), windows=[(0, 0), (0, 3)],
                    event_window=(-5, 10))
    events = cbr_events("2024-12-20")
    live = es.EventStudy(events, cache_dir=tmp_path, asset_info={"SBER": SBER}, **settings).run()
    frame = pd.read_csv(path)
    labels = pd.DatetimeIndex(pd.to_datetime(frame["begin"], utc=True))
    closes = pd.DataFrame({"SBER": frame["close"].to_numpy(dtype=float)},
                          index=labels - pd.Timedelta(hours=3))  # the file's documented 3-hour error
    local = es.EventStudy(events, closes, **settings, asset_info={"SBER": SBER.replace(source="file")}).run()
    assert_same_results(live, local)
    bar0 = live.abnormal_returns.query("bar == 0").iloc[0]
    assert bar0["date"] == "2024-12-20T13:30:00+03:00"
    labelled = frame.set_index("begin")["close"]  # 16:30 in the file is 13:30 in Moscow
    assert labelled["2024-12-20 16:30:00+03:00"] == 242.99
    assert bar0["return"] == pytest.approx(np.log(242.99 / labelled["2024-12-20 16:20:00+03:00"]), abs=1e-12)
    assert {r.params["interval"] for r in replay.requests} == {"10"}


def test_minute_candles_page_across_boundaries(replay, shared_data) -> None:
    source = MoexBarSource("1min", engine="stock", market="shares", board="TQBR")
    series = source.fetch("SBER", date(2025, 9, 11), date(2025, 9, 12))
    expected = moscow_dates(sber_minutes(shared_data), "2025-09-11", "2025-09-12")
    assert len(expected) > 1500  # more than three pages
    assert series.index.equals(pd.DatetimeIndex(expected.index).as_unit("ns"))
    assert series.tolist() == expected.tolist()
    # the 13:30 Moscow bar of the decision is the 10:30 UTC bar of the file
    assert series[pd.Timestamp("2025-09-12 10:30", tz="UTC")] == 305.55
    starts = [int(r.params["start"]) for r in replay.requests]
    assert starts == [*range(0, len(expected), 500), len(expected)]
    params = replay.requests[0].params
    assert (params["from"], params["till"], params["interval"]) == ("2025-09-11", "2025-09-12", "1")
    assert replay.requests[0].path == ("/iss/engines/stock/markets/shares/boards/TQBR/securities/SBER/"
                                       "candles.json")


# -- faults -------------------------------------------------------------------------------------------


def test_short_page_is_asked_again(replay, shared_data, no_wait) -> None:
    replay.inject("short", times=1, path="candles")
    source = MoexBarSource("1min", engine="stock", market="shares", board="TQBR")
    series = source.fetch("SBER", date(2025, 9, 11), date(2025, 9, 12))
    expected = moscow_dates(sber_minutes(shared_data), "2025-09-11", "2025-09-12")
    assert series.tolist() == expected.tolist()
    starts = [int(r.params["start"]) for r in replay.requests]
    # page 0 came back with 250 rows; the page after it was not empty, so page 0 was asked again
    assert starts[:4] == [0, 250, 0, 500] and no_wait == [0.5]


def test_short_page_that_stays_short_is_reported(replay, no_wait) -> None:
    replay.inject("short", times=None, path="candles")
    source = MoexBarSource("1min", engine="stock", market="shares", board="TQBR")
    with pytest.raises(DataUnavailableError, match=r"short candles page from http://127\.0\.0\.1:\d+/iss/"
                                                   r".*SBER/candles\.json\?.*start=0: 250 candles where 500 "
                                                   r"were due .* after 3 tries"):
        source.fetch("SBER", date(2025, 9, 11), date(2025, 9, 12))
    assert no_wait == [0.5, 1.0]


def run_args(tmp_path: Path, out: str, *extra: str) -> list[str]:
    """``eventstudy run`` of one decision on live hourly IMOEX, cache in ``tmp_path/cache``."""
    events = tmp_path / "events.csv"
    cbr_events("2024-12-20").to_csv(events, index=False)
    config = tmp_path / "hourly.toml"
    config.write_text('[study]\ninterval = "1h"\nassets = ["IMOEX"]\nestimation = [-300, -11]\n'
                      'windows = [[0, 0], [0, 2]]\nevent_window = [-5, 5]\n')
    return ["run", str(events), "--config", str(config), "--cache-dir", str(tmp_path / "cache"),
            "--out", str(tmp_path / out), "--figures", "none", "-q", *extra]


@pytest.mark.parametrize("fault", ["503", "short"])
def test_failed_pages_exit_3_naming_the_asset(replay, tmp_path, capsys, no_wait, fault) -> None:
    replay.inject(fault, times=None, path="candles")
    code = main(run_args(tmp_path, "out"))
    assert code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("eventstudy: data unavailable: IMOEX (moex IMOEX, 1h bars): MOEX ISS")
    assert "candles.json" in err and "--offline" in err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "cache" / "moex-bars-1h" / "IMOEX@stock.index.SNDX.parquet").exists()


def test_offline_with_a_warm_cache_gives_the_same_study(replay, tmp_path, capsys) -> None:
    assert main(run_args(tmp_path, "online")) == 0
    fetched = replay.count("candles")
    assert fetched > 0
    assert main(run_args(tmp_path, "offline", "--offline")) == 0
    assert replay.count("candles") == fetched  # nothing asked offline
    for name in ("car.csv", "aggregate.csv", "abnormal_returns.csv"):
        assert (tmp_path / "online" / name).read_bytes() == (tmp_path / "offline" / name).read_bytes()
    back = es.Results.from_folder(tmp_path / "offline")
    assert back.provenance[0].interval == "1h" and back.spec.interval == "1h"
    record = json.loads((tmp_path / "offline" / "study.json").read_text())["provenance"][0]
    assert record["interval"] == "1h" and "interval=60" in record["url"]
    assert record["sha256"] == json.loads((tmp_path / "online" / "study.json").read_text())[
        "provenance"][0]["sha256"]
    # online again: the range is settled in the cache, so ISS is not asked again
    assert main(run_args(tmp_path, "again")) == 0
    assert replay.count("candles") == fetched


def test_offline_with_a_cold_cache_exits_3_naming_what_is_missing(replay, tmp_path, capsys) -> None:
    code = main(run_args(tmp_path, "out", "--offline"))
    assert code == 3 and replay.count() == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("offline: the cache has no file IMOEX (moex IMOEX, 1h bars) for 2024-10-13 to 2024-12-28 "
            "(Europe/Moscow dates)") in err
    assert "moex-bars-1h" in err


def test_offline_cache_miss_is_a_cache_miss_error(replay, tmp_path) -> None:
    study = es.EventStudy(cbr_events("2024-12-20"), cache_dir=tmp_path, offline=True, **HOURLY)
    with pytest.raises(CacheMissError):
        study.run()


def test_intervals_iss_does_not_serve_are_refused(replay, tmp_path) -> None:
    study = es.EventStudy(cbr_events("2024-12-20"), cache_dir=tmp_path, **{**HOURLY, "interval": "5min"})
    with pytest.raises(ConfigError):
        study.run()
    assert replay.count() == 0
    yahoo = es.EventStudy(cbr_events("2024-12-20"), cache_dir=tmp_path, **{**HOURLY, "assets": ["SP500"]})
    with pytest.raises(ConfigError):
        yahoo.run()


def test_a_study_file_mixes_files_and_live_bars(replay, shared_data, tmp_path) -> None:
    events = cbr_events("2025-09-12")
    path = shared_data / "intraday" / "SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet"
    config = tmp_path / "mixed.toml"
    config.write_text(
        '[study]\ninterval = "1min"\nassets = ["SBER", "LIVE"]\nestimation = [-11500, -30]\n'
        'windows = [[0, 0], [0, 10]]\nevent_window = [-10, 30]\n\n'
        f'[assets.SBER]\nfile = "{path.as_posix()}"\ntimezone = "Europe/Moscow"\nsession = "09:50-18:50"\n\n'
        '[assets.LIVE]\nsource = "moex"\nsymbol = "SBER"\nmarket = "shares"\nboard = "TQBR"\n'
        'timezone = "Europe/Moscow"\nsession = "09:50-18:50"\n')
    results = es.EventStudy.from_file(config, events, cache_dir=tmp_path).run()
    car = results.car.set_index(["asset", "end"])
    for column in ("car", "se", "t", "pvalue", "pvalue_empirical"):
        assert car.loc[("LIVE", 10), column] == pytest.approx(car.loc[("SBER", 10), column], abs=1e-12)
    sources = {p.asset: p.source for p in results.provenance}
    assert sources == {"SBER": "file", "LIVE": "moex"}


# -- the bar cache ------------------------------------------------------------------------------------


def test_bar_cache_refetches_only_the_provisional_tail(replay, shared_data, tmp_path) -> None:
    source = MoexBarSource("1h", engine="stock", market="index", board="SNDX")
    now = [datetime(2025, 8, 13, 20, 0, tzinfo=UTC)]
    cache = BarCache(source, MOSCOW, cache_dir=tmp_path, clock=lambda: now[0])
    first = cache.fetch_cached("IMOEX", date(2025, 8, 1), date(2025, 8, 12))
    expected = moscow_dates(imoex_hourly(shared_data), "2025-08-01", "2025-08-12")
    assert first.series.tolist() == expected.tolist() and first.fetched_ranges == ((date(2025, 8, 1),
                                                                                     date(2025, 8, 12)),)
    assert first.path == tmp_path / "moex-bars-1h" / "IMOEX@stock.index.SNDX.parquet"
    replay.clear()
    now[0] = datetime(2025, 8, 20, 9, 0, tzinfo=UTC)
    again = BarCache(source, MOSCOW, cache_dir=tmp_path, clock=lambda: now[0]).fetch_cached(
        "IMOEX", date(2025, 8, 1), date(2025, 8, 15))
    # fetched on 13 August: up to 8 August is final, 9 .. 15 August is asked again
    assert again.fetched_ranges == ((date(2025, 8, 9), date(2025, 8, 15)),)
    assert {(r.params["from"], r.params["till"]) for r in replay.requests} == {("2025-08-09", "2025-08-15")}
    assert again.series.tolist() == moscow_dates(imoex_hourly(shared_data), "2025-08-01",
                                                 "2025-08-15").tolist()
    assert again.fetched_at == now[0]
    table = pq.read_table(first.path)
    assert str(table.schema.field("time").type) == "timestamp[ns, tz=UTC]"
    meta = json.loads(table.schema.metadata[b"eventstudy-bars"])
    assert meta["interval"] == "1h" and meta["timezone"] == MOSCOW
    assert meta["segments"] == [["2025-08-01", "2025-08-08", "2025-08-13T20:00:00+00:00"],
                                ["2025-08-09", "2025-08-15", "2025-08-20T09:00:00+00:00"]]


def test_bar_cache_offline_refuses_an_unreadable_file(tmp_path) -> None:
    source = MoexBarSource("1h", engine="stock", market="index", board="SNDX")
    cache = BarCache(source, MOSCOW, cache_dir=tmp_path, offline=True)
    cache.path("IMOEX").parent.mkdir(parents=True)
    cache.path("IMOEX").write_bytes(b"not parquet")
    with pytest.raises(DataUnavailableError, match="unreadable"):
        cache.fetch_cached("IMOEX", date(2025, 8, 1), date(2025, 8, 12))


def test_a_prices_file_is_refused_for_bars(tmp_path) -> None:
    root = Path(__file__).resolve().parent.parent
    with pytest.raises(ConfigError) as caught:
        es.EventStudy.from_file(None, cbr_events("2024-12-20"), prices=root / "seeds" / "prices.csv",
                                interval="1h", assets=["IMOEX"])
    assert "[assets.NAME] file" in caught.value.fix
