"""The study summary as one :class:`Summary` value, rendered as text, HTML or LaTeX.

As statsmodels' ``Summary`` (``statsmodels/iolib/summary.py``): a list of titled tables
and notes, built once from the results, with ``as_text()``, ``as_html()``,
``as_latex()``, ``_repr_html_`` and ``__str__``. The command line prints
``as_text()``; notebooks show ``_repr_html_``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from eventstudy.models.registry import MODELS
from eventstudy.output import describe
from eventstudy.output.describe import StudyResults, measure_text
from eventstudy.output.format import percent_unit, stars, window_label
from eventstudy.output.latex import escape
from eventstudy.output.rows import ShownScopes, only_pairs, ranked_pairs, shown_pairs, shown_scopes

STAR_LEGEND = "* p<0.10, ** p<0.05, *** p<0.01"

#: Lines of skipped pairs in the summary and on stderr; the others are counted (every pair
#: is in skipped.csv).
SKIPPED_LINES = 20
#: Assets named on one line of skipped pairs before the rest are counted.
NAMED_ASSETS = 4


def skipped_lines(skipped: pd.DataFrame) -> tuple[list[str], int]:
    """The skipped pairs in words, at most :data:`SKIPPED_LINES` lines: the pairs of one
    event skipped for the same reason share a line naming their assets (``CBR-2022-02-28
    SBER, GAZP, LKOH, ROSN and 10 more: day 0 would be ...``), in the table's order; and how
    many pairs those lines leave out."""
    if skipped.empty:
        return [], 0
    by_reason = skipped.groupby(["event_id", "reason"], sort=False)["asset"].agg(list)
    lines, named = [], 0
    for key, assets in by_reason.head(SKIPPED_LINES).items():
        event_id, reason = cast(tuple[str, str], key)
        shown = ", ".join(str(a) for a in assets[:NAMED_ASSETS])
        rest = len(assets) - NAMED_ASSETS
        lines.append(f"{event_id} {shown}{f' and {rest} more' if rest > 0 else ''}: {reason}")
        named += len(assets)
    return lines, len(skipped) - named


@dataclass(frozen=True)
class SummaryTable:
    """One titled table of a :class:`Summary`; ``index`` says whether the row labels are printed."""

    title: str
    frame: pd.DataFrame
    index: bool = False


@dataclass(frozen=True)
class Summary:
    """A study summary: header lines, tables and notes, rendered many ways.

    Examples
    --------
    >>> summary = results.summary()  # doctest: +SKIP
    >>> print(summary)               # doctest: +SKIP
    >>> summary.as_latex()           # doctest: +SKIP
    """

    header: Sequence[str]
    tables: Sequence[SummaryTable] = field(default_factory=tuple)
    notes: Sequence[str] = field(default_factory=tuple)

    def as_text(self) -> str:
        """Plain text for the terminal, tables aligned as pandas prints them."""
        lines = list(self.header)
        with pd.option_context("display.width", 160, "display.max_rows", 500, "display.max_columns", 30):
            for table in self.tables:
                lines += ["", table.title, table.frame.to_string(index=table.index)]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML for notebooks: the header as a paragraph, each table with its title."""
        parts = [f"<p>{'<br>'.join(html.escape(line) for line in self.header)}</p>"]
        for table in self.tables:
            parts.append(f"<p><b>{html.escape(table.title)}</b></p>")
            parts.append(table.frame.to_html(index=table.index))
        parts += [f"<p>{html.escape(note)}</p>" for note in self.notes]
        return "\n".join(parts)

    def as_latex(self) -> str:
        """LaTeX (booktabs tabulars, each preceded by its title as a comment and a paragraph)."""
        parts = ["% " + line for line in self.header]
        for table in self.tables:
            parts.append(f"\\paragraph{{{escape(table.title)}}}")
            parts.append(table.frame.to_latex(index=table.index, escape=True))
        parts += [escape(note) + "\n" for note in self.notes]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()


def study_summary(results: StudyResults) -> Summary:
    """The summary of a study's results: settings, per-pair CARs, aggregate tests, notes.

    Above :data:`~eventstudy.output.rows.TOP_PAIRS` event-asset pairs the CAR table keeps
    the most significant ones, as the reports do, and at most :data:`SKIPPED_LINES`
    skipped pairs are listed: the full tables are ``car.csv`` and ``skipped.csv``.
    """
    ranked = ranked_pairs(results)
    shown = shown_pairs(ranked)
    title = "Cumulative abnormal returns"
    if shown is not None:
        title += (f" of the {len(shown)} most significant of {len(ranked):,} event-asset pairs (smallest p "
                  "over the first CAR window; every pair is in car.csv)")
    title += f" ({describe.t_test_text(results)}; p_emp: {describe.empirical_text(results)})"
    tables = [SummaryTable(title, car_summary_table(results, shown))]
    few = shown_scopes(results)
    aggregate = aggregate_summary_table(results, few)
    if not aggregate.empty:
        heading = "Aggregate tests: statistic (two-sided p)"
        if few.scopes_text():
            heading += f" for {few.scopes_text()} (every scope is in aggregate.csv)"
        tables.append(SummaryTable(heading, aggregate, index=True))
    notes = []
    note = clustering_note(results.diagnostics,
                           shared="the date of bar 0" if describe.intraday(results) else "a day 0")
    if note:
        notes.append(note)
    if len(results.skipped):
        listed, left = skipped_lines(results.skipped)
        lines = ["Skipped:"] + [f"  {line}" for line in listed]
        if left:
            lines.append(f"  ... and {left:,} more pairs (skipped.csv)")
        notes.append("\n".join(lines))
    notes.append(STAR_LEGEND)
    return Summary(header=_header(results), tables=tuple(tables), notes=tuple(notes))


def car_summary_table(results: StudyResults, pairs: set[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Per-pair CARs in percent (log % for log returns) with t, p-values and stars, one row per
    pair and window (only the (event_id, asset) ``pairs`` when given)."""
    car = only_pairs(results.car, pairs)
    unit = percent_unit(results.spec.returns, results.spec.measure)
    return pd.DataFrame({
        "event": car["event_id"] + " " + car["event"].str.slice(0, 40),
        "asset": car["asset"],
        "bar 0" if describe.intraday(results) else "day0": car["day0"],
        "window": [window_label(a, b) for a, b in zip(car["start"], car["end"], strict=True)],
        f"CAR {unit}": (100 * car["car"]).round(2),
        f"se {unit}": (100 * car["se"]).round(2),
        "t": car["t"].round(2),
        "p": car["pvalue"].round(4),
        "p_emp": car["pvalue_empirical"].round(4),
        "": car["pvalue"].map(stars),
    })


def aggregate_summary_table(results: StudyResults, shown: ShownScopes | None = None) -> pd.DataFrame:
    """Aggregate tests pivoted: one row per scope and window, statistic (p) per test (only the
    scopes ``shown`` keeps, when given)."""
    agg = results.aggregate
    if shown is not None:
        agg = agg[[shown.keeps(str(scope)) for scope in agg["scope"]]]
    if agg.empty:
        return pd.DataFrame()
    cell = agg["statistic"].map(lambda v: f"{v:.2f}") + " (" + agg["pvalue"].map(
        lambda v: f"{v:.3f}") + ")"
    caar = f"CAAR {percent_unit(results.spec.returns, results.spec.measure)}"
    table = agg.assign(cell=cell, window=[window_label(a, b) for a, b in zip(agg["start"], agg["end"],
                                                                             strict=True)])
    table[caar] = (100 * agg["caar"]).round(2)
    return table.pivot_table(index=["scope", "window", "n", caar], columns="test", values="cell",
                             aggfunc="first", sort=False)


def clustering_note(diagnostics: Mapping[str, Any], shared: str = "a day 0") -> str:
    """Dependence between the pairs and the tests suited to it ("" without dependence).

    ``diagnostics`` is the study's (:func:`eventstudy.inference.clustering` over the
    first CAR window, with the recommended tests and cautions of
    :func:`eventstudy.inference.recommended_tests`); ``shared`` names what clustered
    pairs share (``the date of bar 0`` in an intraday study).
    """
    caution = dict(diagnostics.get("caution") or {})
    if not (diagnostics.get("n_clustered") or diagnostics.get("n_overlapping")) or not caution:
        return ""
    parts = []
    if diagnostics.get("n_clustered"):
        dates = list(diagnostics["clustered_day0"])
        more = "" if len(dates) <= 5 else ", ..."
        parts.append(f"{diagnostics['n_clustered']} of {diagnostics['n_pairs']} pairs share {shared} "
                     f"({', '.join(str(d) for d in dates[:5])}{more})")
    if diagnostics.get("n_overlapping"):
        parts.append(f"{diagnostics['n_overlapping']} have windows that overlap another pair's in calendar "
                     "time")
    window = diagnostics.get("window") or ["?", "?"]
    return (f"Dependence: {'; '.join(parts)}; average cross-correlation r = {diagnostics['rbar']:.3f} over "
            f"[{window[0]},{window[1]}]. Tests suited to this dependence: "
            f"{', '.join(diagnostics.get('recommended_tests') or []) or 'none'}. May over-reject here: "
            f"{', '.join(caution)} (the note column of aggregate.csv says why; prefer the recommended tests, "
            "or --one-per-day).")


def _header(results: StudyResults) -> list[str]:
    spec = results.spec
    bench = f" on {', '.join(spec.benchmark)}" if spec.benchmark else ""
    n_pairs = results.car[["event_id", "asset"]].drop_duplicates().shape[0] if len(results.car) else 0
    skipped = results.skipped["event_id"].nunique() if len(results.skipped) else 0
    measure = measure_text(spec).rstrip(", ")
    counted = f" ({describe.span_unit(results)})" if describe.intraday(results) else ""
    title = f"Intraday event study ({spec.interval} bars)" if counted else "Event study"
    return [
        f"{title}: {measure}" if measure else title,
        f"  model: {MODELS[spec.model].name}{bench}; "
        f"{'log volume' if spec.measure == 'volume' else spec.returns + ' returns'}; estimation window "
        f"{list(spec.estimation)}; event window {list(spec.event_window)}{counted}",
        f"  {len(results.events)} events x {len(spec.assets)} assets: {n_pairs} pairs "
        f"computed, {skipped} events with skipped pairs or windows",
    ]
