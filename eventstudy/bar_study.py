"""Intraday event studies: run a study whose ``interval`` is a bar length (``1min`` .. ``1h``).

:meth:`eventstudy.EventStudy.run` hands over here when ``spec.interval`` is not ``1d``.
The flow is the daily one, counted in bars (``docs/intraday.md``):

1. each asset's closes, restricted to its exchange ``session`` when one is set, become
   bars with returns, opening-bar marks and time-of-day slots (:mod:`eventstudy.timing.bars`);
2. bar 0 is the bar containing the announcement, or the next one (``overnight`` when
   that is an opening bar);
3. the constant-mean or market model is fitted on the estimation bars with a variance
   for each time of day (:mod:`eventstudy.models.time_of_day`);
4. the tables are built by :mod:`eventstudy.results.bar_tables`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import ConfigError, InputError
from eventstudy.events import Events
from eventstudy.models.time_of_day import fit_bar_pairs
from eventstudy.results import Results
from eventstudy.results.bar_tables import BarAsset, build_bar_results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.intraday import BarFile, bar_provenance, read_bar_file
from eventstudy.sources.local import AssetFile
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.bars import (
    OPENING_SLOT,
    Session,
    announcement_instants,
    bar0_positions,
    bar_series,
    in_session,
    interval_length,
)
from eventstudy.timing.returns import aligned_level, returns_from_levels

#: Normal-return models of intraday studies.
BAR_MODELS = ("constant-mean", "market")

#: Fewest hours of trading in a session, to turn windows counted in bars into dates to fetch.
_SESSION_HOURS = 8

__all__ = ["BAR_MODELS", "bar_fetch_range", "fetch_bar_prices", "load_bar_prices", "run_bar_study",
           "study_file_bars"]


def load_bar_prices(files: Mapping[str, AssetFile], asset_of: Callable[[str], Asset], interval: str,
                    needed: Sequence[str]) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """Wide (UTC bar start x asset) closes of the study file's intraday files.

    Each file is read with its asset's ``timezone``, ``bar_label`` and ``shift``
    (:func:`eventstudy.sources.intraday.read_bar_file`).

    Raises
    ------
    InputError
        If a needed asset has no file, or a file cannot be read.
    """
    missing = [n for n in needed if n not in files]
    if missing:
        raise InputError(f"no intraday file for {', '.join(missing)}",
                         fix='give each asset a file: [assets.NAME] file = "bars.csv"')
    columns, provenance = {}, []
    for name in needed or list(files):
        asset, spec = asset_of(name), files[name]
        bar_file = BarFile(path=Path(spec.path), column=spec.column, timezone=asset.timezone,
                           bar_label=asset.bar_label, shift=asset.shift)
        series = read_bar_file(bar_file, interval_length(interval), name)
        if spec.invert:
            series = 1.0 / series
        columns[name] = series
        provenance.append(bar_provenance(name, series, spec.path))
    wide = pd.concat(columns, axis=1, sort=True)
    wide.index.name = "date"
    return wide, provenance


def study_file_bars(files: Mapping[str, AssetFile], asset_of: Callable[[str], Asset], spec: StudySpec,
                    events: Events, needed: Sequence[str]) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """The bars of a study file: its intraday files, and live ISS candles for the other assets.

    An asset of ``needed`` without a file is fetched live (:func:`fetch_bar_prices`).

    Raises
    ------
    InputError
        For a file that cannot be read.
    ConfigError, DataUnavailableError
        For an asset without a file that ISS does not serve, or that cannot be fetched.
    """
    live = [name for name in needed if name not in files]
    local = [name for name in needed if name in files]
    frames, provenance = [], []
    if local or not needed:
        wide, records = load_bar_prices(files, asset_of, spec.interval, local)
        frames.append(wide)
        provenance.extend(records)
    if live:
        wide, records = fetch_bar_prices(spec, events, [asset_of(name) for name in live])
        frames.append(wide)
        provenance.extend(records)
    wide = pd.concat(frames, axis=1, sort=True) if len(frames) > 1 else frames[0]
    wide.index.name = "date"
    return wide[[*local, *live]] if needed else wide, provenance


def fetch_bar_prices(spec: StudySpec, events: Events,
                     assets: Sequence[Asset]) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """Live ISS candles of ``assets`` covering every window of ``events`` (through the cache).

    The dates come from :func:`bar_fetch_range`; the bars from
    :func:`eventstudy.sources.live_bars.load_live_bars` with the spec's ``cache_dir``,
    ``offline`` and ``refresh``.
    """
    from eventstudy.sources.live_bars import load_live_bars

    start, end = bar_fetch_range(spec, events)
    return load_live_bars(assets, start, end, spec.interval, cache_dir=spec.cache_dir,
                          offline=spec.offline, refresh=spec.refresh)


def bar_fetch_range(spec: StudySpec, events: Events, today: date | None = None) -> tuple[date, date]:
    """Local dates to fetch so that every estimation and event window of ``events`` is covered.

    A session is taken to hold at least 8 hours of bars; the days needed before the
    first and after the last event are scaled by 1.5 (weekends, holidays) plus a
    margin of 10 days before and 5 after, and the end is never after ``today``.

    Examples
    --------
    >>> from eventstudy.events import load_events
    >>> import pandas as pd
    >>> events = load_events(pd.DataFrame({"id": ["a"], "event": ["x"], "date": ["2025-08-07"]}))
    >>> bar_fetch_range(StudySpec(interval="1h", estimation=(-300, -11), event_window=(-5, 5)), events)
    (datetime.date(2025, 5, 31), datetime.date(2025, 8, 15))
    """
    per_day = max(1, int(pd.Timedelta(hours=_SESSION_HOURS) / interval_length(spec.interval)))
    days_before = -(-max(-spec.estimation[0], -spec.span[0], 0) // per_day) + 1
    days_after = -(-max(spec.span[1], 0) // per_day) + 1
    dates = pd.to_datetime(events.frame["date"])
    start = (dates.min() - pd.Timedelta(days=int(days_before * 1.5) + 10)).date()
    end = (dates.max() + pd.Timedelta(days=int(days_after * 1.5) + 5)).date()
    return start, min(end, today or date.today())


def run_bar_study(spec: StudySpec, events: Events, prices: pd.DataFrame, asset_of: Callable[[str], Asset],
                  provenance: Sequence[SeriesProvenance]) -> Results:
    """Abnormal returns, CARs and tests of an intraday study.

    Parameters
    ----------
    spec
        The resolved spec (``interval`` a bar length, windows in bars).
    events
        The announcements; an event without a time starts at local midnight of its date,
        so its bar 0 is that day's opening bar.
    prices
        Closes indexed by bar start: UTC-aware, or naive in each asset's ``timezone``.
    asset_of
        The definition of each asset (its ``timezone``, ``session``).
    provenance
        Where each series came from.

    Raises
    ------
    ConfigError
        For a model other than :data:`BAR_MODELS`.
    """
    if spec.model not in BAR_MODELS:
        raise ConfigError(f"model {spec.model!r} is not available for intraday bars",
                          fix=f"use one of {', '.join(BAR_MODELS)} with interval = {spec.interval!r}")
    assets = {name: _bar_asset(prices[name], asset_of(name), spec.returns)
              for name in spec.assets}
    bench = {name: _bar_asset(prices[name], asset_of(name), spec.returns) for name in spec.benchmark}
    pairs = _pairs(events, assets, interval_length(spec.interval))
    returns, slots = _panel(assets)
    benchmark = _benchmark_panel(assets, bench, spec.returns) if spec.model == "market" else None
    fit = fit_bar_pairs(returns, slots, benchmark, pairs["asset_row"].to_numpy(),
                        pairs["day0_pos"].to_numpy(), spec.estimation, spec.span, spec.min_estimation)
    arrays = dataclasses.replace(fit.output.arrays, day0=_day0_dates(pairs, assets),
                                 calendar=_bar_calendar(assets, returns.shape[1]))
    fit = dataclasses.replace(fit, output=dataclasses.replace(fit.output, arrays=arrays))
    return build_bar_results(spec, events, assets, pairs, fit, provenance)


def _bar_asset(column: pd.Series, asset: Asset, kind: str) -> BarAsset:
    closes = column[column.notna() & (column > 0)]
    index = pd.DatetimeIndex(closes.index)
    if index.tz is None:
        index = index.tz_localize(asset.timezone, ambiguous="NaT", nonexistent="NaT")
    closes = pd.Series(closes.to_numpy(dtype=float), index=index.tz_convert("UTC"), name=asset.name)
    closes = closes[closes.index.notna()]
    if asset.session:
        session = Session.parse(asset.session)
        closes = closes[in_session(pd.DatetimeIndex(closes.index), asset.timezone, session)]
    return BarAsset(bars=bar_series(closes, asset.timezone, kind), closes=closes.sort_index())


def _pairs(events: Events, assets: Mapping[str, BarAsset], interval: pd.Timedelta) -> pd.DataFrame:
    """One row per event-asset pair: asset row, bar 0's position, its UTC start, overnight."""
    frame = events.frame
    rows = []
    for row_number, (name, asset) in enumerate(assets.items()):
        applies = frame["assets"].map(lambda names, n=name: names is None or n in names)
        subset = frame[applies.to_numpy(dtype=bool)]
        bars = asset.bars
        positions, outside = bar0_positions(bars.starts, interval,
                                            announcement_instants(subset, bars.timezone))
        located = positions >= 0
        start = np.full(len(positions), np.datetime64("NaT"), dtype="datetime64[ns]")
        start[located] = bars.starts.tz_localize(None).to_numpy()[positions[located]]
        overnight = np.zeros(len(positions), dtype=bool)
        overnight[located] = outside[located] & bars.opening[positions[located]]
        rows.append(pd.DataFrame({
            "event_id": subset["id"].to_numpy(), "asset": name, "asset_row": row_number,
            "day0_pos": positions, "day0": pd.to_datetime(start).tz_localize("UTC"),
            "overnight": overnight,
        }))
    pairs = pd.concat(rows, ignore_index=True)
    order = {event_id: i for i, event_id in enumerate(frame["id"])}
    pairs["order"] = pairs["event_id"].map(order)
    return pairs.sort_values(["order", "asset_row"], kind="stable").reset_index(drop=True)


def _panel(assets: Mapping[str, BarAsset]) -> tuple[np.ndarray, np.ndarray]:
    """``(N, T)`` bar returns and slot codes (opening slot 0, clock times from 1; -1 padding)."""
    length = max(len(a.bars.starts) for a in assets.values())
    returns = np.full((len(assets), length), np.nan)
    slots = np.full((len(assets), length), -1, dtype=np.int64)
    names = sorted({str(s) for a in assets.values() for s in np.unique(a.bars.slots)} - {OPENING_SLOT})
    code = {OPENING_SLOT: 0, **{name: i + 1 for i, name in enumerate(names)}}
    for i, a in enumerate(assets.values()):
        n = len(a.bars.starts)
        returns[i, :n] = a.bars.returns
        slots[i, :n] = pd.Series(a.bars.slots).map(code).to_numpy(dtype=np.int64)
    return returns, slots


def _benchmark_panel(assets: Mapping[str, BarAsset], bench: Mapping[str, BarAsset], kind: str) -> np.ndarray:
    """The (single) benchmark's return on each asset bar.

    The benchmark's close is taken from its bar starting at the asset bar's start (or the
    last one before it, never past its last bar, :func:`aligned_level`); the return runs
    between those closes on consecutive asset bars, so both series span the same time.
    """
    if len(bench) != 1:
        raise ConfigError("the intraday market model takes one benchmark",
                          fix="name a single benchmark series, e.g. benchmark = \"IMOEX\"")
    (b,) = bench.values()
    length = max(len(a.bars.starts) for a in assets.values())
    out = np.full((len(assets), length), np.nan)
    for i, a in enumerate(assets.values()):
        levels = aligned_level(pd.Series(b.bars.closes), b.bars.starts, a.bars.starts)
        out[i, : len(a.bars.starts)] = returns_from_levels(levels, kind)
    return out


def _day0_dates(pairs: pd.DataFrame, assets: Mapping[str, BarAsset]) -> np.ndarray:
    """Local calendar date of each pair's bar 0 (for the clustering diagnostics)."""
    out = np.full(len(pairs), np.datetime64("NaT"), dtype="datetime64[D]")
    for name, rows in pairs.groupby("asset"):
        zone = assets[str(name)].bars.timezone
        local = pd.DatetimeIndex(rows["day0"]).tz_convert(zone).tz_localize(None).normalize()
        out[rows.index.to_numpy()] = local.to_numpy().astype("datetime64[D]")
    return out


def _bar_calendar(assets: Mapping[str, BarAsset], length: int) -> np.ndarray:
    """``(N, T)`` bar-time calendar for the calendar-time tests: each UTC minute is one unit.

    :class:`~eventstudy.models.pairs.PairArrays` compares calendar entries as whole
    numbers; storing minutes since 1970 in its ``datetime64[D]`` slots makes two pairs'
    bars "the same date" exactly when they start in the same minute.
    """
    out = np.full((len(assets), length), np.datetime64("NaT"), dtype="datetime64[D]")
    for i, a in enumerate(assets.values()):
        minutes = a.bars.starts.as_unit("ns").asi8 // 60_000_000_000
        out[i, : len(minutes)] = minutes.astype("datetime64[D]")
    return out
