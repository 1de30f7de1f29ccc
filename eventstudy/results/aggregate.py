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
from eventstudy.inference.clusters import clustering_by_segment
from eventstudy.inference.one_per_day import one_per_day as collapse_one_per_day
from eventstudy.inference.parametric import bw_cda_statistic
from eventstudy.inference.rank import corrado_statistic
from eventstudy.inference.scope_columns import average_by_segment, rank_series
from eventstudy.inference.segments import SEGMENT_TESTS, tests_by_segment
from eventstudy.models.pairs import PairArrays
from eventstudy.spec import StudySpec

AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "recommended",
                     "note"]


def aggregate_table(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]], *,
                    one_per_day: bool = False) -> pd.DataFrame:
    """One row per scope, window and test (``docs/outputs.md``).

    The scopes come in three layouts of the pairs (all; by asset; by group), and every
    test runs for every scope of a layout at once: the CAR tests by segment
    (:func:`eventstudy.inference.segments.tests_by_segment`), the rank and AAR series of
    ``corrado`` and ``bw_cda`` in one pass over the pairs for all three layouts
    (:mod:`eventstudy.inference.scope_columns`), and the dependence diagnostics by
    segment (:func:`eventstudy.inference.clusters.clustering_by_segment`). A study with
    hundreds of assets makes a few passes over its pairs, not hundreds.
    """
    if one_per_day:
        collapsed = collapse_one_per_day(pairs, arrays)
        pairs, arrays = collapsed.pairs.reset_index(drop=True), collapsed.arrays
    scopes = [(["all"], Layout.single(len(pairs)))]
    for kind in ("asset", "group"):
        column = pairs[kind]
        values = column.dropna().unique()
        codes = pd.Index(values).get_indexer(column)  # -1 for a missing group
        scopes.append(([f"{kind}:{v}" for v in values], Layout(codes, len(values))))
    layouts = [layout for _, layout in scopes]
    ranks = [rank_series(arrays, layouts, start, end) for start, end in windows]  # [window][layout]
    aar_est = average_by_segment(arrays.est_ar, layouts)
    aar_event = average_by_segment(arrays.ar, layouts)
    rows = []
    for s, (names, layout) in enumerate(scopes):
        reports = clustering_by_segment(arrays, layout, windows)  # [segment][window]
        batches = [tests_by_segment(arrays, layout, start, end,
                                    np.array([report[w]["rbar"] for report in reports]))
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


def diagnostics(pairs: pd.DataFrame, arrays: PairArrays, spec: StudySpec) -> dict[str, Any]:
    """Dependence among all computed pairs over the first CAR window, JSON-ready: clustering,
    overlap, r-bar, the recommended tests and cautions, and with ``one_per_day`` the event
    ids collapsed into one observation."""
    report = clustering(arrays, *spec.windows[0])
    report.update(clustered_day0=[str(d) for d in report["clustered_day0"]], window=list(report["window"]))
    if spec.one_per_day:
        collapsed = collapse_one_per_day(pairs, arrays)
        report["one_per_day"] = [
            {"asset": str(row.asset), "day0": str(row.day0)[:10], "event_ids": list(ids)}
            for row, ids in zip(collapsed.pairs.itertuples(index=False), collapsed.event_ids, strict=True)
            if len(ids) > 1]
    return report
