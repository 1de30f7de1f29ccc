"""The partitions of a study on a Dask cluster, and their recovery from lost workers.

One task per partition estimates it (:func:`~eventstudy.distributed.partition.estimate_from`);
its full output, residuals included, stays on the worker, held by the task's future
until the study is done. A second task per partition sends the driver the output
without the residuals; later tasks send the residual rows the driver asks for.

The prices (in memory) and the events are scattered once. When a worker dies, the
scheduler re-runs its tasks on the others, but Dask's active memory manager keeps one
replica of scattered data once no task waits for it, so a worker lost late in the study
can take the only copy with it: the tasks depending on it are then cancelled ("lost
dependencies"). :class:`DaskPartitions` then scatters the inputs again and resubmits the
partitions that were lost, up to :data:`RECOVERIES` times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.distributed.partition import (
    FetchParts,
    PartitionOutput,
    PriceInput,
    asset_rows,
    estimate_from,
    partition_assets,
)
from eventstudy.errors import DataUnavailableError
from eventstudy.events import Events
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset

#: Tasks per worker: a few, so a slow or lost worker's share is redistributed.
PARTS_PER_WORKER = 4
#: Retries of a task that raised (a worker that dies is handled by the scheduler,
#: which re-runs its tasks elsewhere up to ``distributed.scheduler.allowed-failures``).
TASK_RETRIES = 2
#: Times the inputs are scattered again after a lost worker took their last copy.
RECOVERIES = 2


def estimate_on_dask(client: Any, spec: StudySpec, events: Events, prices: PriceInput,
                     assets: Mapping[str, Asset], n_parts: int | None, gather_residuals: bool,
                     ) -> tuple[list[PartitionOutput], FetchParts | None]:
    """The partitions' outputs in order, without the residuals unless ``gather_residuals``,
    and (then) the fetch of residual rows from the workers.

    Raises
    ------
    DataUnavailableError
        When workers die more often than the scheduler allows, inputs are lost more than
        :data:`RECOVERIES` times, or the connection to the scheduler is lost.
    """
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    groups = partition_assets(spec.assets, n_parts or PARTS_PER_WORKER * workers)
    partitions = DaskPartitions(client, spec, events, prices, assets, groups)
    everything = range(len(groups))
    if gather_residuals:
        return partitions.gather(lambda i, future: future, everything), None
    parts = partitions.gather(lambda i, future: partitions.submit(PartitionOutput.without_residuals, future,
                                                                  name=f"summary-{i}"), everything)

    def fetch(wanted: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        rows = partitions.gather(lambda i, future: partitions.submit(PartitionOutput.residual_rows, future,
                                                                     wanted[i], name=f"rows-{i}"), wanted)
        return dict(zip(wanted, rows, strict=True))

    return parts, fetch


class DaskPartitions:
    """The estimation futures of a study's partitions on ``client``, resubmitted with
    freshly scattered inputs when a lost worker took the inputs' last copy."""

    def __init__(self, client: Any, spec: StudySpec, events: Events, prices: PriceInput,
                 assets: Mapping[str, Asset], groups: list[list[str]]) -> None:
        self.client, self.spec, self.events, self.prices = client, spec, events, prices
        self.assets, self.groups = assets, groups
        self.run, self.round = id(self), 0
        self._scatter_inputs()
        self.futures = [self._estimate(i) for i in range(len(groups))]

    def submit(self, fn: Callable[..., Any], *args: Any, name: str) -> Any:
        """``client.submit`` with a unique key naming the step, retried on errors."""
        return self.client.submit(fn, *args, key=f"eventstudy-{name}-{self.run}-{self.round}",
                                  retries=TASK_RETRIES, pure=False)

    def gather(self, task: Callable[[int, Any], Any], which: Any) -> list[Any]:
        """``task(i, estimation future)`` for each partition ``i`` of ``which``, gathered;
        on lost inputs, the lost partitions are re-estimated and the tasks run again."""
        from distributed.client import FutureCancelledError

        which = list(which)
        for attempt in range(RECOVERIES + 1):
            try:
                return _gathered(self.client, [task(i, self.futures[i]) for i in which])
            except FutureCancelledError as error:
                if attempt == RECOVERIES:
                    raise DataUnavailableError(
                        f"a partition of the study was lost on the Dask cluster ({error}) "
                        f"{RECOVERIES + 1} times; see the workers' logs") from error
                self.round += 1
                self._scatter_inputs()
                for i in which:
                    if self.futures[i].status != "finished":
                        self.futures[i] = self._estimate(i)
        raise AssertionError("unreachable")

    def _scatter_inputs(self) -> None:
        """The prices (if in memory) and the events, sent once to every worker."""
        spec = self.spec
        self.source: Any = self.prices
        if isinstance(self.prices, pd.DataFrame):
            self.source = self.client.scatter(self.prices[[*spec.assets, *spec.benchmark]], hash=False,
                                              broadcast=True)
        self.events_ref = self.client.scatter(self.events.frame, hash=False, broadcast=True)

    def _estimate(self, i: int) -> Any:
        group = self.groups[i]
        return self.submit(estimate_from, self.spec, self.events_ref, self.source, group,
                           asset_rows(self.spec, group), self.assets, name=f"partition-{i}")


def _gathered(client: Any, futures: list[Any]) -> list[Any]:
    """``client.gather(futures)``; a worker dying too often or a lost connection becomes
    DataUnavailableError (a cancelled future is left to :meth:`DaskPartitions.gather`)."""
    from distributed.scheduler import KilledWorker

    try:
        return list(client.gather(futures))
    except KilledWorker as error:
        raise DataUnavailableError(f"the Dask workers running the study died too often ({error}); "
                                   "see the workers' logs (memory limit, killed process)") from error
    except (OSError, TimeoutError) as error:
        raise DataUnavailableError(f"lost the connection to the Dask scheduler ({error})") from error
