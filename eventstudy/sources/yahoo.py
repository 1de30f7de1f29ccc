"""Yahoo Finance through ``yfinance`` (benchmarks: ``^GSPC``, ``EEM``, ``BZ=F``).

Two traps handled here (``../shared/data/APIS.md`` section 3):

- ``yfinance.download`` returns MultiIndex columns ``(Price, Ticker)`` even for one
  ticker (since 0.2.51), flat columns in older versions or with
  ``multi_level_index=False``; both shapes are read. ``auto_adjust`` now defaults to
  True (no ``Adj Close``; ``Close`` adjusted); it is passed explicitly.
- ``download`` does not raise when a symbol fails (bad symbol, rate limit, no network,
  blocked ``fc.yahoo.com``): it prints a line and returns an empty or all-NaN frame.
  This adapter turns that into :class:`~eventstudy.errors.DataUnavailableError`
  naming the symbol and the likely causes.

Yahoo no longer serves Russian indices (``IMOEX.ME`` stopped in June 2024): use the
``moex`` and ``cbr`` sources for those.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pandas as pd

from eventstudy.errors import DataUnavailableError
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import NoDataError, register_source

SERVICE = "Yahoo Finance"
BASE_URL = "https://finance.yahoo.com"
LIKELY_CAUSES = (
    "yfinance returns an empty frame instead of an error when the symbol is wrong or "
    "delisted, when Yahoo rate-limits you, or when there is no network; check the symbol "
    "on finance.yahoo.com and retry later"
)


@register_source("yahoo")
class YahooSource:
    """Daily closes from Yahoo Finance.

    Parameters
    ----------
    download
        Function with the signature of ``yfinance.download`` (injected in tests);
        default ``yfinance.download``, imported on first use.
    auto_adjust
        Passed to ``download``; True (yfinance's default) gives split- and
        dividend-adjusted closes.
    field
        Price field to read (``Close``; ``Adj Close`` with ``auto_adjust=False``).
    """

    name = "yahoo"
    base_url = BASE_URL

    def __init__(
        self,
        download: Callable[..., Any] | None = None,
        *,
        auto_adjust: bool | str = True,
        field: str = "Close",
    ) -> None:
        self._download = download
        if isinstance(auto_adjust, str):  # from an asset's string options
            auto_adjust = auto_adjust.strip().lower() in ("1", "true", "yes", "on")
        self.auto_adjust = auto_adjust
        self.field = field

    @property
    def cache_key(self) -> str:
        """What distinguishes this source's series of one symbol (for the cache)."""
        return f"{'adjusted' if self.auto_adjust else 'raw'}.{self.field.replace(' ', '')}"

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        """Daily ``field`` of ``symbol`` from ``start`` to ``end`` (inclusive).

        Raises
        ------
        NoDataError
            yfinance returned an empty or all-NaN frame (message lists likely causes).
        DataUnavailableError
            yfinance raised (rate limit, network), or the frame has no ``field``.
        """
        start, end = as_date(start), as_date(end)
        download = self._download
        if download is None:
            import yfinance

            download = yfinance.download
        chatter: list[str] = []
        try:
            with _captured_chatter(chatter):
                frame = download(
                    symbol,
                    start=f"{start:%Y-%m-%d}",
                    end=f"{end + timedelta(days=1):%Y-%m-%d}",  # yfinance's end is exclusive
                    auto_adjust=self.auto_adjust,
                    actions=False,
                    progress=False,
                    threads=False,
                )
        except Exception as error:  # yfinance raises many unrelated types
            reason = " ".join(str(error).split())[:160] or type(error).__name__
            raise DataUnavailableError(
                f"{SERVICE} (yfinance) failed for {symbol!r} between {start:%Y-%m-%d} and "
                f"{end:%Y-%m-%d}: {type(error).__name__}: {reason}{_said(chatter)}"
            ) from error
        if frame is None or len(frame) == 0:
            raise NoDataError(SERVICE, symbol, start, end,
                              f"empty frame{_said(chatter)}; {LIKELY_CAUSES}", ambiguous=True)
        series = self._column(frame, symbol)
        series = pd.to_numeric(series, errors="coerce").astype(float)
        series.index = date_index(series.index).normalize()  # exchange's wall-clock date
        series = series.dropna().sort_index()
        series = series[~series.index.duplicated(keep="last")]
        series = series[(series.index >= pd.Timestamp(start)) & (series.index <= pd.Timestamp(end))]
        if series.empty:
            raise NoDataError(
                SERVICE, symbol, start, end,
                f"only empty (NaN) prices{_said(chatter)}; {LIKELY_CAUSES}", ambiguous=True,
            )
        if (series <= 0).any():
            raise DataUnavailableError(
                f"{SERVICE} (yfinance) sent an impossible {self.field} "
                f"{series[series <= 0].iloc[0]:g} for {symbol!r} on "
                f"{series.index[series <= 0][0]:%Y-%m-%d} ({BASE_URL}/quote/{symbol})"
            )
        series.name = symbol
        return series

    def _column(self, frame: pd.DataFrame, symbol: str) -> pd.Series:
        columns = frame.columns
        if isinstance(columns, pd.MultiIndex):
            price_level = _level_with(columns, self.field)
            if price_level is None:
                raise self._no_field(symbol, columns)
            sub = frame.xs(self.field, axis=1, level=price_level)
            if isinstance(sub, pd.Series):
                return sub
            if symbol in sub.columns:
                picked = sub[symbol]
            elif sub.shape[1] == 1:
                picked = sub.iloc[:, 0]
            else:
                raise DataUnavailableError(
                    f"{SERVICE} frame for {symbol!r} has {self.field} of other tickers only: "
                    f"{', '.join(map(str, sub.columns))}"
                )
            if isinstance(picked, pd.DataFrame):  # duplicated ticker columns
                picked = picked.iloc[:, 0]
            return picked
        if self.field in columns:
            return frame[self.field]
        raise self._no_field(symbol, columns)

    def _no_field(self, symbol: str, columns: pd.Index) -> DataUnavailableError:
        names = ", ".join(str(c) for c in columns[:8])
        hint = ""
        if self.field == "Adj Close":
            hint = " (with auto_adjust=True there is no 'Adj Close')"
        return DataUnavailableError(
            f"{SERVICE} frame for {symbol!r} has no {self.field!r} column{hint}; columns: {names}"
        )


@contextlib.contextmanager
def _captured_chatter(lines: list[str]) -> Iterator[None]:
    """Collect what yfinance prints (stdout, stderr) and logs, instead of showing it.

    yfinance reports failures by printing ("1 Failed download: ...") and logging;
    those lines are folded into this module's one-line error instead.
    """
    out, err = io.StringIO(), io.StringIO()
    handler = _ListHandler(lines)
    logger = logging.getLogger("yfinance")
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        lines.extend(out.getvalue().splitlines() + err.getvalue().splitlines())


class _ListHandler(logging.Handler):
    """A logging handler appending each message to a list."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _said(chatter: list[str], limit: int = 200) -> str:
    """`` (yfinance said: '...')`` from the captured lines, on one line, or nothing."""
    text = " ".join(" ".join(line.split()) for line in chatter if line.strip())
    if not text:
        return ""
    return f" (yfinance said: {text[:limit] + ('...' if len(text) > limit else '')!r})"


def _level_with(columns: pd.MultiIndex, field: str) -> int | str | None:
    if "Price" in (columns.names or []) and field in columns.get_level_values("Price"):
        return "Price"
    for level in range(columns.nlevels):
        if field in columns.get_level_values(level):
            return level
    return None
