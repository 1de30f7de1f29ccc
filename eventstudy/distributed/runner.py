"""The partitioned run: estimation by partition of assets (on Dask, or one after another
in this process), then the tables built once from the combined pairs.

The distributed part is the estimation (reading prices, placing events, fitting the
model) and the passes over the estimation residuals, the parts that grow with the price
panel and the pairs. Each partition sends back its pairs' event-window arrays and a
:class:`~eventstudy.results.residual_summary.ResidualSummary`; the residuals stay where
they were computed (held by the partition's future on Dask, a temporary file in this
process). The driver puts the pairs in the in-memory run's order
(:func:`~eventstudy.distributed.partition.combine_partitions`) and
:func:`~eventstudy.results.tables.build_results` computes the CAR table and all ten
aggregate tests from them, fetching only the residual rows of the couples of ``r̄``
that cross partitions: the numbers are the in-memory run's (sums added in another
order).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.distributed.cluster import connect
from eventstudy.distributed.dataset import PriceDataset
from eventstudy.distributed.on_dask import estimate_on_dask
from eventstudy.distributed.partition import (
    FetchParts,
    PartitionOutput,
    PriceInput,
    asset_rows,
    combine_partitions,
    estimate_from,
    gathers_residuals,
    partition_assets,
)
from eventstudy.errors import ConfigError
from eventstudy.events import Events
from eventstudy.inference.regression import regression_table
from eventstudy.results.optional import bhar_table, bhar_windows
from eventstudy.results.tables import build_results
from eventstudy.results.value import Results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.local import table_provenance
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.bars import DAILY


def check_partitionable(spec: StudySpec) -> None:
    """Refuse the settings the partitioned run does not support.

    Raises
    ------
    ConfigError
        For intraday studies, ``measure = "volume"``, the synthetic-control model, and
        GARCH with ``measure = "volatility"`` (they need the whole panel on the driver).
    """
    problem = None
    if spec.interval != DAILY:
        problem = f"interval {spec.interval!r} (intraday studies)"
    elif spec.measure == "volume":
        problem = "measure volume"
    elif spec.model == "synthetic":
        problem = "model synthetic (donors are other assets, across partitions)"
    elif spec.model == "garch" and spec.measure == "volatility":
        problem = "model garch with measure volatility"
    if problem is not None:
        raise ConfigError(f"{problem} cannot run partitioned by asset (on a scheduler or from a "
                          "price dataset)", fix="drop --scheduler and read the prices into memory, "
                          "or change the setting")


def run_partitioned(spec: StudySpec, events: Events, prices: PriceInput, assets: Mapping[str, Asset],
                    provenance: Sequence[SeriesProvenance] = (), *, scheduler: Any = None,
                    n_parts: int | None = None) -> Results:
    """Run a daily study partitioned by asset and return the in-memory run's Results.

    Parameters
    ----------
    spec
        The resolved spec (its ``assets`` chosen).
    events
        The study's events.
    prices
        Wide prices in memory (scattered to the workers once) or a :class:`PriceDataset`
        (each task reads only its own assets and the benchmarks).
    assets
        The definition of every asset and benchmark of the spec.
    provenance
        Provenance of in-memory prices (computed from them when empty).
    scheduler
        ``None`` (partitions one after another in this process: a dataset larger than
        memory on one machine), a ``dask.distributed.Client``, an address or ``local:N``.
    n_parts
        Number of partitions; default
        :data:`~eventstudy.distributed.on_dask.PARTS_PER_WORKER` per worker (one per 8
        assets without a scheduler).

    Raises
    ------
    ConfigError
        For settings that cannot be partitioned (:func:`check_partitionable`) or a bad scheduler.
    DataUnavailableError
        When the scheduler cannot be reached, or workers die more often than the
        scheduler's allowed failures (the reason is in the message).
    """
    check_partitionable(spec)
    gather_residuals = gathers_residuals(spec)  # else they stay where they were computed
    if scheduler is None:
        with tempfile.TemporaryDirectory(prefix="eventstudy-residuals-") as spill:
            groups = partition_assets(spec.assets, n_parts or -(-len(spec.assets) // 8))
            parts, fetch = _estimate_in_turn(spec, events.frame, prices, groups, assets, Path(spill),
                                             gather_residuals)
            return _finish(spec, events, prices, provenance, parts, fetch)
    with connect(scheduler) as client:
        parts, fetch = estimate_on_dask(client, spec, events, prices, assets, n_parts, gather_residuals)
        return _finish(spec, events, prices, provenance, parts, fetch)


def _finish(spec: StudySpec, events: Events, prices: PriceInput, provenance: Sequence[SeriesProvenance],
            parts: list[PartitionOutput], fetch: FetchParts | None) -> Results:
    """The partitions combined, and the tables built once (residual rows fetched with ``fetch``)."""
    pairs, output, series, bench, residuals = combine_partitions(parts, len(spec.assets), fetch)
    if isinstance(prices, PriceDataset):
        by_name = {record.asset: record for part in parts for record in part.provenance}
        provenance = [by_name[n] for n in [*spec.assets, *spec.benchmark]]
    elif not provenance:
        provenance = table_provenance(prices, [*spec.assets, *spec.benchmark])
    results = build_results(spec, events, series, pairs, output, provenance, residuals)
    results.extra_tables.update(_optional_tables(results, series, bench))
    return results


def _estimate_in_turn(spec: StudySpec, events: pd.DataFrame, prices: PriceInput, groups: list[list[str]],
                      assets: Mapping[str, Asset], spill: Path, gather_residuals: bool,
                      ) -> tuple[list[PartitionOutput], FetchParts | None]:
    """The partitions one after another in this process; unless gathered, each one's
    residuals are written to ``spill`` and read back (memory-mapped) only for the rows asked."""
    parts = []
    for i, group in enumerate(groups):
        part = estimate_from(spec, events, prices, group, asset_rows(spec, group), assets)
        if not gather_residuals:
            np.save(spill / f"{i}.npy", part.output.arrays.est_ar)
            part = part.without_residuals()
        parts.append(part)

    def fetch(wanted: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        return {i: np.asarray(np.load(spill / f"{i}.npy", mmap_mode="r")[rows]) for i, rows in wanted.items()}

    return parts, None if gather_residuals else fetch


def _optional_tables(results: Results, series: Mapping[str, Any], bench: Mapping[str, Any]
                     ) -> dict[str, pd.DataFrame]:
    """``regression`` and ``bhar``, as :func:`eventstudy.results.optional.optional_tables`
    writes them (the synthetic table is refused by :func:`check_partitionable`)."""
    spec = results.spec
    tables: dict[str, pd.DataFrame] = {}
    if spec.regress is not None:
        tables["regression"] = regression_table(results.regress(spec.regress, spec.windows[0]))
    windows = bhar_windows(spec)
    if windows:
        benchmark = bench[spec.benchmark[0]].prices if spec.benchmark else None
        tables["bhar"] = bhar_table(results.car, {n: s.prices for n, s in series.items()}, benchmark, windows)
    return tables
