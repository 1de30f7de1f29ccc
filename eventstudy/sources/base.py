"""The interface every price source implements, and the registry of sources by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError, DataUnavailableError


@dataclass(frozen=True)
class SeriesProvenance:
    """Where a series came from, recorded in ``study.json``.

    ``sha256`` is the hash of the values actually used (see :func:`series_sha256`).
    Intraday bars fetched live also record the ``url`` asked (with its range) and the
    bar ``interval``; both are ``None`` (and left out of ``study.json``) otherwise.
    """

    asset: str
    source: str
    symbol: str
    first: str
    last: str
    sha256: str
    base_url: str | None = None
    path: str | None = None
    fetched_at: str | None = None
    url: str | None = None
    interval: str | None = None


class NoDataError(DataUnavailableError):
    """The source answered correctly but has no observation in the requested range.

    A subclass of :class:`~eventstudy.errors.DataUnavailableError`, so callers that do
    not care about the difference (the CLI: exit 3) need not know it; the cache uses
    it to tell "nothing there" (a holiday stretch) from "could not ask".
    ``ambiguous=True`` marks an empty answer that may also mean a failure (yfinance
    answers an outage or a rate limit with an empty frame).
    """

    def __init__(
        self, source: str, symbol: str, start: date, end: date, detail: str = "",
        *, ambiguous: bool = False,
    ) -> None:
        self.source = source
        self.ambiguous = ambiguous
        self.symbol = symbol
        self.start = start
        self.end = end
        self.detail = detail
        message = f"no data for {symbol} between {start:%Y-%m-%d} and {end:%Y-%m-%d} from {source}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class PriceSource(Protocol):
    """A source of daily prices.

    ``fetch`` returns a float ``Series`` of prices indexed by a ``DatetimeIndex``
    named ``date`` (tz-naive, one row per observation day, sorted, no duplicates),
    dated by the day the price was *observed*. It raises
    :class:`~eventstudy.errors.DataUnavailableError` when the source cannot deliver
    data, never returns an empty series silently.
    """

    name: str

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series: ...


SOURCES: dict[str, Callable[..., PriceSource]] = {}


def register_source(name: str) -> Callable[[Callable[..., PriceSource]], Callable[..., PriceSource]]:
    """Class decorator adding a source factory to :data:`SOURCES` under ``name``."""

    def add(factory: Callable[..., PriceSource]) -> Callable[..., PriceSource]:
        SOURCES[name] = factory
        return factory

    return add


def get_source(name: str, **kwargs: object) -> PriceSource:
    """Instantiate the source registered as ``name``.

    Raises
    ------
    ConfigError
        For an unknown name, listing the valid ones.
    """
    try:
        factory = SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"unknown price source {name!r}", fix=f"use one of {', '.join(sorted(SOURCES))}"
        ) from None
    return factory(**kwargs)


SHA256_DEFINITION = (
    "sha256 of the series' dates as little-endian int64 nanoseconds since 1970-01-01 "
    "(tz-naive), followed by its values as little-endian float64 (IEEE 754), in date order"
)


def series_sha256(series: pd.Series) -> str:
    """SHA-256 of a price series' dates and values over their raw bytes (:data:`SHA256_DEFINITION`).

    Stable across runs and platforms (the byte order is fixed), and linear in the
    series' length with no per-value Python work.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.5], index=pd.to_datetime(["2025-01-02", "2025-01-03"]))
    >>> len(series_sha256(s))
    64
    """
    return sha256_of_ns(pd.DatetimeIndex(series.index).as_unit("ns").asi8, series.to_numpy(dtype=float))


def sha256_of_ns(dates_ns: np.ndarray, values: np.ndarray) -> str:
    """:func:`series_sha256` of the series of ``values`` on the dates ``dates_ns`` (int64
    nanoseconds since 1970, as :data:`SHA256_DEFINITION` hashes them)."""
    import hashlib

    digest = hashlib.sha256(np.asarray(dates_ns, dtype=np.int64).astype("<i8", copy=False).tobytes())
    digest.update(np.asarray(values, dtype=float).astype("<f8", copy=False).tobytes())
    return digest.hexdigest()
