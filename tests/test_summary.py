"""The Summary value (statsmodels style): one set of tables, rendered as text, HTML and LaTeX."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import REPO_ROOT

import eventstudy as es
from eventstudy.output.summary import Summary, SummaryTable

SEEDS = REPO_ROOT / "seeds" / "events.csv"
STUDY = REPO_ROOT / "seeds" / "summer-2025.toml"


@pytest.fixture(scope="module")
def results() -> es.Results:
    return es.EventStudy.from_file(STUDY, SEEDS).run()


def test_summary_tables_hold_the_car_table_numbers(results: es.Results) -> None:
    summary = results.summary()
    assert isinstance(summary, Summary) and str(summary) == summary.as_text() == str(results)
    car = summary.tables[0].frame
    assert len(car) == len(results.car)
    assert car["CAR log %"].tolist() == (100 * results.car["car"]).round(2).tolist()
    assert car["t"].tolist() == results.car["t"].round(2).tolist()
    stars = car[""].tolist()
    assert stars == ["***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""
                     for p in results.car["pvalue"]]


def test_text_html_and_latex_render_the_same_tables(results: es.Results) -> None:
    summary = results.summary()
    text, page, latex = summary.as_text(), summary.as_html(), summary.as_latex()
    for table in summary.tables:
        assert table.title in text
        assert table.title.replace("'", "&#x27;") in page
    cells: list[str] = []

    class Cells(HTMLParser):
        def handle_data(self, data: str) -> None:
            cells.append(data.strip())

    Cells().feed(page)
    summit = results.car[(results.car["event_id"] == "SUMMIT_AGREED") & (results.car["asset"] == "IMOEX")
                         & (results.car["start"] == 0) & (results.car["end"] == 0)].iloc[0]
    assert f"{100 * summit['car']:.2f}" in cells and f"{100 * summit['car']:.2f}" in text
    assert latex.count(r"\begin{tabular}") == len(summary.tables) and r"\toprule" in latex
    assert f"{100 * summit['car']:.2f}" in latex
    assert r"SUMMIT\_AGREED" in latex and r"p\textless{}0.10" in latex
    assert results._repr_html_() == page


def test_a_summary_of_plain_tables() -> None:
    table = SummaryTable("Numbers & more", pd.DataFrame({"a": [1.5], "b": ["x_y"]}))
    summary = Summary(header=["Title"], tables=[table], notes=["100% done"])
    table_text = pd.DataFrame({"a": [1.5], "b": ["x_y"]}).to_string(index=False)
    assert summary.as_text() == f"Title\n\nNumbers & more\n{table_text}\n\n100% done"
    assert "<p><b>Numbers &amp; more</b></p>" in summary.as_html()
    assert r"\paragraph{Numbers \& more}" in summary.as_latex() and r"100\% done" in summary.as_latex()
    assert r"x\_y" in summary.as_latex()


def test_a_large_study_summarises_its_most_significant_pairs_and_counts_the_skipped() -> None:
    import sys

    import numpy as np

    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from synthetic_panel import synthetic_events, synthetic_prices

    prices = synthetic_prices(30, 900, seed=9)
    prices.iloc[300:, :1] = np.nan  # SYN000's data end: its 40 pairs are skipped
    results = es.EventStudy(synthetic_events(40, prices.index, seed=10), prices, model="market",
                            benchmark="MKT").run()
    assert results.car[["event_id", "asset"]].drop_duplicates().shape[0] == 1_160
    summary = results.summary()
    car = summary.tables[0].frame
    assert "the 50 most significant of 1,160 event-asset pairs" in summary.tables[0].title
    start, end = results.spec.windows[0]
    first = results.car[(results.car["start"] == start) & (results.car["end"] == end)]
    # the pairs with the smallest p over the first window, every window of each
    expected = first.nsmallest(50, "pvalue").apply(lambda r: f"{r.event_id} {r.event} {r.asset}", axis=1)
    assert set(car["event"] + " " + car["asset"]) == set(expected)
    assert len(car) == 50 * len(results.spec.windows)
    text = summary.as_text()
    assert text.count("SYN000: ") == 20  # skipped pairs listed, then counted
    assert "... and 20 more pairs (skipped.csv)" in text
