"""An event study: events, prices and a :class:`~eventstudy.spec.StudySpec`; ``run()`` gives Results.

:class:`EventStudy` never changes itself: its spec is frozen and resolved once, when it
is made (the assets to study, the catalogue entries it uses), and :meth:`EventStudy.run`
returns a new :class:`~eventstudy.results.Results` that holds the spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError, InputError, UnknownAssetError
from eventstudy.events import Events, load_events, unknown_assets
from eventstudy.models.registry import get_model
from eventstudy.results import Results
from eventstudy.results.folder import input_paths
from eventstudy.results.tables import AssetSeries, build_results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.local import load_local_prices, provenance_of
from eventstudy.spec import SETTINGS, Layer, StudySpec, keyword_layer
from eventstudy.studyfile import load_study_file
from eventstudy.timing.assets import DEFAULT_ASSETS, Asset, resolve_asset
from eventstudy.timing.bars import DAILY
from eventstudy.timing.calendars import day0_positions, observation_instants
from eventstudy.timing.returns import aligned_level, asset_returns, returns_from_levels

EventsInput = str | Path | pd.DataFrame | Events


class EventStudy:
    """An event study: events, assets, model and windows.

    Parameters
    ----------
    events
        Path of an events file, a DataFrame with its columns, or :class:`Events`.
    prices
        Wide DataFrame (date x asset) of prices, e.g. from :func:`read_prices`. Without
        it, the prices are fetched from the live sources through the cache.
    spec
        A :class:`~eventstudy.spec.StudySpec`; keyword settings override it.
    provenance
        Where each price series came from, recorded in ``study.json``.
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

    def __init__(self, events: EventsInput, prices: pd.DataFrame | None = None, *,
                 spec: StudySpec | None = None, provenance: Sequence[SeriesProvenance] = (),
                 asset_info: Mapping[str, Asset] | None = None, **settings: Any) -> None:
        base = spec or StudySpec()
        overrides = {**base.asset_overrides, **(asset_info or {})}
        merged = StudySpec.from_layers(keyword_layer({name: getattr(base, name) for name in SETTINGS}),
                                       keyword_layer(settings), asset_overrides=overrides)
        self.events = events if isinstance(events, Events) else load_events(events)
        self.prices = _checked_prices(prices)
        self.spec = _resolve_assets(merged, self.prices)
        self.provenance = tuple(provenance)
        problem = unknown_assets(self.events, self.spec.assets)
        if problem is not None:
            raise problem

    @classmethod
    def from_file(cls, config: str | Path | None, events: EventsInput | None = None, *,
                  prices: str | Path | None = None, layer: Layer | None = None,
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
            any local prices the study fetches from the live sources.
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
        if prices_path is None and not files:
            return cls(loaded, spec=spec)
        needed = [*spec.assets, *spec.benchmark] if spec.assets else []
        if spec.interval != DAILY:
            from eventstudy.bar_study import load_bar_prices

            bars, bar_provenance = load_bar_prices(
                files, lambda name: spec.asset_overrides.get(name) or Asset(name, "file", name),
                spec.interval, needed)
            return cls(loaded, bars, spec=spec, provenance=bar_provenance)
        local, provenance = load_local_prices(prices_path, files, needed)
        return cls(loaded, local, spec=spec, provenance=provenance)

    def input_paths(self) -> list[Path]:
        """The files this study reads: the events file and its local price files."""
        return input_paths(self.events, self.provenance)

    def __repr__(self) -> str:
        spec = self.spec
        benchmarks = f" on {', '.join(spec.benchmark)}" if spec.benchmark else ""
        return (f"EventStudy({len(self.events)} events x {', '.join(spec.assets)}; "
                f"{spec.model}{benchmarks}; estimation {list(spec.estimation)})")

    # -- running -----------------------------------------------------------------------------

    def run(self) -> Results:
        """Compute abnormal returns, CARs and the aggregate tests.

        Returns
        -------
        Results
            Holding this study's spec, its tables and where each series came from.

        Raises
        ------
        DataUnavailableError
            When live prices cannot be fetched.
        """
        spec = self.spec
        if spec.interval != DAILY:
            return self._run_bars()
        if self.prices is not None:
            prices = self.prices
            provenance = self.provenance or tuple(
                provenance_of(name, prices[name]) for name in [*spec.assets, *spec.benchmark])
        else:
            prices, provenance = self._fetch_prices()
        series = {name: self._asset_series(name, prices) for name in spec.assets}
        bench = {name: self._asset_series(name, prices) for name in spec.benchmark}
        pairs = self._pairs(series)
        model = get_model(spec.model)
        returns, regressors, offset = self._panel(series, bench)
        exclude = self._exclusion_mask(series, pairs) if spec.exclude_event_windows else None
        output = model.estimator(
            returns, regressors, offset,
            asset_index=pairs["asset_row"].to_numpy(), day0_index=pairs["day0_pos"].to_numpy(),
            estimation=spec.estimation, event_window=spec.span, min_obs=spec.min_estimation,
            exclude=exclude, day0_dates=pairs["day0"].to_numpy().astype("datetime64[D]"),
            constant=model.has_constant,
        )
        return build_results(spec, self.events, series, pairs, output, provenance)

    def _run_bars(self) -> Results:
        """An intraday study (``interval`` other than ``1d``): :mod:`eventstudy.bar_study`."""
        from eventstudy.bar_study import run_bar_study

        if self.prices is None:
            raise ConfigError(f"interval {self.spec.interval!r} needs intraday price files",
                              fix='give each asset a file of bars: [assets.NAME] file = "bars.csv"')
        provenance = self.provenance or tuple(
            provenance_of(name, self.prices[name]) for name in [*self.spec.assets, *self.spec.benchmark])
        return run_bar_study(self.spec, self.events, self.prices, self.asset, provenance)

    def asset(self, name: str) -> Asset:
        """The definition of asset ``name``: the study's override, the catalogue's, or a local file."""
        if name in self.spec.asset_overrides:
            return self.spec.asset_overrides[name]
        try:
            return resolve_asset(name)
        except UnknownAssetError:
            return Asset(name, "file", name)

    def _fetch_prices(self) -> tuple[pd.DataFrame, tuple[SeriesProvenance, ...]]:
        from eventstudy.sources.live import load_live_prices

        spec = self.spec
        start, end = self._fetch_range()
        assets = [self.asset(n) for n in [*spec.assets, *spec.benchmark]]
        prices, provenance = load_live_prices(assets, start, end, cache_dir=spec.cache_dir,
                                              offline=spec.offline, refresh=spec.refresh)
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

    def _asset_series(self, name: str, prices: pd.DataFrame) -> AssetSeries:
        asset = self.asset(name)
        column = prices[name]
        observed = column[column.notna() & (column > 0)]
        instants = observation_instants(pd.DatetimeIndex(observed.index), asset.observed_at, asset.timezone)
        return AssetSeries(asset=asset, prices=observed, returns=asset_returns(observed, self.spec.returns),
                           price_instants=instants)

    def _pairs(self, series: Mapping[str, AssetSeries]) -> pd.DataFrame:
        """One row per event-asset pair: asset row, day-0 position and date."""
        frame = self.events.frame
        rows = []
        for row_number, (name, s) in enumerate(series.items()):
            applies = frame["assets"].map(lambda names, n=name: names is None or n in names)
            subset = frame[applies.to_numpy(dtype=bool)]
            positions = day0_positions(pd.DatetimeIndex(s.returns.index), s.price_instants[1:],
                                       subset["date"], subset["announced"])
            day0 = [s.returns.index[p] if p >= 0 else pd.NaT for p in positions]
            rows.append(pd.DataFrame({
                "event_id": subset["id"].to_numpy(), "asset": name, "asset_row": row_number,
                "day0_pos": positions, "day0": pd.to_datetime(pd.Series(day0, dtype="datetime64[ns]")),
            }))
        pairs = pd.concat(rows, ignore_index=True)
        order = {event_id: i for i, event_id in enumerate(frame["id"])}
        pairs["order"] = pairs["event_id"].map(order)
        return pairs.sort_values(["order", "asset_row"], kind="stable").reset_index(drop=True)

    def _panel(self, series: Mapping[str, AssetSeries],
               bench: Mapping[str, AssetSeries]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Returns ``(N, T)``, the model's regressors and offset on each asset's own calendar."""
        length = max(len(s.returns) for s in series.values())
        n = len(series)
        returns = np.full((n, length), np.nan)
        bench_returns = np.full((n, length, len(bench)), np.nan)
        for i, s in enumerate(series.values()):
            returns[i, : len(s.returns)] = s.returns.to_numpy()
            for j, b in enumerate(bench.values()):
                # On the asset's price days: its first return needs the level one day earlier.
                levels = aligned_level(b.prices, b.price_instants, s.price_instants)
                bench_returns[i, : len(s.returns), j] = returns_from_levels(levels, self.spec.returns)[1:]
        return (returns, *get_model(self.spec.model).design(bench_returns))

    def _exclusion_mask(self, series: Mapping[str, AssetSeries], pairs: pd.DataFrame) -> np.ndarray:
        """``(N, T)`` True on every event's event-window days, per asset."""
        length = max(len(s.returns) for s in series.values())
        mask = np.zeros((len(series), length), dtype=bool)
        lo, hi = self.spec.span
        located = pairs[pairs["day0_pos"] >= 0]
        for row, day0 in zip(located["asset_row"], located["day0_pos"], strict=True):
            mask[row, max(day0 + lo, 0): max(day0 + hi + 1, 0)] = True
        return mask


def _checked_prices(prices: pd.DataFrame | None) -> pd.DataFrame | None:
    if prices is not None and (not isinstance(prices, pd.DataFrame)
                               or not isinstance(prices.index, pd.DatetimeIndex)):
        raise InputError("prices must be a DataFrame indexed by date (use read_prices)")
    return prices


def _resolve_assets(spec: StudySpec, prices: pd.DataFrame | None) -> StudySpec:
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
