"""Asset catalogue: what each asset name means and when its price is observed.

An asset is a name (``IMOEX``) bound to a source and a symbol, plus the facts the
timing logic needs: the local time at which a day's price is observed and the time
zone of that clock (``docs/events-file.md``, "When an event happened: day 0"). A study
may override any of these through its TOML study file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import time

from eventstudy.errors import UnknownAssetError


@dataclass(frozen=True)
class Asset:
    """One observable series.

    Parameters
    ----------
    name
        Name used in events files, tables and charts (``IMOEX``).
    source
        Registered source name (``moex``, ``cbr``, ``yahoo``, ``file``).
    symbol
        The source's identifier for the series (``IMOEX``, ``R01235``, ``^GSPC``).
    observed_at
        Local time of day at which a day's value is observed (the close, the fixing).
        ``None`` means "end of that day".
    timezone
        IANA zone of ``observed_at``.
    invert
        Use ``1 / price`` (e.g. the rouble's USD value from USD/RUB).
    units
        Units of the (possibly inverted) price, for captions.
    description
        One line for ``eventstudy assets`` and reports.
    options
        Source-specific settings (e.g. the MOEX board or market).
    bar_label
        Intraday files: which end of the bar a timestamp marks, ``start`` or ``end``.
    session
        Intraday studies: the exchange session ``"HH:MM-HH:MM"`` in ``timezone``; bars
        outside it (and on weekends) are dropped. Empty: keep every bar.
    shift
        Intraday files: a correction added to every timestamp, e.g. ``"-3h"``.
    """

    name: str
    source: str
    symbol: str
    observed_at: time | None = None
    timezone: str = "UTC"
    invert: bool = False
    units: str = ""
    description: str = ""
    options: dict[str, str] = dataclasses.field(default_factory=dict)
    bar_label: str = "start"
    session: str = ""
    shift: str = ""

    def replace(self, **changes: object) -> Asset:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


MOSCOW = "Europe/Moscow"

BUILTIN_ASSETS: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset("IMOEX", "moex", "IMOEX", time(18, 50), MOSCOW, units="index points",
              description="MOEX Russia Index, main-session close",
              options={"engine": "stock", "market": "index", "board": "SNDX"}),
        Asset("RTSI", "moex", "RTSI", time(18, 50), MOSCOW, units="index points (USD)",
              description="RTS Index (USD), main-session close",
              options={"engine": "stock", "market": "index", "board": "RTSI"}),
        Asset("CNYRUB", "moex", "CNYRUB_TOM", time(19, 0), MOSCOW, units="RUB per CNY",
              description="Yuan-rouble, MOEX CNYRUB_TOM close",
              options={"engine": "currency", "market": "selt", "board": "CETS"}),
        Asset("USDRUB", "cbr", "R01235", time(15, 30), MOSCOW, units="RUB per USD",
              description="Bank of Russia official USD/RUB, dated by the day it was set"),
        Asset("EURRUB", "cbr", "R01239", time(15, 30), MOSCOW, units="RUB per EUR",
              description="Bank of Russia official EUR/RUB, dated by the day it was set"),
        Asset("CNYRUB_CBR", "cbr", "R01375", time(15, 30), MOSCOW, units="RUB per CNY",
              description="Bank of Russia official CNY/RUB, dated by the day it was set"),
        Asset("RUBUSD", "cbr", "R01235", time(15, 30), MOSCOW, invert=True,
              units="USD per RUB",
              description="The rouble's USD value: 1 / Bank of Russia official USD/RUB"),
        Asset("BRENT", "yahoo", "BZ=F", time(19, 30), "Europe/London", units="USD per barrel",
              description="Brent crude futures (ICE, front month), settlement"),
        Asset("SP500", "yahoo", "^GSPC", time(16, 0), "America/New_York",
              units="index points", description="S&P 500 index close"),
        Asset("EEM", "yahoo", "EEM", time(16, 0), "America/New_York", units="USD per share",
              description="iShares MSCI Emerging Markets ETF close"),
    ]
}

DEFAULT_ASSETS: tuple[str, ...] = ("IMOEX", "RUBUSD")


def resolve_asset(name: str) -> Asset:
    """Return the asset called ``name``.

    Built-in names are looked up in :data:`BUILTIN_ASSETS`; ``moex:SECID`` and
    ``yahoo:SYMBOL`` name any other series of those sources.

    Raises
    ------
    UnknownAssetError
        If the name is neither built in nor of the ``source:symbol`` form.
    """
    if name in BUILTIN_ASSETS:
        return BUILTIN_ASSETS[name]
    prefix, sep, symbol = name.partition(":")
    if sep and symbol:
        if prefix == "moex":
            return Asset(name, "moex", symbol, time(18, 50), MOSCOW,
                         options={"engine": "stock", "market": "shares", "board": "TQBR"})
        if prefix == "yahoo":
            return Asset(name, "yahoo", symbol)
    known = ", ".join(BUILTIN_ASSETS)
    raise UnknownAssetError(
        f"unknown asset {name!r}",
        fix=f"use one of {known}, or moex:SECID / yahoo:SYMBOL, "
        "or give it a file in the study file or --prices",
    )
