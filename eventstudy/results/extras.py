"""Extra columns of ``car.csv`` and rows of ``aggregate.csv`` (issue 13).

:func:`extend_tables` is called once by :func:`eventstudy.results.tables.build_results`
after the standard tables are built. It appends, without changing any existing column:

- to ``car.csv``: ``pvalue_holm`` and ``pvalue_bh`` (Holm 1979 and Benjamini-Hochberg
  1995 over every row of the table, :func:`eventstudy.inference.multiple.adjust_car_table`)
  and ``mde``, the minimum detectable effect ``t_{0.975, dof} se`` of each row
  (:func:`eventstudy.measures.context.minimum_detectable_effect`); with
  ``measure = "volatility"`` also ``variance_ratio`` and ``pvalue_variance``, Beaver's
  (1968) ratio and its F p-value (:func:`eventstudy.measures.volatility.variance_ratio`);
- to ``aggregate.csv``: with ``model = "garch"`` a ``savickas`` row per scope and window
  (Savickas 2003, :func:`eventstudy.measures.volatility.savickas`), then ``pvalue_holm``
  and ``pvalue_bh`` with one family per test
  (:func:`eventstudy.inference.multiple.adjust_aggregate_table`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.inference.multiple import adjust_aggregate_table, adjust_car_table
from eventstudy.measures.context import minimum_detectable_effect
from eventstudy.measures.volatility import savickas, variance_ratio
from eventstudy.models.pairs import PairArrays
from eventstudy.spec import StudySpec

VOLATILITY_COLUMNS = ["variance_ratio", "pvalue_variance"]


def extend_tables(spec: StudySpec, pairs: pd.DataFrame, arrays: PairArrays, car: pd.DataFrame,
                  aggregate: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``car`` and ``aggregate`` with the issue-13 columns and rows appended.

    Parameters
    ----------
    spec
        The study's settings (``measure``, ``model``).
    pairs, arrays
        The computed pairs (in the order of ``arrays``) and their per-pair arrays.
    car, aggregate
        The tables of :func:`eventstudy.results.tables.build_results`.

    Returns
    -------
    tuple of pandas.DataFrame
        The extended ``car`` and ``aggregate`` tables (existing columns unchanged).
    """
    row = pair_rows(pairs, car)
    car = car.assign(mde=minimum_detectable_effect(car["se"].to_numpy(dtype=float),
                                                   np.asarray(arrays.dof, dtype=float)[row]))
    car = adjust_car_table(car)[[*[c for c in car.columns if c != "mde"], "pvalue_holm", "pvalue_bh", "mde"]]
    if spec.measure == "volatility":
        car = _with_variance_ratio(car, arrays, row)
    if spec.model == "garch":
        aggregate = pd.concat([aggregate, _savickas_rows(pairs, arrays, spec, aggregate.columns)],
                              ignore_index=True)
    return car, adjust_aggregate_table(aggregate)


def pair_rows(pairs: pd.DataFrame, car: pd.DataFrame) -> np.ndarray:
    """Each CAR row's position among ``pairs`` (matched on event and asset)."""
    position = pd.Series(np.arange(len(pairs)),
                         index=pd.MultiIndex.from_arrays([pairs["event_id"], pairs["asset"]]))
    keys = pd.MultiIndex.from_arrays([car["event_id"], car["asset"]])
    return position.reindex(keys).to_numpy(dtype=np.intp)


def _with_variance_ratio(car: pd.DataFrame, arrays: PairArrays, row: np.ndarray) -> pd.DataFrame:
    ratio = np.full(len(car), np.nan)
    pvalue = np.full(len(car), np.nan)
    for start, end in car[["start", "end"]].drop_duplicates().itertuples(index=False):
        rows = ((car["start"] == start) & (car["end"] == end)).to_numpy()
        result = variance_ratio(arrays, int(start), int(end))
        ratio[rows] = result.ratio[row[rows]]
        pvalue[rows] = result.pvalue[row[rows]]
    return car.assign(variance_ratio=ratio, pvalue_variance=pvalue)


def _savickas_rows(pairs: pd.DataFrame, arrays: PairArrays, spec: StudySpec,
                   columns: pd.Index) -> pd.DataFrame:
    """The Savickas (2003) test per scope (all pairs, each asset, each group) and window."""
    scopes: list[tuple[str, np.ndarray]] = [("all", np.ones(len(pairs), dtype=bool))]
    scopes += [(f"asset:{a}", (pairs["asset"] == a).to_numpy()) for a in pairs["asset"].unique()]
    scopes += [(f"group:{g}", (pairs["group"] == g).to_numpy()) for g in pairs["group"].dropna().unique()]
    rows = []
    for scope, in_scope in scopes:
        subset = arrays.subset(in_scope)
        for start, end in spec.windows:
            car = subset.car(start, end)
            finite = car[np.isfinite(car)]
            result = savickas(subset, start, end)
            rows.append({"scope": scope, "start": start, "end": end, "n": int(finite.size),
                         "caar": float(finite.mean()) if finite.size else float("nan"),
                         "test": result.test, "statistic": result.statistic, "pvalue": result.pvalue,
                         "recommended": False, "note": result.note})
    return pd.DataFrame(rows).reindex(columns=columns)
