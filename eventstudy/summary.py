"""Readable summaries of Results, as text (terminal) and HTML (notebooks)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from eventstudy.results import Results


def significance_stars(pvalue: float) -> str:
    """``***`` below 1%, ``**`` below 5%, ``*`` below 10%."""
    if pd.isna(pvalue):
        return ""
    return "***" if pvalue < 0.01 else "**" if pvalue < 0.05 else "*" if pvalue < 0.1 else ""


def car_summary_table(results: Results) -> pd.DataFrame:
    """Per-pair CARs in percent with t, p-values and stars, one row per pair and window."""
    car = results.car
    return pd.DataFrame({
        "event": car["event_id"] + " " + car["event"].str.slice(0, 40),
        "asset": car["asset"],
        "day0": car["day0"],
        "window": "[" + car["start"].astype(str) + "," + car["end"].astype(str) + "]",
        "CAR %": (100 * car["car"]).round(2),
        "se %": (100 * car["se"]).round(2),
        "t": car["t"].round(2),
        "p": car["pvalue"].round(4),
        "p_emp": car["pvalue_empirical"].round(4),
        "": car["pvalue"].map(significance_stars),
    })


def aggregate_summary_table(results: Results) -> pd.DataFrame:
    """Aggregate tests pivoted: one row per scope and window, statistic (p) per test."""
    agg = results.aggregate
    if agg.empty:
        return pd.DataFrame()
    cell = agg["statistic"].map(lambda v: f"{v:.2f}") + " (" + agg["pvalue"].map(
        lambda v: f"{v:.3f}") + ")"
    table = agg.assign(cell=cell, window="[" + agg["start"].astype(str) + "," + agg["end"].astype(str)
                       + "]", caar_pct=(100 * agg["caar"]).round(2))
    return table.pivot_table(index=["scope", "window", "n", "caar_pct"], columns="test", values="cell",
                             aggfunc="first", sort=False)


def clustering_note(results: Results) -> str:
    """A sentence on pairs sharing a day 0, pointing to the tests robust to it ("" if none)."""
    from eventstudy.inference import clustering

    report = clustering(results.arrays)
    if not report["n_clustered"]:
        return ""
    dates = ", ".join(str(d) for d in report["clustered_day0"][:5])
    more = "" if len(report["clustered_day0"]) <= 5 else ", ..."
    return (f"Clustering: {report['n_clustered']} of {report['n_pairs']} pairs share a day 0 "
            f"({dates}{more}); their abnormal returns may be correlated, so prefer kp and "
            f"patell_adj (average cross-correlation r = {report['rbar']:.3f}).")


def _header(results: Results) -> list[str]:
    s = results.settings
    bench = f" on {', '.join(s['benchmarks'])}" if s["benchmarks"] else ""
    return [
        "Event study",
        f"  model: {s['model']}{bench}; {s['returns']} returns; estimation window "
        f"{s['estimation']}; event window {s['event_window']}",
        f"  {len(results.events)} events x {len(s['assets'])} assets: {len(results.pairs)} pairs "
        f"computed, {results.skipped['event_id'].nunique() if len(results.skipped) else 0} "
        "events with skipped pairs or windows",
    ]


def text_summary(results: Results) -> str:
    """Plain-text summary for the terminal and ``print(results)``."""
    lines = _header(results)
    with pd.option_context("display.width", 160, "display.max_rows", 500, "display.max_columns", 30):
        lines += ["", "Cumulative abnormal returns (t with the model's residual degrees of freedom; "
                  "p_emp: rank among the estimation window's CARs)",
                  car_summary_table(results).to_string(index=False)]
        aggregate = aggregate_summary_table(results)
        if not aggregate.empty:
            lines += ["", "Aggregate tests: statistic (two-sided p)", aggregate.to_string()]
    note = clustering_note(results)
    if note:
        lines += ["", note]
    if len(results.skipped):
        lines += ["", "Skipped:"] + [f"  {r.event_id} {r.asset}: {r.reason}"
                                     for r in results.skipped.itertuples(index=False)]
    lines += ["", "* p<0.10, ** p<0.05, *** p<0.01"]
    return "\n".join(lines)


def html_summary(results: Results) -> str:
    """HTML summary for Jupyter."""
    parts = [f"<p>{'<br>'.join(_header(results))}</p>",
             car_summary_table(results).to_html(index=False)]
    aggregate = aggregate_summary_table(results)
    if not aggregate.empty:
        parts.append(aggregate.to_html())
    note = clustering_note(results)
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    return "\n".join(parts)
