"""Trust under messy data, through the study and the command line: safe --out, gaps and halts,
stale benchmarks, strict study files, a study with nothing to report, units, announcement
times, one observation per day (issue 11)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT

import eventstudy as es
from eventstudy.cli.main import main
from eventstudy.errors import NoResultsError

SEEDS = REPO_ROOT / "seeds" / "events.csv"
IMOEX_FILE = "IMOEX_iss_history_2018_2026.csv"
EEM_FILE = "EEM_ohlcv_yahoo_2018_2026.csv"


@pytest.fixture(scope="module")
def real_prices(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from conftest import require_shared_data

    data = require_shared_data()
    eem = es.read_prices(data / EEM_FILE).set_axis(["EEM"], axis=1)
    return es.read_prices(data / IMOEX_FILE).join(eem, how="outer")


@pytest.fixture
def prices_dir(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "IMOEX.csv").symlink_to(shared_data / IMOEX_FILE)
    (folder / "EEM.csv").symlink_to(shared_data / EEM_FILE)
    return folder


def run_cli(*args: object) -> int:
    return main([str(a) for a in args])


# -- safe --out --------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_pointing_at_the_prices_is_refused_and_nothing_is_touched(
        prices_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.resolve() for p in prices_dir.iterdir()}
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", prices_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "would hold the input" in err[0] and str(prices_dir) in err[0]
    assert {p.name: p.resolve() for p in prices_dir.iterdir()} == before


def test_out_holding_an_input_is_refused(prices_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out",
                   prices_dir.parent) == 2
    assert "would hold the input" in capsys.readouterr().err


def test_a_file_at_out_is_refused_and_kept(prices_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes\n", encoding="utf-8")
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", target) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "my notes\n"
    assert not list(tmp_path.glob(".notes.txt*"))


def test_a_foreign_folder_is_refused_and_kept(prices_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "thesis"
    (foreign / "chapter").mkdir(parents=True)
    (foreign / "chapter" / "draft.tex").write_text("\\section{Results}\n", encoding="utf-8")
    before = snapshot(foreign)
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", foreign) == 2
    err = capsys.readouterr().err
    assert "eventstudy did not write" in err and "nothing in it was changed" in err
    assert snapshot(foreign) == before


def test_out_under_a_file_is_refused_before_computing(prices_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the study must not run when --out cannot be written")

    monkeypatch.setattr(es.EventStudy, "run", no_run)
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out",
                   tmp_path / "plain" / "out") == 2
    assert "no folder can be made under it" in capsys.readouterr().err


def test_our_previous_folder_is_replaced_and_leftover_staging_removed(prices_dir: Path,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none", "-q") == 0
    assert (out / ".eventstudy").is_file()
    leftover = tmp_path / ".results.staging-deadbeef"
    leftover.mkdir()
    (leftover / ".eventstudy").write_text("x", encoding="utf-8")
    unrelated = tmp_path / ".results.staging-notours"
    unrelated.mkdir()
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none", "--window", "0,1", "-q") == 0
    assert not leftover.exists() and unrelated.exists()
    assert set(pd.read_csv(out / "car.csv")["end"]) == {1}


# -- gaps, halts and stale benchmarks --------------------------------------------------------------


def test_day0_across_a_three_year_gap_is_skipped_with_its_reason(real_prices: pd.DataFrame) -> None:
    imoex = real_prices["IMOEX"].dropna()
    holed = imoex[(imoex.index < "2021-01-01") | (imoex.index >= "2024-01-01")].to_frame()
    events = pd.DataFrame({"date": ["2022-06-15", "2024-06-14"], "event": ["in the gap", "after it"],
                           "id": ["GAP", "AFTER"]})
    results = es.EventStudy(events, holed).run()
    reason = results.skipped.set_index("event_id").loc["GAP", "reason"]
    first_2024 = imoex[imoex.index >= "2024-01-01"].index[0]
    days = (first_2024 - pd.Timestamp("2022-06-15")).days
    assert reason.startswith(f"day 0 would be {days} days after the announcement ({first_2024:%Y-%m-%d} for "
                             "2022-06-15; more than the maximum 7)")
    assert set(results.car["event_id"]) == {"AFTER"}
    assert np.isfinite(results.car["t"]).all()


def test_the_2022_halt_is_flagged_or_skipped(real_prices: pd.DataFrame) -> None:
    events = es.load_events(SEEDS).select(["INVASION22", "SUMMIT_AGREED"])
    prices = real_prices[["IMOEX"]]
    flagged = es.EventStudy(events, prices).run()
    flags = flagged.car.set_index("event_id")["flags"]
    # IMOEX did not trade between 25 February and 24 March 2022.
    sessions = prices["IMOEX"].dropna().index
    step = (sessions[sessions > "2022-02-25"][0] - pd.Timestamp("2022-02-25")).days
    assert step == 27
    assert f"the event window spans a {step}-day gap in the prices" in flags.loc["INVASION22"].iloc[0]
    assert "gap" not in flags.loc["SUMMIT_AGREED"].iloc[0]
    skipped = es.EventStudy(events, prices, skip_window_gaps=True).run()
    assert set(skipped.car["event_id"]) == {"SUMMIT_AGREED"}
    assert "spans a 27-day gap" in skipped.skipped.set_index("event_id").loc["INVASION22", "reason"]


def test_a_benchmark_is_not_carried_past_its_end(real_prices: pd.DataFrame) -> None:
    prices = real_prices.copy()
    prices.loc[prices.index > "2025-08-05", "EEM"] = np.nan  # EEM ends before SUMMIT_AGREED's window
    events = es.load_events(SEEDS).select(["SUMMIT_AGREED", "WITKOFF"])
    results = es.EventStudy(events, prices, assets=["IMOEX"], model="market", benchmark="EEM").run()
    assert results.car.empty or not (results.car["event_id"] == "SUMMIT_AGREED").any()
    reasons = results.skipped[results.skipped["event_id"] == "SUMMIT_AGREED"]["reason"]
    assert len(reasons) == 3 and reasons.str.contains("benchmark value is missing").all()


def test_a_stale_benchmark_is_flagged(real_prices: pd.DataFrame) -> None:
    prices = real_prices.copy()
    hole = (prices.index > "2025-07-28") & (prices.index < "2025-08-06")
    prices.loc[hole, "EEM"] = np.nan  # seven EEM sessions missing before SUMMIT_AGREED
    events = es.load_events(SEEDS).select(["SUMMIT_AGREED"])
    results = es.EventStudy(events, prices, assets=["IMOEX"], model="market", benchmark="EEM").run()
    flag = results.car["flags"].iloc[0]
    # IMOEX's close of Wednesday 6 August (18:50 Moscow) comes before EEM's close that day
    # (16:00 New York), so it still uses EEM's close of Monday 28 July: 8 days and 19 hours old,
    # the oldest value in the event window.
    age = (pd.Timestamp("2025-08-06 15:50", tz="UTC") - pd.Timestamp("2025-07-28 20:00", tz="UTC")).days
    assert age == 8
    assert f"benchmark EEM is stale for {age} days on 2025-08-06" in flag


def test_every_pair_skipped_exits_2_with_one_line_and_writes_nothing(prices_dir: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    events = tmp_path / "future.csv"
    events.write_text("date,event\n2030-01-02,far future\n2030-02-03,further\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", events, "--prices", prices_dir, "--assets", "IMOEX", "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no event-asset pair could be computed (2 pairs: 2 x no price data" in err[0]
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    with pytest.raises(NoResultsError):
        es.EventStudy(events, es.read_prices(prices_dir), assets=["IMOEX"]).run()


# -- study files --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lines", "message"), [
    ('[assets.RUBUSD]\nfile = "x.csv"\ninvert = "false"\n',
     "[assets.RUBUSD] invert = 'false' is not a boolean"),
    ('[study]\nexclude_event_windows = "false"\n', "[study] exclude_event_windows: 'false' is not a boolean"),
    ('[study]\nestimation = [-250, "x"]\n', "[study] estimation: [-250, 'x'] is not a pair of whole numbers"),
    ('[study]\nmin_estimation = 1.5\n', "[study] min_estimation: 1.5 is not a whole number"),
    ('[study]\nmodel = 3\n', "[study] model: unknown model 3"),
    ('[study]\nassets = "IMOEX"\nbenchmark = ["EEM", 1]\n', "[study] benchmark: 1 is not a name"),
])
def test_study_file_types_are_strict(tmp_path: Path, lines: str, message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    study = tmp_path / "study.toml"
    study.write_text(lines, encoding="utf-8")
    assert run_cli("run", SEEDS, "--config", study, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(study) in err[0] and message in err[0], err
    assert "Traceback" not in err[0]


def test_study_file_with_a_byte_order_mark(shared_data: Path, tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_bytes(b"\xef\xbb\xbf" + f'[study]\nassets = ["IMOEX"]\n[assets.IMOEX]\nfile = '
                      f'"{shared_data / IMOEX_FILE}"\n'.encode())
    results = es.EventStudy.from_file(study, SEEDS).run()
    assert set(results.car["asset"]) == {"IMOEX"}


# -- honest statistics ----------------------------------------------------------------------------


def test_units_say_log_percent_for_log_returns(real_prices: pd.DataFrame) -> None:
    events = es.load_events(SEEDS).select(["INVASION22"])
    log = es.EventStudy(events, real_prices[["IMOEX"]]).run()
    text = log.summary().as_text()
    assert "CAR log %" in text and "CAAR log %" in text
    day0 = log.car[(log.car["start"] == 0) & (log.car["end"] == 0)]["car"].iloc[0]
    simple = es.EventStudy(events, real_prices[["IMOEX"]], returns="simple").run()
    assert "CAR %" in simple.summary().as_text() and "log %" not in simple.summary().as_text()
    # The invasion day: a log return of about -40.5% is a fall of about a third.
    imoex = real_prices["IMOEX"].dropna()
    fall = imoex.loc["2022-02-24"] / imoex.loc["2022-02-22"] - 1
    assert math.log(imoex.loc["2022-02-24"] / imoex.loc["2022-02-22"]) == pytest.approx(-0.405, abs=0.01)
    assert fall == pytest.approx(-0.333, abs=0.01) and day0 < -0.35


def test_report_shows_announcement_times_in_their_zone_and_in_utc(prices_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none", "-q") == 0
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "table" and ("id", "events") in attrs:
                self.inside = True
            if self.inside and tag == "tr":
                self.rows.append([])
            if self.inside and tag == "td":
                self.rows[-1].append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "table":
                self.inside = False

        def handle_data(self, data: str) -> None:
            if self.inside and self.rows and self.rows[-1]:
                self.rows[-1][-1] += data

    parser = Rows()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    alaska = next(row for row in parser.rows if len(row) > 2 and row[1] == "ALASKA_SET")
    assert alaska[2:5] == ["2025-08-08", "21:00 America/New_York", "2025-08-09 01:00 UTC"]
    assert "21:00 America/New_York" in (out / "report.md").read_text(encoding="utf-8")


def test_one_observation_per_day(prices_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none", "--one-per-day", "-q") == 0
    aggregate = pd.read_csv(out / "aggregate.csv")
    car = pd.read_csv(out / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    n = aggregate[(aggregate["scope"] == "all") & (aggregate["start"] == 0)]["n"].iloc[0]
    assert n == first["day0"].nunique() == len(first) - 2  # three events share 2025-08-07
    collapsed = json.loads((out / "study.json").read_text())["diagnostics"]["one_per_day"]
    assert {"asset": "IMOEX", "day0": "2025-08-07",
            "event_ids": ["INDIA_TARIFF", "WH_MEETING", "SUMMIT_AGREED"]} in collapsed
    # the collapsed observation's CAAR is the mean over distinct days
    caar = aggregate[(aggregate["scope"] == "all") & (aggregate["start"] == 0)]["caar"].iloc[0]
    assert caar == pytest.approx(first.drop_duplicates("day0")["car"].mean(), abs=1e-12)


def test_recommended_tests_are_marked_and_the_others_explained(prices_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none", "-q") == 0
    aggregate = pd.read_csv(out / "aggregate.csv", keep_default_na=False)
    rows = aggregate[(aggregate["scope"] == "all") & (aggregate["start"] == 0) & (aggregate["end"] == 0)]
    recommended = set(rows[rows["recommended"].astype(str) == "True"]["test"])
    assert {"kp", "patell_adj"} <= recommended
    cautioned = rows[rows["recommended"].astype(str) == "False"]
    assert len(cautioned) and cautioned["note"].str.contains("may over-reject here").all()


def test_huge_description_cells_are_accepted(tmp_path: Path) -> None:
    text = "A long statement. " * 12_000  # about 216 kB in one cell, above csv's 128 kB default
    events = tmp_path / "events.csv"
    events.write_text(f'date,event,description\n2025-08-07,summit,"{text}"\n', encoding="utf-8")
    loaded = es.load_events(events)
    assert loaded.frame["description"].iloc[0] == text.strip()  # cells are trimmed
    import csv

    assert csv.field_size_limit() == 131_072  # restored after reading
