"""The aggregate table (``aggregate.csv``) and the study's dependence diagnostics.

For each scope (all pairs, each asset, each event group) and CAR window, every test of
:data:`eventstudy.inference.TESTS`, with ``recommended`` saying whether the test suits
the dependence found in that scope and window (:func:`eventstudy.inference.recommended_tests`,
from the size simulation in ``docs/size-under-dependence.md``) and a ``note`` saying why
a test that is not recommended may reject too often. With ``one_per_day`` the tests run
on one observation per asset and day 0 (:func:`eventstudy.inference.one_per_day.one_per_day`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.inference import TESTS, clustering
from eventstudy.inference.base import Layout
from eventstudy.inference.clusters import RhoMemo, clustering_by_segment
from eventstudy.inference.one_per_day import one_per_day as collapse_one_per_day
from eventstudy.inference.parametric import bw_cda_statistic
from eventstudy.inference.rank import corrado_statistic
from eventstudy.inference.scope_columns import (
    average_by_segment,
    product_layout,
    rank_series,
    segment_means,
    split_rank_means,
)
from eventstudy.inference.segments import SEGMENT_TESTS, tests_by_segment
from eventstudy.models.pairs import PairArrays
from eventstudy.results.residual_summary import ResidualSummary, prefetched_rho
from eventstudy.spec import StudySpec

AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "recommended",
                     "note"]


def aggregate_table(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]], *,
                    one_per_day: bool = False, residuals: ResidualSummary | None = None,
                    rho: RhoMemo | None = None) -> pd.DataFrame:
    """One row per scope, window and test (``docs/outputs.md``).

    The scopes come in three layouts of the pairs (all; by asset; by group), and every
    test runs for every scope of a layout at once: the CAR tests by segment
    (:func:`eventstudy.inference.segments.tests_by_segment`), the rank and AAR series of
    ``corrado`` and ``bw_cda`` in one pass over the pairs for all three layouts
    (:mod:`eventstudy.inference.scope_columns`), and the dependence diagnostics by
    segment (:func:`eventstudy.inference.clusters.clustering_by_segment`). A study with
    hundreds of assets makes a few passes over its pairs, not hundreds.

    Without the estimation residuals in ``arrays`` (a partitioned run), ``residuals``
    gives what the tests need from them and ``rho`` the couples of ``r̄``
    (:func:`residual_rho`); ``one_per_day`` then cannot be used.
    """
    if one_per_day:
        if residuals is not None:
            raise ValueError("one observation per day averages residuals: it needs them in arrays")
        collapsed = collapse_one_per_day(pairs, arrays)
        pairs, arrays = collapsed.pairs.reset_index(drop=True), collapsed.arrays
    scopes = scope_layouts(pairs)
    layouts = [layout for _, _, layout in scopes]
    if residuals is None:
        ranks = [rank_series(arrays, layouts, start, end) for start, end in windows]  # [window][layout]
        aar_est = average_by_segment(arrays.est_ar, layouts)
    else:
        cells, owners = product_layout(layouts)
        ranks = [split_rank_means(segment_means(residuals.in_cells(cells, sums), cells, owners, layouts),
                                  arrays.est_days.size) for sums in residuals.rank_sums]
        aar_est = segment_means(residuals.in_cells(cells, residuals.residual_sums), cells, owners, layouts)
    aar_event = average_by_segment(arrays.ar, layouts)
    share = None if residuals is None else residuals.positive_share
    rows = []
    for s, (kind, values, layout) in enumerate(scopes):
        names = [f"{kind}:{v}" for v in values] if kind != "all" else ["all"]
        if residuals is not None and kind == "asset":
            reports = [residuals.asset_reports[str(v)] for v in values]  # computed by the partitions
        else:
            reports = clustering_by_segment(arrays, layout, windows, rho)  # [segment][window]
        batches = [tests_by_segment(arrays, layout, start, end,
                                    np.array([report[w]["rbar"] for report in reports]), share)
                   for w, (start, end) in enumerate(windows)]
        cars = [arrays.car(start, end)[layout.order] for start, end in windows]
        for k, (scope, rows_k) in enumerate(zip(names, layout.slices(), strict=True)):
            for w, (start, end) in enumerate(windows):
                car = cars[w][rows_k]
                finite = car[np.isfinite(car)]
                caar = float(finite.mean()) if finite.size else float("nan")
                recommended, caution = reports[k][w]["recommended_tests"], reports[k][w]["caution"]
                ubar_est, ubar_window = ranks[w][s]
                own = {"bw_cda": bw_cda_statistic(aar_est[s][k], aar_event[s][k, arrays.columns(start, end)]),
                       "corrado": corrado_statistic(ubar_est[k], ubar_window[k])}
                for name in TESTS:
                    result = batches[w][name][k] if name in SEGMENT_TESTS else own[name]
                    notes = [result.note] if result.note else []
                    if result.test in caution:
                        notes.append(f"may over-reject here: {caution[result.test]}")
                    rows.append({"scope": scope, "start": start, "end": end, "n": int(finite.size),
                                 "caar": caar, "test": result.test, "statistic": result.statistic,
                                 "pvalue": result.pvalue, "recommended": result.test in recommended,
                                 "note": "; ".join(notes)})
    return pd.DataFrame(rows, columns=AGGREGATE_COLUMNS)


def scope_layouts(pairs: pd.DataFrame) -> list[tuple[str, list[Any], Layout]]:
    """The scopes' three layouts of the pairs: ``("all", ["all"], ...)``, then by
    ``asset`` and by ``group`` with each segment's value (a pair without a group is in no
    group segment)."""
    scopes: list[tuple[str, list[Any], Layout]] = [("all", ["all"], Layout.single(len(pairs)))]
    for kind in ("asset", "group"):
        column = pairs[kind]
        values = column.dropna().unique()
        codes = pd.Index(values).get_indexer(column)  # -1 for a missing group
        scopes.append((kind, list(values), Layout(codes, len(values))))
    return scopes


def residual_rho(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]],
                 residuals: ResidualSummary) -> RhoMemo:
    """The couples' ``rho`` for ``r̄`` of all pairs and of each group (the asset scopes'
    come from the partitions), fetched from where the residuals are
    (:func:`~eventstudy.results.residual_summary.prefetched_rho`)."""
    if residuals.fetch is None:
        raise ValueError("the residual summary cannot fetch residual rows")
    layouts = [layout for kind, _, layout in scope_layouts(pairs) if kind != "asset"]
    return prefetched_rho(arrays, layouts, windows, residuals.fetch)


def diagnostics(pairs: pd.DataFrame, arrays: PairArrays, spec: StudySpec,
                rho: RhoMemo | None = None) -> dict[str, Any]:
    """Dependence among all computed pairs over the first CAR window, JSON-ready: clustering,
    overlap, r-bar, the recommended tests and cautions, and with ``one_per_day`` the event
    ids collapsed into one observation (``rho``: as for :func:`aggregate_table`)."""
    report = clustering(arrays, *spec.windows[0], rho=rho)
    report.update(clustered_day0=[str(d) for d in report["clustered_day0"]], window=list(report["window"]))
    if spec.one_per_day:
        collapsed = collapse_one_per_day(pairs, arrays)
        report["one_per_day"] = [
            {"asset": str(row.asset), "day0": str(row.day0)[:10], "event_ids": list(ids)}
            for row, ids in zip(collapsed.pairs.itertuples(index=False), collapsed.event_ids, strict=True)
            if len(ids) > 1]
    return report
