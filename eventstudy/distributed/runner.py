"""The partitioned run: estimation by partition of assets (on Dask, or one after another
in this process), then the tables built once from the combined pairs.

The distributed part is the estimation (reading prices, placing events, fitting the
model), the part that grows with the price panel. The per-pair arrays it returns are gathered and
put in the in-memory run's pair order (:func:`~eventstudy.distributed.partition.combine_partitions`),
and :func:`~eventstudy.results.tables.build_results` computes the CAR table and all ten
aggregate tests once on the driver, so every number, ranks for Corrado and Wilcoxon
included, is exactly the in-memory run's by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventstudy.distributed.cluster import connect
from eventstudy.distributed.dataset import PriceDataset
from eventstudy.distributed.partition import (
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
    if scheduler is None:
        groups = partition_assets(spec.assets, n_parts or -(-len(spec.assets) // 8))
        parts = [_estimate_from(spec, events.frame, prices, group, _rows(spec, group), assets)
                 for group in groups]
    else:
        with connect(scheduler) as client:
            parts = _estimate_on_dask(client, spec, events, prices, assets, n_parts)
    pairs, output, series, bench = combine_partitions(parts, len(spec.assets))
    if isinstance(prices, PriceDataset):
        by_name = {record.asset: record for part in parts for record in part.provenance}
        provenance = [by_name[n] for n in [*spec.assets, *spec.benchmark]]
    elif not provenance:
        provenance = [provenance_of(n, prices[n]) for n in [*spec.assets, *spec.benchmark]]
    results = build_results(spec, events, series, pairs, output, provenance)
    results.extra_tables.update(_optional_tables(results, series, bench))
    return results


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
                      assets: Mapping[str, Asset], n_parts: int | None) -> list[PartitionOutput]:
    """Submit one task per partition, the prices and events scattered once; gather in order.

    The scattered data is replicated on every worker (``broadcast``), so it survives the
    loss of a worker: the scheduler re-runs that worker's tasks on the others.
    """
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    groups = partition_assets(spec.assets, n_parts or PARTS_PER_WORKER * workers)
    source: Any = prices
    if isinstance(prices, pd.DataFrame):
        source = client.scatter(prices[[*spec.assets, *spec.benchmark]], hash=False, broadcast=True)
    events_ref = client.scatter(events.frame, hash=False, broadcast=True)
    futures = [client.submit(_estimate_from, spec, events_ref, source, group, _rows(spec, group), assets,
                             key=f"eventstudy-partition-{i}-{id(groups)}", retries=TASK_RETRIES, pure=False)
               for i, group in enumerate(groups)]
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
