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
from eventstudy.distributed.partition import (
    FetchParts,
    PartitionOutput,
    combine_partitions,
    estimate_partition,
    partition_assets,
)
from eventstudy.errors import ConfigError, DataUnavailableError
from eventstudy.events import Events
from eventstudy.inference.regression import regression_table
from eventstudy.results.optional import bhar_table, bhar_windows
from eventstudy.results.tables import build_results
from eventstudy.results.value import Results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.local import provenance_of
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.bars import DAILY

PriceInput = pd.DataFrame | PriceDataset

#: Tasks per worker: a few, so a slow or lost worker's share is redistributed.
PARTS_PER_WORKER = 4
#: Retries of a task that raised (a worker that dies is handled by the scheduler,
#: which re-runs its tasks elsewhere up to ``distributed.scheduler.allowed-failures``).
TASK_RETRIES = 2


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
        Number of partitions; default :data:`PARTS_PER_WORKER` per worker (one per 8
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
    # One observation per asset and day 0 averages residuals across events: the driver
    # needs them all, so they are gathered; otherwise they stay where they were computed.
    gather_residuals = spec.one_per_day
    if scheduler is None:
        with tempfile.TemporaryDirectory(prefix="eventstudy-residuals-") as spill:
            groups = partition_assets(spec.assets, n_parts or -(-len(spec.assets) // 8))
            parts, fetch = _estimate_in_turn(spec, events.frame, prices, groups, assets, Path(spill),
                                             gather_residuals)
            return _finish(spec, events, prices, provenance, parts, fetch)
    with connect(scheduler) as client:
        parts, fetch = _estimate_on_dask(client, spec, events, prices, assets, n_parts, gather_residuals)
        return _finish(spec, events, prices, provenance, parts, fetch)


def _finish(spec: StudySpec, events: Events, prices: PriceInput, provenance: Sequence[SeriesProvenance],
            parts: list[PartitionOutput], fetch: FetchParts | None) -> Results:
    """The partitions combined, and the tables built once (residual rows fetched with ``fetch``)."""
    pairs, output, series, bench, residuals = combine_partitions(parts, len(spec.assets), fetch)
    if isinstance(prices, PriceDataset):
        by_name = {record.asset: record for part in parts for record in part.provenance}
        provenance = [by_name[n] for n in [*spec.assets, *spec.benchmark]]
    elif not provenance:
        provenance = [provenance_of(n, prices[n]) for n in [*spec.assets, *spec.benchmark]]
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
        part = _estimate_from(spec, events, prices, group, _rows(spec, group), assets)
        if not gather_residuals:
            np.save(spill / f"{i}.npy", part.output.arrays.est_ar)
            part = part.without_residuals()
        parts.append(part)

    def fetch(wanted: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        return {i: np.asarray(np.load(spill / f"{i}.npy", mmap_mode="r")[rows]) for i, rows in wanted.items()}

    return parts, None if gather_residuals else fetch


def _rows(spec: StudySpec, group: Sequence[str]) -> list[int]:
    position = {name: i for i, name in enumerate(spec.assets)}
    return [position[name] for name in group]


def _estimate_from(spec: StudySpec, events: pd.DataFrame, prices: PriceInput, names: Sequence[str],
                   rows: Sequence[int], assets: Mapping[str, Asset]) -> PartitionOutput:
    """One partition's task: read its assets (and the benchmarks), then estimate."""
    needed = [*names, *[b for b in spec.benchmark if b not in names]]
    if isinstance(prices, PriceDataset):
        frame = prices.read(needed)
        # The benchmarks' provenance travels with the first partition only.
        recorded = list(names) if rows[0] != 0 else needed
        return estimate_partition(spec, events, frame, names, rows, assets,
                                  prices.provenance(recorded, frame))
    return estimate_partition(spec, events, prices[needed], names, rows, assets)


def _estimate_on_dask(client: Any, spec: StudySpec, events: Events, prices: PriceInput,
                      assets: Mapping[str, Asset], n_parts: int | None, gather_residuals: bool,
                      ) -> tuple[list[PartitionOutput], FetchParts | None]:
    """Submit one task per partition, the prices and events scattered once; gather their
    outputs in order, without the residuals unless ``gather_residuals``.

    The partitions' full outputs stay on the workers (held by their futures until the
    study is done), and the returned fetch asks them for residual rows. The scattered data
    is replicated on every worker (``broadcast``), so it survives the loss of a worker:
    the scheduler re-runs that worker's tasks on the others.
    """
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    groups = partition_assets(spec.assets, n_parts or PARTS_PER_WORKER * workers)
    source: Any = prices
    if isinstance(prices, pd.DataFrame):
        source = client.scatter(prices[[*spec.assets, *spec.benchmark]], hash=False, broadcast=True)
    events_ref = client.scatter(events.frame, hash=False, broadcast=True)
    run = id(groups)
    futures = [client.submit(_estimate_from, spec, events_ref, source, group, _rows(spec, group), assets,
                             key=f"eventstudy-partition-{i}-{run}", retries=TASK_RETRIES, pure=False)
               for i, group in enumerate(groups)]
    if gather_residuals:
        return _gathered(client, futures), None
    light = [client.submit(PartitionOutput.without_residuals, future, key=f"eventstudy-summary-{i}-{run}",
                           retries=TASK_RETRIES, pure=False) for i, future in enumerate(futures)]
    parts = _gathered(client, light)

    def fetch(wanted: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        asked = [client.submit(PartitionOutput.residual_rows, futures[i], rows, retries=TASK_RETRIES,
                               key=f"eventstudy-rows-{i}-{run}", pure=False) for i, rows in wanted.items()]
        return dict(zip(wanted, _gathered(client, asked), strict=True))

    return parts, fetch


def _gathered(client: Any, futures: list[Any]) -> list[Any]:
    """``client.gather(futures)``, a lost cluster or worker turned into DataUnavailableError."""
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    try:
        return list(client.gather(futures))
    except KilledWorker as error:
        raise DataUnavailableError(f"the Dask workers running the study died too often ({error}); "
                                   "see the workers' logs (memory limit, killed process)") from error
    except FutureCancelledError as error:
        raise DataUnavailableError(f"a partition of the study was lost on the Dask cluster ({error}); "
                                   "its input data went with the workers that held it") from error
    except (OSError, TimeoutError) as error:
        raise DataUnavailableError(f"lost the connection to the Dask scheduler ({error})") from error


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
