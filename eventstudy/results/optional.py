"""Tables a study writes only when asked: ``regression.csv`` and ``bhar.csv`` (issue 13).

:func:`optional_tables` is called once by :meth:`eventstudy.study.EventStudy.run` after
:func:`~eventstudy.results.tables.build_results`, with the series the study read:

- ``regression``: with the ``regress`` setting, the cross-sectional OLS of the first CAR
  window's CARs on the events' own columns (:meth:`Results.regress
  <eventstudy.results.Results.regress>`; ``cluster`` by day 0 when pairs share one, else
  ``HC3``), one row per term (:func:`eventstudy.inference.regression.regression_table`);
- ``synthetic``: with ``model = "synthetic"``, each pair's donor weights and placebo-rank
  p-value (:func:`eventstudy.results.synthetic_table.synthetic_table`);
- ``bhar``: for the ``bhar_window`` setting and every CAR window longer than
  :data:`LONG_WINDOW` days, each pair's buy-and-hold abnormal return against the first
  benchmark (the raw buy-and-hold return without one; Barber & Lyon 1997) and, per
  window, the mean with the ordinary, skewness-adjusted and bootstrapped
  skewness-adjusted t tests (Lyon, Barber & Tsai 1999; :mod:`eventstudy.measures.bhar`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from eventstudy.inference.regression import regression_table
from eventstudy.measures.bhar import bhar_tests, buy_and_hold
from eventstudy.results.synthetic_table import synthetic_table
from eventstudy.results.value import Results
from eventstudy.spec import StudySpec, Window
from eventstudy.timing.placement import AssetSeries, Panel

#: CAR windows longer than this many trading days (a month) also get a BHAR.
LONG_WINDOW = 21
BHAR_COLUMNS = ["scope", "event_id", "asset", "start", "end", "day0", "n", "bhar", "t", "pvalue_t", "t_sa",
                "pvalue_sa", "pvalue_bootstrap", "note"]


def optional_tables(results: Results, series: Mapping[str, AssetSeries],
                    bench: Mapping[str, AssetSeries], panel: Panel) -> dict[str, pd.DataFrame]:
    """The optional tables the study's settings ask for, by file name.

    Raises
    ------
    InputError
        When the ``regress`` formula names an unknown column or has too few rows
        (:func:`eventstudy.inference.regression.regress`).
    """
    spec = results.spec
    tables: dict[str, pd.DataFrame] = {}
    if spec.regress is not None:
        tables["regression"] = regression_table(results.regress(spec.regress, spec.windows[0]))
    windows = bhar_windows(spec)
    if windows and spec.measure != "volume":
        benchmark = bench[spec.benchmark[0]].prices if spec.benchmark else None
        tables["bhar"] = bhar_table(results.car, {n: s.prices for n, s in series.items()}, benchmark, windows)
    if spec.model == "synthetic" and results.pairs is not None:
        tables["synthetic"] = synthetic_table(spec, results.pairs, panel)
    return tables


def bhar_windows(spec: StudySpec) -> list[Window]:
    """``bhar_window`` and every CAR window longer than :data:`LONG_WINDOW` days, in that order."""
    windows = [spec.bhar_window] if spec.bhar_window is not None else []
    windows += [w for w in spec.windows if w[1] - w[0] + 1 > LONG_WINDOW]
    return list(dict.fromkeys(windows))


def bhar_table(car: pd.DataFrame, prices: Mapping[str, pd.Series], benchmark: pd.Series | None,
               windows: list[Window]) -> pd.DataFrame:
    """``bhar.csv``: one ``pair`` row per computed pair and window, then one ``all`` row per window.

    Parameters
    ----------
    car
        The study's CAR table (its pairs and their ``day0``).
    prices
        Each asset's prices.
    benchmark
        The benchmark's prices, or ``None`` for raw buy-and-hold returns.
    windows
        The BHAR windows in trading days relative to day 0.
    """
    pairs = car.drop_duplicates(["event_id", "asset"])[["event_id", "asset", "day0"]]
    rows = []
    for start, end in windows:
        values = []
        for event_id, asset, day0 in pairs.itertuples(index=False):
            level = benchmark if benchmark is not None else pd.Series(1.0, index=prices[asset].index)
            value = float(buy_and_hold(prices[asset], level, [day0], (start, end)).iloc[0])
            values.append(value)
            rows.append({"scope": "pair", "event_id": event_id, "asset": asset, "start": start, "end": end,
                         "day0": day0, "n": int(np.isfinite(value)), "bhar": value,
                         "note": "" if np.isfinite(value) else "the window runs past the prices"})
        rows.append(_bhar_test_row(np.array(values, dtype=float), start, end))
    return pd.DataFrame(rows).reindex(columns=BHAR_COLUMNS)


def _bhar_test_row(values: np.ndarray, start: int, end: int) -> dict[str, object]:
    finite = values[np.isfinite(values)]
    row: dict[str, object] = {"scope": "all", "event_id": "", "asset": "", "start": start, "end": end,
                              "day0": "", "n": int(finite.size),
                              "bhar": float(finite.mean()) if finite.size else float("nan")}
    if finite.size < 3:
        return {**row, "note": f"{finite.size} BHARs; the skewness-adjusted t needs at least 3"}
    test = bhar_tests(finite)
    return {**row, "t": test.t, "pvalue_t": test.pvalue_t, "t_sa": test.t_sa, "pvalue_sa": test.pvalue_sa,
            "pvalue_bootstrap": test.pvalue_bootstrap,
            "note": f"bootstrap: {test.resamples} resamples of n/4, seed {test.seed}"}
