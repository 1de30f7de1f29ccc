"""The summary and reports of an intraday study speak of bars, a daily study's of days."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import eventstudy as es
from eventstudy.output.html import html_report
from eventstudy.output.markdown import markdown_report
from eventstudy.output.rows import BAR_METHOD_NOTES, METHOD_NOTES, car_headers, settings_rows
from eventstudy.timing.assets import Asset

MOSCOW = "Europe/Moscow"


@pytest.fixture(scope="module")
def hourly() -> es.Results:
    from conftest import require_shared_data

    frame = pd.read_csv(require_shared_data() / "intraday" / "IMOEX_hourly_iss_2022-06_2026-05.csv")
    closes = pd.DataFrame({"IMOEX": frame["close"].to_numpy(dtype=float)},
                          index=pd.DatetimeIndex(pd.to_datetime(frame["dt"])))
    events = pd.DataFrame([{"id": "CBR_2024-12-20", "event": "key rate", "date": "2024-12-20",
                            "time": "13:30", "timezone": MOSCOW}])
    return es.EventStudy(events, closes, interval="1h", assets=["IMOEX"], estimation=(-300, -11),
                         windows=[(0, 0), (0, 2)], event_window=(-5, 5),
                         asset_info={"IMOEX": Asset("IMOEX", "file", "IMOEX", timezone=MOSCOW)}).run()


@pytest.fixture(scope="module")
def daily() -> es.Results:
    root = Path(__file__).resolve().parent.parent
    return es.EventStudy.from_file(root / "seeds" / "summer-2025.toml", root / "seeds" / "events.csv").run()


def test_text_summary_says_bar(hourly: es.Results) -> None:
    text = hourly.summary().as_text()
    assert text.startswith("Intraday event study (1h bars)")
    assert "event window [-5, 5] (bars of 1h)" in text
    assert "t with each bar's time-of-day variance" in text
    assert "p_emp: rank among the estimation CARs starting at the same clock time" in text
    table = hourly.summary().tables[0].frame
    assert "bar 0" in table.columns and "day0" not in table.columns
    assert table["bar 0"].iloc[0] == "2024-12-20T13:00:00+03:00"
    assert "trading day" not in text and "residual degrees of freedom" not in text


def test_reports_say_bar(hourly: es.Results) -> None:
    headers = car_headers(hourly)
    assert headers["day0"] == "bar 0" and headers["pvalue_empirical"] == "p (same clock time)"
    settings = dict(settings_rows(hourly))
    assert settings["estimation window"] == "[-300,-11] bars of 1h"
    assert settings["event window (AR table, charts)"] == "[-5,5] bars of 1h"
    assert settings["bar 0"].startswith("the bar containing the announcement")
    for report in (markdown_report(hourly), html_report(hourly)):
        assert "bar 0" in report and "bars of 1h" in report
        assert "trading days" not in report and "day 0" not in report
        assert "same clock time" in report
    assert BAR_METHOD_NOTES[2] in markdown_report(hourly) and METHOD_NOTES[2] not in markdown_report(hourly)


def test_daily_wording_is_unchanged(daily: es.Results) -> None:
    text = daily.summary().as_text()
    assert text.startswith("Event study\n")
    assert ("Cumulative abnormal returns (t with the model's residual degrees of freedom; "
            "p_emp: rank among the estimation window's CARs)") in text
    assert "day0" in daily.summary().tables[0].frame.columns
    assert car_headers(daily)["day0"] == "day 0"
    settings = dict(settings_rows(daily))
    assert settings["estimation window"].endswith(" trading days") and "day 0" in settings
    report = markdown_report(daily)
    assert all(note in report for note in METHOD_NOTES) and "bar 0" not in report


def test_intraday_report_with_a_cluster_of_events_is_written(tmp_path: Path) -> None:
    from conftest import require_shared_data

    frame = pd.read_csv(require_shared_data() / "intraday" / "IMOEX_hourly_iss_2022-06_2026-05.csv")
    closes = pd.DataFrame({"IMOEX": frame["close"].to_numpy(dtype=float)},
                          index=pd.DatetimeIndex(pd.to_datetime(frame["dt"])))
    events = pd.DataFrame([{"id": f"E{k}", "event": "news", "date": day, "time": "13:30", "timezone": MOSCOW}
                           for k, day in enumerate(["2025-08-05", "2025-08-07", "2025-08-12"])])
    results = es.EventStudy(events, closes, interval="1h", assets=["IMOEX"], estimation=(-300, -11),
                            windows=[(0, 0)], event_window=(-3, 3),
                            asset_info={"IMOEX": Asset("IMOEX", "file", "IMOEX", timezone=MOSCOW)}).run()
    out = results.save(tmp_path / "out", figures="none")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "zoom: Aug 2025 (3 events)" in html
    assert '"2025-08-07 08:00"' in html  # the bars keep their time of day (UTC) on the chart's axis
