"""A partitioned run without the residuals on the driver: sufficient statistics and fetched couples.

The partitions send :class:`~eventstudy.results.residual_summary.ResidualSummary` instead
of their pairs' estimation residuals. The tables must be the in-memory run's (which the
rest of the suite checks against statsmodels, scipy and published values) to 1e-12, on
real data, with r-bar drawn from a sample of couples that cross partitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from synthetic_panel import synthetic_events, synthetic_prices

import eventstudy as es
from eventstudy.distributed.runner import run_partitioned
from eventstudy.events_panel import adjust_for_splits, read_cbr_decisions, read_splits
from eventstudy.inference import clusters, dependence
from eventstudy.inference.base import Layout
from eventstudy.inference.clusters import clustering_by_segment
from eventstudy.inference.scope_columns import product_layout, segment_means
from eventstudy.results.aggregate import scope_layouts
from eventstudy.results.residual_summary import prefetched_rho, summarise_residuals

TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}
WINDOWS = [(0, 0), (0, 1), (-1, 1)]


@pytest.fixture(scope="module")
def key_rate_study() -> es.EventStudy:
    """Bank of Russia key-rate decisions on the 54 MOEX stocks, market model on IMOEX
    (notebook 04's study): real calendars, listings, gaps and three groups."""
    from conftest import require_shared_data

    panel = require_shared_data() / "panel"
    splits = read_splits(panel / "moex_splits")
    closes = {}
    for path in sorted((panel / "moex_iss_daily").glob("*.csv")):
        daily = adjust_for_splits(pd.read_csv(path), splits, path.stem)
        closes[path.stem] = pd.Series(daily["close"].to_numpy(float), index=pd.to_datetime(daily["date"]))
    imoex = pd.read_csv(panel.parent / "IMOEX_close_candles_2014_2026.csv", index_col="date",
                        parse_dates=True)["imoex"]
    prices = pd.concat({**closes, "IMOEX": imoex[imoex.index >= "2018-01-01"]}, axis=1, sort=True)
    events = read_cbr_decisions(panel / "events" / "cbr_key_rate_decisions_2020-03_2025-10.csv")
    events.loc[events.index[:3], "group"] = np.nan  # pairs in no group scope
    return es.EventStudy(events, prices, assets=sorted(closes), model="market", benchmark="IMOEX",
                         estimation=(-250, -11), windows=WINDOWS)


def _assets(study: es.EventStudy) -> dict[str, object]:
    return {n: study.asset(n) for n in [*study.spec.assets, *study.spec.benchmark]}


def assert_same_tables(got: es.Results, expected: es.Results) -> None:
    for name in ("car", "aggregate", "skipped"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), **TOLERANCE)
    for key, value in expected.diagnostics.items():
        if key == "rbar":
            assert got.diagnostics[key] == pytest.approx(value, rel=1e-12, abs=1e-15)
        else:
            assert got.diagnostics[key] == value, key


@pytest.mark.parametrize("cap", [20_000, 150])  # 150: r-bar of every scope from a sample of couples
def test_key_rate_study_in_seven_partitions_equals_the_in_memory_run(key_rate_study, cap: int,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dependence, "RBAR_MAX_COUPLES", cap)
    monkeypatch.setattr(clusters, "RBAR_MAX_COUPLES", cap)
    expected = key_rate_study.run()
    assert len(expected.pairs) > 2_000
    assert {"group:hike", "group:cut", "group:hold"} <= set(expected.aggregate["scope"])
    fetched: list[int] = []
    real_load = np.load

    def counting_load(*args, **kwargs):  # the spilled residuals, read back for r-bar's couples
        array = real_load(*args, **kwargs)
        return _Counting(array, fetched)

    monkeypatch.setattr(np, "load", counting_load)
    got = run_partitioned(key_rate_study.spec, key_rate_study.events, key_rate_study.prices,
                          _assets(key_rate_study), n_parts=7)
    assert got.arrays.est_ar.shape == (len(got.pairs), 0)  # the residuals never reached the driver
    assert_same_tables(got, expected)
    # Each row fetched once; a sample of couples needs a fraction of them (every pair has
    # partners on its day 0, so the exact r-bar of all pairs needs every row).
    assert 0 < sum(fetched) <= (len(expected.pairs) if cap == 20_000 else len(expected.pairs) / 2)


class _Counting:
    """An array whose fancy-indexed reads are counted (rows)."""

    def __init__(self, array: np.ndarray, counter: list[int]) -> None:
        self.array, self.counter = array, counter

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        self.counter.append(len(rows))
        return self.array[rows]


def test_corrado_sums_added_across_partitions_equal_scipy_ranks(key_rate_study) -> None:
    """Ubar of the hike group over [0, 1], from the partitions' cell sums, against each
    pair's ranks from ``scipy.stats.rankdata`` averaged by hand."""
    results = key_rate_study.run()
    pairs, arrays = results.pairs, results.arrays
    assets = list(pairs["asset"].unique())
    parts = [summarise_residuals(pairs[pairs["asset"].isin(chunk)].reset_index(drop=True),
                                 arrays.subset(pairs["asset"].isin(chunk).to_numpy()),
                                 np.ones(int(pairs["asset"].isin(chunk).sum()), dtype=bool), WINDOWS)
               for chunk in (assets[:20], assets[20:])]
    first_rows = np.flatnonzero(pairs["asset"].isin(assets[:20]).to_numpy())
    second_rows = np.flatnonzero(~pairs["asset"].isin(assets[:20]).to_numpy())
    layouts = [layout for _, _, layout in scope_layouts(pairs)]
    cells, owners = product_layout(layouts)
    total = np.zeros((cells.n, arrays.est_days.size + 2))
    count = np.zeros_like(total)
    for part, rows in zip(parts, (first_rows, second_rows), strict=True):
        at = cells.codes[rows[part.cell_pair]]
        total[at] += part.rank_sums[1][0]
        count[at] += part.rank_sums[1][1]
    group_means = segment_means((total, count), cells, owners, layouts)[2]
    _, hike_values, _ = scope_layouts(pairs)[2]
    hike = hike_values.index("hike")

    members = np.flatnonzero((pairs["group"] == "hike").to_numpy())
    cols = arrays.columns(0, 1)
    centred = []
    for i in members:
        row = np.concatenate([arrays.est_ar[i], arrays.ar[i, cols]])
        ranks = stats.rankdata(row, nan_policy="omit")
        centred.append(ranks / (np.isfinite(row).sum() + 1) - 0.5)
    by_hand = np.nanmean(np.array(centred), axis=0)
    np.testing.assert_allclose(group_means[hike], by_hand, rtol=1e-12, atol=1e-15)


def test_prefetched_couples_give_the_default_r_bar_and_fetch_few_rows(monkeypatch) -> None:
    monkeypatch.setattr(dependence, "RBAR_MAX_COUPLES", 40)
    monkeypatch.setattr(clusters, "RBAR_MAX_COUPLES", 40)
    prices = synthetic_prices(20, 900, seed=3)
    results = es.EventStudy(synthetic_events(60, prices.index, seed=4), prices, model="market",
                            benchmark="MKT", windows=[(-1, 1), (0, 3)]).run()
    arrays = results.arrays
    groups = pd.Index(results.pairs["group"].unique())
    layouts = [Layout.single(arrays.n_pairs), Layout(groups.get_indexer(results.pairs["group"]), len(groups))]
    asked: list[np.ndarray] = []

    def fetch(rows: np.ndarray) -> np.ndarray:
        asked.append(rows)
        return arrays.est_ar[rows]

    memo = prefetched_rho(arrays, layouts, [(-1, 1), (0, 3)], fetch)
    assert len(asked) == 1 and asked[0].size < arrays.n_pairs / 2
    for layout in layouts:
        with_memo = clustering_by_segment(arrays, layout, [(-1, 1), (0, 3)], memo)
        default = clustering_by_segment(arrays, layout, [(-1, 1), (0, 3)])
        for mine, theirs in zip(with_memo, default, strict=True):
            for a, b in zip(mine, theirs, strict=True):
                assert b["rbar"] != 0
                assert a["rbar"] == pytest.approx(b["rbar"], rel=1e-12)
                assert a["n_overlapping"] == b["n_overlapping"]


def test_one_per_day_partitioned_gathers_the_residuals_and_equals_in_memory(monkeypatch) -> None:
    from eventstudy.distributed import partition

    summarised = []
    original = partition.summarise_residuals
    monkeypatch.setattr(partition, "summarise_residuals",
                        lambda *args: summarised.append(1) or original(*args))
    prices = synthetic_prices(12, 900, seed=5)
    events = synthetic_events(80, prices.index, seed=6)
    assert events["date"].duplicated().any()  # some announcements share a day
    study = es.EventStudy(events, prices, model="market", benchmark="MKT", one_per_day=True)
    expected = study.run()
    got = run_partitioned(study.spec, study.events, prices, _assets(study), n_parts=3)
    assert summarised == []  # the residuals themselves are gathered: no summary is computed
    assert got.arrays.est_ar.shape[1] == study.spec.estimation[1] - study.spec.estimation[0] + 1
    assert_same_tables(got, expected)



@pytest.mark.parametrize("settings", [
    {"model": "constant-mean"},
    {"model": "market-adjusted", "benchmark": "MKT"},
    {"model": "market", "benchmark": "MKT", "measure": "volatility"},
    {"model": "garch", "benchmark": "MKT"},
    {"model": "market", "benchmark": "MKT", "windows": [(0, 0), (-2, 2), (0, 10)],
     "exclude_event_windows": True},
], ids=["constant-mean", "market-adjusted", "volatility", "garch", "excluded-windows"])
def test_every_partitionable_setting_equals_the_in_memory_run(settings: dict[str, object]) -> None:
    prices = synthetic_prices(6, 900, seed=11)
    study = es.EventStudy(synthetic_events(30, prices.index, seed=12), prices, **settings)
    expected = study.run()
    got = run_partitioned(study.spec, study.events, prices, _assets(study), n_parts=3)
    assert got.arrays.est_ar.shape == (len(got.pairs), 0)
    assert_same_tables(got, expected)


def test_a_partition_without_any_computed_pair_adds_nothing() -> None:
    prices = synthetic_prices(6, 900, seed=11)
    prices.iloc[100:, :2] = np.nan  # the first two assets' data end before every event
    events = synthetic_events(30, prices.index, seed=12)
    study = es.EventStudy(events, prices, model="market", benchmark="MKT")
    expected = study.run()
    assert set(expected.skipped["asset"]) == {"SYN000", "SYN001"}
    got = run_partitioned(study.spec, study.events, prices, _assets(study), n_parts=3)  # the first: both
    assert_same_tables(got, expected)
