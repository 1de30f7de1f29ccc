"""Studies partitioned by asset, on a 2-process Dask LocalCluster and from a price dataset.

The reference is the in-memory run of the same study (which the rest of the suite checks
against statsmodels, scipy and published values): the partitioned run must give the same
CAR, aggregate (all ten tests, ranks included) and skipped tables to 1e-12.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_panel import synthetic_events, synthetic_prices

import eventstudy as es
from eventstudy.distributed.cluster import NO_DASHBOARD, local_workers
from eventstudy.distributed.dataset import PriceDataset
from eventstudy.distributed.partition import partition_assets
from eventstudy.errors import ConfigError, DataUnavailableError, InputError

distributed = pytest.importorskip("distributed")

TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}
SETTINGS = {"model": "market", "benchmark": "MKT", "windows": [(-1, 1), (0, 5)]}


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """40 assets x 1,500 days and 500 events for every asset: 20,000 pairs."""
    prices = synthetic_prices(40, 1500)
    return prices, synthetic_events(500, prices.index)


@pytest.fixture(scope="module")
def in_memory(panel: tuple[pd.DataFrame, pd.DataFrame]) -> es.Results:
    prices, events = panel
    return es.EventStudy(events, prices, **SETTINGS).run()


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  **NO_DASHBOARD) as cluster, distributed.Client(cluster) as c:
        yield c


def assert_same_results(got: es.Results, expected: es.Results) -> None:
    for name in ("car", "aggregate", "skipped"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), **TOLERANCE)
    assert got.diagnostics == expected.diagnostics


@pytest.mark.slow
def test_twenty_thousand_pairs_on_two_workers_equal_the_in_memory_run(panel, in_memory, client) -> None:
    prices, events = panel
    assert len(in_memory.pairs) == 20_000
    assert set(in_memory.aggregate["test"]) >= {"corrado", "wilcoxon", "sign", "bmp"}
    got = es.EventStudy(events, prices, **SETTINGS).run(scheduler=client)
    assert_same_results(got, in_memory)
    # The residuals stayed on the workers: the driver got sufficient statistics instead.
    assert got.arrays.est_ar.shape == (20_000, 0)
    assert [p.sha256 for p in got.provenance] == [p.sha256 for p in in_memory.provenance]
    # The lazily built AR table reads the gathered series: same rows for a few pairs.
    keep = in_memory.pairs["event_id"].isin(["E00000", "E00001"])
    assert keep.sum() == 80
    first = got.abnormal_returns
    pd.testing.assert_frame_equal(first[first["event_id"].isin(["E00000", "E00001"])].reset_index(drop=True),
                                  in_memory.abnormal_returns[in_memory.abnormal_returns["event_id"].isin(
                                      ["E00000", "E00001"])].reset_index(drop=True), **TOLERANCE)


def _write_hive(prices: pd.DataFrame, root: Path) -> None:
    for name in prices.columns:
        folder = root / f"asset={name}"
        folder.mkdir(parents=True)
        series = prices[name].dropna()
        half = len(series) // 2  # two part files per asset
        for k, piece in enumerate((series.iloc[:half], series.iloc[half:])):
            piece.rename("close").reset_index().to_parquet(folder / f"part-{k}.parquet", index=False)


@pytest.mark.slow
def test_hive_dataset_read_lazily_equals_the_in_memory_run(panel, in_memory, tmp_path, client) -> None:
    prices, events = panel
    _write_hive(prices, tmp_path / "dataset")
    (tmp_path / "dataset" / "asset=UNUSED").mkdir()  # never read: not in the study
    study = es.EventStudy.from_file(None, events, prices=tmp_path / "dataset",
                                    assets=list(prices.columns[:-1]),
                                    **SETTINGS)
    assert isinstance(study.prices, PriceDataset)
    assert_same_results(study.run(), in_memory)  # in this process, partition by partition
    assert_same_results(study.run(scheduler=client), in_memory)


def test_flat_folder_dataset_reads_only_the_assets_asked(panel, tmp_path) -> None:
    prices, _ = panel
    for name in ["SYN000", "SYN001", "MKT"]:
        prices[name].dropna().rename("close").reset_index().to_parquet(tmp_path / f"{name}.parquet")
    (tmp_path / "BROKEN.parquet").write_text("not parquet")  # never read
    data = PriceDataset(tmp_path)
    assert data.columns == ["BROKEN", "MKT", "SYN000", "SYN001"]
    read = data.read(["SYN001", "MKT"])
    assert list(read.columns) == ["SYN001", "MKT"]
    np.testing.assert_array_equal(read["SYN001"].dropna().to_numpy(), prices["SYN001"].dropna().to_numpy())
    with pytest.raises(InputError):
        data.read(["NOPE"])


def test_worker_killed_mid_run_the_study_completes_through_retries(panel, in_memory) -> None:
    prices, events = panel
    study = es.EventStudy(events, prices, **SETTINGS)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  **NO_DASHBOARD) as cluster, distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
        outcome: list[object] = []
        runner = threading.Thread(target=lambda: outcome.append(_run_or_error(study, c)))
        runner.start()
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline and runner.is_alive():
            busy = [worker for worker, keys in c.processing().items()
                    if any("eventstudy-partition" in str(k) for k in keys)]
            if busy:
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.005)
        runner.join(timeout=300)
        assert killed is not None, "no partition task was seen running"
        assert set(c.run(os.getpid).values()) != set(pids.values())  # the nanny restarted the killed worker
    result = outcome[0]
    # Completed through Dask's rescheduling, or ended with exit 3 (DataUnavailableError).
    if isinstance(result, DataUnavailableError):
        assert "died" in str(result)
    else:
        assert isinstance(result, es.Results)
        assert_same_results(result, in_memory)


def test_worker_killed_after_the_summaries_the_study_completes(panel, in_memory, monkeypatch) -> None:
    """The residuals stay on the workers until the driver has fetched r-bar's couples. Once
    no task waits for them, Dask keeps one copy of the scattered prices and events; the
    worker killed here holds it, so the partitions it held cannot be recomputed from the
    cluster: the inputs are scattered again and the lost partitions estimated again."""
    from eventstudy.distributed import on_dask, runner

    prices, events = panel
    study = es.EventStudy(events, prices, **SETTINGS)
    combine = runner.combine_partitions
    scatter = on_dask.DaskPartitions._scatter_inputs
    scattered: list[int] = []
    killed: list[int] = []

    def counted_scatter(self):  # type: ignore[no-untyped-def]
        scattered.append(1)
        return scatter(self)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  **NO_DASHBOARD) as cluster, distributed.Client(cluster) as c:
        def kill_then_combine(*args, **kwargs):  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + 30
            while True:  # until the memory manager has dropped the extra copies of the inputs
                inputs = {k: v for k, v in c.who_has().items() if not str(k).startswith("eventstudy-")}
                if inputs and all(len(holders) == 1 for holders in inputs.values()):
                    break
                assert time.monotonic() < deadline, f"inputs still replicated: {inputs}"
                time.sleep(0.2)
            holder = next(iter(inputs.values()))[0]
            killed.append(c.run(os.getpid)[holder])
            os.kill(killed[-1], signal.SIGKILL)
            return combine(*args, **kwargs)

        monkeypatch.setattr(runner, "combine_partitions", kill_then_combine)
        monkeypatch.setattr(on_dask.DaskPartitions, "_scatter_inputs", counted_scatter)
        got = study.run(scheduler=c)
    assert killed and len(scattered) == 2  # sent once, then again after the loss
    assert_same_results(got, in_memory)


def _run_or_error(study: es.EventStudy, client: object) -> object:
    try:
        return study.run(scheduler=client)
    except DataUnavailableError as error:
        return error


def test_scheduler_text_and_unreachable_scheduler(panel, monkeypatch) -> None:
    monkeypatch.setattr("eventstudy.distributed.cluster.CONNECT_TIMEOUT", "1s")
    assert local_workers("local:3") == 3
    assert local_workers("tcp://10.0.0.5:8786") is None
    with pytest.raises(ConfigError):
        local_workers("local:zero")
    prices, events = panel
    study = es.EventStudy(events.head(3), prices[["SYN001", "SYN002"]], model="constant-mean")
    with pytest.raises(ConfigError):
        study.run(scheduler="local:0")
    with pytest.raises(DataUnavailableError):
        study.run(scheduler="tcp://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(ConfigError):
        study.run(scheduler="no port here")
    assert partition_assets(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d", "e"]]
    assert partition_assets(["a", "b"], 5) == [["a"], ["b"]]


def test_settings_that_cannot_be_partitioned_are_refused_before_connecting(panel) -> None:
    prices, events = panel
    synthetic = es.EventStudy(events.head(3), prices, assets=["SYN001"], model="synthetic",
                              benchmark=["SYN002", "SYN003"])
    with pytest.raises(ConfigError):
        synthetic.run(scheduler="tcp://127.0.0.1:9")  # refused before any connection is tried


def test_cli_runs_a_dataset_on_local_workers_and_writes_parquet_tables(tmp_path) -> None:
    from eventstudy.cli.main import main

    prices = synthetic_prices(6, 700, seed=3)
    events = synthetic_events(20, prices.index, seed=4)
    _write_hive(prices, tmp_path / "dataset")
    events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "events.csv"), "--prices", str(tmp_path / "dataset"),
                 "--model", "market", "--benchmark", "MKT", "--assets", ",".join(prices.columns[:-1]),
                 "--scheduler", "local:2",
                 "--tables", "parquet", "--figures", "none", "--out", str(out), "--quiet"])
    assert code == 0
    expected = es.EventStudy(events, prices, model="market", benchmark="MKT",
                             assets=list(prices.columns[:-1])).run()
    car = pd.read_csv(out / "car.csv")
    np.testing.assert_allclose(car["car"], expected.car["car"], rtol=1e-12, atol=1e-15)
    back = pd.read_parquet(out / "parquet" / "car")
    assert sorted(back["asset"].astype(str).unique()) == sorted(expected.car["asset"].unique())
    merged = back.astype({"asset": str}).merge(expected.car, on=["event_id", "asset", "start", "end"],
                                               suffixes=("", "_memory"))
    assert len(merged) == len(expected.car)
    np.testing.assert_allclose(merged["car"], merged["car_memory"], rtol=0, atol=0)
    one = pd.read_parquet(out / "parquet" / "abnormal_returns" / "asset=SYN002")
    assert len(one) == (expected.abnormal_returns["asset"] == "SYN002").sum()
    aggregate = pd.read_parquet(out / "parquet" / "aggregate.parquet")
    pd.testing.assert_frame_equal(aggregate, expected.aggregate, **TOLERANCE)


def test_cli_unreachable_scheduler_exits_3(tmp_path, monkeypatch) -> None:
    from eventstudy.cli.main import main

    monkeypatch.setattr("eventstudy.distributed.cluster.CONNECT_TIMEOUT", "1s")
    prices = synthetic_prices(2, 400, seed=5)
    events = synthetic_events(3, prices.index, seed=6)
    prices.to_csv(tmp_path / "prices.csv")
    events.to_csv(tmp_path / "events.csv", index=False)
    code = main(["run", str(tmp_path / "events.csv"), "--prices", str(tmp_path / "prices.csv"),
                 "--scheduler", "tcp://127.0.0.1:9", "--figures", "none", "--out", str(tmp_path / "out")])
    assert code == 3


def test_flat_folder_dataset_study_runs_in_process_like_the_in_memory_run(tmp_path) -> None:
    prices = synthetic_prices(5, 600, seed=7)
    events = synthetic_events(15, prices.index, seed=8)
    for name in prices.columns:
        prices[name].dropna().rename("close").reset_index().to_parquet(tmp_path / f"{name}.parquet")
    names = list(prices.columns[:-1])
    expected = es.EventStudy(events, prices, model="market", benchmark="MKT", assets=names).run()
    lazy = es.EventStudy(events, PriceDataset(tmp_path), model="market", benchmark="MKT", assets=names)
    got = lazy.run()  # no scheduler: partition after partition, each reading its own files
    assert_same_results(got, expected)
    assert [p.sha256 for p in got.provenance] == [p.sha256 for p in expected.provenance]
    assert {p.path for p in got.provenance} == {str(tmp_path)}


def test_cli_format_parquet_prints_the_summary_and_writes_the_parquet_tables(tmp_path, capsys) -> None:
    from eventstudy.cli.main import main

    prices = synthetic_prices(3, 500, seed=9)
    events = synthetic_events(6, prices.index, seed=10)
    prices.to_csv(tmp_path / "prices.csv")
    events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "events.csv"), "--prices", str(tmp_path / "prices.csv"),
                 "--model", "market", "--benchmark", "MKT", "--figures", "none", "--out", str(out),
                 "--format", "parquet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "Event study"  # the summary, not a table for programs
    car = pd.read_csv(out / "car.csv")
    back = pd.read_parquet(out / "parquet" / "car").astype({"asset": str})
    assert sorted(back["asset"].unique()) == sorted(car["asset"].unique())
    merged = back.merge(car, on=["event_id", "asset", "start", "end"], suffixes=("", "_csv"))
    assert len(merged) == len(car) > 0
    np.testing.assert_allclose(merged["car"], merged["car_csv"], rtol=1e-12)
