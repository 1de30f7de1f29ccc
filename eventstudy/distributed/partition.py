"""One partition of a study's assets estimated on its own, and the partitions combined.

Pairs are partitioned by asset: every step of a daily study before the aggregate tests
(returns, day-0 placement, the benchmark alignment, exclusion of other events' windows,
the model's fit) reads one asset's series and the benchmarks only, so a partition of
assets gives exactly the rows the in-memory run gives for those assets.
:func:`combine_partitions` puts the rows back in the in-memory run's pair order (events
in file order, then assets), so the aggregate tests, rank tests included, run once on
the same arrays and give the same numbers by construction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.estimation import estimate
from eventstudy.models.engine import EngineOutput
from eventstudy.models.pairs import PairArrays
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.placement import (
    AssetSeries,
    asset_series,
)

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
    """

    pairs: pd.DataFrame
    output: EngineOutput
    rows: np.ndarray
    calendar: np.ndarray
    series: dict[str, AssetSeries]
    bench: dict[str, AssetSeries]
    provenance: list[SeriesProvenance]


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
    series = {n: asset_series(assets[n], prices[n], spec.returns) for n in names}
    bench = {n: asset_series(assets[n], prices[n], spec.returns) for n in spec.benchmark}
    fit = estimate(spec, events, series, bench, spec.returns)
    pairs, panel, day0_index, output = fit.pairs, fit.panel, fit.day0_index, fit.output
    row_of = np.asarray(rows, dtype=np.int64)
    global_rows = row_of[pairs["asset_row"].to_numpy()]
    pairs["asset_row"] = global_rows
    arrays = dataclasses.replace(output.arrays, asset_index=global_rows, day0_index=day0_index)
    return PartitionOutput(pairs=pairs, output=dataclasses.replace(output, arrays=arrays),
                           rows=row_of, calendar=panel.calendar, series=series, bench=bench,
                           provenance=list(provenance))


def combine_partitions(parts: Sequence[PartitionOutput], n_assets: int,
                       ) -> tuple[pd.DataFrame, EngineOutput, dict[str, AssetSeries], dict[str, AssetSeries]]:
    """The partitions' pairs and engine output in the in-memory run's pair order.

    Pairs are sorted by the event's position in the events file, then the asset's row
    (the key of :func:`~eventstudy.timing.placement.place_events`, unique per pair), and
    every per-pair array is taken in that order; the calendars are stacked into one
    ``(n_assets, T)`` array indexed by the global asset row.
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
    return pairs, output, series, dict(parts[0].bench)


def _concat_arrays(pieces: Sequence[PairArrays], order: np.ndarray, calendar: np.ndarray) -> PairArrays:
    values: dict[str, np.ndarray | None] = {}
    for field in dataclasses.fields(PairArrays):
        if field.name in SHARED_FIELDS:
            continue
        parts = [getattr(p, field.name) for p in pieces]
        values[field.name] = None if parts[0] is None else np.concatenate(parts)[order]
    return PairArrays(event_days=pieces[0].event_days, est_days=pieces[0].est_days, calendar=calendar,
                      **values)  # type: ignore[arg-type]
