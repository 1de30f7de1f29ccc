"""Live intraday bars for a list of assets: MOEX ISS candles through the bar cache.

:func:`load_live_bars` is what an intraday study calls for an asset without a local
file of bars (``docs/intraday.md``). Each asset's ``options`` (``engine``, ``market``,
``board``) choose where ISS lists it, as for daily prices.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.errors import CacheMissError, ConfigError, DataUnavailableError
from eventstudy.sources.bar_cache import BarCache
from eventstudy.sources.base import SeriesProvenance, series_sha256
from eventstudy.sources.moex_bars import ISS_TIMEZONE, MoexBarSource

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from eventstudy.timing.assets import Asset

SUGGESTION = ("try again later, use --offline to work from the cache, or give the bars in a file: "
              "[assets.NAME] file = \"bars.csv\"")


def load_live_bars(assets: Sequence[Asset], start: date, end: date, interval: str, *,
                   cache_dir: str | os.PathLike[str] | None = None, offline: bool = False,
                   refresh: bool = False) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """Closes of ``assets``' ``interval`` bars on the Moscow dates ``start`` .. ``end``.

    Parameters
    ----------
    assets
        Assets of the ``moex`` source (e.g. ``IMOEX``, ``moex:SBER``).
    start, end
        Local (Moscow) dates to cover, both included.
    interval
        ``1min``, ``10min`` or ``1h``.
    cache_dir, offline, refresh
        As for :func:`eventstudy.sources.live.load_live_prices`.

    Returns
    -------
    prices
        Wide frame of closes indexed by bar start (UTC-aware, named ``date``), one
        column per asset (``invert`` applied), NaN where an asset has no bar.
    provenance
        Per asset: source, symbol, first and last bar (UTC), SHA-256 of the values used,
        base URL, the candles URL asked (with its range and ``interval``), the cache
        file, the fetch time and the interval.

    Raises
    ------
    ConfigError
        For an asset of another source, or an interval ISS does not serve.
    DataUnavailableError
        ISS failed or has no bar (exit 3 on the command line), naming the asset;
        :class:`~eventstudy.errors.CacheMissError` offline, naming what is missing.
    """
    session = None
    if not offline:
        from eventstudy.sources._http import new_session

        session = new_session()
    columns: dict[str, pd.Series] = {}
    provenance: list[SeriesProvenance] = []
    try:
        for asset in assets:
            series, record = _fetch_asset(asset, start, end, interval, session, cache_dir, offline, refresh)
            columns[asset.name] = series
            provenance.append(record)
    finally:
        if session is not None:
            session.close()
    wide = pd.concat(columns, axis=1, sort=True)
    wide.index.name = "date"
    return wide.astype(float), provenance


def _fetch_asset(asset: Asset, start: date, end: date, interval: str, session: requests.Session | None,
                 cache_dir: str | os.PathLike[str] | None, offline: bool,
                 refresh: bool) -> tuple[pd.Series, SeriesProvenance]:
    if asset.source != "moex":
        raise ConfigError(f"asset {asset.name}: live {interval} bars come from MOEX ISS only "
                          f"(its source is {asset.source!r})",
                          fix=f'give its bars in a file: [assets.{asset.name}] file = "bars.csv"')
    options = {k: v for k, v in asset.options.items() if k in ("engine", "market", "board")}
    source = MoexBarSource(interval, session, **options)
    cache = BarCache(source, ISS_TIMEZONE, cache_dir=cache_dir, offline=offline, refresh=refresh,
                     label=asset.name)
    try:
        cached = cache.fetch_cached(asset.symbol, start, end)
    except CacheMissError as error:
        raise CacheMissError(f"{asset.name}: {error}") from error
    except DataUnavailableError as error:
        if offline:
            raise DataUnavailableError(f"{asset.name}: {error}") from error
        raise DataUnavailableError(f"{asset.name} (moex {asset.symbol}, {interval} bars): {error}; "
                                   f"{SUGGESTION}") from error
    series = cached.series.astype(float)
    if asset.invert:
        series = 1.0 / series
    series = series.rename(asset.name)
    at = cached.fetched_at
    fetched_at = at.astimezone(UTC).isoformat(timespec="seconds") if at else None
    record = SeriesProvenance(
        asset=asset.name, source=asset.source, symbol=asset.symbol,
        first=f"{series.index.min():%Y-%m-%dT%H:%M:%SZ}", last=f"{series.index.max():%Y-%m-%dT%H:%M:%SZ}",
        sha256=series_sha256(series), base_url=cached.base_url, path=str(cached.path),
        fetched_at=fetched_at, url=source.url(asset.symbol, start, end), interval=interval)
    return series, record
