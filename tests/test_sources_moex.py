"""MOEX ISS source against the replay server (real ISS wire format, real data)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from eventstudy.errors import DataQualityWarning, DataUnavailableError
from eventstudy.sources.base import NoDataError, get_source
from eventstudy.sources.moex import MoexSource

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

IMOEX = {"engine": "stock", "market": "index", "board": "SNDX"}


def imoex_csv(shared_data) -> pd.Series:
    frame = pd.read_csv(shared_data / "IMOEX_iss_history_2018_2026.csv", sep=";", decimal=",")
    index = pd.DatetimeIndex(pd.to_datetime(frame["TRADEDATE"], format="%d.%m.%Y"), name="date")
    index = index.as_unit("ns")
    return pd.Series(frame["CLOSE"].to_numpy(dtype=float), index=index)


def test_registered_under_moex() -> None:
    assert isinstance(get_source("moex", **IMOEX), MoexSource)


def test_history_reads_every_page_and_matches_the_csv(replay, shared_data) -> None:
    series = MoexSource(**IMOEX).fetch("IMOEX", date(2018, 1, 1), date(2026, 12, 31))
    expected = imoex_csv(shared_data)
    assert len(series) == len(expected) == 2119
    pd.testing.assert_series_equal(series, expected, check_names=False)
    # 2119 rows = 22 pages of 100 rows, each asked once, offsets 0, 100, ..., 2100
    starts = [int(r.params["start"]) for r in replay.requests]
    assert starts == list(range(0, 2200, 100))
    assert all(r.path == "/iss/history/engines/stock/markets/index/boards/SNDX/securities/"
               "IMOEX.json" for r in replay.requests)


def test_seed_event_values(replay) -> None:
    series = MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert series.index.name == "date" and series.index.tz is None
    assert series[pd.Timestamp("2025-08-06")] == 2764.62
    assert series[pd.Timestamp("2025-08-07")] == 2876.43
    assert series.index.is_monotonic_increasing and series.index.is_unique
    params = replay.requests[0].params
    assert params["from"] == "2025-08-01" and params["till"] == "2025-08-31"
    assert params["iss.meta"] == "off"


def test_rtsi_uses_its_own_board(replay) -> None:
    source = MoexSource(engine="stock", market="index", board="RTSI")
    series = source.fetch("RTSI", date(2022, 2, 21), date(2022, 2, 25))
    assert series[pd.Timestamp("2022-02-24")] == 742.91
    assert replay.requests[0].path.endswith("/boards/RTSI/securities/RTSI.json")


def test_currency_market_cnyrub_tom(replay, shared_data) -> None:
    source = MoexSource(engine="currency", market="selt", board="CETS")
    series = source.fetch("CNYRUB_TOM", date(2024, 1, 1), date(2025, 12, 31))
    csv = pd.read_csv(shared_data / "CNYRUB_moex_tom_2014_2026.csv", parse_dates=["date"])
    csv = csv[(csv.date >= "2024-01-01") & (csv.date <= "2025-12-31")]
    assert series.tolist() == csv["cnyrub"].tolist()
    assert replay.requests[0].path == (
        "/iss/history/engines/currency/markets/selt/boards/CETS/securities/CNYRUB_TOM.json"
    )


def test_zero_close_means_no_trades_and_is_dropped_with_a_warning(replay) -> None:
    source = MoexSource(engine="currency", market="selt", board="CETS")
    with pytest.warns(DataQualityWarning, match="2019-05-03"):
        series = source.fetch("CNYRUB_TOM", date(2019, 4, 29), date(2019, 5, 8))
    assert pd.Timestamp("2019-05-03") not in series.index
    assert (series > 0).all()


def test_candles_equal_history_and_page_by_500(replay) -> None:
    start, end = date(2022, 1, 1), date(2025, 8, 31)
    candles = MoexSource(engine="stock", market="index", endpoint="candles")
    from_candles = candles.fetch("IMOEX", start, end)
    from_history = MoexSource(**IMOEX).fetch("IMOEX", start, end)
    pd.testing.assert_series_equal(from_candles, from_history)
    candle_requests = [r for r in replay.requests if r.path.endswith("candles.json")]
    # ~900 daily candles: pages at 0 and 500, then an empty page ends the loop
    assert [int(r.params["start"]) for r in candle_requests] == [0, 500, len(from_candles)]
    assert candle_requests[0].params["interval"] == "24"


def test_503_then_success_retries_with_backoff(replay) -> None:
    waits: list[float] = []
    replay.inject("503", times=2)
    series = MoexSource(**IMOEX, sleep=waits.append).fetch("IMOEX", date(2025, 8, 1),
                                                           date(2025, 8, 31))
    assert series[pd.Timestamp("2025-08-07")] == 2876.43
    assert replay.count() == 3
    assert waits == [0.5, 1.0]


def test_dropped_connection_is_retried(replay, no_wait) -> None:
    replay.inject("drop", times=1)
    series = MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert len(series) == 21
    assert replay.count() == 2 and no_wait == [0.5]


def test_persistent_500_names_the_url_and_answer(replay, no_wait) -> None:
    replay.inject("500", times=None)
    with pytest.raises(DataUnavailableError, match=r"failed after 3 tries.*HTTP 500") as info:
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    message = str(info.value)
    assert f"{replay.url}/iss/history/engines/stock/markets/index/boards/SNDX/securities/" \
           "IMOEX.json?from=2025-08-01&till=2025-08-31" in message
    assert "replay fault" in message and "\n" not in message
    assert replay.count() == 3


def test_404_is_not_retried(replay, no_wait) -> None:
    replay.inject("404", times=None)
    with pytest.raises(DataUnavailableError, match="HTTP 404"):
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert replay.count() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncated", r"malformed JSON from http://127\.0\.0\.1:\d+/iss/history/.*IMOEX\.json"),
        ("html", r"malformed JSON .*body starts '<html><body><p>Access denied"),
        ("badjson", r"has no 'history' block with columns and data"),
    ],
)
def test_malformed_payload_is_a_clear_error(replay, fault, message) -> None:
    replay.inject(fault, times=None)
    with pytest.raises(DataUnavailableError, match=message):
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))


def test_empty_answer_is_no_data(replay) -> None:
    replay.inject("empty", times=None)
    with pytest.raises(NoDataError, match="no data for IMOEX between 2025-08-01 and 2025-08-31"):
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))


def test_unknown_security_is_no_data(replay) -> None:
    with pytest.raises(NoDataError, match="no data for NOSUCH between"):
        MoexSource(**IMOEX).fetch("NOSUCH", date(2025, 8, 1), date(2025, 8, 31))


def test_range_without_sessions_is_no_data(replay) -> None:
    with pytest.raises(NoDataError, match="2025-08-09 and 2025-08-10"):  # a weekend
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 9), date(2025, 8, 10))


def test_server_that_never_answers_times_out(replay, no_wait) -> None:
    replay.inject("hang", times=None)
    source = MoexSource(**IMOEX, timeout=0.3)
    with pytest.raises(DataUnavailableError, match=r"no answer within 0\.3 s \(timeout\)"):
        source.fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert replay.count() == 3


def test_base_url_is_read_from_the_environment_at_call_time(replay, monkeypatch, no_wait) -> None:
    source = MoexSource(**IMOEX, timeout=1, tries=1)
    monkeypatch.setenv("EVENTSTUDY_MOEX_URL", "http://127.0.0.1:9")  # discard port
    refused = r"GET http://127\.0\.0\.1:9/iss/history"
    with pytest.raises(DataUnavailableError, match=refused) as info:
        source.fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert "connection failed or dropped" in str(info.value)
    assert "Max retries" not in str(info.value)  # urllib3's wrapper is unwrapped
    monkeypatch.setenv("EVENTSTUDY_MOEX_URL", replay.url + "/")
    assert source.base_url == replay.url
    assert len(source.fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))) == 21


def test_default_base_url(monkeypatch) -> None:
    monkeypatch.delenv("EVENTSTUDY_MOEX_URL", raising=False)
    assert MoexSource().base_url == "https://iss.moex.com"
