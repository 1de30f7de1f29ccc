"""A local HTTP server answering like MOEX ISS and the Bank of Russia, from real data.

Serves, in the real wire formats, the series in ``../shared/data`` (read in place,
never copied):

- ISS ``history`` JSON (``history`` + ``history.cursor`` blocks, 100-row pages,
  ``from``/``till``/``start``, ``iss.only``, ``iss.meta``, ``history.columns``) for
  ``IMOEX`` (stock/index, board SNDX), ``RTSI`` (stock/index, board RTSI; 2015-2023
  only, the data there) and ``CNYRUB_TOM`` (currency/selt, board CETS);
- ISS ``candles`` JSON (pages of 500, until empty): daily (``interval=24``) for IMOEX
  from its history; hourly (``interval=60``) for IMOEX from
  ``intraday/IMOEX_hourly_iss_2022-06_2026-05.csv`` (open and close only: ``high``,
  ``low``, ``value``, ``volume`` are null); 1-minute (``interval=1``) for SBER
  (stock/shares, board TQBR) from ``intraday/SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet``,
  its UTC stamps written as ISS writes them: Moscow wall-clock ``begin`` and ``end``
  (``2025-09-12 13:30:00``, ``2025-09-12 13:30:59``); 10-minute (``interval=10``) for SBER
  from ``intraday/SBER_10min_iss_shifted_2022-01_2024-12.csv``, its labels (Moscow time
  + 3 h) moved back 3 hours to ISS's ``begin``; ``from``/``till`` are Moscow dates;
- Bank of Russia ``/scripts/XML_dynamic.asp`` in windows-1251 with decimal commas and
  effective dates, for USD ``R01235`` and EUR ``R01239``, and two synthetic IDs
  quoting the USD rate per 10 (``R90235``, ``Nominal`` 10) and per 100 (``R91235``,
  ``Nominal`` 100) units, to prove the division by ``Nominal``.

Unknown securities get ISS's real answer for them (an empty ``history``) and unknown
currency IDs an empty ``ValCurs``. Faults are injected per test with
:meth:`ReplayServer.inject`; every request is logged in :attr:`ReplayServer.requests`.

Usage (tests, notebooks)::

    with start_replay_server() as server:
        os.environ.update(server.env())      # EVENTSTUDY_MOEX_URL / _CBR_URL
        server.inject("503", times=1)
        ...
        server.count("/iss/")                # requests seen

Stand-alone: ``python tests/replay_server.py [DATA_DIR]`` prints the URL and serves
until interrupted.
"""

from __future__ import annotations

import bisect
import csv
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
ISS_PAGE = 100
CANDLE_PAGE = 500
FAULTS = ("503", "500", "404", "429", "truncated", "html", "empty", "drop", "hang", "badjson",
          "drip", "short", "zero")
#: Seconds between the bytes of a "drip" answer.
DRIP_INTERVAL = 0.5

HISTORY_INDEX_COLUMNS = [
    "BOARDID", "SECID", "TRADEDATE", "SHORTNAME", "NAME", "CLOSE", "OPEN", "HIGH", "LOW",
    "VALUE", "DURATION", "YIELD", "DECIMALS", "CAPITALIZATION", "CURRENCYID", "DIVISOR",
    "TRADINGSESSION", "VOLUME", "TRADE_SESSION_DATE", "RECALC_DATE",
]
HISTORY_CURRENCY_COLUMNS = [
    "BOARDID", "TRADEDATE", "SHORTNAME", "SECID", "OPEN", "LOW", "HIGH", "CLOSE",
    "NUMTRADES", "VOLRUR", "WAPRICE",
]
CANDLE_COLUMNS = ["open", "close", "high", "low", "value", "volume", "begin", "end"]


@dataclass
class Fault:
    kind: str
    times: int | None  # None: every matching request
    path: str | None  # substring of the request path, None: any


@dataclass
class SeenRequest:
    path: str
    params: dict[str, str]


@dataclass
class _Table:
    columns: list[str]
    rows: list[list[Any]]  # sorted by date
    dates: list[str] = field(default_factory=list)  # ISO date of each row
    boards: tuple[str, ...] = ()


class ReplayData:
    """The real series, read lazily from ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir)
        if not self.dir.is_dir():
            raise FileNotFoundError(f"shared data folder {self.dir} not found")
        self.history = cache(self._history)
        self.cbr = cache(self._cbr)
        self.bars = cache(self._bars)

    def _read(self, name: str, delimiter: str = ",") -> list[dict[str, str]]:
        with open(self.dir / name, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle, delimiter=delimiter))

    def _history(self, engine: str, market: str, secid: str) -> _Table | None:
        key = (engine, market, secid.upper())
        if key == ("stock", "index", "IMOEX"):
            rows = []
            for r in self._read("IMOEX_iss_history_2018_2026.csv", ";"):
                row: list[Any] = []
                for column in HISTORY_INDEX_COLUMNS:
                    text = r[column]
                    if column in ("TRADEDATE", "TRADE_SESSION_DATE"):
                        row.append(_iso(text) if text else None)
                    elif column in ("BOARDID", "SECID", "SHORTNAME", "NAME", "CURRENCYID",
                                    "TRADINGSESSION"):
                        row.append(text or None)
                    else:
                        row.append(_num(text.replace(",", ".")) if text else None)
                rows.append(row)
            return _table(HISTORY_INDEX_COLUMNS, rows, "TRADEDATE", ("SNDX",))
        if key == ("stock", "index", "RTSI"):
            rows = []
            for r in self._read("RTSI_finam_2015_2023.csv", ";"):
                day = f"{r['DATE'][:4]}-{r['DATE'][4:6]}-{r['DATE'][6:]}"
                rows.append(["RTSI", "RTSI", day, "Индекс РТС", "Индекс РТС",
                             _num(r["CLOSE"]), _num(r["OPEN"]), _num(r["HIGH"]), _num(r["LOW"]),
                             None, 0, 0, 2, None, "USD", None, "3", None, day, None])
            return _table(HISTORY_INDEX_COLUMNS, rows, "TRADEDATE", ("RTSI",))
        if key == ("currency", "selt", "CNYRUB_TOM"):
            rows = []
            for r in self._read("CNYRUB_moex_tom_2014_2026.csv"):
                rows.append(["CETS", r["date"], "CNYRUB_TOM", "CNYRUB_TOM", None, None, None,
                             _num(r["cnyrub"]),
                             int(float(r["cnyrub_numtrades"])) if r["cnyrub_numtrades"] else None,
                             None, _num(r["cnyrub_wap"]) if r["cnyrub_wap"] else None])
            return _table(HISTORY_CURRENCY_COLUMNS, rows, "TRADEDATE", ("CETS",))
        return None

    def _bars(self, engine: str, market: str, secid: str, interval: str) -> _Table | None:
        """Intraday candle rows (``CANDLE_COLUMNS``) with their Moscow ``begin`` dates."""
        key = (engine, market, secid.upper(), interval)
        if key == ("stock", "index", "IMOEX", "60"):
            rows: list[list[Any]] = []
            for r in self._read("intraday/IMOEX_hourly_iss_2022-06_2026-05.csv"):
                begin = datetime.fromisoformat(r["dt"])
                rows.append([_num(r["open"]), _num(r["close"]), None, None, None, None,
                             f"{begin:%Y-%m-%d %H:%M:%S}",
                             f"{begin + timedelta(minutes=59, seconds=59):%Y-%m-%d %H:%M:%S}"])
            return _table(CANDLE_COLUMNS, rows, "begin", ("SNDX",))
        if key == ("stock", "shares", "SBER", "10"):  # the file's labels are Moscow time + 3 h
            rows = []
            for r in self._read("intraday/SBER_10min_iss_shifted_2022-01_2024-12.csv"):
                begin = datetime.fromisoformat(r["begin"]).replace(tzinfo=None) - timedelta(hours=3)
                rows.append([_num(r["open"]), _num(r["close"]), _num(r["high"]), _num(r["low"]), None,
                             int(r["volume"]), f"{begin:%Y-%m-%d %H:%M:%S}",
                             f"{begin + timedelta(minutes=9, seconds=59):%Y-%m-%d %H:%M:%S}"])
            return _table(CANDLE_COLUMNS, rows, "begin", ("TQBR",))
        if key == ("stock", "shares", "SBER", "1"):
            import pandas as pd

            name = "SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet"
            frame = pd.read_parquet(self.dir / "intraday" / name)
            begin = pd.DatetimeIndex(frame["time"]).tz_convert("Europe/Moscow").tz_localize(None)
            rows = [[float(o), float(c), float(h), float(lo), None, int(v), f"{b:%Y-%m-%d %H:%M:%S}",
                     f"{b + timedelta(seconds=59):%Y-%m-%d %H:%M:%S}"]
                    for o, c, h, lo, v, b in zip(frame["open"], frame["close"], frame["high"], frame["low"],
                                                 frame["volume"], begin, strict=True)]
            return _table(CANDLE_COLUMNS, rows, "begin", ("TQBR",))
        return None

    def _cbr(self, currency: str) -> list[tuple[date, int, Decimal]] | None:
        """(effective date, nominal, value per nominal) of a currency ID."""
        sources: dict[str, tuple[str, str, int]] = {
            "R01235": ("USDRUB_cbr_official_2014_2026.csv", "usdrub_cbr", 1),
            "R01239": ("EURRUB_cbr_official_2024-10_2025-12.csv", "eurrub_cbr", 1),
            "R90235": ("USDRUB_cbr_official_2014_2026.csv", "usdrub_cbr", 10),
            "R91235": ("USDRUB_cbr_official_2014_2026.csv", "usdrub_cbr", 100),
        }
        if currency not in sources:
            return None
        name, column, nominal = sources[currency]
        return [
            (date.fromisoformat(r["date"]), nominal, Decimal(r[column]) * nominal)
            for r in self._read(name)
        ]


def _num(text: str) -> float:
    return float(text)


def _iso(text: str) -> str:
    return datetime.strptime(text, "%d.%m.%Y").date().isoformat() if "." in text else text


def _table(columns: list[str], rows: list[list[Any]], date_column: str,
           boards: tuple[str, ...]) -> _Table:
    i = columns.index(date_column)
    rows.sort(key=lambda r: r[i])
    return _Table(columns, rows, [r[i] for r in rows], boards)


class ReplayServer:
    """The running server. Use :func:`start_replay_server` to create one."""

    def __init__(self, data_dir: Path | str | None = None, host: str = "127.0.0.1") -> None:
        self.data = ReplayData(Path(data_dir) if data_dir else DEFAULT_DATA_DIR)
        self.requests: list[SeenRequest] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer((host, 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="replay-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Scheme, host and port (what ``EVENTSTUDY_MOEX_URL``/``_CBR_URL`` take)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Environment variables pointing both live sources at this server."""
        return {"EVENTSTUDY_MOEX_URL": self.url, "EVENTSTUDY_CBR_URL": self.url}

    def inject(self, kind: str, *, times: int | None = 1, path: str | None = None) -> None:
        """Make the next ``times`` matching requests fail (``None``: all of them).

        ``kind``: ``"503"``, ``"500"``, ``"404"`` (that status, with a short body);
        ``"truncated"`` (the real body cut in half, well framed); ``"html"`` (an HTML
        page with status 200, as a blocking proxy sends); ``"badjson"`` (JSON of the
        wrong shape); ``"empty"`` (a valid answer without data); ``"drop"`` (the
        connection closes mid-body); ``"hang"`` (never answers); ``"429"`` (Too Many
        Requests with ``Retry-After: 120``); ``"drip"`` (the real answer, one byte
        every :data:`DRIP_INTERVAL` seconds); ``"short"`` (an ISS history page with half
        its rows, the cursor unchanged; an intraday candles page with half its rows);
        ``"zero"`` (a Bank of Russia answer whose first rate is 0). ``path`` restricts the
        fault to request paths containing it.
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; use one of {', '.join(FAULTS)}")
        with self._lock:
            self.faults.append(Fault(kind, times, path))

    def clear(self) -> None:
        """Forget injected faults and logged requests; let hanging requests go."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self._release.set()
            self._release = threading.Event()

    def count(self, path: str | None = None) -> int:
        """Requests seen whose path contains ``path`` (all when ``None``)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or path in r.path)

    def stop(self) -> None:
        """Stop serving and release the port (hanging requests are let go)."""
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- called from handler threads ----------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path is None or fault.path in path:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def _log(self, path: str, params: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(SeenRequest(path, params))


def start_replay_server(data_dir: Path | str | None = None) -> ReplayServer:
    """Start a replay server on 127.0.0.1 (ephemeral port) serving ``data_dir``."""
    return ReplayServer(data_dir)


# -- request handling ---------------------------------------------------------------

Response = tuple[int, str, bytes]  # status, content type, body


def _handler_class(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            server._log(parts.path, params)
            fault = server._take_fault(parts.path)
            kind = fault.kind if fault else None
            if kind == "hang":
                server._release.wait(30)
                return
            if kind in ("503", "500", "404"):
                status = int(kind)
                self._send(status, "text/html; charset=utf-8",
                           f"<html><body><h1>{status}</h1>replay fault</body></html>".encode())
                return
            if kind == "429":
                self.send_response(429)
                self.send_header("Retry-After", "120")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if kind == "html":
                self._send(200, "text/html; charset=utf-8",
                           b"<html><body><p>Access denied</p></body></html>")
                return
            try:
                status, ctype, body = _route(server.data, parts.path, params, kind)
            except Exception as error:  # a bug here should look like a server error
                self._send(500, "text/plain", f"replay server error: {error!r}".encode())
                return
            if kind == "truncated":
                body = body[: len(body) // 2]
            if kind == "drop":
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if kind == "drip":
                self._drip(status, ctype, body)
                return
            self._send(status, ctype, body)

        def _drip(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                try:
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return
                if server._release.wait(DRIP_INTERVAL):
                    return

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _route(data: ReplayData, path: str, params: dict[str, str], kind: str | None) -> Response:
    empty, badjson = kind == "empty", kind == "badjson"
    segments = [s for s in path.split("/") if s]
    if path == "/scripts/XML_dynamic.asp":
        return _xml_dynamic(data, params, empty=empty, zero=kind == "zero")
    if segments[:1] == ["iss"] and path.endswith(".json"):
        if badjson:
            return 200, "application/json; charset=utf-8", b'{"history": {"columns": "CLOSE"}}'
        if segments[1:2] == ["history"]:
            parsed = _parse_iss(segments[2:])
            if parsed:
                return _iss_history(data, *parsed, params, empty=empty, short=kind == "short")
        elif segments[-1] == "candles.json":
            parsed = _parse_iss(segments[1:-1], candles=True)
            if parsed:
                return _iss_candles(data, *parsed, params, empty=empty, short=kind == "short")
    return 404, "text/html; charset=utf-8", b"<html><body>Not found</body></html>"


def _parse_iss(seg: list[str], candles: bool = False) -> tuple[str, str, str | None, str] | None:
    """engines/E/markets/M[/boards/B]/securities/S(.json) -> (E, M, B, S)."""
    if len(seg) not in (6, 8) or seg[0] != "engines" or seg[2] != "markets":
        return None
    board = None
    rest = seg[4:]
    if len(seg) == 8:
        if seg[4] != "boards":
            return None
        board = seg[5]
        rest = seg[6:]
    if rest[0] != "securities":
        return None
    secid = rest[1] if candles else rest[1].removesuffix(".json")
    return seg[1], seg[3], board, secid


def _json(payload: dict[str, Any]) -> Response:
    return 200, "application/json; charset=utf-8", json.dumps(payload, ensure_ascii=False).encode()


def _select(table: _Table | None, board: str | None, params: dict[str, str],
            empty: bool) -> list[list[Any]]:
    if table is None or empty or (board is not None and board not in table.boards):
        return []
    lo = params.get("from") or "0000-00-00"
    hi = params.get("till") or "9999-99-99"
    return [row for row, d in zip(table.rows, table.dates, strict=True) if lo <= d <= hi]


def _iss_history(data: ReplayData, engine: str, market: str, board: str | None, secid: str,
                 params: dict[str, str], *, empty: bool, short: bool = False) -> Response:
    table = data.history(engine, market, secid)
    columns = table.columns if table else HISTORY_INDEX_COLUMNS
    rows = _select(table, board, params, empty)
    start = int(params.get("start") or 0)
    page = rows[start:start + ISS_PAGE]
    if short:
        page = page[: len(page) // 2]
    wanted = [c for c in params.get("history.columns", "").split(",") if c]
    if wanted:
        keep = [columns.index(c) for c in wanted if c in columns]
        columns = [columns[i] for i in keep]
        page = [[row[i] for i in keep] for row in page]
    blocks = {
        "history": {"columns": columns, "data": page},
        "history.cursor": {"columns": ["INDEX", "TOTAL", "PAGESIZE"],
                           "data": [[start, len(rows), ISS_PAGE]]},
    }
    return _json(_blocks(blocks, params))


def _iss_candles(data: ReplayData, engine: str, market: str, board: str | None, secid: str,
                 params: dict[str, str], *, empty: bool, short: bool = False) -> Response:
    interval = params.get("interval", "24")
    lo = (params.get("from") or "0000-00-00")[:10]
    hi = (params.get("till") or "9999-99-99")[:10]
    if interval != "24":
        bars = data.bars(engine, market, secid, interval)
        if bars is not None and board is not None and board not in bars.boards:
            bars = None
        rows = [] if bars is None or empty else bars.rows[
            bisect.bisect_left(bars.dates, lo):bisect.bisect_right(bars.dates, hi + "~")]
        start = int(params.get("start") or 0)
        page = rows[start:start + CANDLE_PAGE]
        if short:
            page = page[: len(page) // 2]
        return _json(_blocks({"candles": {"columns": CANDLE_COLUMNS, "data": page}}, params))
    table = data.history(engine, market, secid)
    rows = [] if table is None or empty else [
        r for r, d in zip(table.rows, table.dates, strict=True) if lo <= d <= hi
    ]
    if table is not None:
        c = {name: i for i, name in enumerate(table.columns)}
        rows = [[r[c["OPEN"]], r[c["CLOSE"]], r[c["HIGH"]], r[c["LOW"]],
                 r[c["VALUE"]] if "VALUE" in c else None, 0,
                 f"{r[c['TRADEDATE']]} 00:00:00", f"{r[c['TRADEDATE']]} 23:59:59"] for r in rows]
    start = int(params.get("start") or 0)
    return _json(_blocks({"candles": {"columns": CANDLE_COLUMNS,
                                      "data": rows[start:start + CANDLE_PAGE]}}, params))


def _blocks(blocks: dict[str, dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    only = [b for b in params.get("iss.only", "").split(",") if b]
    if only:
        blocks = {k: v for k, v in blocks.items() if k in only}
    if params.get("iss.meta", "on") != "off":
        for block in blocks.values():
            block["metadata"] = {c: {"type": "string"} for c in block["columns"]}
            blocks_order = {"metadata": block.pop("metadata"), **block}
            block.clear()
            block.update(blocks_order)
    return blocks


def _xml_dynamic(data: ReplayData, params: dict[str, str], *, empty: bool,
                 zero: bool = False) -> Response:
    currency = params.get("VAL_NM_RQ", "")
    try:
        lo = datetime.strptime(params["date_req1"], "%d/%m/%Y").date()
        hi = datetime.strptime(params["date_req2"], "%d/%m/%Y").date()
    except (KeyError, ValueError):
        return 500, "text/html; charset=windows-1251", "Ошибка в параметрах".encode("cp1251")
    records = [] if empty else [r for r in (data.cbr(currency) or []) if lo <= r[0] <= hi]
    if zero and records:
        records[0] = (records[0][0], records[0][1], Decimal(0))
    head = (
        '<?xml version="1.0" encoding="windows-1251"?>\r\n'
        f'<ValCurs ID="{currency}" DateRange1="{lo:%d.%m.%Y}" DateRange2="{hi:%d.%m.%Y}" '
        'name="Foreign Currency Market Dynamic">'
    )
    parts = [head]
    for day, nominal, value in records:
        unit = value / nominal
        parts.append(
            f'<Record Date="{day:%d.%m.%Y}" Id="{currency}"><Nominal>{nominal}</Nominal>'
            f"<Value>{_comma(value, 4)}</Value><VunitRate>{_comma(unit, 8)}</VunitRate></Record>"
        )
    parts.append("</ValCurs>")
    return 200, "application/xml; charset=windows-1251", "".join(parts).encode("cp1251")


def _comma(value: Decimal, places: int) -> str:
    text = f"{value:.{places}f}"
    if places > 4:
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", ",")


def _serve_forever(argv: list[str]) -> None:  # pragma: no cover - manual use
    server = start_replay_server(argv[0] if argv else None)
    print(f"replaying {server.data.dir} at {server.url}; Ctrl-C stops", flush=True)
    print(f"export EVENTSTUDY_MOEX_URL={server.url} EVENTSTUDY_CBR_URL={server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    import sys

    _serve_forever(sys.argv[1:])
