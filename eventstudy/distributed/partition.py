"""One partition of a study's assets estimated on its own, and the partitions combined.

Pairs are partitioned by asset: every step of a daily study before the aggregate tests
(returns, day-0 placement, the benchmark alignment, exclusion of other events' windows,
the model's fit) reads one asset's series and the benchmarks only, so a partition of
assets gives exactly the rows the in-memory run gives for those assets. It also
summarises its pairs' estimation residuals
(:func:`~eventstudy.results.residual_summary.summarise_residuals`), so that the
residuals need not leave it. :func:`combine_partitions` puts the rows and the summaries
back in the in-memory run's pair order (events in file order, then assets).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.distributed.dataset import PriceDataset
from eventstudy.estimation import estimate
from eventstudy.models.engine import EngineOutput
from eventstudy.models.pairs import PairArrays
from eventstudy.results.residual_summary import ResidualSummary, summarise_residuals
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.placement import (
    AssetSeries,
    table_series,
)

#: Prices in memory (wide) or a dataset read asset by asset.
PriceInput = pd.DataFrame | PriceDataset

#: ``fetch_parts({partition: rows})`` -> ``{partition: est_ar[rows]}``: residual rows
#: asked of several partitions at once (one round trip on a cluster).
FetchParts = Callable[[dict[int, np.ndarray]], dict[int, np.ndarray]]

# PairArrays fields that are not per pair (the first axis is not the pair).
SHARED_FIELDS = ("event_days", "est_days", "calendar")


@dataclass(frozen=True)
class PartitionOutput:
    """What one partition sends back to the driver.

    Attributes
    ----------
    pairs
        The partition's pairs as :func:`~eventstudy.timing.placement.place_events` gives
        them, ``asset_row`` being the asset's row among all the study's assets.
    output
        The estimator's output for those pairs (``asset_index`` global as well).
    rows
        The global rows (positions in the study's assets) of the partition's assets.
    calendar
        ``(n, T)`` dates of each of the partition's assets' return axes, in ``rows`` order.
    series, bench
        The partition's assets and the benchmarks as read (for the prices table and the
        abnormal-return table).
    provenance
        Where the partition's series came from (read from a dataset), else empty.
    residuals
        What the tables need from the pairs' estimation residuals
        (:func:`~eventstudy.results.residual_summary.summarise_residuals`); ``None`` when
        the residuals themselves are gathered (:func:`gathers_residuals`).
    """

    pairs: pd.DataFrame
    output: EngineOutput
    rows: np.ndarray
    calendar: np.ndarray
    series: dict[str, AssetSeries]
    bench: dict[str, AssetSeries]
    provenance: list[SeriesProvenance]
    residuals: ResidualSummary | None

    def without_residuals(self) -> PartitionOutput:
        """This output without the estimation residuals (``est_ar`` of width 0): what is
        sent to the driver, the residuals staying where they were computed."""
        arrays = self.output.arrays
        light = dataclasses.replace(arrays, est_ar=np.empty((arrays.n_pairs, 0)))
        return dataclasses.replace(self, output=dataclasses.replace(self.output, arrays=light))

    def residual_rows(self, rows: np.ndarray) -> np.ndarray:
        """``est_ar`` of the partition's pairs ``rows``."""
        return np.asarray(self.output.arrays.est_ar[rows])


def partition_assets(assets: Sequence[str], n_parts: int) -> list[list[str]]:
    """``assets`` cut into at most ``n_parts`` contiguous, near-equal groups (none empty)."""
    n_parts = max(1, min(n_parts, len(assets)))
    bounds = np.linspace(0, len(assets), n_parts + 1).round().astype(int)
    return [list(assets[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def estimate_partition(spec: StudySpec, events: pd.DataFrame, prices: pd.DataFrame,
                       names: Sequence[str], rows: Sequence[int], assets: Mapping[str, Asset],
                       provenance: Sequence[SeriesProvenance] = ()) -> PartitionOutput:
    """Place the events and fit the model for the assets ``names`` (global rows ``rows``).

    The same steps, in the same order, as :meth:`eventstudy.study.EventStudy.run` for a
    daily study of returns (not volumes), restricted to ``names``.

    Parameters
    ----------
    spec
        The resolved study spec (``assets`` is the whole study's list).
    events
        The events frame (:attr:`eventstudy.events.Events.frame`).
    prices
        Wide prices holding at least ``names`` and the spec's benchmarks.
    names, rows
        The partition's assets and their positions in ``spec.assets``.
    assets
        The definition of every asset and benchmark (observation times, zone).
    provenance
        Provenance records to pass back (for prices read by the task).
    """
    series = table_series(assets, prices, names, spec.returns)
    bench = table_series(assets, prices, spec.benchmark, spec.returns)
    fit = estimate(spec, events, series, bench, spec.returns)
    pairs, panel, day0_index, output = fit.pairs, fit.panel, fit.day0_index, fit.output
    # As build_results labels and keeps the pairs; computed before the rows become global.
    kept = output.fitted & (pairs["reason"] == "").to_numpy()
    labelled = pairs.assign(group=pairs["event_id"].map(events.set_index("id")["group"]))
    local = dataclasses.replace(output.arrays, asset_index=pairs["asset_row"].to_numpy(),
                                day0_index=day0_index, calendar=panel.calendar)
    residuals = None if gathers_residuals(spec) else summarise_residuals(labelled, local, kept, spec.windows)
    row_of = np.asarray(rows, dtype=np.int64)
    global_rows = row_of[pairs["asset_row"].to_numpy()]
    pairs["asset_row"] = global_rows
    arrays = dataclasses.replace(output.arrays, asset_index=global_rows, day0_index=day0_index)
    return PartitionOutput(pairs=pairs, output=dataclasses.replace(output, arrays=arrays),
                           rows=row_of, calendar=panel.calendar, series=series, bench=bench,
                           provenance=list(provenance), residuals=residuals)


def gathers_residuals(spec: StudySpec) -> bool:
    """Whether a partitioned run sends the driver every pair's estimation residuals.

    One observation per asset and day 0 (``one_per_day``) averages residuals across
    events, so the driver needs them all (and no summary of them); otherwise they stay
    where they were computed and the partitions send :class:`ResidualSummary` values.
    """
    return bool(spec.one_per_day)


def asset_rows(spec: StudySpec, group: Sequence[str]) -> list[int]:
    """The positions of the assets ``group`` in ``spec.assets``."""
    position = {name: i for i, name in enumerate(spec.assets)}
    return [position[name] for name in group]


def estimate_from(spec: StudySpec, events: pd.DataFrame, prices: PriceInput, names: Sequence[str],
                  rows: Sequence[int], assets: Mapping[str, Asset]) -> PartitionOutput:
    """One partition's task: read its assets (and the benchmarks) from ``prices``, then
    :func:`estimate_partition`."""
    needed = [*names, *[b for b in spec.benchmark if b not in names]]
    if isinstance(prices, PriceDataset):
        frame = prices.read(needed)
        # The benchmarks' provenance travels with the first partition only.
        recorded = list(names) if rows[0] != 0 else needed
        return estimate_partition(spec, events, frame, names, rows, assets,
                                  prices.provenance(recorded, frame))
    return estimate_partition(spec, events, prices[needed], names, rows, assets)


def combine_partitions(parts: Sequence[PartitionOutput], n_assets: int,
                       fetch_parts: FetchParts | None = None,
                       ) -> tuple[pd.DataFrame, EngineOutput, dict[str, AssetSeries], dict[str, AssetSeries],
                                  ResidualSummary | None]:
    """The partitions' pairs and engine output in the in-memory run's pair order.

    Pairs are sorted by the event's position in the events file, then the asset's row
    (the key of :func:`~eventstudy.timing.placement.place_events`, unique per pair), and
    every per-pair array is taken in that order; the calendars are stacked into one
    ``(n_assets, T)`` array indexed by the global asset row.

    With ``fetch_parts`` (:data:`FetchParts`), the partitions' residual summaries are
    combined into one for the combined pairs, which fetches residual rows from the
    partitions; else (the partitions carry their residuals) the last value is ``None``.
    """
    pairs = pd.concat([p.pairs for p in parts], ignore_index=True)
    order = np.lexsort((pairs["asset_row"].to_numpy(), pairs["order"].to_numpy()))
    pairs = pairs.iloc[order].reset_index(drop=True)
    width = max(p.calendar.shape[1] for p in parts)
    calendar = np.full((n_assets, width), np.datetime64("NaT"), dtype="datetime64[D]")
    for part in parts:
        calendar[part.rows, : part.calendar.shape[1]] = part.calendar
    arrays = _concat_arrays([p.output.arrays for p in parts], order, calendar)
    output = EngineOutput(
        arrays=arrays,
        fitted=np.concatenate([p.output.fitted for p in parts])[order],
        reason=np.concatenate([p.output.reason for p in parts])[order],
        expected=np.concatenate([p.output.expected for p in parts])[order],
    )
    series = {name: s for part in parts for name, s in part.series.items()}
    residuals = None if fetch_parts is None else _combine_residuals(parts, order, fetch_parts)
    return pairs, output, series, dict(parts[0].bench), residuals


def _combine_residuals(parts: Sequence[PartitionOutput], order: np.ndarray,
                       fetch_parts: FetchParts) -> ResidualSummary:
    """The partitions' residual summaries for the pairs in combined ``order``; its
    ``fetch`` asks each partition for its own rows."""
    sizes = np.array([len(p.pairs) for p in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)  # combined row of each concatenated row
    part_index = np.repeat(np.arange(len(parts)), sizes)  # each concatenated row's partition
    part_of = part_index[order]
    local_of = (np.arange(order.size) - offsets[part_index])[order]
    summaries = [p.residuals for p in parts if p.residuals is not None]
    if len(summaries) != len(parts):
        raise ValueError("every partition must carry its residual summary (residuals not gathered)")

    def fetch(rows: np.ndarray) -> np.ndarray:
        out = np.empty((rows.size, parts[0].output.arrays.est_days.size))
        owner = part_of[rows]
        wanted = {int(i): local_of[rows[owner == i]] for i in np.unique(owner)}
        for i, values in fetch_parts(wanted).items():
            out[owner == i] = values
        return out

    return ResidualSummary(
        positive_share=np.concatenate([r.positive_share for r in summaries])[order],
        empirical=np.concatenate([r.empirical for r in summaries])[order],
        cell_pair=np.concatenate([position[offset + r.cell_pair] for offset, r in zip(offsets, summaries,
                                                                                          strict=True)]),
        rank_sums=[(np.concatenate([r.rank_sums[w][0] for r in summaries]),
                    np.concatenate([r.rank_sums[w][1] for r in summaries]))
                   for w in range(len(summaries[0].rank_sums))],
        residual_sums=(np.concatenate([r.residual_sums[0] for r in summaries]),
                       np.concatenate([r.residual_sums[1] for r in summaries])),
        asset_reports={name: report for r in summaries for name, report in r.asset_reports.items()},
        fetch=fetch)


def _concat_arrays(pieces: Sequence[PairArrays], order: np.ndarray, calendar: np.ndarray) -> PairArrays:
    values: dict[str, np.ndarray | None] = {}
    for field in dataclasses.fields(PairArrays):
        if field.name in SHARED_FIELDS:
            continue
        parts = [getattr(p, field.name) for p in pieces]
        values[field.name] = None if parts[0] is None else np.concatenate(parts)[order]
    return PairArrays(event_days=pieces[0].event_days, est_days=pieces[0].est_days, calendar=calendar,
                      **values)  # type: ignore[arg-type]
