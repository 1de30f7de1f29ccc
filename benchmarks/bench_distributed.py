"""Benchmark: a study partitioned by asset on a Dask LocalCluster, 1 worker vs 2.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_distributed.py                      # 10,000,000 pairs
    PYTHONPATH=. python benchmarks/bench_distributed.py --pairs 1000000 --full-pairs 50000

Two measurements, each on a fresh ``LocalCluster`` of 1 and then 2 single-threaded worker
processes (``local:N``), on a synthetic panel (``tests/synthetic_panel.py``: one-factor
returns, every fifth asset with late start and missing days) and events that apply to
every asset:

* **the workers' part**: ``--pairs`` pairs (``--assets`` assets x ``pairs / assets``
  events), one task per partition of ``--assets-per-task`` assets, the prices scattered
  once to every worker. Each task runs
  :func:`eventstudy.distributed.partition.estimate_partition` (returns, day-0 placement,
  benchmark alignment, market-model fit, and the residual summary: ranks, sums,
  empirical p-values, the asset scopes' diagnostics) and sends back its count of fitted
  pairs and the sizes of what a study would send the driver and keep on the worker.
  Reported: wall time, pairs per second and each worker's peak resident memory
  (``ru_maxrss`` of the worker process).
* **end to end**: ``EventStudy.run(scheduler="local:N")`` for ``--full-pairs`` pairs on
  ``--full-assets`` assets (the workers' part, then the tables and the ten aggregate
  tests on the driver from the summaries), and the same study in memory; each run in a
  child process of its own, so its peak resident memory is the driver's alone. The
  tables are compared to 1e-12.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from synthetic_panel import synthetic_events, synthetic_prices  # noqa: E402

import eventstudy as es  # noqa: E402
from eventstudy.distributed.cluster import NO_DASHBOARD  # noqa: E402
from eventstudy.distributed.partition import estimate_partition, partition_assets  # noqa: E402


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def partition_task(spec: Any, events: Any, prices: Any, names: list[str], rows: list[int],
                   assets: dict[str, Any]) -> tuple[int, int, int]:
    """One partition's work; returns its fitted pairs, the bytes of the arrays a study
    sends to the driver and of the residuals it keeps on the worker (both then dropped)."""
    part = estimate_partition(spec, events, prices[[*names, *spec.benchmark]], names, rows, assets)
    kept = part.output.arrays.est_ar.nbytes
    light = part.without_residuals()
    sent = sum(v.nbytes for v in vars(light.output.arrays).values() if isinstance(v, np.ndarray)
               and v is not light.output.arrays.calendar)
    sent += sum(v.nbytes for v in (light.output.expected, light.output.fitted))
    sent += sum(v.nbytes for v in vars(light.residuals).values() if isinstance(v, np.ndarray))
    sent += sum(t.nbytes + c.nbytes for t, c in [*light.residuals.rank_sums, light.residuals.residual_sums])
    return int(part.output.fitted.sum()), int(sent), int(kept)


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
        futures = [client.submit(partition_task, spec, events_ref, prices_ref, g,
                                 [spec.assets.index(n) for n in g], assets, pure=False) for g in groups]
        counts = client.gather(futures)
        elapsed = time.perf_counter() - start
        worker_peaks = client.run(peak_mb)
    return {"seconds": elapsed, "fitted": sum(c[0] for c in counts), "tasks": len(groups),
            "sent_mb": sum(c[1] for c in counts) / 2**20, "kept_mb": sum(c[2] for c in counts) / 2**20,
            "worker_peak_mb": max(worker_peaks.values())}


def end_to_end_child(mode: str, pairs: int, n_assets: int, days: int, out: Path) -> None:
    """One end-to-end run (``memory`` or ``local:N``) in this process; tables to ``out``."""
    prices = synthetic_prices(n_assets, days)
    events = synthetic_events(pairs // n_assets, prices.index)
    study = es.EventStudy(events, prices, model="market", benchmark="MKT", windows=[(-1, 1)])
    start = time.perf_counter()
    results = study.run() if mode == "memory" else study.run(scheduler=mode)
    seconds = time.perf_counter() - start
    results.car.to_parquet(out / f"{mode}-car.parquet")
    results.aggregate.to_parquet(out / f"{mode}-aggregate.parquet")
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "pairs": len(results.pairs)}))


def bench_full(mode: str, args: argparse.Namespace, out: Path) -> dict[str, float]:
    """:func:`end_to_end_child` in a fresh interpreter; its JSON line."""
    command = [sys.executable, __file__, "--child", mode, "--full-pairs", str(args.full_pairs),
               "--full-assets", str(args.full_assets), "--days", str(args.days), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_tables(out: Path, mode: str) -> bool:
    import pandas as pd

    for name in ("car", "aggregate"):
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(out / f"{mode}-{name}.parquet"),
                                          pd.read_parquet(out / f"memory-{name}.parquet"),
                                          rtol=1e-12, atol=1e-12)
        except AssertionError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3000)
    parser.add_argument("--assets-per-task", type=int, default=25)
    parser.add_argument("--full-pairs", type=int, default=1_000_000)
    parser.add_argument("--full-assets", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-workers-part", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        end_to_end_child(args.child, args.full_pairs, args.full_assets, args.days, args.out)
        return
    if not args.skip_workers_part:
        bench_workers(args)
    with tempfile.TemporaryDirectory() as tmp:
        memory = bench_full("memory", args, Path(tmp))
        print(f"end to end: {args.full_assets} assets, {memory['pairs']:,} pairs; in memory "
              f"{memory['seconds']:.1f} s, peak {memory['peak_mb']:,.0f} MB", flush=True)
        for n in args.workers:
            got = bench_full(f"local:{n}", args, Path(tmp))
            ratio = got["seconds"] / memory["seconds"]
            print(f"  {n} worker(s): {got['seconds']:.1f} s ({ratio:.2f}x in memory), "
                  f"driver peak {got['peak_mb']:,.0f} MB, tables equal to in memory (1e-12): "
                  f"{same_tables(Path(tmp), f'local:{n}')}", flush=True)


def bench_workers(args: argparse.Namespace) -> None:

    prices = synthetic_prices(args.assets, args.days)
    events = synthetic_events(args.pairs // args.assets, prices.index)
    study = es.EventStudy(events, prices, model="market", benchmark="MKT", windows=[(-1, 1)])
    print(f"workers' part: {args.assets} assets x {len(events)} events = "
          f"{args.assets * len(events):,} pairs, "
          f"{args.days} days, {args.assets_per_task} assets per task", flush=True)
    for n in args.workers:
        r = bench_estimation(n, study, prices, args.assets_per_task)
        print(f"  {n} worker(s): {r['seconds']:.1f} s, {r['fitted'] / r['seconds']:,.0f} pairs/s, "
              f"{r['tasks']} tasks, {r['fitted']:,} fitted, peak per worker {r['worker_peak_mb']:,.0f} MB; "
              f"a study would send the driver {r['sent_mb']:,.0f} MB and keep {r['kept_mb']:,.0f} MB "
              "of residuals on the workers", flush=True)


if __name__ == "__main__":
    main()
