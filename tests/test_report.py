"""The report: self-contained HTML, Markdown and LaTeX whose numbers equal the CSV files."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT, require_shared_data
from test_plotting import read_real_prices

from eventstudy.events import Events
from eventstudy.output import describe
from eventstudy.output.html import html_report
from eventstudy.output.latex import car_latex, escape
from eventstudy.output.markdown import markdown_report
from eventstudy.results import Results


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A results folder of the seed events on real IMOEX and RUBUSD prices (summary figures)."""
    from eventstudy.study import EventStudy

    prices, provenance = read_real_prices(require_shared_data(), with_provenance=True)
    results = EventStudy(REPO_ROOT / "seeds" / "events.csv", prices, provenance=provenance).run()
    return results.save(tmp_path_factory.mktemp("report") / "out", figures="summary",
                        figure_formats=["png", "svg"])


class Collector(HTMLParser):
    """Tags with attributes, and the text of every table cell by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.styles: list[str] = []
        self._table: str | None = None
        self._row: dict[str, str] | None = None
        self._col: str | None = None
        self._part: str | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "style":
            self._in_style = True
        elif tag == "table":
            self._table = attributes.get("id") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self._row = {k: v or "" for k, v in attributes.items() if k.startswith("data-")}
        elif tag == "td" and self._row is not None:
            self._col = attributes.get("data-col")
            if self._col:
                self._row.setdefault(self._col, "")
        elif tag == "span" and self._col and attributes.get("data-part"):
            self._part = f"{self._col}:{attributes['data-part']}"
            self._row.setdefault(self._part, "")  # type: ignore[union-attr]

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        elif tag == "td":
            self._col = None
        elif tag == "span":
            self._part = None
        elif tag == "tr" and self._row is not None:
            if any(k for k in self._row if not k.startswith("data-")):
                self.tables[self._table].append(self._row)  # type: ignore[index]
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        if self._row is not None and self._col:
            self._row[self._col] += data
            if self._part:
                self._row[self._part] += data


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def fmt_p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def test_html_makes_no_external_request(saved):
    """Everything is inline: images are data: URIs, scripts have no src, links stay on the page or
    name a result file beside it. (The browser test checks at run time that no request is made.)"""
    html = (saved / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    sources = [a["src"] for _, a in page.tags if "src" in a]
    assert sources and all(str(s).startswith("data:image/") for s in sources)
    scripts = [a for tag, a in page.tags if tag == "script"]
    assert scripts and all("src" not in a and a.get("type") in (None, "application/json") for a in scripts)
    for tag, attributes in page.tags:
        href = attributes.get("href")
        if href is not None:
            assert tag == "a", f"<{tag} href={href!r}> may load something"
            local = not re.match(r"^[a-z][a-z0-9+.-]*:|//", href) and ".." not in href
            assert href.startswith("#") or (local and (saved / href).is_file()), f"{href!r} leaves the page"
        assert tag not in ("link", "iframe", "object", "embed", "base")
        for name, value in attributes.items():
            if name in ("srcset", "poster", "action", "data") or name.startswith("on"):
                raise AssertionError(f"<{tag} {name}={value!r}> may load something")
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)  # the JS library's own strings
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", markup)


def test_html_sections_and_embedded_figures(saved):
    html = (saved / "report.html").read_text(encoding="utf-8")
    for heading in ["Summary", "Cumulative abnormal returns", "Aggregate tests", "Figures", "Events",
                    "Data sources", "Settings and method", "Skipped pairs and warnings"]:
        assert f">{heading}</h2>" in html
    assert html.count("<figure") == 7  # timeline, its zoom, 2 CAAR, 3 forest plots
    assert "estimation window contains GENEVA21" in html  # overlap flags are reported
    assert "IMOEX_close_candles_2014_2026.csv" in html  # provenance names the file


def test_html_car_tables_equal_the_csv(saved):
    car = pd.read_csv(saved / "car.csv")
    page = parse((saved / "report.html").read_text(encoding="utf-8"))
    checked = 0
    for (start, end), rows in car.groupby(["start", "end"], sort=False):
        table = page.tables[f"car_{start}_{end}"]
        assert len(table) == len(rows)
        for shown, expected in zip(table, rows.itertuples(index=False), strict=True):
            assert shown["data-event"] == expected.event_id and shown["data-asset"] == expected.asset
            assert float(shown["car"]) == pytest.approx(round(100 * expected.car, 2), abs=1e-9)
            assert float(shown["se"]) == pytest.approx(round(100 * expected.se, 2), abs=1e-9)
            assert float(shown["t"]) == pytest.approx(round(expected.t, 2), abs=1e-9)
            assert shown["pvalue"] == fmt_p(expected.pvalue)
            assert shown["pvalue_empirical"] == fmt_p(expected.pvalue_empirical)
            stars = "***" if expected.pvalue < 0.01 else "**" if expected.pvalue < 0.05 else (
                "*" if expected.pvalue < 0.1 else "")
            assert shown["stars"] == stars
            assert shown["day0"] == expected.day0
            checked += 1
    assert checked == 54  # 9 events x 2 assets x 3 windows


def test_html_aggregate_tables_equal_the_csv(saved):
    aggregate = pd.read_csv(saved / "aggregate.csv")
    page = parse((saved / "report.html").read_text(encoding="utf-8"))
    for (start, end), rows in aggregate.groupby(["start", "end"], sort=False):
        table = {row["scope"]: row for row in page.tables[f"aggregate_{start}_{end}"]}
        for r in rows.itertuples(index=False):
            shown = table[r.scope]
            assert int(shown["n"]) == r.n
            assert float(shown["caar"]) == pytest.approx(round(100 * r.caar, 2), abs=1e-9)
            assert float(shown[f"{r.test}:statistic"]) == pytest.approx(round(r.statistic, 2), abs=1e-9)
            assert shown[f"{r.test}:pvalue"] == fmt_p(r.pvalue)


def test_html_overview_and_sources(saved):
    car = pd.read_csv(saved / "car.csv")
    page = parse((saved / "report.html").read_text(encoding="utf-8"))
    overview = {row["event_id"]: row for row in page.tables["overview"]}
    for r in car.itertuples(index=False):
        cell = overview[r.event_id][f"{r.asset}:{r.start},{r.end}"]
        assert float(cell.rstrip("*")) == pytest.approx(round(100 * r.car, 2), abs=1e-9)
    import json

    study = json.loads((saved / "study.json").read_text())
    sources = {row["asset"]: row for row in page.tables["sources"]}
    for series in study["provenance"]:
        assert sources[series["asset"]]["sha256"] == series["sha256"][:12]
        assert sources[series["asset"]]["range"] == f"{series['first']} to {series['last']}"


def markdown_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Pipe tables under each ``###``/``##`` heading."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, header = "", None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, header = line.lstrip("# ").strip(), None
        elif line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if header is None:
                header = cells
            elif not set("".join(cells)) <= set("-:"):
                tables.setdefault(heading, []).append(dict(zip(header, cells, strict=True)))
        else:
            header = None if not line.strip() else header
    return tables


def test_markdown_numbers_equal_the_csv(saved):
    tables = markdown_tables((saved / "report.md").read_text(encoding="utf-8"))
    car = pd.read_csv(saved / "car.csv")
    for (start, end), rows in car.groupby(["start", "end"], sort=False):
        shown = tables[f"CAR [{start},{end}]"]
        assert len(shown) == len(rows)
        for row, r in zip(shown, rows.itertuples(index=False), strict=True):
            assert (row["event"], row["asset"]) == (r.event_id, r.asset)
            assert float(row["CAR log %"]) == pytest.approx(round(100 * r.car, 2), abs=1e-9)
            assert float(row["t"]) == pytest.approx(round(r.t, 2), abs=1e-9)
            assert row["p"] == fmt_p(r.pvalue)
    aggregate = pd.read_csv(saved / "aggregate.csv")
    for r in aggregate.itertuples(index=False):
        row = {x["scope"]: x for x in tables[f"CAAR [{r.start},{r.end}]"]}[r.scope]
        statistic, pvalue = re.match(r"(-?[\d.]+)\**\s+\((.+)\)", row[r.test]).groups()  # type: ignore[union-attr]
        assert float(statistic) == pytest.approx(round(r.statistic, 2), abs=1e-9)
        assert pvalue == fmt_p(r.pvalue)
        assert float(row["CAAR log %"]) == pytest.approx(round(100 * r.caar, 2), abs=1e-9)
    text = (saved / "report.md").read_text(encoding="utf-8")
    assert "](figures/timeline.png)" in text


def latex_number(cell: str) -> float:
    return float(cell.replace("$-$", "-").split("$^")[0].replace(r"\dag{}", "").strip("()"))


def test_latex_tables_equal_the_csv(saved):
    car_tex = (saved / "tables" / "car.tex").read_text(encoding="utf-8")
    assert car_tex.count(r"\begin{tabular}") == 1 and r"\toprule" in car_tex and r"\bottomrule" in car_tex
    assert "SUMMIT\\_AGREED" in car_tex and "SUMMIT_AGREED" not in car_tex.replace("SUMMIT\\_AGREED", "")
    car = pd.read_csv(saved / "car.csv")
    windows = list(dict.fromkeys(zip(car["start"], car["end"], strict=True)))
    rows = [line for line in car_tex.splitlines() if line.startswith(r"\quad ")]
    assert len(rows) == car[["event_id", "asset"]].drop_duplicates().shape[0]
    pairs = list(dict.fromkeys(zip(car["event_id"], car["asset"], strict=True)))
    for line, (event_id, asset) in zip(rows, pairs, strict=True):
        cells = [c.strip() for c in line.rstrip("\\ ").split("&")]
        assert cells[0] == rf"\quad {asset}"
        for k, (start, end) in enumerate(windows):
            r = car[(car["event_id"] == event_id) & (car["asset"] == asset) & (car["start"] == start)
                    & (car["end"] == end)].iloc[0]
            assert latex_number(cells[2 + 2 * k]) == pytest.approx(round(100 * r.car, 2), abs=1e-9)
            assert latex_number(cells[3 + 2 * k]) == pytest.approx(round(r.t, 2), abs=1e-9)
    agg_tex = (saved / "tables" / "aggregate.tex").read_text(encoding="utf-8")
    assert r"t\_cs" in agg_tex and r"CAAR (log \%)" in agg_tex and "(<" not in agg_tex
    aggregate = pd.read_csv(saved / "aggregate.csv")
    scopes = re.search(r"^% Columns: (.*)\.$", agg_tex, re.M).group(1).split(", ")  # type: ignore[union-attr]
    assert scopes == list(dict.fromkeys(aggregate["scope"]))
    shown: dict[tuple[int, int, str, str], tuple[str, str]] = {}
    window, test = None, None
    for line in agg_tex.splitlines():
        cells = [c.strip() for c in line.rstrip("\\ ").split("&")]
        found = re.search(r"Window \$\[(-?\d+),(-?\d+)\]\$", line)
        if found:
            window = (int(found.group(1)), int(found.group(2)))
        elif window and len(cells) == len(scopes) + 1:
            label = cells[0]
            if label in ("$N$", r"CAAR (\%)"):
                for scope, cell in zip(scopes, cells[1:], strict=True):
                    shown[(*window, scope, label)] = (cell, "")
            elif label:
                test = label.replace("\\_", "_")
                for scope, cell in zip(scopes, cells[1:], strict=True):
                    shown[(*window, scope, test)] = (cell, "")
            else:
                for scope, cell in zip(scopes, cells[1:], strict=True):
                    stat = shown[(*window, scope, test)][0]  # type: ignore[misc]
                    shown[(*window, scope, test)] = (stat, cell.strip("()").replace("$<$", "<"))  # type: ignore[misc]
    for r in aggregate.itertuples(index=False):
        stat, p = shown[(r.start, r.end, r.scope, r.test)]
        assert latex_number(stat) == pytest.approx(round(r.statistic, 2), abs=1e-9)
        assert p == fmt_p(r.pvalue)
        assert int(shown[(r.start, r.end, r.scope, "$N$")][0]) == r.n
        caar = shown[(r.start, r.end, r.scope, r"CAAR (log \%)")][0]
        assert latex_number(caar) == pytest.approx(round(100 * r.caar, 2), abs=1e-9)


def test_latex_escape():
    assert escape("A_B & 5% #1 $x {y} ~ ^ \\ <") == (r"A\_B \& 5\% \#1 \$x \{y\} \textasciitilde{} "
                                                       r"\textasciicircum{} \textbackslash{} \textless{}")


def test_special_characters_in_labels_are_escaped(saved):
    data = Results.from_folder(saved)
    data.car = data.car.assign(event=data.car["event"].where(data.car["event_id"] != "DEADLINE",
                                                             "Tariffs & 100% <sanctions>_2"))
    data.events = Events(frame=data.events.frame.assign(source="https://example.org/news?a=1&b=2"))

    tex = car_latex(data)
    assert r"\textit{Tariffs \& 100\% \textless{}sanctions\textgreater{}\_2}" in tex
    html = html_report(data)
    assert "Tariffs &amp; 100% &lt;sanctions&gt;_2" in html
    assert 'href="https://example.org' not in html and "https://example.org/news?a=1&amp;b=2" in html
    assert "Tariffs & 100% &lt;sanctions&gt;_2" in markdown_report(data)


def test_results_round_trip_through_the_folder(saved):
    data = Results.from_folder(saved)
    car = pd.read_csv(saved / "car.csv")
    assert data.car["car"].tolist() == car["car"].tolist()
    assert list(data.events.frame["id"])[:2] == ["GENEVA21", "INVASION22"]
    assert set(data.prices) == {"IMOEX", "RUBUSD"}
    start, end = describe.timeline_span(data)
    # the saved prices cover the earliest estimation window (GENEVA21, 2021) to the last event window
    assert start < pd.Timestamp("2020-07-01") and end >= pd.Timestamp("2025-09-01")
    assert "constant-mean model" in describe.caption(data).lower()
    assert "IMOEX: file IMOEX_close_candles_2014_2026.csv" in describe.caption(data)


def test_not_a_results_folder(tmp_path):
    from eventstudy.errors import InputError

    with pytest.raises(InputError, match="not an eventstudy results folder"):
        Results.from_folder(tmp_path)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_tables_compile(saved, tmp_path):
    document = tmp_path / "doc.tex"
    document.write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{booktabs}"
                        "\\usepackage[margin=2cm]{geometry}\\begin{document}"
                        f"\\begin{{table}}\\small\\input{{{saved / 'tables' / 'car.tex'}}}\\end{{table}}"
                        f"\\begin{{table}}\\footnotesize\\input{{{saved / 'tables' / 'aggregate.tex'}}}"
                        "\\end{table}\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes()[:5] == b"%PDF-"
