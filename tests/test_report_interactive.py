"""The interactive report: chart data equal the CSV files, embedded downloads equal the files,
and a large study's page shows its most significant pairs and stays under 10 MB."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT, require_shared_data
from scipy.stats import norm
from test_plotting import read_real_prices
from test_report import parse

from eventstudy.output.charts import busiest_month


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """The seed events on real IMOEX and RUBUSD prices, summary figures."""
    from eventstudy.study import EventStudy

    prices, provenance = read_real_prices(require_shared_data(), with_provenance=True)
    results = EventStudy(REPO_ROOT / "seeds" / "events.csv", prices, provenance=provenance).run()
    return results.save(tmp_path_factory.mktemp("interactive") / "out", figures="summary")


def embedded_json(html: str, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, flags=re.S)
    assert match, f"no embedded {element_id}"
    return json.loads(match.group(1))


def charts_of(folder: Path) -> dict[str, dict]:
    html = (folder / "report.html").read_text(encoding="utf-8")
    return {c["id"]: c for c in embedded_json(html, "chart-specs")}


def test_forest_chart_equals_car_csv(saved):
    car = pd.read_csv(saved / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    forest = charts_of(saved)["chart-forest"]
    by_asset = {trace["name"]: trace for trace in forest["data"]}
    assert set(by_asset) == {"IMOEX", "RUBUSD"}
    for asset, trace in by_asset.items():
        mine = first[first["asset"] == asset]
        assert trace["x"] == pytest.approx((100 * mine["car"]).round(4).tolist(), abs=1e-9)
        half = norm.ppf(0.975) * 100 * mine["se"]  # the 95% interval: CAR +- 1.96 se
        assert trace["error_x"]["array"] == pytest.approx(half.round(4).tolist(), abs=1e-9)
        assert [label.split(" ")[1] for label in trace["y"]] == mine["event_id"].tolist()
    assert "CAR[0,0]" in forest["layout"]["title"]["text"]


def test_car_path_chart_equals_abnormal_returns_csv(saved):
    ar = pd.read_csv(saved / "abnormal_returns.csv")
    paths = charts_of(saved)["chart-car-paths"]
    lines = [t for t in paths["data"] if t["mode"] == "lines+markers"]
    bands = [t for t in paths["data"] if t.get("fill") == "toself"]
    assert len(lines) == len(bands) == 18  # every pair of the seed study
    # the most significant pair first: the invasion on IMOEX (p < 0.001 on day 0)
    assert lines[0]["name"] == "#2 INVASION22 \u00b7 IMOEX" and lines[0]["visible"] is True
    assert sum(t["visible"] is True for t in lines) == 6
    for line, band in zip(lines, bands, strict=True):
        event_id, asset = line["name"].split(" ")[1], line["name"].split(" ")[-1]
        rows = ar[(ar["event_id"] == event_id) & (ar["asset"] == asset)].sort_values("day")
        assert line["x"] == rows["day"].tolist() == list(range(-10, 11))
        assert line["y"] == pytest.approx((100 * rows["car"]).round(4).tolist(), abs=1e-9)
        upper = 100 * (rows["car"] + norm.ppf(0.975) * rows["se_car"])
        lower = 100 * (rows["car"] - norm.ppf(0.975) * rows["se_car"])
        assert band["y"] == pytest.approx(upper.tolist() + lower.tolist()[::-1], abs=2e-4)
        assert [c[0] for c in line["customdata"]] == rows["date"].tolist()


def test_prices_chart_rebases_the_prices_and_marks_the_events(saved):
    prices = pd.read_csv(saved / "prices.csv")
    events = pd.read_csv(saved / "events.csv")
    chart = charts_of(saved)["chart-prices"]
    traces = {t["name"]: t for t in chart["data"]}
    for asset in ("IMOEX", "RUBUSD"):
        mine = prices[prices["asset"] == asset] if "asset" in prices else prices[["date", asset]].dropna()
        values = (mine["price"] if "price" in mine else mine[asset]).to_numpy(dtype=float)
        assert traces[asset]["customdata"] == pytest.approx(values.tolist(), rel=1e-5)  # 6 digits
        assert traces[asset]["y"] == pytest.approx(np.round(100 * values / values[0], 3).tolist(), abs=1e-9)
    assert traces["events"]["x"] == events["date"].tolist()
    zoom = chart["layout"]["updatemenus"][0]["buttons"][-1]
    # 6, 6, 6, 7, 8, 8 and 15 August 2025: seven events within a month
    assert zoom["label"] == "zoom: Aug 2025 (7 events)"
    left, right = zoom["args"][0]["xaxis.range"]
    assert left <= "2025-08-06" and right >= "2025-08-15" and left >= "2025-07-01" and right <= "2025-09-01"


def test_busiest_month_counts_by_hand():
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2021-03-01", "2021-03-20", "2021-03-31",
                                      "2021-04-02", "2022-01-01"]))
    assert busiest_month(dates) == (pd.Timestamp("2021-03-01"), pd.Timestamp("2021-03-31"), 3)
    assert busiest_month(dates[:3]) is None  # no three events within 31 days


def test_downloads_are_the_files_themselves(saved):
    html = (saved / "report.html").read_text(encoding="utf-8")
    files = embedded_json(html, "embedded-files")
    assert set(files) == {"car.csv", "aggregate.csv", "abnormal_returns.csv", "skipped.csv"}
    for name, text in files.items():
        assert text == (saved / name).read_text(encoding="utf-8")
        assert f'href="{name}" download="{name}" data-embedded="{name}"' in html


def test_tables_are_sortable(saved):
    page = parse((saved / "report.html").read_text(encoding="utf-8"))
    sortable = {a.get("id") for tag, a in page.tags
                if tag == "table" and "sortable" in (a.get("class") or "").split()}
    assert {"overview", "events", "car_0_0", "car_-1_1", "car_0_5", "aggregate_0_0"} <= sortable


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """2,000 events on the real IMOEX series (summary figures)."""
    from eventstudy.study import EventStudy

    prices, provenance = read_real_prices(require_shared_data(), with_provenance=True)
    imoex = prices[["IMOEX"]].dropna()
    days = imoex.index[(imoex.index >= "2016-01-01") & (imoex.index <= "2025-10-31")]
    chosen = np.sort(np.random.default_rng(14).choice(len(days), size=2000, replace=False))
    folder = tmp_path_factory.mktemp("large")
    events = pd.DataFrame({"id": [f"E{n:04d}" for n in range(2000)],
                           "date": [f"{days[i]:%Y-%m-%d}" for i in chosen],
                           "event": [f"synthetic announcement {n}" for n in range(2000)]})
    events.to_csv(folder / "events.csv", index=False)
    results = EventStudy(folder / "events.csv", imoex, provenance=provenance[:1]).run()
    return results.save(folder / "out", figures="summary")


def test_large_study_shows_the_top_pairs_and_stays_under_10_mb(large):
    report = large / "report.html"
    assert report.stat().st_size < 10_000_000
    html = report.read_text(encoding="utf-8")
    page = parse(html)
    car = pd.read_csv(large / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    assert len(first) > 1900  # nearly every pair computed
    expected = set(first.nsmallest(50, "pvalue")["event_id"])
    threshold = first["pvalue"].nsmallest(50).iloc[-1]
    assert (first["pvalue"] == threshold).sum() == 1  # no tie at the cut
    overview = {row["event_id"] for row in page.tables["overview"]}
    assert overview == expected
    assert {row["data-event"] for row in page.tables["car_0_0"]} == expected
    assert f"This study has {len(first):,} event-asset pairs" in html
    assert '<a href="car.csv">car.csv</a>' in html and (large / "car.csv").is_file()
    assert f"The first 200 of {len(first):,} events are listed here" in html
    assert len(page.tables["events"]) == 200
    forest = {c["id"]: c for c in embedded_json(html, "chart-specs")}["chart-forest"]
    assert {label.split(" ")[1] for label in forest["data"][0]["y"]} == expected
    files = embedded_json(html, "embedded-files")
    assert "abnormal_returns.csv" not in files  # too large to embed: linked instead
    assert '<a class="download" href="abnormal_returns.csv" download="abnormal_returns.csv">' in html


def test_page_over_the_limit_links_its_figures_and_files(saved, tmp_path, monkeypatch):
    import shutil

    from eventstudy.output import interactive
    from eventstudy.output.report import render
    from eventstudy.results import Results

    folder = tmp_path / "out"
    shutil.copytree(saved, folder)
    full = (folder / "report.html").stat().st_size
    monkeypatch.setattr(interactive, "PAGE_LIMIT", full - 1)
    render(Results.from_folder(folder), folder, figures="summary", skip_existing=True)
    html = (folder / "report.html").read_text(encoding="utf-8")
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert "data:image/" not in markup and embedded_json(html, "embedded-files") == {}
    links = re.findall(r'<a href="(figures/[^"]+)">', html)
    assert "figures/timeline.png" in links and all((folder / link).is_file() for link in links)
    assert (folder / "report.html").stat().st_size < full - 1
    assert '<a class="download" href="car.csv" download="car.csv">' in html


def test_large_study_markdown_shows_the_top_pairs(large):
    markdown = (large / "report.md").read_text(encoding="utf-8")
    car = pd.read_csv(large / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    assert f"_The 50 most significant of {len(first)} event-asset pairs" in markdown
    table = markdown.split("### CAR [0,0]")[1].split("###")[0]
    shown = {line.split(" | ")[1] for line in table.splitlines() if line.startswith("| ") and " | " in line}
    assert shown - {"event", "---"} == set(first.nsmallest(50, "pvalue")["event_id"])


def test_large_study_markdown_lists_200_events_and_warnings_and_links_the_csv(large):
    """Like the page, report.md lists the first 200 events and overlap warnings and says
    where all of them are (it listed every one: 6 MB at 5,000 events x 8 series)."""
    markdown = (large / "report.md").read_text(encoding="utf-8")
    events = pd.read_csv(large / "events.csv")
    car = pd.read_csv(large / "car.csv", keep_default_na=False)
    flagged = car[car["flags"] != ""].drop_duplicates(["event_id", "asset"])
    assert len(events) == 2000 and len(flagged) > 200
    assert "_The first 200 of 2,000 events are listed here; all are in [events.csv](events.csv)._" in markdown
    table = markdown.split("## Events")[1].split("## ")[0]
    listed = [line.split(" | ")[1] for line in table.splitlines() if line.startswith("| ") and " | " in line]
    assert listed[1:] == [str(i) for i in events["id"].head(200)]  # the header, then the first 200 ids
    assert (f"_The first 200 of {len(flagged):,} overlap warnings are listed here; all are in the flags "
            "column of [car.csv](car.csv)._") in markdown
    warnings = [line for line in markdown.split("Overlap warnings:")[1].splitlines() if line.startswith("- ")]
    first = flagged.head(200)
    assert warnings == [f"- {e} / {a}: {f}"
                        for e, a, f in zip(first["event_id"], first["asset"], first["flags"], strict=True)]


def test_large_study_latex_lists_the_top_pairs(large):
    """tables/car.tex holds the 50 most significant pairs, in events-file order, and says so."""
    tex = (large / "tables" / "car.tex").read_text(encoding="utf-8")
    car = pd.read_csv(large / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    expected = first.nsmallest(50, "pvalue")["event_id"].tolist()
    heading = r"^\\multicolumn\{\d+\}\{l\}\{\\textit\{[^}]*\} \((E\d{4})\)\} \\\\$"  # an event's row
    listed = re.findall(heading, tex, flags=re.M)
    assert set(listed) == set(expected) and listed == sorted(listed)  # events-file order
    assert tex.count(r"\quad IMOEX") == 50
    assert f"The 50 most significant of {len(first):,} event-asset pairs" in tex
    assert "every pair is in car.csv" in tex.split(r"\bottomrule")[1]
