"""aggregate.csv for every scope (all, each asset, each group) against scipy on the CARs of
car.csv: a synthetic panel with several assets and groups."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy import EventStudy

WINDOWS = [(0, 0), (-1, 1), (0, 5)]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(11)
    n_assets, n_days, n_events = 6, 700, 90
    market = rng.normal(0.0003, 0.01, n_days)
    returns = rng.uniform(0.5, 1.5, (n_assets, 1)) * market + rng.normal(0, 0.015, (n_assets, n_days))
    days = pd.bdate_range("2018-01-01", periods=n_days + 1)
    levels = 100 * np.exp(np.cumsum(np.vstack([np.zeros((1, n_assets + 1)),
                                               np.column_stack([returns.T, market])]), axis=0))
    names = [f"S{i}" for i in range(n_assets)]
    prices = pd.DataFrame(levels, index=pd.DatetimeIndex(days, name="date"), columns=[*names, "MKT"])
    at = rng.choice(np.arange(270, n_days - 10), n_events, replace=False)  # distinct days: no tied CARs
    events = pd.DataFrame({
        "id": [f"E{i}" for i in range(n_events)], "date": days[at].strftime("%Y-%m-%d"), "event": "x",
        "group": rng.choice(["policy", "war", "trade"], n_events),
        "assets": [";".join(rng.choice(names, 2, replace=False)) if i % 3 else "" for i in range(n_events)],
    })
    return EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                      event_window=(-10, 10), windows=WINDOWS).run()


def _scope_cars(car: pd.DataFrame, scope: str, start: int, end: int) -> np.ndarray:
    rows = car[(car["start"] == start) & (car["end"] == end)]
    if scope.startswith("asset:"):
        rows = rows[rows["asset"] == scope.removeprefix("asset:")]
    elif scope.startswith("group:"):
        rows = rows[rows["group"] == scope.removeprefix("group:")]
    return rows["car"].to_numpy()


def test_every_scope_matches_scipy_on_its_cars(results) -> None:  # type: ignore[no-untyped-def]
    agg = results.aggregate
    scopes = agg["scope"].unique()
    assert len(scopes) == 1 + 6 + 3
    checked: set[str] = set()
    for (scope, start, end), rows in agg.groupby(["scope", "start", "end"], sort=False):
        cars = _scope_cars(results.car, scope, start, end)
        row = rows.set_index("test")
        assert row.loc["t_cs", "n"] == cars.size
        assert abs(row.loc["t_cs", "caar"] - cars.mean()) < 1e-12
        t = stats.ttest_1samp(cars, 0.0)
        assert abs(row.loc["t_cs", "statistic"] - t.statistic) < 1e-12
        assert abs(row.loc["t_cs", "pvalue"] - t.pvalue) < 1e-12
        nonzero = cars[cars != 0]
        positive = int((nonzero > 0).sum())
        assert abs(row.loc["sign", "pvalue"] - stats.binomtest(positive, nonzero.size, 0.5).pvalue) < 1e-12
        z = (positive - nonzero.size / 2) / np.sqrt(nonzero.size / 4)
        assert row.loc["sign", "statistic"] == pytest.approx(z, abs=1e-12)
        ranks = stats.rankdata(np.abs(nonzero))
        assert row.loc["wilcoxon", "statistic"] == pytest.approx(ranks[nonzero > 0].sum(), abs=1e-9)
        if np.unique(np.abs(nonzero)).size == nonzero.size:  # scipy's exact method assumes no ties
            w = stats.wilcoxon(nonzero, method="exact" if nonzero.size <= 50 else "approx")
            assert abs(row.loc["wilcoxon", "pvalue"] - w.pvalue) < 1e-12
            checked.add(scope)
    assert len(checked) >= 5


def test_segment_tests_are_the_per_scope_tests_bit_for_bit(results) -> None:  # type: ignore[no-untyped-def]
    from eventstudy.inference import TESTS, average_cross_correlation
    from eventstudy.inference.segments import SEGMENT_TESTS, Layout, tests_by_segment

    pairs, arrays = results.pairs, results.arrays
    for column in ("asset", "group"):
        values = pairs[column].unique()
        codes = pd.Index(values).get_indexer(pairs[column])
        layout = Layout(codes, len(values))
        for start, end in WINDOWS:
            subsets = [arrays.subset(codes == k) for k in range(len(values))]
            rbar = np.array([average_cross_correlation(s, start, end) for s in subsets])
            batch = tests_by_segment(arrays, layout, start, end, rbar)
            for name in SEGMENT_TESTS:
                for k, subset in enumerate(subsets):
                    expected, got = TESTS[name](subset, start, end), batch[name][k]
                    assert got.test == expected.test and got.note == expected.note
                    for a, b in [(got.statistic, expected.statistic), (got.pvalue, expected.pvalue)]:
                        assert (np.isnan(a) and np.isnan(b)) or a == b, (name, column, k, a, b)


def test_segment_tests_on_tiny_and_empty_segments(results) -> None:  # type: ignore[no-untyped-def]
    from eventstudy.inference import TESTS, average_cross_correlation
    from eventstudy.inference.segments import SEGMENT_TESTS, Layout, tests_by_segment

    arrays = results.arrays
    codes = np.full(arrays.n_pairs, -1)
    codes[0], codes[1:3] = 0, 1  # one pair, two pairs, and segment 2 empty
    rbar = np.array([average_cross_correlation(arrays.subset(codes == k), 0, 0) for k in range(3)])
    batch = tests_by_segment(arrays, Layout(codes, 3), 0, 0, rbar)
    for k in range(3):
        subset = arrays.subset(codes == k)
        for name in SEGMENT_TESTS:
            expected, got = TESTS[name](subset, 0, 0), batch[name][k]
            assert got.note == expected.note
            assert np.isnan(got.statistic) == np.isnan(expected.statistic)
            assert np.isnan(got.statistic) or (got.statistic, got.pvalue) == (expected.statistic,
                                                                              expected.pvalue)
    assert batch["t_cs"][0].note == "needs at least 2 pairs"
    assert batch["sign"][2].note == "no pair has a non-zero CAR"


def test_car_table_in_row_chunks_is_the_same(results, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from eventstudy.models.engine import empirical_pvalue
    from eventstudy.results import residual_summary, tables

    monkeypatch.setattr(residual_summary, "EMPIRICAL_ROWS", 7)
    chunked, _ = tables._car_table(results.pairs, results.arrays, WINDOWS, None)
    pd.testing.assert_frame_equal(chunked, results.car[chunked.columns], check_exact=True)
    whole = empirical_pvalue(results.arrays.est_ar, results.arrays.car(0, 5), 6)
    got = chunked.loc[(chunked["start"] == 0) & (chunked["end"] == 5), "pvalue_empirical"].to_numpy()
    np.testing.assert_array_equal(got, whole[np.isfinite(results.arrays.car(0, 5))])


@pytest.mark.parametrize("cap", [20_000, 3])  # 3: most scopes' r-bar drawn from a sample
def test_aggregate_rows_are_each_scopes_own_tests(results, cap: int,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The layouts' one-pass tests and diagnostics against each scope run on its own pairs
    (its own subset of the arrays, every registered test and clustering one by one)."""
    from eventstudy.inference import TESTS, clustering, dependence
    from eventstudy.inference import clusters as clustering_module
    from eventstudy.results.aggregate import aggregate_table

    monkeypatch.setattr(dependence, "RBAR_MAX_COUPLES", cap)
    monkeypatch.setattr(clustering_module, "RBAR_MAX_COUPLES", cap)
    # A fresh copy: r-bar is cached per arrays object, and the run cached it with the real cap.
    pairs, arrays = results.pairs, dataclasses.replace(results.arrays)
    table = aggregate_table(pairs, arrays, WINDOWS)
    sampled = 0
    for (scope, start, end), rows in table.groupby(["scope", "start", "end"], sort=False):
        if scope == "all":
            mask = np.ones(len(pairs), dtype=bool)
        else:
            kind, value = scope.split(":", 1)
            mask = (pairs[kind] == value).to_numpy()
        subset = arrays.subset(mask)
        report = clustering(subset, start, end)
        sampled += report["rbar"] != 0 and cap == 3
        row = rows.set_index("test")
        for name, test in TESTS.items():
            expected = test(subset, start, end)
            assert row.loc[name, "note"].startswith(expected.note)
            for got, want in [(row.loc[name, "statistic"], expected.statistic),
                              (row.loc[name, "pvalue"], expected.pvalue)]:
                assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(want, rel=1e-12, abs=1e-14)
            assert bool(row.loc[name, "recommended"]) == (name in report["recommended_tests"])
    assert cap == 20_000 or sampled > 5


def test_clustering_by_segment_counts_by_hand(results) -> None:  # type: ignore[no-untyped-def]
    """Shared day-0 dates and overlapping windows of each asset, counted in pandas."""
    from eventstudy.inference.base import Layout
    from eventstudy.inference.clusters import clustering_by_segment

    pairs, arrays = results.pairs, results.arrays
    values = pairs["asset"].unique()
    layout = Layout(pd.Index(values).get_indexer(pairs["asset"]), len(values))
    reports = clustering_by_segment(arrays, layout, [(0, 5)])
    dates = arrays.dates(np.arange(0, 6))
    for k, asset in enumerate(values):
        mine = (pairs["asset"] == asset).to_numpy()
        day0 = pd.Series(pd.to_datetime(pairs["day0"][mine]).dt.normalize())
        counts = day0.value_counts()
        report = reports[k][0]
        assert report["n_pairs"] == mine.sum()
        assert report["n_day0"] == counts.size
        assert report["n_clustered"] == counts[counts >= 2].sum()
        first, last = dates[mine, 0], dates[mine, -1]
        meets = [(first <= last[i]) & (last >= first[i]) for i in range(mine.sum())]
        assert report["n_overlapping"] == sum(int(m.sum() > 1) for m in meets)


def test_rho_memo_computes_each_couple_once_and_keeps_what_it_knows():
    """A couple is (i, j) or (j, i); a couple met before is looked up, never computed again, and
    a value already known is not replaced by a later ``add``."""
    from eventstudy.inference.dependence import RhoMemo

    asked: list[tuple[int, int]] = []

    def compute(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        asked.extend(zip(left.tolist(), right.tolist(), strict=True))
        return (np.minimum(left, right) * 100 + np.maximum(left, right)) / 1e4

    memo = RhoMemo(50, compute)
    first = memo.rho(np.array([3, 7, 1]), np.array([9, 2, 4]))
    np.testing.assert_array_equal(first, [0.0309, 0.0207, 0.0104])
    again = memo.rho(np.array([9, 5, 2, 3]), np.array([3, 6, 7, 9]))  # two known (reversed), one new
    np.testing.assert_array_equal(again, [0.0309, 0.0506, 0.0207, 0.0309])
    assert asked == [(3, 9), (7, 2), (1, 4), (5, 6)]
    memo.add(np.array([4, 8]), np.array([1, 0]), np.array([-1.0, 0.5]))  # (1, 4) known: kept
    np.testing.assert_array_equal(memo.rho(np.array([1, 0]), np.array([4, 8])), [0.0104, 0.5])
    assert len(asked) == 4
    # A couple drawn several times in one call (a sample with replacement) is computed once.
    drawn = memo.rho(np.array([13, 11, 20, 11]), np.array([11, 13, 12, 13]))
    np.testing.assert_array_equal(drawn, [0.1113, 0.1113, 0.1220, 0.1113])
    assert asked[4:] == [(13, 11), (20, 12)]


def test_every_scope_and_window_share_one_memo_of_couples(monkeypatch: pytest.MonkeyPatch) -> None:
    """r̄ of all pairs, of each asset and group, for every window, and the diagnostics: each
    couple's rho is computed once for the whole study, and the tables are those of a study
    computing every scope's couples afresh. Small caps make the whole study and the groups
    draw samples of couples, as large studies do."""
    from eventstudy.inference import dependence

    monkeypatch.setattr(dependence, "RBAR_MAX_COUPLES", 300)
    monkeypatch.setattr("eventstudy.inference.clusters.RBAR_MAX_COUPLES", 300)
    rng = np.random.default_rng(4)
    n_assets, n_days = 8, 600
    market = rng.normal(0.0003, 0.01, n_days)
    common = rng.normal(0, 0.01, n_days)  # a factor the market model leaves: residuals correlate
    returns = market + common + rng.normal(0, 0.01, (n_assets, n_days))
    days = pd.bdate_range("2018-01-01", periods=n_days + 1)
    levels = 100 * np.exp(np.cumsum(np.vstack([np.zeros((1, n_assets + 1)),
                                               np.column_stack([returns.T, market])]), axis=0))
    names = [f"S{i}" for i in range(n_assets)]
    prices = pd.DataFrame(levels, index=pd.DatetimeIndex(days, name="date"), columns=[*names, "MKT"])
    at = rng.choice(np.arange(270, n_days - 10), 60)
    events = pd.DataFrame({"date": days[at].strftime("%Y-%m-%d"), "event": "x",
                           "group": rng.choice(["a", "b"], at.size), "assets": ""})

    def run():  # type: ignore[no-untyped-def]
        study = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                           event_window=(-10, 10), windows=WINDOWS)
        return study.run()

    computed: list[tuple[int, int]] = []
    couple_rho = dependence.couple_rho

    def recording(arrays, left, right, same=None):  # type: ignore[no-untyped-def]
        computed.extend(zip(np.minimum(left, right).tolist(), np.maximum(left, right).tolist(), strict=True))
        return couple_rho(arrays, left, right, same)

    monkeypatch.setattr(dependence, "couple_rho", recording)
    shared = run()
    assert len(computed) > 2000
    assert len(set(computed)) == len(computed)  # no couple twice
    monkeypatch.setattr(dependence, "shared_memo", dependence.RhoMemo.of)
    monkeypatch.setattr("eventstudy.inference.clusters.shared_memo", dependence.RhoMemo.of)
    computed.clear()
    afresh = run()
    assert len(computed) > len(set(computed))  # without the shared memo, couples come again
    pd.testing.assert_frame_equal(shared.aggregate, afresh.aggregate, check_exact=True)
    assert shared.diagnostics == afresh.diagnostics
    rbar = shared.aggregate.query("scope == 'all' and test == 'kp'")
    assert len(rbar) == len(WINDOWS)
