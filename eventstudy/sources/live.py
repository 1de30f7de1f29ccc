"""Live prices for a list of assets: sources, cache, inversion, provenance.

:func:`load_live_prices` is what ``eventstudy run`` calls when the user gives no
``--prices``; ``eventstudy fetch`` calls it too. Each asset's ``options`` become
keyword arguments of its source (e.g. MOEX ``engine``/``market``/``board``), see
:func:`source_for`.

Example
-------
>>> from datetime import date
>>> from eventstudy.timing.assets import resolve_asset
>>> prices, provenance = load_live_prices(
...     [resolve_asset("IMOEX"), resolve_asset("RUBUSD")],
...     date(2025, 1, 1), date(2025, 8, 31))                       # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.errors import CacheMissError, ConfigError, DataUnavailableError, InputError
from eventstudy.sources import cbr, moex, yahoo  # noqa: F401  (importing registers them)
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import SOURCES, PriceSource, SeriesProvenance, series_sha256
from eventstudy.sources.cache import CachedSeries, CachedSource

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from eventstudy.timing.assets import Asset

SUGGESTION = (
    "try again later, use --offline to work from the cache, or give the prices with --prices"
)


def source_for(
    asset: Asset, *, session: requests.Session | None = None, **kwargs: Any
) -> PriceSource:
    """The source of ``asset``, configured by its ``options`` (and ``kwargs``).

    ``session`` is passed to sources that take one (``moex``, ``cbr``).

    Raises
    ------
    ConfigError
        For an unknown source, or an option its source does not understand.
    """
    try:
        factory = SOURCES[asset.source]
    except KeyError:
        raise ConfigError(
            f"asset {asset.name}: unknown price source {asset.source!r}",
            fix=f"use one of {', '.join(sorted(SOURCES))}",
        ) from None
    options: dict[str, Any] = {**asset.options, **kwargs}
    parameters = inspect.signature(factory).parameters
    if session is not None and "session" in parameters:
        options["session"] = session
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = sorted(set(options) - set(parameters)) if not accepts_any else []
    if unknown:
        valid = [n for n in parameters if n not in ("self", "session", "download", "sleep")]
        raise ConfigError(
            f"asset {asset.name}: source {asset.source!r} has no option "
            f"{', '.join(map(repr, unknown))}",
            fix=f"use {', '.join(valid) or 'no options'}",
        )
    return factory(**options)


def fetch_asset(
    asset: Asset,
    start: date,
    end: date,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
    refresh: bool = False,
    session: requests.Session | None = None,
    source: PriceSource | None = None,
) -> tuple[pd.Series, SeriesProvenance]:
    """One asset's prices through the cache, ``invert`` applied, with provenance.

    Raises
    ------
    DataUnavailableError
        Naming the asset, its source and symbol, and what to do.
    """
    cached = _fetch_cached(asset, start, end, cache_dir=cache_dir, offline=offline,
                           refresh=refresh, session=session, source=source)
    return _finish(asset, cached)


def load_live_prices(
    assets: Sequence[Asset],
    start: date,
    end: date,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
    refresh: bool = False,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """Prices of ``assets`` from ``start`` to ``end`` (inclusive) from the live sources.

    Parameters
    ----------
    assets
        The assets, e.g. from :func:`eventstudy.timing.assets.resolve_asset`.
    start, end
        Observation dates to cover.
    cache_dir
        Cache root (default: the user cache directory, or ``$EVENTSTUDY_CACHE_DIR``).
    offline
        Use only the cache; raise naming what is missing.
    refresh
        Fetch everything again.
    progress
        Show a progress bar on stderr; ``None``: only when stderr is a terminal.

    Returns
    -------
    prices
        Wide frame, ``DatetimeIndex`` named ``date`` (tz-naive, sorted), one float
        column per asset in the order given; NaN where an asset has no observation
        that day; ``invert`` applied (``RUBUSD`` = 1 / USD/RUB).
    provenance
        One :class:`SeriesProvenance` per asset, in the same order: source, symbol,
        base URL, first and last date, fetch time (UTC, ISO 8601; the latest fetch of
        the cached ranges used), SHA-256 of the values in ``prices`` (after
        ``invert``); ``path`` is the cache file the values were read from.

    Raises
    ------
    DataUnavailableError
        A source failed or has no data (exit code 3 on the command line); the message
        names the asset and source and suggests ``--offline`` or ``--prices``.
    ConfigError, InputError
        Bad range or asset options.
    """
    start, end = as_date(start), as_date(end)
    if start > end:
        raise InputError(f"start {start:%Y-%m-%d} is after end {end:%Y-%m-%d}",
                         fix="give --start before --end")
    names = [a.name for a in assets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"asset(s) listed twice: {', '.join(duplicated)}")
    session = None
    if not offline and any(_takes_session(a.source) for a in assets):
        from eventstudy.sources._http import new_session

        session = new_session()
    columns: dict[str, pd.Series] = {}
    provenance: list[SeriesProvenance] = []
    fetched: dict[tuple[str, str, tuple[tuple[str, str], ...]], CachedSeries] = {}
    try:
        with _Progress(len(assets), enabled=_want_progress(progress)) as bar:
            for asset in assets:
                bar.update(f"{asset.name} ({asset.source} {asset.symbol})")
                key = (asset.source, asset.symbol, tuple(sorted(asset.options.items())))
                if key not in fetched:
                    source = source_for(asset, session=session)
                    cached = _fetch_cached(asset, start, end, cache_dir=cache_dir, offline=offline,
                                           refresh=refresh, session=session, source=source)
                    fetched[key] = cached
                series, record = _finish(asset, fetched[key])
                columns[asset.name] = series
                provenance.append(record)
                bar.advance()
    finally:
        if session is not None:
            session.close()
    frame = pd.concat(columns, axis=1, sort=True) if columns else pd.DataFrame()
    frame.index = date_index(frame.index)
    frame.columns.name = None
    return frame.astype(float), provenance


# -- internals ----------------------------------------------------------------------


def _fetch_cached(
    asset: Asset,
    start: date,
    end: date,
    *,
    cache_dir: str | os.PathLike[str] | None,
    offline: bool,
    refresh: bool,
    session: requests.Session | None,
    source: PriceSource | None,
) -> CachedSeries:
    if source is None:
        source = source_for(asset, session=session)
    cache = CachedSource(source, cache_dir=cache_dir, offline=offline, refresh=refresh,
                         label=asset.name)
    try:
        cached = cache.fetch_cached(asset.symbol, start, end)
    except DataUnavailableError as error:
        text = str(error)
        if offline or isinstance(error, CacheMissError):
            raise DataUnavailableError(f"{asset.name}: {text}") from error
        raise DataUnavailableError(
            f"{asset.name} ({asset.source} {asset.symbol}): {text}; {SUGGESTION}"
        ) from error
    return cached


def _finish(asset: Asset, cached: CachedSeries) -> tuple[pd.Series, SeriesProvenance]:
    series = cached.series.astype(float)
    if asset.invert:
        series = 1.0 / series
    series = series.rename(asset.name)
    fetched_at = cached.fetched_at.astimezone(UTC) if cached.fetched_at else None
    record = SeriesProvenance(
        asset=asset.name,
        source=asset.source,
        symbol=asset.symbol,
        first=f"{series.index[0]:%Y-%m-%d}",
        last=f"{series.index[-1]:%Y-%m-%d}",
        sha256=series_sha256(series),
        base_url=cached.base_url,
        path=str(cached.path),
        fetched_at=fetched_at.isoformat(timespec="seconds") if fetched_at else None,
    )
    return series, record


def _takes_session(source: str) -> bool:
    factory = SOURCES.get(source)
    return factory is not None and "session" in inspect.signature(factory).parameters


def _want_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("fetching"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True), transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=self.total)
        return self

    def update(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
