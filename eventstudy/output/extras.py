"""Report sections of issue 13: context of each move, the regression, BHARs, synthetic controls.

Each section is a :class:`Section`: a key, a title, lines of text and an optional table
of display strings, which ``output/markdown.py`` and ``output/html.py`` render in their
own format (:func:`extra_sections`). A section is present only when the study has
something to say in it:

- **Context**: the minimum detectable effect of the first CAR window ("a move had to
  exceed +/-x% to be significant at 5%", ``car.csv`` column ``mde``) and "largest
  since" statements for day-0 moves (:func:`eventstudy.measures.context.largest_since`
  on the prices the study kept, ``prices.csv``);
- **Cross-sectional regression** (``regression.csv``), **Long-horizon buy-and-hold
  returns** (``bhar.csv``) and **Synthetic control** (``synthetic.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eventstudy.measures.context import last_as_large
from eventstudy.output.describe import StudyResults, unit
from eventstudy.output.format import signed_percent, window_label
from eventstudy.timing.returns import asset_returns

#: At most this many "largest since" statements, the longest spans first.
MAX_STATEMENTS = 12
#: A day-0 move is stated only when it is the largest for at least this many sessions.
MIN_SESSIONS = 20


@dataclass(frozen=True)
class Section:
    """One report section: text lines and an optional table (``headers``: key -> title)."""

    key: str
    title: str
    lines: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)


def extra_sections(results: StudyResults) -> list[Section]:
    """The issue-13 sections the study has content for, in report order."""
    sections = [_context(results), _regression(results.extra_tables), _bhar(results.extra_tables),
                _synthetic(results.extra_tables)]
    return [s for s in sections if s is not None]


def largest_since_statements(results: StudyResults) -> list[str]:
    """"IMOEX's +3.96% day-0 return on 2025-08-07 was its largest daily move since 2025-04-10".

    For each event-asset pair, the day-0 return from the study's prices is compared
    with the asset's earlier returns in ``results.prices`` (the study span); pairs whose
    move was exceeded within :data:`MIN_SESSIONS` sessions are left out. Abnormal volume
    studies have no such statement (their "prices" are volumes). Each asset's history is
    scanned once for all its day 0s (:func:`eventstudy.measures.context.last_as_large`,
    the answer of :func:`~eventstudy.measures.context.largest_since` at every date).
    """
    if results.spec.measure == "volume" or not len(results.car):
        return []
    label = unit(results)
    pairs = results.car[["asset", "day0"]].drop_duplicates()
    assets = pairs["asset"].astype(str).to_numpy()
    days = pd.DatetimeIndex(pd.to_datetime(pairs["day0"]))
    sessions = np.full(len(pairs), -1, dtype=np.int64)
    texts: dict[int, tuple[pd.Series, int, int]] = {}
    for asset in dict.fromkeys(assets.tolist()):
        prices = results.prices.get(asset)
        if prices is None or len(prices) < 2:
            continue
        moves = asset_returns(prices, results.spec.returns)
        if not moves.index.is_monotonic_increasing:
            moves = moves.sort_index()
        values = moves.to_numpy(dtype=float)
        previous = last_as_large(values)
        rows = np.flatnonzero(assets == asset)
        for row, at in zip(rows.tolist(), moves.index.get_indexer(days[rows]).tolist(), strict=True):
            if at < 0 or not np.isfinite(values[at]):
                continue
            since = int(previous[at])
            sessions[row] = at - since - 1 if since >= 0 else at
            texts[row] = (moves, at, since)
    candidates = np.flatnonzero(sessions >= MIN_SESSIONS)
    chosen = candidates[np.argsort(-sessions[candidates], kind="stable")][:MAX_STATEMENTS]
    statements = []
    for row in chosen.tolist():
        moves, at, since = texts[row]
        index = moves.index
        move = signed_percent(moves.iloc[at], 2, label)
        tail = f"since {index[since]:%Y-%m-%d}" if since >= 0 else f"in the data since {index[0]:%Y-%m-%d}"
        statements.append(f"{assets[row]}'s {move} day-0 return on {index[at]:%Y-%m-%d} was its largest "
                          f"daily move {tail}.")
    return statements


def _context(results: StudyResults) -> Section | None:
    car = results.car
    lines = []
    if "mde" in car.columns and len(car):
        first = car[(car["start"] == car["start"].iloc[0]) & (car["end"] == car["end"].iloc[0])]
        mde = first.groupby("asset", sort=False)["mde"].median()
        window = window_label(int(car["start"].iloc[0]), int(car["end"].iloc[0]))
        for asset, value in mde.items():
            if np.isfinite(value):
                lines.append(f"{asset}: a CAR {window} had to exceed \u00b1{abs(100 * value):.2f} "
                             f"{unit(results)} to be significant at 5% (median over events; "
                             "column mde of car.csv).")
    lines += largest_since_statements(results)
    return Section("context", "Context of the moves", lines) if lines else None


def _number(value: object, digits: int = 4) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "" if not np.isfinite(number) else f"{number:.{digits}f}"


def _table_rows(table: pd.DataFrame, columns: Mapping[str, int | None]) -> list[dict[str, str]]:
    """Display rows: numbers rounded to the given digits, text as is."""
    rows = []
    for record in table.to_dict("records"):
        rows.append({c: (str(record.get(c, "")) if digits is None else _number(record.get(c), digits))
                     for c, digits in columns.items()})
    return rows


def _regression(tables: Mapping[str, pd.DataFrame]) -> Section | None:
    table = tables.get("regression")
    if table is None or table.empty:
        return None
    lines = [f"OLS of the CAR on the events' columns, {int(table['n'].iloc[0])} pairs, "
             f"{table['cov_type'].iloc[0]} standard errors (regression.csv)."]
    columns = {"term": None, "coef": 4, "se": 4, "t": 2, "pvalue": 4}
    return Section("regression", "Cross-sectional regression", lines,
                   {"term": "term", "coef": "coefficient", "se": "se", "t": "t", "pvalue": "p"},
                   _table_rows(table, columns))


def _bhar(tables: Mapping[str, pd.DataFrame]) -> Section | None:
    table = tables.get("bhar")
    if table is None or table.empty:
        return None
    tests = table[table["scope"] == "all"]
    lines = ["Buy-and-hold abnormal returns (Barber & Lyon 1997) with the skewness-adjusted t of "
             "Lyon, Barber & Tsai (1999) and its bootstrap p-value; per pair in bhar.csv."]
    rows = [{**row, "window": window_label(int(row["start"]), int(row["end"]))}
            for row in _table_rows(tests, {"start": 0, "end": 0, "n": 0, "bhar": 4, "t": 2, "pvalue_t": 4,
                                           "t_sa": 2, "pvalue_sa": 4, "pvalue_bootstrap": 4})]
    return Section("bhar", "Long-horizon buy-and-hold returns", lines,
                   {"window": "window", "n": "n", "bhar": "mean BHAR", "t": "t", "pvalue_t": "p",
                    "t_sa": "t (skew-adjusted)", "pvalue_sa": "p", "pvalue_bootstrap": "p (bootstrap)"}, rows)


def _synthetic(tables: Mapping[str, pd.DataFrame]) -> Section | None:
    table = tables.get("synthetic")
    if table is None or table.empty:
        return None
    lines = ["Synthetic control (Abadie, Diamond & Hainmueller 2010): each asset's counterfactual is a "
             "convex combination of the donors fitted on the estimation window; the p-value is the rank "
             "of its post/pre RMSPE ratio among the placebo ratios of the donors (synthetic.csv)."]
    columns = {"event_id": None, "asset": None, "weights": None, "car": 4, "ratio": 2, "rank": 0,
               "pvalue_placebo": 4}
    return Section("synthetic", "Synthetic control", lines,
                   {"event_id": "event", "asset": "asset", "weights": "donor weights", "car": "CAR",
                    "ratio": "RMSPE post/pre", "rank": "rank", "pvalue_placebo": "p (placebo)"},
                   _table_rows(table, columns))
