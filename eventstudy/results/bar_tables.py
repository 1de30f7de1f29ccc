"""The tables of an intraday study: the daily tables' columns, counted in bars.

Differences from :mod:`eventstudy.results.tables`: the relative index is ``bar``;
``date`` (AR table) and ``day0`` (CAR table) are bar-start instants in the asset's
local time with their UTC offset (``2025-08-07T11:00:00+03:00``); both tables gain
an ``overnight`` column (AR table: the bar's return carries a session gap; CAR table:
bar 0 is the next session's opening bar because the market was closed at the
announcement); the pair's t test uses the time-of-day variances
(:mod:`eventstudy.models.time_of_day`) with the degrees of freedom of the smallest
slot in the window, and ``pvalue_empirical`` compares the CAR with CARs starting at
the same clock time on the estimation days (:func:`clock_time_pvalue`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import NoResultsError
from eventstudy.events import Events
from eventstudy.models.pairs import PairArrays
from eventstudy.models.time_of_day import BarFit, clock_time_pvalue
from eventstudy.results.aggregate import AGGREGATE_COLUMNS, aggregate_table, diagnostics
from eventstudy.results.flags import overlap_flags
from eventstudy.results.tables import CAR_COLUMNS, SKIPPED_COLUMNS, no_results_message
from eventstudy.results.value import Results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.bars import BarSeries, local_iso

BAR_AR_COLUMNS = ["event_id", "event", "asset", "bar", "date", "return", "expected", "ar", "car",
                  "se_ar", "se_car", "overnight"]
BAR_CAR_COLUMNS = [*CAR_COLUMNS, "overnight"]
OVERNIGHT_FLAG = ("announced while the market was closed: bar 0 is the next session's opening bar "
                  "and its return includes the overnight gap")

__all__ = ["AGGREGATE_COLUMNS", "BAR_AR_COLUMNS", "BAR_CAR_COLUMNS", "BarAsset", "build_bar_results"]


@dataclass(frozen=True)
class BarAsset:
    """One asset of an intraday study: its bars and its closes (for ``prices.csv``)."""

    bars: BarSeries
    closes: pd.Series


def build_bar_results(spec: StudySpec, events: Events, assets: Mapping[str, BarAsset], pairs: pd.DataFrame,
                      fit: BarFit, provenance: Sequence[SeriesProvenance]) -> Results:
    """:class:`~eventstudy.results.Results` of an intraday study from :func:`fit_bar_pairs`'s fit.

    ``pairs`` has one row per event-asset pair: ``event_id, asset, asset_row, day0_pos``
    (bar 0's position), ``day0`` (its UTC start) and ``overnight``.
    """
    output = fit.output
    frame = events.frame.set_index("id")
    flags = overlap_flags(pairs, spec.span, spec.estimation, spec.exclude_event_windows)
    flags = flags.where(~pairs["overnight"].to_numpy(dtype=bool),
                        flags.map(lambda f: f"{f}; {OVERNIGHT_FLAG}" if f else OVERNIGHT_FLAG))
    pairs = pairs.assign(event=pairs["event_id"].map(frame["event"]),
                         group=pairs["event_id"].map(frame["group"]), flags=flags)
    fitted = output.fitted
    if not fitted.any():
        raise NoResultsError(no_results_message(output.reason))
    kept = pairs[fitted].reset_index(drop=True)
    arrays = output.arrays.subset(fitted)
    car_table, window_skips = _car_table(kept, arrays, fit, fitted, assets, spec.windows)
    skipped = pd.concat([
        pd.DataFrame({"event_id": pairs["event_id"][~fitted], "asset": pairs["asset"][~fitted],
                      "reason": output.reason[~fitted]}),
        window_skips,
    ], ignore_index=True).reindex(columns=SKIPPED_COLUMNS)
    expected = output.expected[fitted]
    return Results(
        spec=spec, events=events, provenance=tuple(provenance),
        prices=_span_closes(assets, kept, spec),
        car=car_table, aggregate=aggregate_table(kept, arrays, spec.windows, one_per_day=spec.one_per_day),
        skipped=skipped,
        abnormal_returns=lambda: _ar_table(kept, arrays, expected, assets, spec.event_window),
        pairs=kept, arrays=arrays, diagnostics=diagnostics(kept, arrays, spec),
    )


def _car_table(pairs: pd.DataFrame, arrays: PairArrays, fit: BarFit, fitted: np.ndarray,
               assets: Mapping[str, BarAsset],
               windows: Sequence[tuple[int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    slot_bars = fit.slot_bars[fitted]
    est_slots = fit.est_slots[fitted]
    anchor = fit.event_slots[fitted][:, int(np.flatnonzero(arrays.event_days == 0)[0])]
    day0 = _local_day0(pairs, assets)
    tables, skips = [], []
    for start, end in windows:
        car = arrays.car(start, end)
        se = np.sqrt(arrays.car_variance(start, end))
        dof = slot_bars[:, arrays.columns(start, end)].min(axis=1) - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            t = car / se
        pvalue = np.where(dof > 0, 2 * stats.t.sf(np.abs(t), np.maximum(dof, 1)), np.nan)
        empirical, _ = clock_time_pvalue(arrays.est_ar, est_slots, anchor, start, end, car)
        table = pairs[["event_id", "event", "asset"]].assign(
            start=start, end=end, car=car, se=se, t=t, pvalue=pvalue, pvalue_empirical=empirical,
            day0=day0, group=pairs["group"], flags=pairs["flags"],
            overnight=pairs["overnight"].to_numpy(dtype=bool))
        missing = ~np.isfinite(car)
        tables.append(table[~missing])
        skips.append(pd.DataFrame({
            "event_id": pairs["event_id"][missing], "asset": pairs["asset"][missing],
            "reason": f"CAR window [{start}, {end}] not computed: the prices end before bar {end}",
        }))
    car_table = pd.concat(tables).sort_index(kind="stable").reset_index(drop=True)[BAR_CAR_COLUMNS]
    return car_table, pd.concat(skips, ignore_index=True)


def _local_day0(pairs: pd.DataFrame, assets: Mapping[str, BarAsset]) -> np.ndarray:
    """Bar 0's start in each pair's local time, ISO with offset."""
    out = np.full(len(pairs), "", dtype=object)
    for name, rows in pairs.groupby("asset"):
        zone = assets[str(name)].bars.timezone
        out[rows.index.to_numpy()] = local_iso(pd.DatetimeIndex(rows["day0"]), zone)
    return out


def _ar_table(pairs: pd.DataFrame, arrays: PairArrays, expected: np.ndarray, assets: Mapping[str, BarAsset],
              event_window: tuple[int, int]) -> pd.DataFrame:
    cols = arrays.columns(*event_window)
    bars = arrays.event_days[cols]
    ar = arrays.ar[:, cols]
    car = np.cumsum(ar, axis=1)
    se_car = np.sqrt(np.stack([arrays.car_variance(event_window[0], int(b)) for b in bars], axis=1))
    frames = []
    keys = zip(pairs["event_id"], pairs["event"], pairs["asset"], pairs["day0_pos"].to_numpy(), strict=True)
    for i, (event_id, event, asset, bar0) in enumerate(keys):
        series = assets[asset].bars
        positions = int(bar0) + bars
        inside = (positions >= 0) & (positions < len(series.starts))
        at = positions[inside]
        frames.append(pd.DataFrame({
            "event_id": event_id, "event": event, "asset": asset, "bar": bars[inside],
            "date": local_iso(series.starts[at], series.timezone), "return": series.returns[at],
            "expected": expected[i, cols][inside], "ar": ar[i, inside], "car": car[i, inside],
            "se_ar": np.sqrt(arrays.var_ar[i, cols][inside]), "se_car": se_car[i, inside],
            "overnight": series.opening[at],
        }))
    if not frames:
        return pd.DataFrame(columns=BAR_AR_COLUMNS)
    return pd.concat(frames, ignore_index=True)[BAR_AR_COLUMNS]


def _span_closes(assets: Mapping[str, BarAsset], pairs: pd.DataFrame,
                 spec: StudySpec) -> dict[str, pd.Series]:
    """Each asset's closes from the earliest estimation bar to the latest event-window bar (UTC index)."""
    closes = {name: a.closes for name, a in assets.items()}
    if len(pairs) == 0:
        return closes
    starts, ends = [], []
    for name, rows in pairs.groupby("asset"):
        index = assets[str(name)].bars.starts
        positions = rows["day0_pos"].to_numpy()
        starts.append(index[max(int(positions.min()) + spec.estimation[0] - 1, 0)])
        ends.append(index[min(int(positions.max()) + spec.event_window[1], len(index) - 1)])
    first, last = min(starts), max(ends)
    return {name: c[(c.index >= first) & (c.index <= last)] for name, c in closes.items()}
