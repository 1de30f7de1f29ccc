"""Benchmark: a study partitioned by asset on a Dask LocalCluster, 1 worker vs 2.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_distributed.py                      # 10,000,000 pairs
    PYTHONPATH=. python benchmarks/bench_distributed.py --pairs 1000000 --full-pairs 50000

Two measurements, each on a fresh ``LocalCluster`` of 1 and then 2 single-threaded worker
processes (``local:N``), on a synthetic panel (``tests/synthetic_panel.py``: one-factor
returns, every fifth asset with late start and missing days) and events that apply to
every asset:

* **estimation** (the distributed part): ``--pairs`` pairs (``--assets`` assets x
  ``pairs / assets`` events), one task per partition of ``--assets-per-task`` assets,
  the prices scattered once to every worker. Each task runs
  :func:`eventstudy.distributed.partition.estimate_partition` (returns, day-0 placement,
  benchmark alignment, market-model fit) and sends back only its count of fitted pairs,
  so the driver holds no per-pair arrays (10 million pairs of arrays would need about
  25 GB). Reported: wall time, pairs per second and each worker's peak resident memory
  (``ru_maxrss`` of the worker process).
* **end to end**: ``EventStudy.run(scheduler=client)`` for ``--full-pairs`` pairs (estimation
  on the workers, the per-pair arrays gathered, the tables and the ten aggregate tests
  on the driver), and the same study in memory, with the driver's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from synthetic_panel import synthetic_events, synthetic_prices  # noqa: E402

import eventstudy as es  # noqa: E402
from eventstudy.distributed.cluster import NO_DASHBOARD  # noqa: E402
from eventstudy.distributed.partition import estimate_partition, partition_assets  # noqa: E402


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_fitted(spec: Any, events: Any, prices: Any, names: list[str], rows: list[int],
                 assets: dict[str, Any]) -> int:
    """One estimation task: the partition's fitted pairs (the arrays stay on the worker)."""
    part = estimate_partition(spec, events, prices[[*names, *spec.benchmark]], names, rows, assets)
    return int(part.output.fitted.sum())


def bench_estimation(n_workers: int, study: es.EventStudy, prices: Any, per_task: int) -> dict[str, float]:
    from dask.distributed import Client, LocalCluster

    spec = study.spec
    assets = {n: study.asset(n) for n in [*spec.assets, *spec.benchmark]}
    groups = partition_assets(spec.assets, -(-len(spec.assets) // per_task))
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, **NO_DASHBOARD) as cluster, \
            Client(cluster) as client:
        start = time.perf_counter()
        prices_ref = client.scatter(prices, broadcast=True, hash=False)
        events_ref = client.scatter(study.events.frame, broadcast=True, hash=False)
        futures = [client.submit(count_fitted, spec, events_ref, prices_ref, g,
                                 [spec.assets.index(n) for n in g], assets, pure=False) for g in groups]
        fitted = sum(client.gather(futures))
        elapsed = time.perf_counter() - start
        worker_peaks = client.run(peak_mb)
    return {"seconds": elapsed, "fitted": fitted, "tasks": len(groups),
            "worker_peak_mb": max(worker_peaks.values())}


def bench_full(n_workers: int, study: es.EventStudy) -> tuple[float, es.Results]:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, **NO_DASHBOARD) as cluster, \
            Client(cluster) as client:
        start = time.perf_counter()
        results = study.run(scheduler=client)
        return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3000)
    parser.add_argument("--assets-per-task", type=int, default=25)
    parser.add_argument("--full-pairs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    prices = synthetic_prices(args.assets, args.days)
    events = synthetic_events(args.pairs // args.assets, prices.index)
    study = es.EventStudy(events, prices, model="market", benchmark="MKT", windows=[(-1, 1)])
    print(f"estimation: {args.assets} assets x {len(events)} events = {args.assets * len(events):,} pairs, "
          f"{args.days} days, {args.assets_per_task} assets per task", flush=True)
    for n in args.workers:
        r = bench_estimation(n, study, prices, args.assets_per_task)
        print(f"  {n} worker(s): {r['seconds']:.1f} s, {r['fitted'] / r['seconds']:,.0f} pairs/s, "
              f"{r['tasks']} tasks, {r['fitted']:,} fitted, peak per worker {r['worker_peak_mb']:,.0f} MB",
              flush=True)

    n_assets = 40
    small = prices.iloc[:, :n_assets].join(prices["MKT"])
    full_events = synthetic_events(args.full_pairs // n_assets, prices.index)
    full = es.EventStudy(full_events, small, model="market", benchmark="MKT", windows=[(-1, 1)])
    start = time.perf_counter()
    memory = full.run()
    print(f"end to end: {n_assets} assets x {len(full_events)} events = {len(memory.pairs):,} pairs; "
          f"in memory {time.perf_counter() - start:.1f} s", flush=True)
    for n in args.workers:
        seconds, got = bench_full(n, full)
        same = got.aggregate.equals(memory.aggregate) and got.car.equals(memory.car)
        print(f"  {n} worker(s): {seconds:.1f} s, tables identical to in memory: {same}", flush=True)
    print(f"driver peak memory {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
