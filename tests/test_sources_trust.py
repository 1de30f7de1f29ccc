"""Live sources under faults: short ISS pages, impossible rates, all-NaN cache files,
HTTP 429, a dripping server, concurrent cache writers, yfinance chatter (issue 11, part A).

Every HTTP test talks to the replay server on 127.0.0.1 (``tests/replay_server.py``),
which serves the real series of ../shared/data.
"""

from __future__ import annotations

import csv
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventstudy.errors import ConfigError, DataUnavailableError
from eventstudy.sources import _http
from eventstudy.sources.base import NoDataError
from eventstudy.sources.cache import CachedSource
from eventstudy.sources.cbr import CbrSource
from eventstudy.sources.moex import MoexSource
from eventstudy.sources.yahoo import YahooSource

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

IMOEX = {"engine": "stock", "market": "index", "board": "SNDX"}
# 2025-01-01 to 2025-08-29: 167 IMOEX sessions, two ISS pages of 100 rows.
START, END = date(2025, 1, 1), date(2025, 8, 29)


def imoex_closes(shared_data: Path) -> pd.Series:
    with open(shared_data / "IMOEX_iss_history_2018_2026.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    series = pd.Series(
        [float(r["CLOSE"].replace(",", ".")) for r in rows],
        index=pd.to_datetime([r["TRADEDATE"] for r in rows], format="%d.%m.%Y"),
    )
    return series[(series.index >= pd.Timestamp(START)) & (series.index <= pd.Timestamp(END))]


# ------------------------------------------------------------------- short ISS pages


def test_short_history_page_is_asked_again(replay, no_wait, shared_data) -> None:
    replay.inject("short", times=1, path="/iss/history")
    series = MoexSource(**IMOEX).fetch("IMOEX", START, END)
    expected = imoex_closes(shared_data)
    assert len(expected) == 167  # two pages
    assert series.to_numpy().tolist() == expected.to_numpy().tolist()
    assert replay.count("/iss/history") == 3  # page 1 short, page 1 again, page 2
    assert no_wait == [0.5]


def test_page_that_stays_short_is_unavailable_and_never_cached(
    replay, no_wait, tmp_path, shared_data
) -> None:
    replay.inject("short", times=None, path="/iss/history")
    cache = CachedSource(MoexSource(**IMOEX), cache_dir=tmp_path)
    with pytest.raises(DataUnavailableError) as raised:
        cache.fetch("IMOEX", START, END)
    message = str(raised.value)
    assert "sent an incomplete history page from http://127.0.0.1:" in message
    assert "IMOEX.json?from=2025-01-01&till=2025-08-29" in message and "start=0" in message
    assert "50 rows where its cursor announced 100 (of TOTAL 167), after 3 tries" in message
    assert not cache.path("IMOEX").exists() and cache.coverage("IMOEX") == []
    replay.clear()  # the server recovers: the next run reads everything
    series = cache.fetch("IMOEX", START, END)
    assert series.to_numpy().tolist() == imoex_closes(shared_data).to_numpy().tolist()


# ------------------------------------------------------------------ impossible values


def test_zero_bank_of_russia_rate_is_refused(replay) -> None:
    replay.inject("zero", times=None, path="XML_dynamic")
    with pytest.raises(DataUnavailableError) as raised:
        CbrSource().fetch("R01235", date(2025, 8, 1), date(2025, 8, 29))
    # The first record of the answer is the rate effective on Saturday 2 August 2025.
    assert "sent an impossible rate 0.0000 for 02.08.2025 from http://127.0.0.1:" in str(raised.value)
    assert "/scripts/XML_dynamic.asp?date_req1=02%2F08%2F2025" in str(raised.value)


def test_negative_or_zero_yahoo_close_is_refused() -> None:
    days = pd.to_datetime(["2025-08-06", "2025-08-07"])

    def download(symbol: str, **_: object) -> pd.DataFrame:
        return pd.DataFrame({"Close": [6345.06, 0.0]}, index=days)  # S&P 500 close of 6 Aug

    with pytest.raises(DataUnavailableError, match=r"impossible Close 0 for 'SPX' on 2025-08-07"):
        YahooSource(download).fetch("SPX", date(2025, 8, 6), date(2025, 8, 7))


# ------------------------------------------------------------------ all-NaN cache file


def _blank_cache_file(path: Path) -> None:
    table = pq.read_table(path)
    nan = pa.array([float("nan")] * table.num_rows, type=pa.float64())
    table = table.set_column(table.schema.get_field_index("value"), "value", nan)
    pq.write_table(table.replace_schema_metadata(table.schema.metadata), path)


def test_all_nan_cache_file_is_a_miss(replay, tmp_path, shared_data) -> None:
    cache = CachedSource(MoexSource(**IMOEX), cache_dir=tmp_path)
    cache.fetch("IMOEX", START, END)
    _blank_cache_file(cache.path("IMOEX"))
    offline = CachedSource(MoexSource(**IMOEX), cache_dir=tmp_path, offline=True)
    with pytest.raises(DataUnavailableError, match=r"offline: the cache lacks IMOEX .*2025-01-01 to"):
        offline.fetch("IMOEX", START, END)
    before = replay.count("/iss/history")
    series = cache.fetch("IMOEX", START, END)
    assert replay.count("/iss/history") > before  # fetched again
    assert series.to_numpy().tolist() == imoex_closes(shared_data).to_numpy().tolist()
    assert offline.fetch("IMOEX", START, END).notna().all()


# -------------------------------------------------------------------------- HTTP 429


def test_429_waits_for_retry_after_capped(replay, no_wait, monkeypatch) -> None:
    monkeypatch.setattr(_http, "MAX_RETRY_AFTER", 0.25)
    replay.inject("429", times=1)
    series = CbrSource().fetch("R01235", date(2025, 8, 4), date(2025, 8, 8))
    assert len(series) == 5
    assert no_wait == [0.25]  # the server asked for 120 s; the cap wins


def test_429_every_time_is_unavailable(replay, no_wait, monkeypatch) -> None:
    monkeypatch.setattr(_http, "MAX_RETRY_AFTER", 0.25)
    replay.inject("429", times=None)
    with pytest.raises(DataUnavailableError) as raised:
        CbrSource(tries=2).fetch("R01235", date(2025, 8, 4), date(2025, 8, 8))
    assert "failed after 2 tries; last: HTTP 429 Too Many Requests (Retry-After: 120)" in str(
        raised.value
    )
    assert no_wait == [0.25]


# ---------------------------------------------------------------------- the deadline


def test_dripping_server_hits_the_deadline(replay, monkeypatch) -> None:
    monkeypatch.setenv(_http.DEADLINE_ENV_VAR, "2")
    replay.inject("drip", times=None)
    began = time.monotonic()
    with pytest.raises(DataUnavailableError) as raised:
        MoexSource(**IMOEX).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 8))
    elapsed = time.monotonic() - began
    assert 2 <= elapsed < 4  # one byte every 0.5 s would take minutes
    assert "MOEX ISS unavailable: GET http://127.0.0.1:" in str(raised.value)
    assert "gave no complete answer within 2 s (the deadline; set EVENTSTUDY_HTTP_DEADLINE" in str(
        raised.value
    )


def test_deadline_argument_wins_over_the_environment(replay, monkeypatch) -> None:
    monkeypatch.setenv(_http.DEADLINE_ENV_VAR, "600")
    replay.inject("drip", times=None)
    began = time.monotonic()
    with pytest.raises(DataUnavailableError, match=r"within 1\.5 s \(the deadline"):
        CbrSource(deadline=1.5).fetch("R01235", date(2025, 8, 4), date(2025, 8, 8))
    assert time.monotonic() - began < 3.5


def test_deadline_setting() -> None:
    assert _http.http_deadline() == 120.0
    assert _http.http_deadline(5) == 5.0


@pytest.mark.parametrize("text", ["soon", "0", "-3"])
def test_bad_deadline_variable_is_a_config_error(monkeypatch, text: str) -> None:
    monkeypatch.setenv(_http.DEADLINE_ENV_VAR, text)
    with pytest.raises(ConfigError, match=rf"EVENTSTUDY_HTTP_DEADLINE='{text}' is not a positive"):
        _http.http_deadline()


# ----------------------------------------------------------- concurrent cache writers


class _BarrierSource:
    """Real IMOEX closes; each fetch waits until both writers have read the cache."""

    name = "moex"
    cache_key = "stock.index.SNDX.history"

    def __init__(self, closes: pd.Series, barrier: threading.Barrier) -> None:
        self.closes = closes
        self.barrier = barrier

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        self.barrier.wait(timeout=10)
        inside = (self.closes.index >= pd.Timestamp(start)) & (self.closes.index <= pd.Timestamp(end))
        return self.closes[inside].rename(symbol)


def test_two_writers_of_one_series_keep_both_ranges(tmp_path, shared_data) -> None:
    closes = imoex_closes(shared_data)
    barrier = threading.Barrier(2)
    ranges = [(date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 6, 1), date(2025, 8, 29))]
    clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)  # noqa: E731
    errors: list[BaseException] = []

    def run(span: tuple[date, date]) -> None:
        try:
            CachedSource(_BarrierSource(closes, barrier), cache_dir=tmp_path, clock=clock).fetch(
                "IMOEX", *span)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(span,)) for span in ranges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    offline = CachedSource(_BarrierSource(closes, barrier), cache_dir=tmp_path, offline=True)
    assert [(a, b) for a, b, _ in offline.coverage("IMOEX")] == ranges
    for a, b in ranges:
        got = offline.fetch("IMOEX", a, b)
        want = closes[(closes.index >= pd.Timestamp(a)) & (closes.index <= pd.Timestamp(b))]
        assert got.to_numpy().tolist() == want.to_numpy().tolist()
    assert (tmp_path / "moex" / "IMOEX@stock.index.SNDX.history.parquet.lock").exists()


# ------------------------------------------------------------------ yfinance chatter


def test_yfinance_chatter_is_folded_into_the_error(capsys) -> None:
    import logging
    import sys

    def download(symbol: str, **_: object) -> pd.DataFrame:
        print("\n1 Failed download:")
        print(f"['{symbol}']: YFRateLimitError('Too Many Requests. Rate limited.')", file=sys.stderr)
        logging.getLogger("yfinance").error("%s: possibly delisted", symbol)
        return pd.DataFrame()

    with pytest.raises(NoDataError) as raised:
        YahooSource(download).fetch("EEM", date(2025, 8, 4), date(2025, 8, 8))
    message = str(raised.value)
    assert "yfinance said: \"EEM: possibly delisted 1 Failed download: ['EEM']: YFRateLimitError(" in (
        message
    )
    assert "\n" not in message
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_yfinance_chatter_on_an_exception(capsys) -> None:
    def download(symbol: str, **_: object) -> pd.DataFrame:
        print("Failed to get ticker 'EEM' reason: Expecting value: line 1 column 1 (char 0)")
        raise RuntimeError("no timezone found")

    with pytest.raises(DataUnavailableError) as raised:
        YahooSource(download).fetch("EEM", date(2025, 8, 4), date(2025, 8, 8))
    assert "RuntimeError: no timezone found (yfinance said: \"Failed to get ticker 'EEM'" in str(
        raised.value
    )
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------ the command line


SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "events.csv"


def test_cli_exits_3_on_a_dripping_server(replay, tmp_path, monkeypatch, capsys) -> None:
    from eventstudy.cli import main

    monkeypatch.setenv(_http.DEADLINE_ENV_VAR, "1")
    replay.inject("drip", times=None)
    began = time.monotonic()
    code = main(["run", str(SEEDS), "--cache-dir", str(tmp_path / "cache"), "--figures", "none",
                 "--quiet", "--out", str(tmp_path / "out")])
    assert code == 3
    assert time.monotonic() - began < 10  # one deadline per request, a few requests at most
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(the deadline; set EVENTSTUDY_HTTP_DEADLINE" in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_exits_2_on_conflicting_duplicate_dates(tmp_path, capsys) -> None:
    from eventstudy.cli import main

    prices = tmp_path / "prices"
    prices.mkdir()
    (prices / "IMOEX.csv").write_text("date,close\n2025-08-06,2764.62\n2025-08-07,2876.43\n"
                                      "2025-08-07,2924.63\n")
    code = main(["run", str(SEEDS), "--prices", str(prices), "--figures", "none", "--quiet",
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "IMOEX.csv:4: column 'close': date 2025-08-07 is on lines 3, 4 with different prices" in (
        err[0]
    )
