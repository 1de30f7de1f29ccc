"""An event study: events, prices and a :class:`~eventstudy.spec.StudySpec`; ``run()`` gives Results.

:class:`EventStudy` never changes itself: its spec is frozen and resolved once, when it
is made (the assets to study, the catalogue entries it uses), and :meth:`EventStudy.run`
returns a new :class:`~eventstudy.results.Results` that holds the spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy.distributed.dataset import PriceDataset, is_hive_dataset
from eventstudy.errors import ConfigError, InputError, UnknownAssetError
from eventstudy.estimation import estimate
from eventstudy.events import Events, load_events, unknown_assets
from eventstudy.events_panel import adjust_table_for_splits, read_splits
from eventstudy.measures.volume_panel import volume_series
from eventstudy.results import Results
from eventstudy.results.folder import input_paths
from eventstudy.results.garch_columns import with_garch_variance_dummy
from eventstudy.results.optional import optional_tables
from eventstudy.results.tables import build_results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.local import load_local_prices, table_provenance
from eventstudy.sources.volumes import load_local_volumes
from eventstudy.spec import SETTINGS, Layer, StudySpec, keyword_layer
from eventstudy.studyfile import load_study_file
from eventstudy.timing.assets import DEFAULT_ASSETS, Asset, resolve_asset
from eventstudy.timing.bars import DAILY
from eventstudy.timing.placement import table_series
from eventstudy.timing.returns import LOG_LEVEL

EventsInput = str | Path | pd.DataFrame | Events


class EventStudy:
    """An event study: events, assets, model and windows.

    Parameters
    ----------
    events
        Path of an events file, a DataFrame with its columns, or :class:`Events`.
    prices
        Wide DataFrame (date x asset) of prices, e.g. from :func:`read_prices`, or a
        :class:`~eventstudy.distributed.dataset.PriceDataset` read asset by asset when the
        study runs (``docs/distributed.md``). Without it, the prices are fetched from the
        live sources through the cache.
    spec
        A :class:`~eventstudy.spec.StudySpec`; keyword settings override it.
    provenance
        Where each price series came from, recorded in ``study.json``.
    volumes
        Wide DataFrame (date x asset) of volumes or turnover, for ``measure="volume"``
        (every studied asset and benchmark); read from local files by :meth:`from_file`.
    **settings
        Any setting of :data:`eventstudy.spec.SETTINGS` (``assets``, ``model``,
        ``benchmark``, ``returns``, ``estimation``, ``windows``, ``event_window``,
        ``min_estimation``, ``exclude_event_windows``, ``cache_dir``, ``offline``,
        ``refresh``) and ``asset_info``, overrides of the asset catalogue.

    Raises
    ------
    ConfigError, InputError
        For invalid settings, events naming unknown assets, or prices lacking an asset.

    Examples
    --------
    >>> import eventstudy as es  # doctest: +SKIP
    >>> res = es.EventStudy("seeds/events.csv", es.read_prices("prices/")).run()  # doctest: +SKIP
    >>> res.car.query("asset == 'IMOEX'")  # doctest: +SKIP
    """

    def __init__(self, events: EventsInput, prices: pd.DataFrame | PriceDataset | None = None, *,
                 spec: StudySpec | None = None, provenance: Sequence[SeriesProvenance] = (),
                 asset_info: Mapping[str, Asset] | None = None, volumes: pd.DataFrame | None = None,
                 **settings: Any) -> None:
        base = spec or StudySpec()
        overrides = {**base.asset_overrides, **(asset_info or {})}
        merged = StudySpec.from_layers(keyword_layer({name: getattr(base, name) for name in SETTINGS}),
                                       keyword_layer(settings), asset_overrides=overrides)
        self.events = events if isinstance(events, Events) else load_events(events)
        self.prices = _checked_prices(prices)
        self.spec = _resolve_assets(merged, self.prices)
        self.provenance = tuple(provenance)
        self.volumes = _checked_volumes(volumes, self.spec)
        problem = unknown_assets(self.events, self.spec.assets)
        if problem is not None:
            raise problem

    @classmethod
    def from_file(cls, config: str | Path | None, events: EventsInput | None = None, *,
                  prices: str | Path | PriceDataset | None = None, layer: Layer | None = None,
                  **settings: Any) -> EventStudy:
        """The study described by a TOML study file, with settings overridden by keyword.

        Parameters
        ----------
        config
            TOML study file (``[study]`` settings and ``[assets.NAME]`` files), or ``None``.
        events
            Events file, DataFrame or :class:`Events`; default the study file's ``events``.
        prices
            A ``--prices`` folder or wide file; default the study file's ``prices``. Without
            any local prices the study fetches from the live sources. A hive-partitioned
            folder (``asset=<ASSET>/``) or a :class:`PriceDataset` is read lazily, asset by
            asset, when the study runs.
        layer
            Settings overriding the file's, labelled by their origin (the command line's flags).
        **settings
            Settings overriding the file's and ``layer``'s; ``None`` values are ignored.

        Raises
        ------
        ConfigError, InputError
            For a bad study file, settings, events or price files.

        Examples
        --------
        >>> study = EventStudy.from_file("examples/summer-2025.toml", "seeds/events.csv")  # doctest: +SKIP
        """
        study_file = load_study_file(config) if config is not None else None
        layers = [study_file.settings] if study_file else []
        if layer is not None:
            layers.append(layer)
        spec = StudySpec.from_layers(*layers, keyword_layer(settings),
                                     asset_overrides=study_file.assets if study_file else None)
        events = events if events is not None else (study_file.events if study_file else None)
        if events is None:
            raise ConfigError("no events given", path=config,
                              fix="pass the events file, or set events = \"...\" in [study]")
        loaded = events if isinstance(events, Events) else load_events(events)
        prices_path = prices if prices is not None else (study_file.prices if study_file else None)
        files = study_file.files if study_file else {}
        if isinstance(prices_path, PriceDataset) or (prices_path is not None
                                                     and is_hive_dataset(prices_path)):
            if files:
                raise ConfigError("a price dataset cannot be combined with the study file's asset files",
                                  path=config, fix="put every series in the dataset, or drop --prices")
            dataset = prices_path if isinstance(prices_path, PriceDataset) else PriceDataset(
                prices_path, same_day_prices=spec.same_day_prices)
            return cls(loaded, dataset, spec=spec)
        if prices_path is None and not files:
            return cls(loaded, spec=spec)
        needed = [*spec.assets, *spec.benchmark] if spec.assets else []
        if spec.interval != DAILY:
            from eventstudy.bar_study import study_file_bars

            if prices_path is not None:
                raise ConfigError(f"interval {spec.interval!r} reads bars from the assets' files or "
                                  "from MOEX ISS, not from a prices file", path=config,
                                  fix='drop --prices / prices = "..." and give each asset a file of bars: '
                                      '[assets.NAME] file = "bars.csv"')

            bars, bar_provenance = study_file_bars(files, lambda name: _asset_of(spec, name), spec,
                                                   loaded, needed)
            return cls(loaded, bars, spec=spec, provenance=bar_provenance)
        local, provenance = load_local_prices(prices_path, files, needed,
                                              same_day_prices=spec.same_day_prices)
        volumes = None if spec.measure != "volume" else load_local_volumes(
            prices_path, files, needed or [str(c) for c in local.columns], volume_column=spec.volume_column,
            same_day_prices=spec.same_day_prices)
        return cls(loaded, local, spec=spec, provenance=provenance, volumes=volumes)

    def input_paths(self) -> list[Path]:
        """The files this study reads: the events file and its local price files."""
        return input_paths(self.events, self.provenance)

    def __repr__(self) -> str:
        spec = self.spec
        benchmarks = f" on {', '.join(spec.benchmark)}" if spec.benchmark else ""
        return (f"EventStudy({len(self.events)} events x {', '.join(spec.assets)}; "
                f"{spec.model}{benchmarks}; estimation {list(spec.estimation)})")

    # -- running -----------------------------------------------------------------------------

    def run(self, *, scheduler: Any = None, progress: bool | None = None) -> Results:
        """Compute abnormal returns, CARs and the aggregate tests.

        Parameters
        ----------
        scheduler
            Run the estimation partitioned by asset on Dask (``docs/distributed.md``): a
            ``dask.distributed.Client``, a scheduler address or ``"local:N"``. The numbers
            are those of the in-memory run. A study on a :class:`PriceDataset` runs
            partitioned even without a scheduler, one partition after another.
        progress
            A progress bar on stderr while live daily prices are fetched: ``None`` (the
            default) only when stderr is a terminal, ``False`` never (``--quiet``).

        Returns
        -------
        Results
            Holding this study's spec, its tables and where each series came from.

        Raises
        ------
        DataUnavailableError
            When live prices cannot be fetched, or the Dask workers die too often.
        """
        spec = self.spec
        if spec.splits is not None and isinstance(self.prices, PriceDataset):
            raise ConfigError(f"splits = {spec.splits} adjusts prices read into memory, not a dataset's "
                              "files", fix="adjust the dataset's price files for their splits, and leave "
                              "splits out")
        if scheduler is not None or isinstance(self.prices, PriceDataset):
            from eventstudy.distributed.runner import run_partitioned

            prices, provenance = ((self.prices, self.provenance) if self.prices is not None
                                  else self._fetch_prices(progress))
            if isinstance(prices, pd.DataFrame):
                prices = split_adjusted(prices, spec)
            assets = {name: self.asset(name) for name in [*spec.assets, *spec.benchmark]}
            return run_partitioned(spec, self.events, prices, assets, provenance, scheduler=scheduler)
        if spec.interval != DAILY:
            return self._run_bars()
        if self.prices is not None:
            prices = self.prices
            provenance = self.provenance or tuple(table_provenance(prices, [*spec.assets, *spec.benchmark]))
        else:
            prices, provenance = self._fetch_prices(progress)
        prices = split_adjusted(prices, spec)
        assets = {name: self.asset(name) for name in [*spec.assets, *spec.benchmark]}
        series = table_series(assets, prices, spec.assets, spec.returns)
        bench = table_series(assets, prices, spec.benchmark, spec.returns)
        if self.volumes is not None:
            series, bench = volume_series(series, bench, self.volumes)
        kind = LOG_LEVEL if self.volumes is not None else spec.returns
        fit = estimate(spec, self.events.frame, series, bench, kind)
        pairs, panel, day0_index, output = fit.pairs, fit.panel, fit.day0_index, fit.output
        arrays = dataclasses.replace(output.arrays, asset_index=pairs["asset_row"].to_numpy(),
                                     day0_index=day0_index, calendar=panel.calendar)
        results = build_results(spec, self.events, series, pairs, dataclasses.replace(output, arrays=arrays),
                                provenance)
        results.extra_tables.update(optional_tables(results, series, bench, panel))
        if spec.model == "garch" and spec.measure == "volatility" and results.pairs is not None:
            results.car = with_garch_variance_dummy(results.car, results.pairs, panel, spec)
        return results

    def _run_bars(self) -> Results:
        """An intraday study (``interval`` other than ``1d``): :mod:`eventstudy.bar_study`."""
        from eventstudy.bar_study import fetch_bar_prices, run_bar_study

        names = [*self.spec.assets, *self.spec.benchmark]
        if not isinstance(self.prices, pd.DataFrame):  # live ISS candles (a dataset never gets here)
            prices, fetched = fetch_bar_prices(self.spec, self.events, [self.asset(n) for n in names])
            return run_bar_study(self.spec, self.events, prices, self.asset, fetched)
        provenance = self.provenance or tuple(table_provenance(self.prices, names))
        return run_bar_study(self.spec, self.events, self.prices, self.asset, provenance)

    def asset(self, name: str) -> Asset:
        """The definition of asset ``name``: the study's override, the catalogue's, or a local file."""
        return _asset_of(self.spec, name)

    def _fetch_prices(self, progress: bool | None = None,
                      ) -> tuple[pd.DataFrame, tuple[SeriesProvenance, ...]]:
        from eventstudy.sources.live import load_live_prices

        spec = self.spec
        start, end = self._fetch_range()
        assets = [self.asset(n) for n in [*spec.assets, *spec.benchmark]]
        prices, provenance = load_live_prices(assets, start, end, cache_dir=spec.cache_dir,
                                              offline=spec.offline, refresh=spec.refresh, progress=progress)
        return prices, tuple(provenance)

    def _fetch_range(self) -> tuple[date, date]:
        """Calendar range covering every window, with margin for holidays."""
        spec = self.spec
        dates = pd.to_datetime(self.events.frame["date"])
        trading_days_before = max(-spec.estimation[0], -spec.span[0], 0) + 1
        trading_days_after = max(spec.span[1], 0)
        start = dates.min() - pd.Timedelta(days=int(trading_days_before * 1.5) + 30)
        end = dates.max() + pd.Timedelta(days=int(trading_days_after * 1.5) + 15)
        return start.date(), min(end.date(), date.today())

def _asset_of(spec: StudySpec, name: str) -> Asset:
    if name in spec.asset_overrides:
        return spec.asset_overrides[name]
    try:
        return resolve_asset(name)
    except UnknownAssetError:
        return Asset(name, "file", name)


def _checked_prices(prices: pd.DataFrame | PriceDataset | None) -> pd.DataFrame | PriceDataset | None:
    if prices is not None and not isinstance(prices, PriceDataset) and (not isinstance(prices, pd.DataFrame)
                               or not isinstance(prices.index, pd.DatetimeIndex)):
        raise InputError("prices must be a DataFrame indexed by date (use read_prices)")
    return prices


def _checked_volumes(volumes: pd.DataFrame | None, spec: StudySpec) -> pd.DataFrame | None:
    """The volumes of a ``measure="volume"`` study (required then, refused otherwise)."""
    if spec.measure != "volume":
        if volumes is not None:
            raise ConfigError("volumes given but the measure is not volume", fix="set measure=\"volume\"")
        return None
    if volumes is None:
        raise ConfigError("measure volume needs volumes", fix="pass volumes= (date x asset), or local "
                          "price files with a volume column (--prices or the study file's files)")
    _checked_prices(volumes)
    return volumes


def _resolve_assets(spec: StudySpec, prices: pd.DataFrame | PriceDataset | None) -> StudySpec:
    """The spec with its assets chosen: the named ones, else every price column that is
    not a benchmark (local prices) or the default universe (live sources)."""
    if prices is not None:
        available = [str(c) for c in prices.columns]
        missing = [a for a in [*spec.assets, *spec.benchmark] if a not in available]
        if missing:
            raise InputError(
                f"no prices for {', '.join(missing)}",
                fix=f"the price data has: {', '.join(available) or 'no columns'}; "
                    "add the missing files or choose among these")
        chosen = spec.assets or tuple(a for a in available if a not in spec.benchmark)
    else:
        chosen = spec.assets or tuple(a for a in DEFAULT_ASSETS if a not in spec.benchmark)
        for name in [*chosen, *spec.benchmark]:
            if name not in spec.asset_overrides:
                resolve_asset(name)  # an unknown name fails here, before any fetching
    if not chosen:
        raise ConfigError("no asset to study", fix="name the assets with --assets")
    return spec.replace(assets=chosen)


def split_adjusted(prices: pd.DataFrame, spec: StudySpec) -> pd.DataFrame:
    """``prices`` back-adjusted for the splits in the files of ``spec.splits``
    (:func:`~eventstudy.events_panel.adjust_table_for_splits`); unchanged without them.
    The provenance keeps the hash of the prices as read."""
    if spec.splits is None:
        return prices
    return adjust_table_for_splits(prices, read_splits(spec.splits))
