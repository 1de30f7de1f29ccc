"""The Parquet cache: reuse, top-up, provisional tail, offline, refresh, atomic writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from eventstudy.errors import DataQualityWarning, DataUnavailableError
from eventstudy.sources import cache_file as cache_file_module
from eventstudy.sources.base import NoDataError
from eventstudy.sources.cache import CachedSource
from eventstudy.sources.cache_file import paint, subtract
from eventstudy.sources.cbr import CbrSource
from eventstudy.sources.moex import MoexSource

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

IMOEX = {"engine": "stock", "market": "index", "board": "SNDX"}
LATER = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # long after the data: all of it settled


def cached(tmp_path, *, clock=LATER, source=None, **kwargs) -> CachedSource:
    return CachedSource(source or MoexSource(**IMOEX), cache_dir=tmp_path,
                        clock=lambda: clock, **kwargs)


def history_requests(replay) -> list[tuple[str, str]]:
    return [(r.params["from"], r.params["till"]) for r in replay.requests
            if r.params.get("start") == "0"]


def test_second_fetch_is_served_from_the_cache(replay, tmp_path) -> None:
    first = cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert replay.count() == 1
    again = cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    inner = cached(tmp_path).fetch("IMOEX", date(2025, 8, 5), date(2025, 8, 20))
    assert replay.count() == 1  # no request at all
    pd.testing.assert_series_equal(first, again)
    pd.testing.assert_series_equal(inner, first["2025-08-05":"2025-08-20"])
    path = tmp_path / "moex" / "IMOEX@stock.index.SNDX.history.parquet"
    assert path.is_file()


def test_only_the_missing_range_is_requested(replay, tmp_path) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    result = cached(tmp_path).fetch_cached("IMOEX", date(2025, 7, 1), date(2025, 9, 10))
    assert history_requests(replay) == [
        ("2025-08-01", "2025-08-31"), ("2025-07-01", "2025-07-31"), ("2025-09-01", "2025-09-10")]
    assert result.fetched_ranges == ((date(2025, 7, 1), date(2025, 7, 31)),
                                     (date(2025, 9, 1), date(2025, 9, 10)))
    full = MoexSource(**IMOEX).fetch("IMOEX", date(2025, 7, 1), date(2025, 9, 10))
    pd.testing.assert_series_equal(result.series, full)


def test_the_last_days_before_a_fetch_are_refetched(replay, tmp_path) -> None:
    clock = datetime(2025, 8, 20, 16, 0, tzinfo=UTC)
    cached(tmp_path, clock=clock).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 20))
    cached(tmp_path, clock=clock).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 20))
    # fetched on 08-20: 08-16..08-20 (5 days) are provisional and asked again
    assert history_requests(replay) == [("2025-08-01", "2025-08-20"), ("2025-08-16", "2025-08-20")]
    segments = cached(tmp_path).coverage("IMOEX")
    assert [(a, b) for a, b, _ in segments] == [(date(2025, 8, 1), date(2025, 8, 20))]


def test_offline_rerun_is_identical_and_makes_no_request(replay, tmp_path) -> None:
    online = cached(tmp_path).fetch_cached("IMOEX", date(2025, 6, 1), date(2025, 8, 31))
    replay.clear()
    replay.inject("500", times=None)  # the network is gone
    offline = cached(tmp_path, offline=True).fetch_cached("IMOEX", date(2025, 6, 1),
                                                          date(2025, 8, 31))
    assert replay.count() == 0
    pd.testing.assert_series_equal(online.series, offline.series)
    assert offline.fetched_at == LATER


def test_offline_names_what_is_missing(replay, tmp_path) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    source = cached(tmp_path, offline=True, label="IMOEX")
    with pytest.raises(DataUnavailableError) as info:
        source.fetch("IMOEX", date(2025, 7, 1), date(2025, 9, 5))
    message = str(info.value)
    assert message.startswith("offline: the cache lacks IMOEX (moex IMOEX) for "
                              "2025-07-01 to 2025-07-31, 2025-09-01 to 2025-09-05")
    assert "eventstudy fetch IMOEX --start 2025-07-01 --end 2025-09-05" in message
    assert f"--cache-dir {tmp_path}" in message and "--prices" in message
    with pytest.raises(DataUnavailableError, match="offline: the cache has no file RTSI"):
        cached(tmp_path, offline=True).fetch("RTSI", date(2025, 7, 1), date(2025, 9, 5))
    assert replay.count() == 1


def test_refresh_refetches_the_whole_range(replay, tmp_path) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    cached(tmp_path, refresh=True).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert history_requests(replay) == [("2025-08-01", "2025-08-31")] * 2


def test_a_range_without_sessions_is_remembered(replay, tmp_path) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 4), date(2025, 8, 8))
    # top-up of a weekend only: the source has no data there, which is fine
    series = cached(tmp_path).fetch("IMOEX", date(2025, 8, 2), date(2025, 8, 8))
    assert len(series) == 5
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 2), date(2025, 8, 8))
    assert history_requests(replay) == [("2025-08-04", "2025-08-08"), ("2025-08-02", "2025-08-03")]
    with pytest.raises(NoDataError, match="no data for IMOEX between 2025-08-02 and 2025-08-03"):
        cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 8, 2), date(2025, 8, 3))


def test_a_failure_keeps_what_was_fetched(replay, tmp_path, no_wait) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    replay.inject("500", times=None, path="/iss/")
    with pytest.raises(DataUnavailableError, match="HTTP 500"):
        cached(tmp_path).fetch("IMOEX", date(2025, 7, 1), date(2025, 8, 31))
    offline = cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert len(offline) == 21


def test_cbr_and_variants_get_their_own_files(replay, tmp_path) -> None:
    cached(tmp_path, source=CbrSource()).fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))
    cached(tmp_path, source=MoexSource(**IMOEX, endpoint="candles")).fetch(
        "IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert names == ["cbr/R01235@set-date.parquet", "moex/IMOEX@stock.index.SNDX.candles.parquet"]


def test_a_crash_before_the_rename_leaves_the_old_file(replay, tmp_path, monkeypatch) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))

    def crash(src, dst):
        assert os.path.getsize(src) > 0  # the new file was written completely
        raise OSError("disk vanished")

    monkeypatch.setattr(cache_file_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk vanished"):
        cached(tmp_path).fetch("IMOEX", date(2025, 7, 1), date(2025, 8, 31))
    monkeypatch.undo()
    series = cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert len(series) == 21
    assert list(tmp_path.rglob("*.tmp")) == []  # the temporary file was removed
    with pytest.raises(DataUnavailableError, match="lacks IMOEX"):
        cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 7, 1), date(2025, 8, 31))


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from datetime import date
    from eventstudy.sources import cache, cache_file
    from eventstudy.sources.moex import MoexSource

    def half_then_die(table, handle):
        import io
        import pyarrow.parquet as pq
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        data = buffer.getvalue()
        handle.write(data[: len(data) // 2])
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    cache_file._write_table = half_then_die
    source = cache.CachedSource(MoexSource(engine="stock", market="index", board="SNDX"),
                                cache_dir=sys.argv[1])
    source.fetch("IMOEX", date(2025, 1, 1), date(2025, 8, 31))
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_writer_killed_mid_write_leaves_a_readable_cache(replay, tmp_path) -> None:
    before = cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    process = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)],
                             env={**os.environ, **replay.env()}, capture_output=True,
                             timeout=60, check=False)
    assert process.returncode == -9, process.stderr.decode()
    strays = list(tmp_path.rglob("*.tmp"))
    assert len(strays) == 1 and strays[0].stat().st_size > 0  # half a file, ignored
    after = cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    pd.testing.assert_series_equal(before, after)
    with pytest.raises(DataUnavailableError, match="lacks IMOEX"):  # the new range never landed
        cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 1, 1), date(2025, 8, 31))


def test_an_unreadable_cache_file_is_refetched_online_and_named_offline(replay, tmp_path) -> None:
    cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    path = next(tmp_path.rglob("*.parquet"))
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DataUnavailableError, match=r"cache file .* is unreadable.*delete it"):
        cached(tmp_path, offline=True).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    with pytest.warns(DataQualityWarning, match="ignoring unreadable cache file"):
        series = cached(tmp_path).fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))
    assert len(series) == 21 and replay.count() == 2


def test_subtract() -> None:
    d = date
    assert subtract((d(2025, 1, 1), d(2025, 1, 31)), []) == [(d(2025, 1, 1), d(2025, 1, 31))]
    assert subtract((d(2025, 1, 1), d(2025, 1, 31)),
                    [(d(2025, 1, 5), d(2025, 1, 10)), (d(2024, 1, 1), d(2025, 1, 2)),
                     (d(2025, 1, 8), d(2025, 1, 20))]) == [
        (d(2025, 1, 3), d(2025, 1, 4)), (d(2025, 1, 21), d(2025, 1, 31))]
    assert subtract((d(2025, 1, 1), d(2025, 1, 31)), [(d(2024, 1, 1), d(2026, 1, 1))]) == []


def test_paint() -> None:
    d, t1, t2 = date, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    segments = paint([], d(2025, 1, 1), d(2025, 1, 31), t1)
    segments = paint(segments, d(2025, 1, 10), d(2025, 2, 10), t2)
    assert segments == [(d(2025, 1, 1), d(2025, 1, 9), t1), (d(2025, 1, 10), d(2025, 2, 10), t2)]
    segments = paint(segments, d(2025, 2, 11), d(2025, 2, 20), t2)  # touching, same time: merged
    assert segments == [(d(2025, 1, 1), d(2025, 1, 9), t1), (d(2025, 1, 10), d(2025, 2, 20), t2)]
    inner = paint(segments, d(2025, 1, 3), d(2025, 1, 4), t2)
    assert inner[:3] == [(d(2025, 1, 1), d(2025, 1, 2), t1), (d(2025, 1, 3), d(2025, 1, 4), t2),
                         (d(2025, 1, 5), d(2025, 1, 9), t1)]


def test_an_ambiguous_empty_answer_is_not_cached_as_a_long_hole(tmp_path) -> None:
    """yfinance answers an outage with an empty frame: not to be remembered as "no data"."""
    from eventstudy.sources.yahoo import YahooSource

    days = pd.bdate_range("2025-08-01", "2025-08-29")
    frame = pd.DataFrame({"Close": range(1, len(days) + 1)}, index=days, dtype=float)
    state = {"down": False}

    def download(symbol, start, end, **kwargs):
        if state["down"]:
            return pd.DataFrame()
        return frame[(frame.index >= start) & (frame.index < end)]

    source = cached(tmp_path, source=YahooSource(download))
    source.fetch("^GSPC", date(2025, 8, 1), date(2025, 8, 29))
    state["down"] = True
    with pytest.raises(NoDataError, match="rate-limits"):  # a month of nothing: a failure
        source.fetch("^GSPC", date(2025, 7, 1), date(2025, 8, 29))
    # a weekend of nothing is believed
    assert len(source.fetch("^GSPC", date(2025, 8, 1), date(2025, 8, 31))) == 21
    with pytest.raises(DataUnavailableError, match="lacks"):
        cached(tmp_path, source=YahooSource(download), offline=True).fetch(
            "^GSPC", date(2025, 7, 1), date(2025, 8, 29))
