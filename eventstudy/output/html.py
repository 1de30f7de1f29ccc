"""The self-contained HTML report (no external request of any kind)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eventstudy.output import charts, describe, interactive
from eventstudy.output.describe import StudyResults
from eventstudy.output.extras import extra_sections
from eventstudy.output.figures.plan import FigureSet
from eventstudy.output.format import STAR_NOTE, legend_of_tests, pct, stars, window_label
from eventstudy.output.rows import (
    LISTED_ROWS,
    TOP_PAIRS,
    ShownScopes,
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

IMAGE_BUDGET = 3_000_000  # characters of base64 images (overview figures first); the rest are linked

# -- HTML ----------------------------------------------------------------------------------------------

STYLE = """
:root{--ink:#1d1d1f;--mute:#5b5b60;--line:#d9d9de;--band:#f4f5f7;--accent:#0072B2}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);max-width:1120px;margin:0 auto;padding:28px 28px 60px;line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-top:10px;
border-top:2px solid var(--ink)}h3{font-size:15px;margin:20px 0 6px}
p.lede{color:var(--mute);margin:0 0 14px}
nav{font-size:13px;color:var(--mute);margin:10px 0 0}
nav a{color:var(--accent);text-decoration:none;margin-right:12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:210px;flex:1}
.card b{display:block;font-size:20px}.card span{color:var(--mute);font-size:12.5px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{border-bottom:1.5px solid var(--ink);text-align:left;background:#fff;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}td.s{color:#b34700;font-weight:600;padding-left:0;width:2.2em}
tbody tr:nth-child(even){background:var(--band)}
table.car tbody tr{background:none}table.car tbody tr.first td{border-top:1.5px solid #b9b9c0}
table.car td{border-bottom:none}.agg{display:flex;flex-wrap:wrap;gap:0 34px;align-items:flex-start}
details>summary{cursor:pointer;margin:10px 0}
td.label{min-width:12em;max-width:330px}td[data-col=event_id]{white-space:nowrap}td.small,span.small{font-size:12px;color:var(--mute)}
table.kv th{text-align:left;font-weight:600;padding-right:18px;white-space:nowrap}
figure{margin:18px 0 26px;page-break-inside:avoid}figure img{max-width:100%;height:auto;
border:1px solid var(--line)}figcaption{font-size:13px;color:var(--mute);margin-top:4px}
.note{font-size:13px;color:var(--mute)}ul.warn li{margin:3px 0}
code{font-size:12.5px;background:var(--band);padding:0 3px;border-radius:3px}
@media print{body{max-width:none;padding:0;font-size:11pt}nav{display:none}h2{page-break-after:avoid}}
""" + interactive.INTERACTIVE_STYLE


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _html_table(headers: Sequence[tuple[str, str, str]], rows: Iterable[Mapping[str, str]],
                table_id: str = "", extra: str = ' class="sortable"') -> str:
    """``headers``: (key, title, css class) per column."""
    head = "".join(f'<th class="{c}">{_e(t)}</th>' for _, t, c in headers)
    body = "".join("<tr>" + "".join(f'<td class="{c}" data-col="{_e(k)}">{_e(row.get(k, ""))}</td>'
                                    for k, _, c in headers) + "</tr>" for row in rows)
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return (f'<div class="scroll"><table{ident}{extra}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def html_report(results: StudyResults, figures: FigureSet | None = None, folder: Path | None = None, *,
                title: str | None = None) -> str:
    """The self-contained HTML report; ``title`` replaces the default title.

    Interactive (plotly.js charts, sortable and searchable tables, the result files of ``folder``
    downloadable from the page) and self-contained: everything is inline. Studies with more than
    ``TOP_PAIRS`` event-asset pairs show the most significant ones in the overview, the CAR
    tables and the charts, and link the full CSV files. The page stays under
    ``interactive.PAGE_LIMIT`` bytes: if the figures and files would take it over, they are linked
    (``figures/*.png``, ``car.csv`` beside ``report.html``) instead of embedded.
    """
    return html_report_builder(results, figures, folder, title=title)()


def html_report_builder(results: StudyResults, figures: FigureSet | None = None, folder: Path | None = None,
                        *, title: str | None = None) -> Callable[[], str]:
    """:func:`html_report` in two steps: every part of the page but the figures now (the
    tables of ``folder`` already written), and the returned function, called once the
    figures of ``figures`` are drawn, which adds them and returns the page.

    ``eventstudy run`` builds the page while worker processes draw the figures.
    """
    heading = title or describe.title(results)
    ranked = ranked_pairs(results)
    shown = shown_pairs(ranked)
    few = shown_scopes(results)
    drawn = [c for c in (charts.prices_chart(results, few.assets),
                         charts.car_path_chart(results, ranked[:TOP_PAIRS]),
                         charts.forest_chart(results, ranked[:TOP_PAIRS])) if c is not None]
    before = [
        ("summary", "Summary", _html_summary(results, shown, len(ranked), few)),
        ("charts", "Interactive charts", _html_charts(drawn, shown)),
        ("car", "Cumulative abnormal returns", _html_car(results, shown, len(ranked))),
        ("aggregate", "Aggregate tests", _html_aggregate(results, few)),
        *[(s.key, s.title, "".join(f"<p>{_e(line)}</p>" for line in s.lines) + (_html_table(
            [(k, t, "") for k, t in s.headers.items()], s.rows) if s.rows else ""))
          for s in extra_sections(results)],
    ]
    after = [
        ("events", "Events", _html_events(results)),
        ("data", "Data sources", _html_sources(results)),
        ("settings", "Settings and method", _html_settings(results)),
        ("warnings", "Skipped pairs and warnings", _html_warnings(results, figures)),
    ]
    names = results.car["asset"].unique().tolist()
    assets = ", ".join(names) if few.assets is None else f"{len(names):,} assets"
    assets = assets or "no assets"
    lede = (f"{len(results.events.frame)} events \u00b7 {assets}"
            f" \u00b7 {describe.model_text(results)} \u00b7 source: {describe.source_text(results)}")
    embedded_files = interactive.embedded_files(folder, limit=interactive.EMBED_TOTAL_LIMIT)

    def page(image_budget: int, files: tuple[dict[str, str], dict[str, int]]) -> str:
        embedded, sizes = files
        sections = [*before, ("figures", "Figures", _html_figures(figures, image_budget)), *after]
        nav = "".join(f'<a href="#{key}">{_e(name)}</a>' for key, name, _ in sections)
        body = "".join(f'<section id="{key}"><h2>{_e(name)}</h2>{content}</section>'
                       for key, name, content in sections)
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{_e(heading)}</title><style>{STYLE}</style></head><body>"
                f"<header><h1>{_e(heading)}</h1><p class=\"lede\">{_e(lede)}</p><nav>{nav}</nav>"
                f"{interactive.downloads_block(embedded, sizes)}</header>"
                f"{body}{interactive.scripts(drawn, embedded)}</body></html>\n")

    def finish() -> str:
        full = page(IMAGE_BUDGET, embedded_files)
        if len(full.encode("utf-8")) <= interactive.PAGE_LIMIT:
            return full
        return page(0, interactive.embedded_files(folder, limit=0))

    return finish


def _capped_note(shown: set[tuple[str, str]] | None, total: int, where: str) -> str:
    if shown is None:
        return ""
    return (f'<p class="capped">This study has {total:,} event-asset pairs: {where} shows the {len(shown)} '
            "most significant (smallest p over the first CAR window). Every pair is in "
            '<a href="car.csv">car.csv</a> (and day by day in <a href="abnormal_returns.csv">'
            "abnormal_returns.csv</a>).</p>")


def _html_charts(drawn: Sequence[charts.Chart], shown: set[tuple[str, str]] | None) -> str:
    if not drawn:
        return "<p>No charts: no prices or pairs.</p>"
    note = ("<p class=note>Hover for values; drag to zoom (double-click to zoom out); click a legend "
            "entry to hide or show it, double-click to show it alone. The CAR paths start with the "
            f"{charts.VISIBLE_PATHS} most significant pairs; the others are in the legend. "
            "The static figures below are for print.</p>")
    capped = ("" if shown is None else
              f"<p class=note>The CAR charts draw the {len(shown)} most significant pairs.</p>")
    return note + capped + interactive.chart_blocks(drawn)


def _html_summary(results: StudyResults, shown: set[tuple[str, str]] | None, total: int,
                  few: ShownScopes) -> str:
    windows = describe.windows(results)
    cards = []
    if windows and len(results.car):
        w = windows[0]
        first = results.car[(results.car["start"] == w[0]) & (results.car["end"] == w[1])]
        significant = int((first["pvalue"] < 0.05).sum())
        top = first.iloc[int(np.argmax(first["car"].abs().to_numpy()))] if len(first) else None
        cards.append(f"<div class=card><b>{len(first)}</b><span>event-asset pairs computed "
                     f"({len(results.skipped)} skipped)</span></div>")
        cards.append(f"<div class=card><b>{significant}</b><span>with CAR{_e(window_label(*w))} "
                     "significant at 5%</span></div>")
        if top is not None:
            cards.append(f"<div class=card><b>{pct(top['car'])} {_e(describe.unit(results))}"
                         f"{_e(stars(top['pvalue']))}</b><span>largest "
                         f"CAR{_e(window_label(*w))}: {_e(top['event_id'])} / {_e(top['asset'])}, "
                         f"{describe.day0_label(results)} {_e(top['day0'])}</span></div>")
    assets, windows, rows = overview(results, shown, few.assets)
    headers = [("event_id", "event", ""), ("event", "label", "label"), ("date", "date", "n")]
    headers += [(f"{a}:{w[0]},{w[1]}", f"{a} {window_label(*w)}", "n") for a in assets for w in windows]
    few_note = "".join(f'<p class="capped">{_e(note)}</p>' for note in few.notes())
    return (f'<div class="cards">{"".join(cards)}</div>'
            f"<p class=note>CAR in {_e(describe.unit(results))} per event, asset and window; "
            + _e(STAR_NOTE) + ".</p>" + few_note
            + _capped_note(shown, total, "the overview") + _html_table(headers, rows, "overview"))


def _html_car(results: StudyResults, shown: set[tuple[str, str]] | None, total: int) -> str:
    empirical = ("p (same clock time): rank of the CAR among the estimation CARs of the same length "
                 "starting at the same clock time" if describe.intraday(results) else
                 "p (empirical): rank of the CAR among the estimation window's CARs of the same length")
    parts = [_capped_note(shown, total, "each CAR table"),
             "<p class=note>One table per CAR window. " + _e(STAR_NOTE) + "; " + empirical + "; "
             "\u2020: overlap warning (see below).</p>"]
    cls = {"car": "n", "se": "n", "t": "n", "pvalue": "n", "pvalue_empirical": "n", "day0": "n",
           "stars": "s", "event": "label", "#": "n"}
    headers = [(k, t, cls.get(k, "")) for k, t in car_headers(results).items()]
    for w in describe.windows(results):
        parts.append(f"<h3>CAR {_e(window_label(*w))}</h3>")
        head = "".join(f'<th class="{c}">{_e(t)}</th>' for _, t, c in headers)
        body, previous = [], None
        for row in car_rows(results, w, shown):
            repeat = row["event_id"] == previous
            previous = row["event_id"]
            blank = ("#", "event_id", "event") if repeat else ()
            cells = "".join(
                f'<td class="{c}" data-col="{_e(k)}" data-value="{_e(row.get(k, ""))}"></td>' if k in blank
                else f'<td class="{c}" data-col="{_e(k)}">{_e(row.get(k, ""))}</td>' for k, _, c in headers)
            style = "" if repeat else ' class="first"'
            body.append(f'<tr{style} data-event="{_e(row["event_id"])}" data-asset="{_e(row["asset"])}">'
                        f"{cells}</tr>")
        parts.append(f'<div class="scroll"><table class="car sortable" id="car_{w[0]}_{w[1]}" '
                     f'data-window="{w[0]},{w[1]}"><thead><tr>{head}</tr></thead>'
                     f'<tbody>{"".join(body)}</tbody></table></div>')
    return "".join(parts)


def _html_aggregate(results: StudyResults, few: ShownScopes) -> str:
    blocks = aggregate_blocks(results, few)
    if not blocks:
        return "<p>No aggregate tests (fewer than two pairs).</p>"
    legend = legend_of_tests(t for _, tests, _ in blocks for t in tests)
    parts = ["<p class=note>Per window and scope (all pairs, each asset, each event group): the number "
             "of pairs, the CAAR and each test's statistic with its two-sided p-value beneath. "
             + _e(STAR_NOTE.split(" (")[0]) + ". " + _e(legend) + ".</p>"]
    tables = []
    for w, tests, rows in blocks:
        head = (f'<th>scope</th><th class="n">n</th><th class="n">CAAR {_e(describe.unit(results))}</th>'
                + "".join(f'<th class="n">{_e(t)}</th>' for t in tests)
                + ("<th>note</th>" if any(r["note"] for r in rows) else ""))
        body = []
        for r in rows:
            cells = [f'<td data-col="scope">{_e(r["scope"])}</td>',
                     f'<td class="n" data-col="n">{_e(r["n"])}</td>',
                     f'<td class="n" data-col="caar">{_e(r["caar"])}</td>']
            for t in tests:
                statistic = _e(r.get(t + ":statistic", ""))
                cells.append(f'<td class="n" data-col="{_e(t)}" data-value="{statistic}">'
                             '<span data-part="statistic">'
                             f'{_e(r.get(t + ":statistic", ""))}</span><span class="s">'
                             f'{_e(r.get(t + ":stars", ""))}</span><br>'
                             '<span class="small" data-part="pvalue">'
                             f'{_e(r.get(t + ":pvalue", ""))}</span></td>')
            if any(x["note"] for x in rows):
                cells.append(f'<td class="small" data-col="note">{_e(r["note"])}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        tables.append(f"<div><h3>CAAR {_e(window_label(*w))}</h3><div class=scroll><table class=sortable "
                      f'id="aggregate_{w[0]}_{w[1]}" data-window="{w[0]},{w[1]}"><thead><tr>{head}</tr>'
                      f"</thead><tbody>{''.join(body)}</tbody></table></div></div>")
    wide = max(len(tests) for _, tests, _ in blocks) > 2
    return "".join(parts) + (("".join(tables)) if wide else f'<div class="agg">{"".join(tables)}</div>')


def _html_figures(figures: FigureSet | None, budget: int) -> str:
    """The static figures, embedded while ``budget`` (base64 characters) lasts, overview figures
    first; the others are linked."""
    if figures is None or not figures.records:
        notes = figures.notes if figures is not None else []
        return "<p>No figures.</p>" + "".join(f"<p class=note>{_e(n)}</p>" for n in notes)
    parts = [f"<p class=note>{_e(n)}</p>" for n in figures.notes]
    overview_parts: list[str] = []
    detail_parts: list[str] = []
    singles = [r for r in figures.records if r.kind == "asset_timeline"]
    if singles:
        parts.append("<p class=note>Each asset's timeline on its own (not shown here): "
                     + _e(", ".join(f"figures/{p.name}" for r in singles for p in r.files.values())) + "</p>")
    shown = [r for r in figures.records if r.kind != "asset_timeline"]
    linked: list[str] = []
    numbered = sorted(enumerate(shown, start=1), key=lambda item: item[1].kind in ("pair", "event"))
    for number, record in numbered:
        path = record.files.get("png") or record.files.get("svg")
        if path is None or not path.is_file():
            continue
        files = ", ".join(f"figures/{p.name}" for p in record.files.values())
        detail = record.kind in ("pair", "event")
        if 4 * (path.stat().st_size + 2) // 3 > budget:
            linked.append(f'<a href="figures/{_e(path.name)}">{_e(path.name)}</a>')
            continue
        mime = "image/png" if path.suffix == ".png" else "image/svg+xml"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        budget -= len(data)
        block = (f'<figure id="fig-{_e(record.name)}"><img alt="{_e(record.title)}" '
                 f'src="data:{mime};base64,{data}"><figcaption><b>Figure {number}.</b> {_e(record.title)}. '
                 f"{_e(record.description)} <span class=small>({_e(files)})</span></figcaption></figure>")
        (detail_parts if detail else overview_parts).append(block)
    parts += overview_parts
    if detail_parts:
        parts.append(f"<details open><summary><b>Per-event figures ({len(detail_parts)})</b>: each "
                     "event's assets together, then each event-asset pair</summary>"
                     + "".join(detail_parts) + "</details>")
    if linked:
        parts.append(f"<details><summary><b>{len(linked)} figures</b> not embedded, so that this page "
                     "stays small: the files in figures/ beside report.html</summary><p class=small>"
                     + " \u00b7 ".join(linked) + "</p></details>")
    return "".join(parts)


def _html_events(results: StudyResults) -> str:
    headers = [("#", "#", "n"), ("id", "id", ""), ("date", "date", "n"), ("time", "local time", "n"),
               ("utc", "UTC", "n"),
               ("event", "event", "label"), ("group", "group", ""), ("assets", "assets", ""),
               ("source", "source", "small"), ("description", "description", "small label")]
    rows = event_rows(results)
    return ("<p class=note>Numbers are those of the timeline figures. A time means the announcement "
            "is placed at that instant; a bare date means during that day.</p>"
            + _listed_note(len(rows), "events", "events.csv")
            + _html_table(headers, rows[:LISTED_ROWS], "events"))


def _listed_note(total: int, what: str, file: str, column: str = "") -> str:
    """The note above a list cut at ``LISTED_ROWS`` items (empty when nothing is cut)."""
    words = listed_words(total, what)
    if not words:
        return ""
    within = f"the {_e(column)} column of " if column else ""
    return f'<p class="capped">{_e(words)}{within}<a href="{_e(file)}">{_e(file)}</a>.</p>'


def _html_sources(results: StudyResults) -> str:
    headers = [("asset", "asset", ""), ("description", "description", "label"), ("source", "source", ""),
               ("symbol", "symbol", ""), ("range", "range", "n"), ("sha256", "sha256", "small"),
               ("fetched", "fetched", "small")]
    return ("<p class=note>sha256: first 12 hex digits of the hash of the dates and values used "
            "(full hashes in study.json).</p>" + _html_table(headers, source_rows(results), "sources"))


def _html_settings(results: StudyResults) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in settings_rows(results))
    notes = "".join(f"<li>{_e(n)}</li>" for n in method_notes(results))
    return f'<table class="kv" id="settings">{rows}</table><h3>Method</h3><ul class="note">{notes}</ul>'


def _html_warnings(results: StudyResults, figures: FigureSet | None) -> str:
    parts = ["<h3>Skipped</h3>"]
    if len(results.skipped):
        headers = [("event_id", "event", ""), ("asset", "asset", ""), ("reason", "reason", "label")]
        skipped = results.skipped.head(LISTED_ROWS).to_dict("records")
        parts.append(_listed_note(len(results.skipped), "skipped pairs", "skipped.csv")
                     + _html_table(headers, [{str(k): text_cell(v) for k, v in r.items()} for r in skipped],
                                   "skipped"))
    else:
        parts.append("<p>None: every event-asset pair was computed.</p>")
    parts.append("<h3>Overlap warnings</h3>")
    total, notes = warnings_list(results)
    parts.append(_listed_note(total, "overlap warnings", "car.csv", "flags"))
    parts.append("<ul class=warn>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
                 if notes else "<p>None.</p>")
    return "".join(parts)

