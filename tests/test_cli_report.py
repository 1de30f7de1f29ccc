"""``eventstudy report OUT_DIR`` re-renders a saved folder without recomputing; ``--figures``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT, require_shared_data
from test_plotting import read_real_prices

from eventstudy.cli import main

REPORT_FILES = ["report.html", "report.md", "tables/car.tex", "tables/aggregate.tex"]


@pytest.fixture(scope="module")
def results():
    from eventstudy.study import EventStudy

    prices, provenance = read_real_prices(require_shared_data(), with_provenance=True)
    return EventStudy(REPO_ROOT / "seeds" / "events.csv", prices, provenance=provenance).run()


@pytest.fixture(scope="module")
def saved(results, tmp_path_factory) -> Path:
    return results.save(tmp_path_factory.mktemp("cli") / "out", figures="summary")


def test_report_reproduces_the_saved_report(saved, tmp_path, monkeypatch):
    folder = shutil.copytree(saved, tmp_path / "copy")
    before = {name: (folder / name).read_bytes() for name in REPORT_FILES}
    for name in REPORT_FILES:
        (folder / name).unlink()
    (folder / "figures" / "timeline.png").unlink()  # a missing figure is drawn again from prices.csv

    def no_recompute(*args, **kwargs):  # pragma: no cover - fails the test if called
        raise AssertionError("eventstudy report must not recompute the study")

    monkeypatch.setattr("eventstudy.study.EventStudy.run", no_recompute)
    assert main(["report", str(folder)]) == 0
    for name in REPORT_FILES:
        assert (folder / name).read_bytes() == before[name], f"{name} differs after re-rendering"
    redrawn = (folder / "figures" / "timeline.png").read_bytes()
    assert redrawn == (saved / "figures" / "timeline.png").read_bytes()


def test_report_options_override_the_saved_ones(saved, tmp_path):
    folder = shutil.copytree(saved, tmp_path / "copy")
    assert main(["report", str(folder), "--figure-format", "svg", "--figures", "summary"]) == 0
    assert (folder / "figures" / "forest_0_0.svg").is_file()
    html = (folder / "report.html").read_text(encoding="utf-8")
    markup = html.split("<script")[0]  # the page's scripts (plotly.js) come last
    assert 'src="data:image/svg+xml;base64,' in markup and 'src="data:image/png' not in markup
    assert main(["report", str(folder), "--figures", "none"]) == 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<figure" not in html and "--figures none" in html


def test_not_a_results_folder_is_exit_2_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not an eventstudy results folder" in err and "Traceback" not in err
    assert main(["report", str(tmp_path / "missing")]) == 2
    (tmp_path / "study.json").write_text("{not json", encoding="utf-8")
    for name in ["car.csv", "aggregate.csv", "abnormal_returns.csv", "skipped.csv", "events.csv"]:
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    assert "study.json" in capsys.readouterr().err


def test_figures_none_writes_no_figures(results, tmp_path):
    out = results.save(tmp_path / "none", figures="none")
    assert not (out / "figures").exists()
    assert (out / "report.html").is_file() and (out / "tables" / "car.tex").is_file()
    assert json.loads((out / "study.json").read_text())["report"] == {"figures": "none",
                                                                     "figure_formats": ["png"], "title": None}
    # re-rendering keeps the choice: still no figures
    assert main(["report", str(out)]) == 0
    assert not (out / "figures").exists()


def test_pdf_only_still_embeds_png(results, tmp_path):
    out = results.save(tmp_path / "pdf", figures="summary", figure_formats=["pdf"])
    assert (out / "figures" / "timeline.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "figures" / "timeline.png").is_file()  # written for the HTML report
    assert "data:image/png;base64," in (out / "report.html").read_text(encoding="utf-8")


def test_run_accepts_figure_options():
    from eventstudy.cli.main import build_parser

    args = build_parser("run").parse_args(["run", "events.csv", "--figures", "summary",
                                           "--figure-format", "svg", "--figure-format", "pdf"])
    assert args.figures == "summary" and args.figure_formats == ["svg", "pdf"]
    with pytest.raises(SystemExit) as exit_info:
        build_parser("run").parse_args(["run", "events.csv", "--figure-format", "gif"])
    assert exit_info.value.code == 2


def test_per_pair_cap_is_noted_in_the_report(results, tmp_path, monkeypatch):
    from eventstudy.output.figures import plan

    monkeypatch.setattr(plan, "MAX_PAIR_FIGURES", 2)
    out = results.save(tmp_path / "capped", figures="all")
    assert len(list((out / "figures").glob("car_*.png"))) == 2
    # The two drawn are the two smallest p-values over the first window (by hand from car.csv),
    # the pairs the reports list first.
    car = pd.read_csv(out / "car.csv")
    day0 = car[(car["start"] == 0) & (car["end"] == 0)]
    smallest = day0.nsmallest(3, "pvalue")
    assert smallest["pvalue"].iloc[1] < smallest["pvalue"].iloc[2]  # no tie at the cut
    top = smallest.head(2)
    expected = {f"car_{e}_{a}.png" for e, a in zip(top["event_id"], top["asset"], strict=True)}
    assert {path.name for path in (out / "figures").glob("car_*.png")} == expected
    assert len(list((out / "figures").glob("event_*.png"))) == 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Per-pair figures were drawn for 2 of 18 event-asset pairs" in html
    assert "Per-pair figures were drawn for 2 of 18" in (out / "report.md").read_text(encoding="utf-8")
