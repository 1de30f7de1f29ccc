"""Intraday bars from MOEX ISS candles: closes indexed by each bar's UTC start.

ISS serves candles of 1, 10 and 60 minutes (``interval=1|10|60``) at::

    /iss/engines/{engine}/markets/{market}[/boards/{board}]/securities/{SECID}/candles.json

in pages of 500 rows (``start=``), until a page comes back empty
(:meth:`eventstudy.sources.moex.MoexSource.fetch_candles`). ``begin`` is the bar's
start in Moscow wall-clock time, without an offset (``2025-08-07 11:00:00``); Moscow
has kept UTC+3 all year since 26 October 2014, so each ``begin`` is one instant.
``from``/``till`` are Moscow dates, both included.

Example
-------
>>> bars = MoexBarSource("1h", engine="stock", market="index", board="SNDX")   # doctest: +SKIP
>>> bars.fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))                  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError, DataUnavailableError
from eventstudy.sources import _http
from eventstudy.sources.base import NoDataError
from eventstudy.sources.moex import SERVICE, MoexSource

if TYPE_CHECKING:  # pragma: no cover
    import requests

#: Study intervals ISS serves, and ISS's ``interval`` value for each.
ISS_BAR_INTERVALS = {"1min": 1, "10min": 10, "1h": 60}
#: The zone of ISS's ``begin`` stamps.
ISS_TIMEZONE = "Europe/Moscow"


class MoexBarSource:
    """Closes of ISS candles of one intraday ``interval``, indexed by bar start (UTC).

    Parameters
    ----------
    interval
        A key of :data:`ISS_BAR_INTERVALS` (``1min``, ``10min``, ``1h``).
    session
        ``requests.Session`` to use.
    engine, market, board
        Where the security trades (as for :class:`~eventstudy.sources.moex.MoexSource`).
    **http
        ``base_url``, ``timeout``, ``tries``, ``backoff``, ``sleep``, ``deadline``.

    Raises
    ------
    ConfigError
        For an interval ISS has no candles of (``5min``).
    """

    name = "moex"

    def __init__(self, interval: str, session: requests.Session | None = None, *,
                 engine: str = "stock", market: str = "index", board: str | None = None,
                 **http: Any) -> None:
        if interval not in ISS_BAR_INTERVALS:
            raise ConfigError(f"MOEX ISS has no {interval} candles",
                              fix=f"use interval {', '.join(ISS_BAR_INTERVALS)}, or give a file of "
                                  f"{interval} bars: [assets.NAME] file = \"bars.csv\"")
        self.interval = interval
        self.moex = MoexSource(session, engine=engine, market=market, board=board,
                               endpoint="candles", **http)

    @property
    def base_url(self) -> str:
        """Scheme and host in use now."""
        return self.moex.base_url

    @property
    def cache_key(self) -> str:
        """What distinguishes this source's bars of one symbol (engine, market, board)."""
        return ".".join([self.moex.engine, self.moex.market, self.moex.board or "all"])

    def url(self, symbol: str, start: date, end: date) -> str:
        """The candles URL of ``symbol`` for ``start`` .. ``end`` (first page)."""
        return _http.full_url(self.moex.candles_url(symbol), {
            "from": f"{start:%Y-%m-%d}", "till": f"{end:%Y-%m-%d}",
            "interval": ISS_BAR_INTERVALS[self.interval]})

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        """Closes of the bars of ``symbol`` whose Moscow date is in ``start`` .. ``end``.

        Returns
        -------
        pandas.Series
            Float closes indexed by the bar's start, UTC-aware, sorted, unique; bars
            without a close (empty or 0) dropped.

        Raises
        ------
        NoDataError
            ISS answered without a candle in the range.
        DataUnavailableError
            ISS could not be reached, cut a page short, or sent unreadable stamps.
        """
        frame = self.moex.fetch_candles(symbol, start, end, interval=ISS_BAR_INTERVALS[self.interval])
        url = self.moex.candles_url(symbol)
        begin = pd.DatetimeIndex(frame["begin"])
        if begin.isna().any():
            raise DataUnavailableError(f"{SERVICE} sent a candle without a 'begin' time at {url}")
        starts = begin.tz_localize(ISS_TIMEZONE, ambiguous="NaT", nonexistent="NaT")
        if starts.isna().any():
            raise DataUnavailableError(f"{SERVICE} sent a 'begin' time that does not exist in "
                                       f"{ISS_TIMEZONE} ({begin[starts.isna()][0]}) at {url}")
        closes = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype=float)
        local_day = begin.normalize()
        keep = (local_day >= pd.Timestamp(start)) & (local_day <= pd.Timestamp(end))
        keep &= np.isfinite(closes) & (closes > 0)
        series = pd.Series(closes[keep], index=starts[keep].tz_convert("UTC").as_unit("ns"),
                           name=symbol).sort_index()
        if series.index.has_duplicates:
            raise DataUnavailableError(f"{SERVICE} sent the candle starting "
                                       f"{series.index[series.index.duplicated()][0]} twice at {url}")
        if series.empty:
            raise NoDataError(SERVICE, symbol, start, end, f"no {self.interval} candle with a close at {url}")
        series.index.name = "time"
        return series
