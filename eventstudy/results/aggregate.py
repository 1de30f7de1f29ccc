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

from eventstudy.inference import clustering, run_tests
from eventstudy.inference.one_per_day import one_per_day as collapse_one_per_day
from eventstudy.models.pairs import PairArrays
from eventstudy.spec import StudySpec

AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "recommended",
                     "note"]


def aggregate_table(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]], *,
                    one_per_day: bool = False) -> pd.DataFrame:
    """One row per scope, window and test (``docs/outputs.md``)."""
    if one_per_day:
        collapsed = collapse_one_per_day(pairs, arrays)
        pairs, arrays = collapsed.pairs.reset_index(drop=True), collapsed.arrays
    scopes: list[tuple[str, np.ndarray]] = [("all", np.ones(len(pairs), dtype=bool))]
    scopes += [(f"asset:{a}", (pairs["asset"] == a).to_numpy()) for a in pairs["asset"].unique()]
    scopes += [(f"group:{g}", (pairs["group"] == g).to_numpy()) for g in pairs["group"].dropna().unique()]
    rows = []
    for scope, in_scope in scopes:
        # One subset per scope: the tests cache window-independent terms on it and skip
        # pairs whose CAR is missing for a window.
        # The scope "all" is the arrays themselves, so its cached r-bar is shared with
        # diagnostics(); a subset with every pair would be the same numbers.
        subset = arrays if scope == "all" else arrays.subset(in_scope)
        for start, end in windows:
            car = subset.car(start, end)
            finite = car[np.isfinite(car)]
            caar = float(finite.mean()) if finite.size else float("nan")
            report = clustering(subset, start, end)
            recommended, caution = report["recommended_tests"], report["caution"]
            for result in run_tests(subset, start, end):
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
