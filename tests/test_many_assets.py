"""A study of many assets and event groups: the reports, the summary, the charts and the
figures show the assets and groups with the most significant pairs (at most TOP_SCOPES of
each), say so, and stay small; the CSV files keep every one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_panel import synthetic_prices

from eventstudy import EventStudy
from eventstudy.output.rows import TOP_SCOPES

N_ASSETS = 30
N_GROUPS = 20


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    prices = synthetic_prices(N_ASSETS, 900, seed=30)  # SYN000.., with calendars of their own
    names = [str(c) for c in prices.columns if c != "MKT"]
    rng = np.random.default_rng(30)
    at = rng.choice(np.arange(300, 890), 120, replace=False)
    events = pd.DataFrame({"id": [f"E{i:03d}" for i in range(at.size)],
                           "date": prices.index[at].strftime("%Y-%m-%d"), "event": "news",
                           "group": rng.choice([f"g{k:02d}" for k in range(N_GROUPS)], at.size),
                           "assets": [";".join(rng.choice(names, 2, replace=False)) for _ in range(at.size)]})
    events.loc[:2, "assets"] = ""  # three events for every asset
    results = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                         event_window=(-5, 5), windows=[(0, 0), (0, 3)]).run()
    out = tmp_path_factory.mktemp("many") / "study"
    results.save(out, figures="summary")
    return out, results


def expected(car: pd.DataFrame, column: str = "asset") -> list[str]:
    """By hand: the first TOP_SCOPES distinct assets (or groups) down the pairs sorted by p over
    the first window (then the larger |CAR|), listed in the study's order."""
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    ranked = first.assign(_p=first["pvalue"].fillna(2.0), _size=-first["car"].abs()).sort_values(
        ["_p", "_size"], kind="stable")
    chosen = list(dict.fromkeys(ranked[column]))[:TOP_SCOPES]
    study_order = list(dict.fromkeys(car[column]))
    return [a for a in study_order if a in chosen]


def test_figures_show_the_assets_with_the_most_significant_pairs(folder) -> None:  # type: ignore[no-untyped-def]
    out, results = folder
    car = pd.read_csv(out / "car.csv")
    assert car["asset"].nunique() == N_ASSETS  # every asset in the tables
    shown = expected(car)
    timelines = sorted(p.stem.removeprefix("prices_") for p in (out / "figures").glob("prices_*.png"))
    assert timelines == sorted(shown)
    text = (out / "report.md").read_text()
    assert f"show {TOP_SCOPES} of the {N_ASSETS} assets" in text  # the figures' note
    assert (f"This study has {N_ASSETS} assets: the overview, the aggregate tests and the charts show "
            f"the {TOP_SCOPES}") in text
    assert f"This study has {N_GROUPS} event groups" in text
    assert f"The CAAR by event group shows {TOP_SCOPES} of the {N_GROUPS} groups" in text
    from eventstudy.output.figures.plan import figure_plan

    planned = {name: draw for name, _, _, draw in figure_plan(results, "summary")[0]}
    assert planned["caar_by_group"].keywords["scopes"] == expected(car, "group")  # type: ignore[attr-defined]
    assert sorted(planned["caar_by_asset"].keywords["scopes"]) == sorted(shown)  # type: ignore[attr-defined]


def test_report_tables_and_summary_keep_all_pairs_groups_and_the_shown_assets(folder) -> None:  # type: ignore[no-untyped-def]
    out, results = folder
    car = pd.read_csv(out / "car.csv")
    shown, groups = expected(car), expected(car, "group")
    html = (out / "report.html").read_text()
    table = re.search(r'<table class=sortable id="aggregate_0_0".*?</table>', html, flags=re.S)
    assert table is not None
    scopes = re.findall(r'<td data-col="scope">([^<]*)</td>', table.group(0))
    assert scopes[0] == "all"
    assert sorted(s for s in scopes if s.startswith("asset:")) == sorted(f"asset:{a}" for a in shown)
    assert sorted(s for s in scopes if s.startswith("group:")) == sorted(f"group:{g}" for g in groups)
    assert car["group"].nunique() == N_GROUPS
    overview = re.search(r'<table id="overview".*?</thead>', html, flags=re.S)
    assert overview is not None
    columns = {c.split(" ")[0] for c in re.findall(r"<th[^>]*>([^<]*\[[^<]*)</th>", overview.group(0))}
    assert columns == set(shown)
    specs = json.loads(re.search(r'id="chart-specs">(.*?)</script>', html, flags=re.S).group(1))  # type: ignore[union-attr]
    prices = next(s for s in specs if s["id"] == "chart-prices")
    assert sorted(t["name"] for t in prices["data"] if t["name"] in set(car_assets(out))) == sorted(shown)
    summary = str(results.summary())
    assert (f"for all pairs, the {TOP_SCOPES} assets with the most significant pairs of {N_ASSETS} and the "
            f"{TOP_SCOPES} event groups with the most significant pairs of {N_GROUPS}") in summary
    assert sum(f"group:g{k:02d} " in summary for k in range(N_GROUPS)) == TOP_SCOPES
    assert sum(f"asset:SYN{i:03d} " in summary for i in range(N_ASSETS)) == TOP_SCOPES
    aggregate = pd.read_csv(out / "aggregate.csv")
    assert aggregate["scope"].str.startswith("asset:").sum() == N_ASSETS * 2 * 10  # every asset, 2 windows
    assert aggregate["scope"].str.startswith("group:").sum() == N_GROUPS * 2 * 10


def car_assets(out: Path) -> list[str]:
    return list(dict.fromkeys(pd.read_csv(out / "car.csv")["asset"]))


def test_sources_are_counted_by_source_above_a_dozen_series(folder) -> None:  # type: ignore[no-untyped-def]
    out, _ = folder
    html = (out / "report.html").read_text()
    # 30 assets and the benchmark, all from the one table handed to EventStudy
    header = html.split("<nav>")[0]
    assert "source: 31 series: local file (each in study.json)" in header
    assert "SYN000: " not in header and "30 assets" in header  # the header lists no series one by one
    assert "31 series: local file (each in study.json)" in (out / "report.md").read_text()


def test_an_event_of_every_asset_draws_its_most_significant_assets(folder) -> None:  # type: ignore[no-untyped-def]
    """The figure of an event with 30 assets draws the 12 with the smallest p over the first
    window (by hand from car.csv), says so in its title, lists day 0 by date and puts its
    legend beside the axes."""
    from eventstudy.output.figures.plan import figure_plan

    out, results = folder
    car = pd.read_csv(out / "car.csv")
    planned = {name: (title, draw) for name, _, title, draw in figure_plan(results, "all")[0]}
    mine = car[(car["event_id"] == "E000") & (car["start"] == 0) & (car["end"] == 0)]
    assert len(mine) == N_ASSETS
    by_hand = mine.assign(_p=mine["pvalue"].fillna(2.0), _size=-mine["car"].abs()).sort_values(
        ["_p", "_size"], kind="stable")["asset"].head(TOP_SCOPES)
    title, draw = planned["event_E000"]
    assert title == f"E000: news (the {TOP_SCOPES} of {N_ASSETS} assets with the smallest p)"
    assert set(draw.args[0]["asset"]) == set(by_hand)  # type: ignore[attr-defined]
    figure = draw()
    axes = figure.axes[0]
    days = pd.to_datetime(mine[mine["asset"].isin(by_hand)]["day0"]).value_counts(sort=False)  # study order
    assert axes.get_title("left") == "day 0: " + ", ".join(
        f"{d.day} {d:%b %Y}" + (f" ({n} assets)" if n > 1 else "") for d, n in days.items())
    assert axes.get_title("center") == ""
    legend = axes.get_legend()
    assert len(legend.get_texts()) == TOP_SCOPES + 1 and legend.get_bbox_to_anchor().x0 > axes.bbox.x1 - 1



def test_an_intraday_study_draws_the_price_paths_of_its_most_significant_assets(
        shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Intraday studies follow the same rule (here with the cap lowered to 2 of 3 real
    1-minute series): the price paths of the two assets whose pairs come first, and a note."""
    from eventstudy.output import rows
    from eventstudy.output.figures.plan import figure_plan
    from eventstudy.timing.assets import Asset

    stocks = ("SBER", "GAZP", "LKOH")
    folder = shared_data / "intraday"
    closes = {s: pd.read_parquet(folder / f"{s}_1m_tinvest_utc_2025-08-10_2025-11-08.parquet")
              .set_index("time")["close"] for s in stocks}
    bars = pd.concat(closes, axis=1, sort=True)
    events = pd.DataFrame({"id": ["A", "B"], "date": ["2025-10-24", "2025-10-29"], "time": ["13:30", "15:00"],
                           "timezone": "Europe/Moscow", "event": "news"})
    info = {s: Asset(s, "file", s, timezone="Europe/Moscow", session="09:50-18:50") for s in stocks}
    results = EventStudy(events, bars, interval="1min", estimation=(-11000, -31), event_window=(-30, 60),
                         windows=[(0, 10)], asset_info=info).run()
    monkeypatch.setattr(rows, "TOP_SCOPES", 2)
    plan, notes = figure_plan(results, "summary")
    drawn = sorted(name.removeprefix("intraday_") for name, *_ in plan if name.startswith("intraday_"))
    car = results.car
    by_hand = car.assign(_p=car["pvalue"].fillna(2.0), _size=-car["car"].abs()).sort_values(
        ["_p", "_size"], kind="stable")
    assert drawn == sorted(list(dict.fromkeys(by_hand["asset"]))[:2])
    assert "Intraday price paths were drawn for 2 of the 3 assets" in " ".join(notes)
