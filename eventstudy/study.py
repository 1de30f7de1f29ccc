"""The study specification, :class:`EventStudy`, whose :meth:`~EventStudy.run` gives Results.

The spec is checked once, here, at the boundary; the engine and the tests then
trust their inputs (CONVENTIONS 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.assets import DEFAULT_ASSETS, Asset, resolve_asset
from eventstudy.calendars import day0_positions, observation_instants
from eventstudy.engine import fit_pairs
from eventstudy.errors import ConfigError, InputError
from eventstudy.events import Events, load_events, unknown_assets
from eventstudy.local_prices import provenance_of
from eventstudy.models import get_model
from eventstudy.returns import aligned_level, asset_returns, check_return_kind, returns_from_levels
from eventstudy.sources.base import SeriesProvenance

if TYPE_CHECKING:
    from eventstudy.results import Results

Window = tuple[int, int]
DEFAULT_WINDOWS: tuple[Window, ...] = ((0, 0), (-1, 1), (0, 5))


@dataclass(frozen=True)
class AssetSeries:
    """One asset's valid prices and returns on its own trading days.

    ``price_instants`` are the UTC instants at which the prices were observed; a
    return is dated by its later price, so the returns' instants are ``[1:]``.
    """

    asset: Asset
    prices: pd.Series
    returns: pd.Series
    price_instants: pd.DatetimeIndex


class EventStudy:
    """An event study: events, assets, model and windows.

    Parameters
    ----------
    events
        Path of an events file, a DataFrame with its columns, or :class:`Events`.
    prices
        Wide DataFrame (date x asset) of prices, e.g. from :func:`read_prices`. Without
        it, the prices are fetched from the live sources through the cache.
    assets
        Asset names to study. Default: the price columns that are not benchmarks, or
        ``IMOEX`` and ``RUBUSD`` when fetching.
    model
        ``constant-mean`` (default), ``market-adjusted``, ``market`` or ``factor``.
    benchmark
        Benchmark asset name(s) for the market, market-adjusted and factor models
        (a list or a comma-separated string).
    returns
        ``log`` (default) or ``simple``.
    estimation
        Estimation window in trading days relative to day 0, default ``(-250, -11)``.
    windows
        CAR windows, default ``[(0, 0), (-1, 1), (0, 5)]``.
    event_window
        Window of the AR table and charts, default ``(-10, 10)``.
    min_estimation
        Minimum estimation returns per pair (default 100); pairs with fewer are skipped.
    exclude_event_windows
        Drop other events' event windows from each estimation window.
    asset_info
        Overrides of the asset catalogue (observation time, zone, units, source).
    provenance
        Where each price series came from, recorded in ``study.json``.
    cache_dir, offline, refresh
        Options of the live sources (used only when ``prices`` is not given).

    Examples
    --------
    >>> import eventstudy as es  # doctest: +SKIP
    >>> res = es.EventStudy("seeds/events.csv", es.read_prices("prices/")).run()  # doctest: +SKIP
    >>> res.car.query("asset == 'IMOEX'")  # doctest: +SKIP
    """

    def __init__(
        self,
        events: str | Path | pd.DataFrame | Events,
        prices: pd.DataFrame | None = None,
        *,
        assets: Sequence[str] | str | None = None,
        model: str = "constant-mean",
        benchmark: Sequence[str] | str | None = None,
        returns: str = "log",
        estimation: Window = (-250, -11),
        windows: Sequence[Window] = DEFAULT_WINDOWS,
        event_window: Window = (-10, 10),
        min_estimation: int = 100,
        exclude_event_windows: bool = False,
        asset_info: Mapping[str, Asset] | None = None,
        provenance: Sequence[SeriesProvenance] = (),
        cache_dir: str | Path | None = None,
        offline: bool = False,
        refresh: bool = False,
    ) -> None:
        self.events = events if isinstance(events, Events) else load_events(events)
        spec = check_settings(model=model, benchmark=benchmark, returns=returns, estimation=estimation,
                              windows=windows, event_window=event_window, min_estimation=min_estimation)
        self.model = spec["model"]
        self.benchmarks = spec["benchmarks"]
        self.return_kind = returns
        self.estimation = spec["estimation"]
        self.windows = spec["windows"]
        self.event_window = spec["event_window"]
        self.min_estimation = int(min_estimation)
        self.exclude_event_windows = bool(exclude_event_windows)
        self.asset_info = dict(asset_info or {})
        self.prices = prices
        self.assets = self._choose_assets(name_list(assets), prices)
        self.provenance = list(provenance)
        self.cache_dir = cache_dir
        self.offline = offline
        self.refresh = refresh
        problem = unknown_assets(self.events, self.assets)
        if problem is not None:
            raise problem

    @classmethod
    def from_file(cls, config: str | Path, events: str | Path | pd.DataFrame | Events | None = None,
                  **options: Any) -> EventStudy:
        """The study described by a TOML study file (see :func:`eventstudy.build.build_study`).

        Examples
        --------
        >>> study = EventStudy.from_file("examples/summer-2025.toml", "seeds/events.csv")  # doctest: +SKIP
        >>> results = study.run()  # doctest: +SKIP
        """
        from eventstudy.build import build_study

        return build_study(config, events, **options)

    def __repr__(self) -> str:
        benchmarks = f" on {', '.join(self.benchmarks)}" if self.benchmarks else ""
        return (f"EventStudy({len(self.events)} events x {', '.join(self.assets)}; "
                f"{self.model.name}{benchmarks}; estimation {list(self.estimation)})")

    @property
    def span(self) -> Window:
        """Relative days computed per pair: the event window and every CAR window."""
        starts = [self.event_window[0]] + [w[0] for w in self.windows]
        ends = [self.event_window[1]] + [w[1] for w in self.windows]
        return min(starts), max(ends)

    def settings(self) -> dict[str, object]:
        """The resolved settings, as written to ``study.json``."""
        return {
            "events_file": self.events.path,
            "assets": list(self.assets),
            "model": self.model.name,
            "benchmarks": list(self.benchmarks),
            "returns": self.return_kind,
            "estimation": list(self.estimation),
            "windows": [list(w) for w in self.windows],
            "event_window": list(self.event_window),
            "min_estimation": self.min_estimation,
            "exclude_event_windows": self.exclude_event_windows,
            "day0_rule": "first session whose observation time is at or after the announcement; "
                         "a bare date means that day if the asset trades then, else its next session",
        }

    def run(self) -> Results:
        """Compute abnormal returns, CARs and the aggregate tests.

        Returns
        -------
        Results
        """
        from eventstudy.tables import build_results

        prices = self.prices if self.prices is not None else self._fetch_prices()
        series = {name: self._asset_series(name, prices) for name in self.assets}
        bench = {name: self._asset_series(name, prices) for name in self.benchmarks}
        pairs = self._pairs(series)
        returns, regressors, offset = self._panel(series, bench)
        exclude = self._exclusion_mask(series, pairs) if self.exclude_event_windows else None
        lo, hi = self.span
        output = self._estimator()(
            returns, regressors, offset,
            asset_index=pairs["asset_row"].to_numpy(), day0_index=pairs["day0_pos"].to_numpy(),
            estimation=self.estimation, event_window=(lo, hi), min_obs=self.min_estimation,
            exclude=exclude, day0_dates=pairs["day0"].to_numpy().astype("datetime64[D]"),
            constant=self.model.has_constant,
        )
        provenance = self.provenance or [provenance_of(name, prices[name])
                                         for name in [*self.assets, *self.benchmarks]]
        return build_results(self, series, pairs, output, provenance)

    def _estimator(self) -> Any:
        if self.model.estimator == "garch":
            from eventstudy.garch import fit_garch_pairs

            return fit_garch_pairs
        return fit_pairs

    # -- preparation -------------------------------------------------------------------

    def _choose_assets(self, assets: list[str], prices: pd.DataFrame | None) -> list[str]:
        if prices is not None:
            if not isinstance(prices, pd.DataFrame) or not isinstance(prices.index, pd.DatetimeIndex):
                raise InputError("prices must be a DataFrame indexed by date (use read_prices)")
            available = [str(c) for c in prices.columns]
            missing = [a for a in [*assets, *self.benchmarks] if a not in available]
            if missing:
                raise InputError(
                    f"no prices for {', '.join(missing)}",
                    fix=f"the price data has: {', '.join(available) or 'no columns'}; "
                        "add the missing files or choose among these")
            chosen = assets or [a for a in available if a not in self.benchmarks]
        else:
            chosen = assets or [a for a in DEFAULT_ASSETS if a not in self.benchmarks]
            for name in [*chosen, *self.benchmarks]:
                self.asset_info.setdefault(name, resolve_asset(name))
        if not chosen:
            raise ConfigError("no asset to study", fix="name the assets with --assets")
        return chosen

    def _asset(self, name: str) -> Asset:
        if name in self.asset_info:
            return self.asset_info[name]
        try:
            return resolve_asset(name)
        except ConfigError:
            return Asset(name, "file", name)

    def _fetch_prices(self) -> pd.DataFrame:
        from eventstudy.sources.live import load_live_prices

        start, end = self._fetch_range()
        names = [*self.assets, *self.benchmarks]
        prices, provenance = load_live_prices(
            [self._asset(n) for n in names], start, end,
            cache_dir=self.cache_dir, offline=self.offline, refresh=self.refresh)
        self.provenance = list(provenance)
        return prices

    def _fetch_range(self) -> tuple[date, date]:
        """Calendar range covering every window, with margin for holidays."""
        dates = pd.to_datetime(self.events.frame["date"])
        trading_days_before = max(-self.estimation[0], -self.span[0], 0) + 1
        trading_days_after = max(self.span[1], 0)
        start = dates.min() - pd.Timedelta(days=int(trading_days_before * 1.5) + 30)
        end = dates.max() + pd.Timedelta(days=int(trading_days_after * 1.5) + 15)
        return start.date(), min(end.date(), date.today())

    def _asset_series(self, name: str, prices: pd.DataFrame) -> AssetSeries:
        asset = self._asset(name)
        column = prices[name]
        observed = column[column.notna() & (column > 0)]
        instants = observation_instants(pd.DatetimeIndex(observed.index), asset.observed_at, asset.timezone)
        return AssetSeries(asset=asset, prices=observed, returns=asset_returns(observed, self.return_kind),
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
                bench_returns[i, : len(s.returns), j] = returns_from_levels(levels, self.return_kind)[1:]
        regressors, offset = self.model.regressors(bench_returns)
        return returns, regressors, offset

    def _exclusion_mask(self, series: Mapping[str, AssetSeries], pairs: pd.DataFrame) -> np.ndarray:
        """``(N, T)`` True on every event's event-window days, per asset."""
        length = max(len(s.returns) for s in series.values())
        mask = np.zeros((len(series), length), dtype=bool)
        lo, hi = self.span
        located = pairs[pairs["day0_pos"] >= 0]
        for row, day0 in zip(located["asset_row"], located["day0_pos"], strict=True):
            mask[row, max(day0 + lo, 0): max(day0 + hi + 1, 0)] = True
        return mask


def check_settings(*, model: str = "constant-mean", benchmark: Sequence[str] | str | None = None,
                   returns: str = "log", estimation: Window = (-250, -11),
                   windows: Sequence[Window] = DEFAULT_WINDOWS, event_window: Window = (-10, 10),
                   min_estimation: int = 100, **_ignored: object) -> dict[str, Any]:
    """Check the model and window settings (no data needed) and return them resolved.

    Raises
    ------
    ConfigError
        Naming the setting, the offending value and the fix.
    """
    resolved_model = get_model(model)
    benchmarks = name_list(benchmark)
    resolved_model.check_benchmarks(benchmarks)
    check_return_kind(returns)
    resolved_windows = [_window(w, "CAR window") for w in windows]
    if not resolved_windows:
        raise ConfigError("no CAR window given", fix="give at least one, e.g. 0,0")
    resolved_estimation = _window(estimation, "estimation")
    resolved_event_window = _window(event_window, "event window")
    _check_window_order(resolved_estimation, resolved_event_window, resolved_windows)
    resolved = {
        "model": resolved_model, "benchmarks": benchmarks, "windows": resolved_windows,
        "estimation": resolved_estimation, "event_window": resolved_event_window,
    }
    if min_estimation < 3:
        raise ConfigError(f"minimum estimation observations {min_estimation} is too small",
                          fix="use at least 3 (the default is 100)")
    return resolved


def name_list(value: Sequence[str] | str | None) -> list[str]:
    """Asset names from a list or a comma-separated string, blanks dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def _window(value: Sequence[int], what: str) -> Window:
    try:
        start, end = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r} is not a pair of whole numbers",
                          fix="write it as START,END in trading days, e.g. -1,1") from None
    if start > end:
        raise ConfigError(f"{what} [{start}, {end}] starts after it ends", fix="write it as START,END")
    return start, end


def _check_window_order(estimation: Window, event_window: Window, windows: Sequence[Window]) -> None:
    for name, window in [("event window", event_window)] + [("CAR window", w) for w in windows]:
        if estimation[1] >= window[0]:
            raise ConfigError(
                f"the estimation window [{estimation[0]}, {estimation[1]}] overlaps the {name} "
                f"[{window[0]}, {window[1]}]",
                fix=f"end the estimation window before day {window[0]} (e.g. --estimation "
                    f"{estimation[0]},{window[0] - 1})")
