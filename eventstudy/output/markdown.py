"""The report as Markdown; figures are linked from ``figures/``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eventstudy.output import describe
from eventstudy.output.describe import StudyResults
from eventstudy.output.extras import extra_sections
from eventstudy.output.figures.plan import FigureSet
from eventstudy.output.format import STAR_NOTE, legend_of_tests, window_label
from eventstudy.output.rows import (
    LISTED_ROWS,
    aggregate_blocks,
    car_headers,
    car_rows,
    event_rows,
    listed_words,
    method_notes,
    overview,
    ranked_pairs,
    settings_rows,
    shown_pairs,
    shown_scopes,
    source_rows,
    text_cell,
    warnings_list,
)

# -- Markdown ---------------------------------------------------------------------------------------


def _md_escape(value: Any) -> str:
    """Cell text: pipes escaped, and anything that could read as an HTML tag (``<b``, ``</``)."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text).replace(">", "&gt;") if "<" in text else text


def _md_table(headers: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, str]],
              right: Iterable[str] = ()) -> str:
    right = set(right)
    head = "| " + " | ".join(_md_escape(t) or " " for _, t in headers) + " |"
    rule = "|" + "|".join("---:" if k in right else "---" for k, _ in headers) + "|"
    lines = [head, rule] + ["| " + " | ".join(_md_escape(r.get(k, "")) for k, _ in headers) + " |"
                            for r in rows]
    return "\n".join(lines)


def _md_listed_note(total: int, what: str, file: str, column: str = "") -> list[str]:
    """The note above a list cut at ``LISTED_ROWS`` items, and a blank line (nothing when
    nothing is cut)."""
    words = listed_words(total, what)
    within = f"the {column} column of " if column else ""
    return [f"_{_md_escape(words)}{within}[{file}]({file})._", ""] if words else []


def markdown_report(results: StudyResults, figures: FigureSet | None = None,
                    folder: Path | None = None, *, title: str | None = None) -> str:
    """The report as Markdown; figures are linked from ``figures/``; ``title`` replaces the default."""
    heading = title or describe.title(results)
    out = [f"# {heading}", "",
           f"{len(results.events.frame)} events; model: {describe.model_text(results)}; "
           f"source: {describe.source_text(results)}.", ""]
    ranked = ranked_pairs(results)
    shown = shown_pairs(ranked)
    few = shown_scopes(results)
    assets, windows, rows = overview(results, shown, few.assets)
    unit = describe.unit(results)
    out += ["## Summary", "", f"CAR in {unit} per event, asset and window; {STAR_NOTE}.", ""]
    for note in few.notes():
        out += [f"_{note}_", ""]
    if shown is not None:
        out += [f"_The {len(shown)} most significant of {len(ranked)} event-asset pairs "
                "(smallest p over the first CAR window) are shown here and in the CAR tables; every "
                "pair is in [car.csv](car.csv)._", ""]
    headers = [("event_id", "event"), ("event", "label"), ("date", "date")]
    headers += [(f"{a}:{w[0]},{w[1]}", f"{a} {window_label(*w)}") for a in assets for w in windows]
    out += [_md_table(headers, rows, right=[k for k, _ in headers[3:]]), ""]
    out += ["## Cumulative abnormal returns", ""]
    for w in describe.windows(results):
        out += [f"### CAR {window_label(*w)}", "",
                _md_table(list(car_headers(results).items()), car_rows(results, w, shown),
                          right=["car", "se", "t", "pvalue", "pvalue_empirical"]), ""]
    blocks = aggregate_blocks(results, few)
    legend = legend_of_tests(t for _, tests, _ in blocks for t in tests)
    out += ["## Aggregate tests", "",
            f"Statistic with stars, two-sided p-value in parentheses. {legend}.", ""]
    for w, tests, agg_rows in blocks:
        headers = [("scope", "scope"), ("n", "n"), ("caar", f"CAAR {unit}")] + [(t, t) for t in tests]
        cells = [{**r, **{t: f"{r.get(t + ':statistic', '')}{r.get(t + ':stars', '')} "
                          f"({r.get(t + ':pvalue', '')})" for t in tests}} for r in agg_rows]
        out += [f"### CAAR {window_label(*w)}", "",
                _md_table(headers, cells, right=["n", "caar", *tests]), ""]
        notes = [f"{r['scope']}: {r['note']}" for r in agg_rows if r["note"]]
        out += [f"Notes: {'; '.join(notes)}", ""] if notes else []
    for section in extra_sections(results):
        out += [f"## {section.title}", ""] + [f"- {line}" for line in section.lines] + [""]
        out += [_md_table(list(section.headers.items()), section.rows), ""] if section.rows else []
    out += ["## Figures", ""]
    if figures is not None:
        out += [f"_{n}_" for n in figures.notes] + ([""] if figures.notes else [])
        for record in figures.records:
            path = record.files.get("png") or record.files.get("svg") or next(iter(record.files.values()))
            if record.kind == "asset_timeline":
                out += [f"- [{_md_escape(record.title)}](figures/{path.name})", ""]
            else:
                out += [f"![{_md_escape(record.title)}](figures/{path.name})", ""]
    if figures is None or not figures.records:
        out += ["No figures.", ""]
    events = event_rows(results)
    out += ["## Events", "", *_md_listed_note(len(events), "events", "events.csv")]
    out += [_md_table([("#", "#"), ("id", "id"), ("date", "date"), ("time", "local time"), ("utc", "UTC"),
                       ("event", "event"), ("group", "group"), ("assets", "assets"), ("source", "source")],
                      events[:LISTED_ROWS]), ""]
    out += ["## Data sources", "", _md_table([("asset", "asset"), ("source", "source"), ("symbol", "symbol"),
                                              ("range", "range"), ("sha256", "sha256 (first 12)"),
                                              ("fetched", "fetched")], source_rows(results)), ""]
    settings = [{"k": k, "v": v} for k, v in settings_rows(results)]
    out += ["## Settings and method", "", _md_table([("k", "setting"), ("v", "value")], settings), ""]
    out += [f"- {n}" for n in method_notes(results)] + [""]
    out += ["## Skipped pairs and warnings", ""]
    if len(results.skipped):
        out += _md_listed_note(len(results.skipped), "skipped pairs", "skipped.csv")
        out += [_md_table([("event_id", "event"), ("asset", "asset"), ("reason", "reason")],
                          [{str(k): text_cell(v) for k, v in r.items()}
                           for r in results.skipped.head(LISTED_ROWS).to_dict("records")]), ""]
    else:
        out += ["Skipped: none.", ""]
    total, notes = warnings_list(results)
    if notes:
        out += ["Overlap warnings:", "", *_md_listed_note(total, "overlap warnings", "car.csv", "flags")]
        out += [f"- {n}" for n in notes]
    else:
        out += ["Overlap warnings: none."]
    return "\n".join(out).rstrip() + "\n"

