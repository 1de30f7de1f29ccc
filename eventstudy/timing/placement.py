"""Events placed on each asset's own sessions, and the panel the estimators read.

:func:`place_events` gives one row per event-asset pair with its day-0 position, or the
reason it cannot be placed (the series ends first, or day 0 would be more than
``max_day0_gap`` calendar days after the announcement: a gap in the prices), and a flag
when the pair's event window spans a gap between sessions (a trading halt).
:func:`build_panel` stacks every asset's returns on its own calendar with its
benchmarks aligned as of each observation, and the age of the benchmark values used,
which :func:`stale_benchmark_flags` turns into flags.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.timing.assets import Asset
from eventstudy.timing.calendars import (
    DAY0_TOO_FAR,
    day0_gap_reason,
    day0_positions_ns,
    longest_gaps,
    observation_instants,
    window_gap_reason,
)
from eventstudy.timing.jumps import JumpCheck
from eventstudy.timing.returns import (
    age_in_days,
    asset_returns,
    instants_ns,
    last_at_or_before,
    level_at,
    returns_from_levels,
    returns_of_observed,
    stale_benchmark_reason,
)

Design = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


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

    @functools.cached_property
    def day_ns(self) -> np.ndarray:
        """The price days as int64 nanoseconds (the returns' are ``[1:]``)."""
        return instants_ns(self.prices.index)

    @functools.cached_property
    def instant_ns(self) -> np.ndarray:
        """``price_instants`` as int64 nanoseconds since 1970, UTC."""
        return instants_ns(self.price_instants)


def asset_series(asset: Asset, column: pd.Series, return_kind: str,
                 index_instants: pd.DatetimeIndex | None = None) -> AssetSeries:
    """The asset's positive prices, their observation instants and returns.

    ``index_instants``: the observation instants of every day of ``column``'s index on the
    asset's clock, when already known (:func:`table_series`); the asset's are a subset.
    """
    if column.dtype == np.float64:  # NumPy's mask and take: pandas' cost more than the work
        values = column.to_numpy()
        with np.errstate(invalid="ignore"):
            valid = values > 0  # False where missing
        observed = pd.Series(values[valid], index=column.index[valid], name=column.name)
        returns = returns_of_observed(observed.to_numpy(), observed.index, return_kind, column.name)
    else:
        valid = (column.notna() & (column > 0)).to_numpy()
        observed = column[valid]
        returns = asset_returns(observed, return_kind)
    instants = (index_instants[valid] if index_instants is not None else
                observation_instants(pd.DatetimeIndex(observed.index), asset.observed_at, asset.timezone))
    return AssetSeries(asset=asset, prices=observed, returns=returns, price_instants=instants)


def table_series(assets: Mapping[str, Asset], prices: pd.DataFrame, names: Iterable[str],
                 return_kind: str) -> dict[str, AssetSeries]:
    """:func:`asset_series` of each of ``names`` (columns of the wide ``prices``).

    The observation instants are computed once per clock (observation time and zone) for
    the whole table's days and each asset takes its own days' (an instant depends only on
    its day and clock), instead of once per asset: most of the per-asset cost of a study
    of hundreds of assets on one exchange.
    """
    days = pd.DatetimeIndex(prices.index)
    clocks: dict[tuple[Any, str], pd.DatetimeIndex] = {}
    out = {}
    for name in names:
        asset = assets[name]
        clock = (asset.observed_at, asset.timezone)
        if clock not in clocks:
            clocks[clock] = observation_instants(days, *clock)
        out[name] = asset_series(asset, prices[name], return_kind, clocks[clock])
    return out


def place_events(events: pd.DataFrame, series: Mapping[str, AssetSeries], *, span: tuple[int, int],
                 max_day0_gap: int, max_window_gap: int, skip_window_gaps: bool,
                 jumps: JumpCheck | None = None) -> pd.DataFrame:
    """One row per event-asset pair, events in file order, then assets.

    Columns: ``event_id``, ``asset``, ``asset_row``, ``day0_pos`` (position in the
    asset's returns, negative when not placed), ``day0``, ``reason`` (why the pair is
    skipped before estimation, else empty) and ``data_flags`` (warnings about its prices).
    With ``jumps``, a pair whose estimation or event window holds a move of its asset's
    or a benchmark's price by more than ``jumps.max_jump`` is skipped
    (:mod:`~eventstudy.timing.jumps`: an unadjusted split).
    The pairs are built with array operations; the only loop runs over the assets.
    """
    event_rows, asset_rows = _pair_indices(events["assets"], list(series))
    n = event_rows.size
    day0_pos = np.empty(n, dtype=np.int64)
    day0 = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.full(n, "", dtype=object)
    flags = np.full(n, "", dtype=object)
    event_dates = pd.DatetimeIndex(pd.to_datetime(events["date"])).as_unit("ns").asi8
    announced = pd.DatetimeIndex(pd.to_datetime(events["announced"], utc=True))
    timed, stamps = np.asarray(announced.notna()), announced.as_unit("ns").asi8
    bounds = np.searchsorted(asset_rows, np.arange(len(series) + 1))  # pairs sorted by asset
    for row_number, s in enumerate(series.values()):
        at = np.arange(bounds[row_number], bounds[row_number + 1])
        if at.size == 0:
            continue
        which = event_rows[at]
        days, instants = s.day_ns[1:], s.instant_ns[1:]  # the returns' days and instants
        positions = day0_positions_ns(days, instants, event_dates[which], stamps[which], timed[which],
                                      max_day0_gap=max_day0_gap)
        too_far = np.flatnonzero(positions == DAY0_TOO_FAR)
        if too_far.size:
            would_be = day0_positions_ns(days, instants, event_dates[which[too_far]], stamps[which[too_far]],
                                         timed[which[too_far]], max_day0_gap=None)
            reason[at[too_far]] = [day0_gap_reason(pd.Timestamp(event_dates[e]), pd.Timestamp(days[p]),
                                                   max_day0_gap)
                                   for e, p in zip(which[too_far], would_be, strict=True)]
        flags[at] = _window_gap_texts(s.day_ns, positions, span, max_window_gap)
        if jumps is not None:
            jumped = jumps.texts(s.prices.to_numpy(dtype=float), s.day_ns, positions)
            fresh = (reason[at] == "") & (jumped != "")
            reason[at[fresh]] = jumped[fresh]
        placed = positions >= 0
        day0[at[placed]] = days[positions[placed]].view("datetime64[ns]")
        day0_pos[at] = positions
    if skip_window_gaps:
        reason = np.where((reason == "") & (flags != ""), flags, reason)
        flags = np.full(n, "", dtype=object)
    names = np.array(list(series), dtype=object)
    pairs = pd.DataFrame({
        "event_id": events["id"].to_numpy()[event_rows], "asset": names[asset_rows], "asset_row": asset_rows,
        "day0_pos": day0_pos, "day0": day0, "reason": reason, "data_flags": flags,
        "order": event_rows,
    })
    order = np.lexsort((asset_rows, event_rows))
    return pairs.take(order).reset_index(drop=True)


def _pair_indices(event_assets: pd.Series, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Event positions and asset rows of every event-asset pair, sorted by asset row then event.

    An event's ``assets`` is ``None`` (every asset) or a tuple of names; names outside
    ``names`` are left out, a name listed twice gives one pair.
    """
    every = event_assets.isna().to_numpy(dtype=bool)
    all_events = np.flatnonzero(every)
    listed = event_assets.to_numpy()[~every].tolist()
    counts = np.fromiter((len(names_) for names_ in listed), dtype=np.int64, count=len(listed))
    listed_events = np.repeat(np.flatnonzero(~every), counts)
    listed_rows = pd.Index(names).get_indexer(pd.Index(list(itertools.chain.from_iterable(listed))))
    known = listed_rows >= 0
    event_rows = np.concatenate([np.repeat(all_events, len(names)), listed_events[known]]).astype(np.int64)
    asset_rows = np.concatenate([np.tile(np.arange(len(names)), all_events.size),
                                 listed_rows[known]]).astype(np.int64)
    width = max(len(event_assets), 1)
    key = np.unique(asset_rows * width + event_rows)  # sorted by asset, then event; no duplicates
    return key % width, key // width


def _window_gap_texts(values: np.ndarray, positions: np.ndarray, span: tuple[int, int],
                      max_gap: int) -> np.ndarray:
    """For each placed pair whose event window spans a step longer than ``max_gap`` calendar
    days between sessions, the text of :func:`window_gap_reason`; else empty.

    Return ``j`` is dated by price ``j + 1``, so the window's returns ``[d + lo, d + hi]``
    cover the steps into prices ``d + lo + 1 .. d + hi + 1`` (``values``: the price days in
    int64 nanoseconds).
    """
    texts = np.full(len(positions), "", dtype=object)
    if len(values) < 2:
        return texts
    big = np.concatenate([[0], np.diff(values) // (86_400 * 10**9) > max_gap]).astype(np.int64)
    count = np.cumsum(big)
    placed = np.flatnonzero(positions >= 0)
    start = np.clip(positions[placed] + span[0] + 1, 1, len(values) - 1)
    end = np.clip(positions[placed] + span[1] + 1, 1, len(values) - 1)
    spans_gap = (end >= start) & (count[end] - count[start - 1] > 0)
    for k, a, b in zip(placed[spans_gap], start[spans_gap], end[spans_gap], strict=True):
        longest = int(longest_gaps(pd.DatetimeIndex(values.view("datetime64[ns]")), int(a), int(b))[0])
        texts[k] = window_gap_reason(longest, max_gap, "event window")
    return texts


@dataclass(frozen=True)
class Panel:
    """Every studied asset's returns ``(N, T)`` on its own calendar, with the model's regressors
    ``(N, T, K)`` and offset, each return's calendar date, and the age in days of the oldest
    benchmark value used for each return (NaN without benchmarks)."""

    returns: np.ndarray
    regressors: np.ndarray
    offset: np.ndarray | None
    calendar: np.ndarray
    benchmark_age: np.ndarray
    oldest_benchmark: np.ndarray


def build_panel(series: Mapping[str, AssetSeries], bench: Mapping[str, AssetSeries], return_kind: str,
                design: Design) -> Panel:
    """The panel of returns and the model's design, benchmarks aligned as of each observation."""
    length = max(len(s.returns) for s in series.values())
    n = len(series)
    returns = np.full((n, length), np.nan)
    calendar = np.full((n, length), np.datetime64("NaT"), dtype="datetime64[D]")
    bench_returns = np.full((n, length, len(bench)), np.nan)
    age = np.full((n, length), np.nan)
    oldest = np.full((n, length), -1, dtype=np.int64)
    bench_levels = [b.prices.to_numpy(dtype=float) for b in bench.values()]
    for i, s in enumerate(series.values()):
        t = len(s.returns)
        returns[i, :t] = s.returns.to_numpy()
        calendar[i, :t] = s.day_ns[1:].view("datetime64[ns]").astype("datetime64[D]")
        for j, b in enumerate(bench.values()):
            # On the asset's price days: its first return needs the level one day earlier.
            order = last_at_or_before(b.instant_ns, s.instant_ns)  # as returns.aligned_level
            bench_returns[i, :t, j] = returns_from_levels(level_at(bench_levels[j], order), return_kind)[1:]
            days_old = age_in_days(b.instant_ns, s.instant_ns, order)[1:]  # as returns.level_age_days
            older = np.nan_to_num(days_old, nan=-1.0) > np.nan_to_num(age[i, :t], nan=-1.0)
            age[i, :t] = np.where(older, days_old, age[i, :t])
            oldest[i, :t] = np.where(older, j, oldest[i, :t])
    regressors, offset = design(bench_returns)
    return Panel(returns=returns, regressors=regressors, offset=offset, calendar=calendar,
                 benchmark_age=age, oldest_benchmark=oldest)


def stale_benchmark_flags(pairs: pd.DataFrame, panel: Panel, benchmarks: list[str], span: tuple[int, int],
                          max_age: int) -> pd.Series:
    """Per placed pair: a flag when its event window uses a benchmark value older than ``max_age`` days."""
    flags = np.full(len(pairs), "", dtype=object)
    if not benchmarks:
        return pd.Series(flags, index=pairs.index, dtype=object)
    day0 = pairs["day0_pos"].to_numpy(dtype=np.int64)
    placed = np.flatnonzero(day0 >= 0)
    width = panel.returns.shape[1]
    rows = pairs["asset_row"].to_numpy(dtype=np.int64)[placed][:, None]
    cols = day0[placed][:, None] + np.arange(span[0], span[1] + 1)[None, :]
    inside = (cols >= 0) & (cols < width)
    ages = panel.benchmark_age[rows, np.clip(cols, 0, width - 1)]
    with np.errstate(invalid="ignore"):
        stale = inside & (ages > max_age)  # a missing age (NaN) is never stale
    for k in np.flatnonzero(stale.any(axis=1)):
        worst = int(np.argmax(np.where(stale[k], ages[k], -1.0)))
        row, col = int(rows[k, 0]), int(cols[k, worst])
        name = benchmarks[int(panel.oldest_benchmark[row, col])]
        when = pd.Timestamp(panel.calendar[row, col])
        flags[placed[k]] = stale_benchmark_reason(name, int(ages[k, worst]), when)
    return pd.Series(flags, index=pairs.index, dtype=object)


def exclusion_mask(pairs: pd.DataFrame, shape: tuple[int, int], span: tuple[int, int]) -> np.ndarray:
    """``(N, T)`` True on every placed event's event-window days, per asset."""
    lo, hi = span
    placed = pairs[pairs["day0_pos"] >= 0]
    rows = placed["asset_row"].to_numpy(dtype=np.int64)
    day0 = placed["day0_pos"].to_numpy(dtype=np.int64)
    first = np.clip(day0 + lo, 0, shape[1])
    stop = np.clip(day0 + hi + 1, 0, shape[1])
    keep = stop > first
    # +1 where a window starts and -1 after it ends; a running sum above 0 is inside one.
    steps = np.zeros((shape[0], shape[1] + 1), dtype=np.int64)
    np.add.at(steps, (rows[keep], first[keep]), 1)
    np.add.at(steps, (rows[keep], stop[keep]), -1)
    return np.cumsum(steps, axis=1)[:, : shape[1]] > 0
