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

from eventstudy.inference import TESTS, TestResult, clustering
from eventstudy.inference.one_per_day import one_per_day as collapse_one_per_day
from eventstudy.inference.segments import SEGMENT_TESTS, Layout, tests_by_segment
from eventstudy.models.pairs import PairArrays
from eventstudy.spec import StudySpec

AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "recommended",
                     "note"]


def aggregate_table(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]], *,
                    one_per_day: bool = False) -> pd.DataFrame:
    """One row per scope, window and test (``docs/outputs.md``).

    The scopes come in three partitions of the pairs (all; by asset; by group). The
    dependence diagnostics and the event-time tests (``bw_cda``, ``corrado``) run scope
    by scope; the other tests run for every scope of a partition at once
    (:func:`eventstudy.inference.segments.tests_by_segment`), so a study with hundreds
    of assets makes a few passes over its pairs, not hundreds.
    """
    if one_per_day:
        collapsed = collapse_one_per_day(pairs, arrays)
        pairs, arrays = collapsed.pairs.reset_index(drop=True), collapsed.arrays
    partitions = [(["all"], np.zeros(len(pairs), dtype=np.int64))]
    for kind in ("asset", "group"):
        column = pairs[kind]
        values = column.dropna().unique()
        codes = pd.Index(values).get_indexer(column)  # -1 for a missing group
        partitions.append(([f"{kind}:{v}" for v in values], np.asarray(codes, dtype=np.int64)))
    rows = []
    for names, codes in partitions:
        layout = Layout(codes, len(names))
        # Scope by scope, one subset alive at a time: the clustering diagnostics and the
        # tests that are not batched, which cache terms on it. The scope "all" is the
        # arrays themselves, so its r-bar is shared with diagnostics().
        reports: list[list[dict[str, Any]]] = []
        own: list[list[dict[str, TestResult]]] = []
        for rows_k in layout.slices():
            subset = arrays if names == ["all"] else arrays.subset(layout.order[rows_k])
            reports.append([clustering(subset, start, end) for start, end in windows])
            own.append([{name: test(subset, start, end) for name, test in TESTS.items()
                         if name not in SEGMENT_TESTS} for start, end in windows])
            del subset
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
                for name in TESTS:
                    result = batches[w][name][k] if name in SEGMENT_TESTS else own[k][w][name]
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
