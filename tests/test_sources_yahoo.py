"""yfinance adapter, with the download function injected (frames shaped like yfinance's)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import DataUnavailableError
from eventstudy.sources.base import NoDataError, get_source
from eventstudy.sources.yahoo import YahooSource

SYMBOL = "^GSPC"


@pytest.fixture
def yf_frame(shared_data) -> pd.DataFrame:
    """A real ``yf.download('^GSPC')`` result: MultiIndex columns (Price, Ticker)."""
    path = shared_data / "SP500_ohlcv_yfinance_multiheader_2025_2026.csv"
    frame = pd.read_csv(path, header=[0, 1], index_col=0, parse_dates=True)
    frame.columns.names = ["Price", "Ticker"]
    frame.index.name = "Date"
    return frame


class FakeDownload:
    """Records its calls and returns a fixed frame (or raises)."""

    def __init__(self, result: pd.DataFrame | Exception) -> None:
        self.result = result
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if isinstance(self.result, Exception):
            raise self.result
        start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
        frame = self.result
        return frame[(frame.index >= start) & (frame.index < end)]


def test_registered_under_yahoo() -> None:
    assert isinstance(get_source("yahoo"), YahooSource)


def test_multiindex_frame(yf_frame) -> None:
    download = FakeDownload(yf_frame)
    series = YahooSource(download).fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))
    expected = yf_frame[("Close", SYMBOL)]["2025-08-01":"2025-08-29"]
    assert series.tolist() == expected.tolist()
    assert len(series) == 21
    assert series.index.name == "date" and series.index.tz is None
    args, kwargs = download.calls[0]
    assert args == (SYMBOL,)
    # yfinance's end is exclusive: one day after the last wanted date
    assert (kwargs["start"], kwargs["end"]) == ("2025-08-01", "2025-08-30")
    assert kwargs["auto_adjust"] is True and kwargs["progress"] is False


def test_flat_columns(yf_frame) -> None:
    flat = yf_frame.droplevel("Ticker", axis=1)  # multi_level_index=False / older yfinance
    series = YahooSource(FakeDownload(flat)).fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))
    assert series[pd.Timestamp("2025-08-07")] == flat.loc["2025-08-07", "Close"]


def test_auto_adjust_false_reads_adj_close(yf_frame) -> None:
    raw = yf_frame.copy()
    raw[("Adj Close", SYMBOL)] = raw[("Close", SYMBOL)] * 0.5
    download = FakeDownload(raw)
    source = YahooSource(download, auto_adjust="false", field="Adj Close")
    series = source.fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))
    assert download.calls[0][1]["auto_adjust"] is False
    assert series.tolist() == (raw[("Close", SYMBOL)]["2025-08-01":"2025-08-29"] * 0.5).tolist()
    with pytest.raises(DataUnavailableError, match="no 'Adj Close' column"):
        YahooSource(FakeDownload(yf_frame), field="Adj Close").fetch(
            SYMBOL, date(2025, 8, 1), date(2025, 8, 29))


def test_timezone_aware_index_keeps_the_exchange_date(yf_frame) -> None:
    aware = yf_frame.copy()
    aware.index = aware.index.tz_localize("America/New_York")

    def download(*args, **kwargs):
        return aware

    series = YahooSource(download).fetch(SYMBOL, date(2025, 8, 7), date(2025, 8, 7))
    assert series.index.tolist() == [pd.Timestamp("2025-08-07")]


def test_empty_frame_is_a_clear_error(yf_frame) -> None:
    empty = yf_frame.iloc[:0]
    with pytest.raises(NoDataError, match=r"no data for \^GSPC between 2025-08-01 and "
                                          r"2025-08-29.*rate-limits.*no network"):
        YahooSource(FakeDownload(empty)).fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))
    with pytest.raises(NoDataError, match="empty frame"):
        YahooSource(lambda *a, **k: pd.DataFrame()).fetch(SYMBOL, date(2025, 8, 1),
                                                          date(2025, 8, 29))


def test_all_nan_frame_is_a_clear_error(yf_frame) -> None:
    nan = yf_frame.astype(float)
    nan[:] = np.nan
    with pytest.raises(NoDataError, match=r"\^GSPC.*only empty \(NaN\) prices"):
        YahooSource(FakeDownload(nan)).fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))


def test_download_exception_is_wrapped() -> None:
    class YFRateLimitError(Exception):
        pass

    failing = FakeDownload(YFRateLimitError("Too Many Requests. Rate limited."))
    with pytest.raises(DataUnavailableError, match=r"'BZ=F'.*YFRateLimitError: Too Many"):
        YahooSource(failing).fetch("BZ=F", date(2025, 8, 1), date(2025, 8, 29))


def test_frame_of_another_ticker(yf_frame) -> None:
    two = pd.concat([yf_frame.rename(columns={SYMBOL: "EEM"}),
                     yf_frame.rename(columns={SYMBOL: "SPY"})], axis=1)
    with pytest.raises(DataUnavailableError, match="other tickers only: EEM, SPY"):
        YahooSource(FakeDownload(two)).fetch(SYMBOL, date(2025, 8, 1), date(2025, 8, 29))
