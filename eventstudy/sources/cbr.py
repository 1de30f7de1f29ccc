"""Bank of Russia official exchange rates (``/scripts/XML_dynamic.asp``).

The answer is XML in windows-1251 with decimal commas; ``Value`` is the price of
``Nominal`` units of the currency (so it is divided by ``Nominal``); an empty
``ValCurs`` means "no rate in this range", not an error of the service.

**Dating.** A ``Record Date`` is the *effective* date: the Bank of Russia sets a rate
on business day D (around 15:30 Moscow) and it takes effect on the next calendar day,
D + 1, staying in force until the next one takes effect (so a Saturday record covers
Saturday to Monday). Every other series here is dated by the day its price was
observed, so :meth:`CbrSource.fetch` re-dates each record to the day the rate was set:
``effective date - 1 calendar day``. That is the Bank's own rule, and it is exact: on
all 3,117 USD records of 2014-2026 it lands on a Monday-Saturday, never twice on one
day, and it gets the working Saturdays right (2024-04-27, 2024-11-02, 2024-12-28,
2025-11-01). A trading calendar gets them wrong: ``exchange_calendars``' XMOS lacks
those Saturdays and marks 2025-02-24, 2025-03-10, 2026-03-09 and 2026-05-11 as
holidays although MOEX traded and the Bank set rates; a weekday calendar misses the
working Saturdays. See ``docs/live-data.md``.

The base URL (scheme and host) is ``$EVENTSTUDY_CBR_URL``, read at each request, or
``https://www.cbr.ru``. Currency IDs: USD ``R01235``, EUR ``R01239``, CNY ``R01375``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.errors import DataUnavailableError
from eventstudy.sources import _http
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import NoDataError, register_source

if TYPE_CHECKING:  # pragma: no cover
    import requests

ENV_VAR = "EVENTSTUDY_CBR_URL"
DEFAULT_URL = "https://www.cbr.ru"
SERVICE = "Bank of Russia"
PATH = "/scripts/XML_dynamic.asp"
#: Calendar days between the day a rate is set and the day it takes effect.
EFFECTIVE_LAG = timedelta(days=1)
_ID = re.compile(r"^R\d{5}[A-Z]?$")


@register_source("cbr")
class CbrSource:
    """Official rates of the Bank of Russia, RUB per one unit, dated by the day set.

    Parameters
    ----------
    session
        ``requests.Session`` to use; a new one is created when omitted.
    base_url
        Scheme and host; default ``$EVENTSTUDY_CBR_URL`` or ``https://www.cbr.ru``.
    timeout, tries, backoff, sleep, deadline
        HTTP behaviour, see :func:`eventstudy.sources._http.get`.

    Examples
    --------
    >>> CbrSource().fetch("R01235", date(2025, 8, 7), date(2025, 8, 7))  # doctest: +SKIP
    date
    2025-08-07    79.3847
    Name: R01235, dtype: float64
    """

    name = "cbr"
    cache_key = "set-date"

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        base_url: str | None = None,
        timeout: float | tuple[float, float] = _http.DEFAULT_TIMEOUT,
        tries: int = _http.DEFAULT_TRIES,
        backoff: float = _http.DEFAULT_BACKOFF,
        sleep: Any = None,
        deadline: float | None = None,
    ) -> None:
        self.http = _http.HttpClient(SERVICE, ENV_VAR, DEFAULT_URL, session, base_url, timeout, tries,
                                     backoff, sleep, deadline)

    @property
    def base_url(self) -> str:
        """Scheme and host in use now (the environment is read at each call)."""
        return self.http.base_url

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        """Rates of currency ``symbol`` set on the days ``start`` to ``end``.

        Asks for the effective dates ``start + 1`` to ``end + 1`` and re-dates each
        record to the day it was set (module docstring).

        Raises
        ------
        NoDataError
            The Bank answered with an empty ``ValCurs``.
        DataUnavailableError
            The service could not be reached, failed, or sent something unreadable.
        """
        start, end = as_date(start), as_date(end)
        try:
            effective = self.fetch_effective(symbol, start + EFFECTIVE_LAG, end + EFFECTIVE_LAG)
        except NoDataError as error:
            raise NoDataError(
                SERVICE, symbol, start, end, f"no rate set; effective dates {error.detail}"
            ) from None
        series = pd.Series(
            effective.to_numpy(),
            index=date_index(pd.DatetimeIndex(effective.index) - EFFECTIVE_LAG),
            name=symbol,
        )
        series = series[(series.index >= pd.Timestamp(start)) & (series.index <= pd.Timestamp(end))]
        if series.empty:
            raise NoDataError(SERVICE, symbol, start, end, "no rate set in the range")
        return series

    def fetch_effective(self, symbol: str, start: date, end: date) -> pd.Series:
        """The records as published: RUB per unit, indexed by *effective* date."""
        if not _ID.match(symbol):
            raise DataUnavailableError(
                f"{symbol!r} is not a Bank of Russia currency ID (like R01235 for USD, "
                "R01239 for EUR, R01375 for CNY; list: /scripts/XML_val.asp?d=0)"
            )
        url = f"{self.base_url}{PATH}"
        params = {
            "date_req1": f"{start:%d/%m/%Y}",
            "date_req2": f"{end:%d/%m/%Y}",
            "VAL_NM_RQ": symbol,
        }
        response = self.http.get(url, params)
        series = parse_xml_dynamic(response.content, source=response.url or url)
        series.name = symbol
        series = series[(series.index >= pd.Timestamp(start)) & (series.index <= pd.Timestamp(end))]
        if series.empty:
            raise NoDataError(
                SERVICE, symbol, start, end,
                f"{start:%Y-%m-%d} to {end:%Y-%m-%d}: empty ValCurs at {response.url}",
            )
        return series


def parse_xml_dynamic(content: bytes, source: str = "XML_dynamic.asp") -> pd.Series:
    """Parse an ``XML_dynamic.asp`` answer into RUB per unit by effective date.

    Decodes by the XML prolog (windows-1251 on the real service), reads decimal
    commas and divides ``Value`` by ``Nominal``. An empty ``ValCurs`` gives an empty
    series. Raises :class:`DataUnavailableError` naming ``source`` for anything else
    (truncated or malformed XML, an HTML error page, a record that cannot be read).
    """
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        raise DataUnavailableError(
            f"{SERVICE} sent malformed XML from {source} ({error}); "
            f"the body starts {_http.snippet(_decode(content))}"
        ) from None
    if root.tag != "ValCurs":
        raise DataUnavailableError(
            f"{SERVICE} sent <{root.tag}> instead of <ValCurs> from {source}; "
            f"the body starts {_http.snippet(_decode(content))}"
        )
    dates: list[datetime] = []
    values: list[float] = []
    for record in root.iter("Record"):
        try:
            day = datetime.strptime(record.attrib["Date"], "%d.%m.%Y")
            nominal = _number(record.findtext("Nominal"))
            value = _number(record.findtext("Value"))
        except (KeyError, ValueError, TypeError, InvalidOperation) as error:
            raise DataUnavailableError(
                f"{SERVICE} sent an unreadable record from {source}: "
                f"{ET.tostring(record, encoding='unicode')[:160]!r} ({error})"
            ) from None
        if nominal <= 0:
            raise DataUnavailableError(
                f"{SERVICE} sent Nominal {nominal} for {record.attrib['Date']} from {source}"
            )
        if value <= 0:  # 1 / rate would be inf or negative: never a usable price
            raise DataUnavailableError(
                f"{SERVICE} sent an impossible rate {value} for {record.attrib['Date']} "
                f"from {source}"
            )
        dates.append(day)
        values.append(float(value / nominal))  # exact decimal division, then rounded once
    series = pd.Series(values, index=date_index(dates), dtype=float)
    series = series.sort_index()
    return series[~series.index.duplicated(keep="last")]


def _number(text: str | None) -> Decimal:
    if text is None:
        raise ValueError("missing element")
    return Decimal(text.strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))


def _decode(content: bytes) -> str:
    return content.decode("cp1251", errors="replace")
