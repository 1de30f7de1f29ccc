"""Moscow Exchange Information & Statistical Server (ISS): daily history and candles.

Endpoints (``../shared/data/APIS.md`` section 1)::

    /iss/history/engines/{engine}/markets/{market}[/boards/{board}]/securities/{SECID}.json
    /iss/engines/{engine}/markets/{market}/securities/{SECID}/candles.json

History answers hold at most 100 rows per page plus a ``history.cursor`` block
``INDEX, TOTAL, PAGESIZE``; pages are requested with ``start=`` until every row is
read. Candles have no cursor: pages of :data:`CANDLE_PAGE` are requested until one
comes back empty; a short page that is not the last is asked again, then reported.

The base URL (scheme and host) is ``$EVENTSTUDY_MOEX_URL``, read at each request, or
``https://iss.moex.com``.

Example
-------
>>> src = MoexSource(engine="stock", market="index", board="SNDX")   # doctest: +SKIP
>>> src.fetch("IMOEX", date(2025, 8, 1), date(2025, 8, 31))           # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.errors import ConfigError, DataQualityWarning, DataUnavailableError
from eventstudy.sources import _http
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import NoDataError, register_source

if TYPE_CHECKING:  # pragma: no cover
    import requests

ENV_VAR = "EVENTSTUDY_MOEX_URL"
DEFAULT_URL = "https://iss.moex.com"
SERVICE = "MOEX ISS"
#: Safety stop for paging loops (100 rows a page: ~270 years of daily rows).
MAX_PAGES = 1000
#: Candle ``interval`` values understood by ISS.
#: Candles in a full ISS candles page (a shorter page is the last one).
CANDLE_PAGE = 500
CANDLE_INTERVALS = {1: "1 min", 10: "10 min", 60: "1 hour", 24: "1 day", 7: "1 week", 31: "1 month"}


@register_source("moex")
class MoexSource:
    """Daily closes from MOEX ISS.

    Parameters
    ----------
    session
        ``requests.Session`` to use; a new one is created when omitted.
    engine, market, board
        Where the security trades (``stock``/``index``/``SNDX`` for IMOEX,
        ``stock``/``index``/``RTSI`` for RTSI, ``currency``/``selt``/``CETS`` for
        ``CNYRUB_TOM``). ``board=None`` asks ISS for every board of the market.
    endpoint
        ``"history"`` (official daily close, default) or ``"candles"`` (daily candles).
    column
        History column holding the price (``CLOSE``; e.g. ``WAPRICE`` for a weighted
        average). Ignored for candles, which use ``close``.
    base_url
        Scheme and host; default ``$EVENTSTUDY_MOEX_URL`` or ``https://iss.moex.com``.
    timeout, tries, backoff, sleep, deadline
        HTTP behaviour, see :func:`eventstudy.sources._http.get`.
    """

    name = "moex"

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        engine: str = "stock",
        market: str = "index",
        board: str | None = None,
        endpoint: str = "history",
        column: str = "CLOSE",
        base_url: str | None = None,
        timeout: float | tuple[float, float] = _http.DEFAULT_TIMEOUT,
        tries: int = _http.DEFAULT_TRIES,
        backoff: float = _http.DEFAULT_BACKOFF,
        sleep: Any = None,
        deadline: float | None = None,
    ) -> None:
        if endpoint not in ("history", "candles"):
            raise ConfigError(
                f"unknown MOEX endpoint {endpoint!r}", fix="use 'history' or 'candles'"
            )
        self.http = _http.HttpClient(SERVICE, ENV_VAR, DEFAULT_URL, session, base_url, timeout, tries,
                                     backoff, sleep, deadline)
        self.engine = engine
        self.market = market
        self.board = board or None
        self.endpoint = endpoint
        self.column = column.upper()

    # -- public ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Scheme and host in use now (the environment is read at each call)."""
        return self.http.base_url

    @property
    def cache_key(self) -> str:
        """What distinguishes this source's series of one symbol (for the cache)."""
        parts = [self.engine, self.market, self.board or "all", self.endpoint]
        if self.endpoint == "history" and self.column != "CLOSE":
            parts.append(self.column)
        return ".".join(parts)

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        """Daily closes of ``symbol`` observed from ``start`` to ``end`` (inclusive).

        Raises
        ------
        NoDataError
            ISS answered, without any row in the range.
        DataUnavailableError
            ISS could not be reached, failed, or sent something unreadable.
        """
        start, end = as_date(start), as_date(end)
        if self.endpoint == "candles":
            frame = self.fetch_candles(symbol, start, end, interval=24)
            series = pd.Series(
                frame["close"].to_numpy(dtype=float),
                index=date_index(frame["begin"].dt.normalize()),
            )
        else:
            frame = self.fetch_history(symbol, start, end, columns=("TRADEDATE", self.column))
            if self.column not in frame.columns:
                raise DataUnavailableError(
                    f"{SERVICE} history of {symbol} has no column {self.column!r} "
                    f"(columns: {', '.join(frame.columns)}) at {self.history_url(symbol)}"
                )
            series = pd.Series(
                pd.to_numeric(frame[self.column], errors="coerce").to_numpy(dtype=float),
                index=date_index(pd.to_datetime(frame["TRADEDATE"])),
            )
        url = self.candles_url(symbol) if self.endpoint == "candles" else self.history_url(symbol)
        return _clean(series, symbol, start, end, url)

    def history_url(self, symbol: str) -> str:
        """URL of the history resource of ``symbol`` (without query)."""
        board = f"/boards/{self.board}" if self.board else ""
        return (
            f"{self.base_url}/iss/history/engines/{self.engine}/markets/{self.market}"
            f"{board}/securities/{symbol}.json"
        )

    def candles_url(self, symbol: str) -> str:
        """URL of the candles resource of ``symbol`` (without query)."""
        board = f"/boards/{self.board}" if self.board else ""
        return (
            f"{self.base_url}/iss/engines/{self.engine}/markets/{self.market}"
            f"{board}/securities/{symbol}/candles.json"
        )

    def fetch_history(
        self, symbol: str, start: date, end: date, columns: tuple[str, ...] | None = None
    ) -> pd.DataFrame:
        """Every row of the ISS ``history`` block for the range, all pages read.

        ``columns`` restricts the columns ISS sends (``history.columns``); rows keep
        ISS's column names. Raises :class:`NoDataError` when there is no row.
        """
        url = self.history_url(symbol)
        params: dict[str, str | int] = {
            "from": f"{start:%Y-%m-%d}",
            "till": f"{end:%Y-%m-%d}",
            "iss.meta": "off",
            "iss.only": "history,history.cursor",
        }
        if columns:
            wanted = ["BOARDID", *columns] if self.board is None else list(columns)
            params["history.columns"] = ",".join(dict.fromkeys(wanted))
        names: list[str] | None = None
        rows: list[list[Any]] = []
        offset = 0
        for _ in range(MAX_PAGES):
            page_names, page_rows, cursor = self._history_page(url, {**params, "start": offset})
            names = names or page_names
            if page_names != names:
                raise DataUnavailableError(
                    f"{SERVICE} changed the history columns between pages at {url}"
                )
            rows.extend(page_rows)
            if cursor is None:  # no cursor block: read until a page is empty
                if not page_rows:
                    break
                offset += len(page_rows)
                continue
            index, total, pagesize = cursor
            if pagesize <= 0 or index + pagesize >= total or not page_rows:
                break
            offset = index + pagesize
        else:
            raise DataUnavailableError(f"{SERVICE} kept paging past {MAX_PAGES} pages at {url}")
        if not rows:
            raise NoDataError(SERVICE, symbol, start, end, f"empty history at {url}")
        frame = pd.DataFrame(rows, columns=names)
        if self.board is None and "BOARDID" in frame.columns:
            boards = frame["BOARDID"].unique()
            if len(boards) > 1:
                raise ConfigError(
                    f"{SERVICE} lists {symbol} on several boards ({', '.join(map(str, boards))})",
                    fix="set the asset's 'board' option to one of them",
                )
        return frame

    def fetch_candles(
        self, symbol: str, start: date, end: date, interval: int = 24
    ) -> pd.DataFrame:
        """Candles of ``symbol`` (columns ``open close high low value volume begin end``).

        ``interval`` is in ISS units: 1, 10, 60 minutes; 24 day; 7 week; 31 month.
        ``begin``/``end`` are parsed to (Moscow wall-clock, tz-naive) timestamps.
        Raises :class:`NoDataError` when there is no candle.
        """
        if interval not in CANDLE_INTERVALS:
            raise ConfigError(
                f"unknown ISS candle interval {interval}",
                fix=f"use one of {', '.join(map(str, CANDLE_INTERVALS))}",
            )
        url = self.candles_url(symbol)
        params: dict[str, str | int] = {
            "from": f"{start:%Y-%m-%d}",
            "till": f"{end:%Y-%m-%d}",
            "interval": interval,
            "iss.meta": "off",
            "iss.only": "candles",
        }
        names: list[str] | None = None
        rows: list[list[Any]] = []
        for _ in range(MAX_PAGES):
            page_names, page_rows = self._candle_page(url, params, len(rows))
            names = names or page_names
            if 0 < len(page_rows) < CANDLE_PAGE:
                following = self._candle_page(url, params, len(rows) + len(page_rows))[1]
                if not following:  # the last page
                    rows.extend(page_rows)
                    break
                page_rows = self._full_candle_page(url, params, len(rows), len(page_rows))
            if not page_rows:
                break
            rows.extend(page_rows)
        else:
            raise DataUnavailableError(f"{SERVICE} kept paging past {MAX_PAGES} pages at {url}")
        if not rows:
            raise NoDataError(SERVICE, symbol, start, end, f"no candles at {url}")
        frame = pd.DataFrame(rows, columns=names)
        missing = {"begin", "close"} - set(frame.columns)
        if missing:
            raise DataUnavailableError(
                f"{SERVICE} candles lack {', '.join(sorted(missing))} at {url}"
            )
        for column in ("begin", "end"):
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column])
        return frame

    # -- internals ------------------------------------------------------------------

    def _history_page(
        self, url: str, params: dict[str, str | int]
    ) -> tuple[list[str], list[list[Any]], tuple[int, int, int] | None]:
        """One history page, asked again while it has fewer rows than its cursor announces.

        A page short of ``min(PAGESIZE, TOTAL - INDEX)`` rows (a server cutting an answer
        short) is requested again like a failed request (``tries`` attempts, backoff);
        if it stays short, :class:`DataUnavailableError` names the URL, so a partial
        history is never returned, nor cached as complete.
        """
        found = "no page"
        for attempt in range(max(1, self.http.tries)):
            if attempt:
                (self.http.sleep or _http.pause)(self.http.backoff * 2 ** (attempt - 1))
            payload = self._get_json(url, params)
            names, rows = _block(payload, "history", url)
            cursor = _cursor(payload, url)
            if cursor is None:
                return names, rows, cursor
            index, total, pagesize = cursor
            expected = max(0, min(pagesize, total - index))
            if len(rows) >= expected:
                return names, rows, cursor
            found = f"{len(rows)} rows where its cursor announced {expected} (of TOTAL {total})"
        full_url = _http.full_url(url, params)
        raise DataUnavailableError(
            f"{SERVICE} sent an incomplete history page from {full_url}: {found}, "
            f"after {max(1, self.http.tries)} tries"
        )

    def _candle_page(self, url: str, params: dict[str, str | int],
                     offset: int) -> tuple[list[str], list[list[Any]]]:
        return _block(self._get_json(url, {**params, "start": offset}), "candles", url)

    def _full_candle_page(self, url: str, params: dict[str, str | int], offset: int,
                          found: int) -> list[list[Any]]:
        """The candle page at ``offset``, asked again after it came back short.

        A page of fewer than :data:`CANDLE_PAGE` candles followed by a non-empty page
        was cut short; it is requested again (``tries`` attempts in all, backoff). If it
        stays short, :class:`DataUnavailableError` names the URL, so a partial series is
        never returned, nor cached as complete.
        """
        tries = max(1, self.http.tries)
        for attempt in range(1, tries):
            (self.http.sleep or _http.pause)(self.http.backoff * 2 ** (attempt - 1))
            rows = self._candle_page(url, params, offset)[1]
            if len(rows) >= CANDLE_PAGE:
                return rows
            found = len(rows)
        full_url = _http.full_url(url, {**params, "start": offset})
        raise DataUnavailableError(
            f"{SERVICE} sent a short candles page from {full_url}: {found} candles where "
            f"{CANDLE_PAGE} were due (the next page is not empty), after {tries} tries"
        )

    def _get_json(self, url: str, params: dict[str, str | int]) -> dict[str, Any]:
        response = self.http.get(url, params)
        try:
            payload = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise DataUnavailableError(
                f"{SERVICE} sent malformed JSON from {response.url} ({error}); "
                f"the body starts {_http.snippet(response.content)}"
            ) from None
        if not isinstance(payload, dict):
            raise DataUnavailableError(
                f"{SERVICE} sent unexpected JSON from {response.url}: "
                f"{_http.snippet(response.content)}"
            )
        return payload


def _block(payload: dict[str, Any], name: str, url: str) -> tuple[list[str], list[list[Any]]]:
    block = payload.get(name)
    if not isinstance(block, dict) or not isinstance(block.get("columns"), list) or not isinstance(
        block.get("data"), list
    ):
        raise DataUnavailableError(
            f"{SERVICE} answer from {url} has no {name!r} block with columns and data "
            f"(blocks: {', '.join(payload) or 'none'})"
        )
    columns = [str(c) for c in block["columns"]]
    data = block["data"]
    if any(not isinstance(row, list) or len(row) != len(columns) for row in data):
        raise DataUnavailableError(
            f"{SERVICE} answer from {url} has {name!r} rows that do not match its columns"
        )
    return columns, data


def _cursor(payload: dict[str, Any], url: str) -> tuple[int, int, int] | None:
    block = payload.get("history.cursor")
    if block is None:
        return None
    try:
        row = dict(zip(block["columns"], block["data"][0], strict=True))
        return int(row["INDEX"]), int(row["TOTAL"]), int(row["PAGESIZE"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise DataUnavailableError(
            f"{SERVICE} answer from {url} has an unreadable history.cursor block: {block!r:.120}"
        ) from None


def _clean(series: pd.Series, symbol: str, start: date, end: date, url: str) -> pd.Series:
    """Sort, keep the range, drop missing and zero closes (ISS: no trades that day).

    A negative close is impossible and raises :class:`DataUnavailableError` naming ``url``.
    """
    series = series.sort_index()
    series = series[(series.index >= pd.Timestamp(start)) & (series.index <= pd.Timestamp(end))]
    negative = series < 0
    if negative.any():
        raise DataUnavailableError(
            f"{SERVICE} sent an impossible close {series[negative].iloc[0]:g} for {symbol} on "
            f"{series.index[negative][0]:%Y-%m-%d} from {url}"
        )
    bad = series.isna() | (series <= 0)
    if bad.any():
        days = ", ".join(f"{d:%Y-%m-%d}" for d in series.index[bad][:5])
        more = "" if bad.sum() <= 5 else f" and {int(bad.sum()) - 5} more"
        warnings.warn(
            f"{SERVICE} {symbol}: dropped {int(bad.sum())} day(s) without a close "
            f"(empty or 0, i.e. no trades): {days}{more}",
            DataQualityWarning,
            stacklevel=3,
        )
        series = series[~bad]
    if series.index.has_duplicates:
        series = series[~series.index.duplicated(keep="last")]
    if series.empty:
        raise NoDataError(SERVICE, symbol, start, end, "no usable close")
    series.name = symbol
    return series.astype(float)
