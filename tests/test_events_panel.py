"""The panel converters read the published files as they are (checked by hand against the rows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.main import main
from eventstudy.errors import InputError
from eventstudy.events import load_events
from eventstudy.events_panel import (
    adjust_for_splits,
    parse_russian_date,
    read_cbr_decisions,
    read_dividend_announcements,
    read_splits,
)

CBR = "panel/events/cbr_key_rate_decisions_2020-03_2025-10.csv"
DIVIDENDS = "panel/events/dividend_announcements_e-disclosure_2020_2025.csv"


def test_russian_dates() -> None:
    assert parse_russian_date("24 октября 2025") == date(2025, 10, 24)
    assert parse_russian_date("1 Марта 2021") == date(2021, 3, 1)
    with pytest.raises(ValueError):
        parse_russian_date("24 Oct 2025")


def test_cbr_decisions_from_the_real_file(shared_data: Path) -> None:
    frame = read_cbr_decisions(shared_data / CBR)
    assert len(frame) == 50
    assert list(frame["date"]) == sorted(frame["date"])
    by_id = frame.set_index("id")
    # line 2 of the file: "24 октября 2025,снизить,50.0,16.5,8.2"
    last = by_id.loc["CBR-2025-10-24"]
    assert (last["group"], last["change_bp"], last["key_rate"]) == ("cut", -50.0, 16.5)
    assert last["previous_rate"] == 17.0
    assert last["surprise_bp"] == -50.0 - (-100.0)  # previous decision: 12 Sep 2025, cut by 100
    assert last["event"] == "Bank of Russia cuts the key rate by 50 bp to 16.5%"
    # "15 августа 2023,повысить,350.0,12.0,4.4" (the extraordinary meeting)
    august = by_id.loc["CBR-2023-08-15"]
    assert (august["group"], august["change_bp"], august["key_rate"]) == ("hike", 350.0, 12.0)
    # "20 декабря 2024,сохранить,,21.0,9.5": a hold has change 0
    assert by_id.loc["CBR-2024-12-20", "change_bp"] == 0.0
    assert by_id.loc["CBR-2024-12-20", "group"] == "hold"
    # the effective dates 11 Apr and 27 May 2022 become the announcement dates
    assert "CBR-2022-04-08" in by_id.index and "CBR-2022-04-11" not in by_id.index
    assert "CBR-2022-05-26" in by_id.index
    assert by_id.loc["CBR-2022-02-28", "change_bp"] == 1050.0
    assert frame["group"].value_counts().to_dict() == {"hold": 20, "hike": 17, "cut": 13}  # uniq -c


def test_cbr_without_corrections_keeps_the_file(shared_data: Path) -> None:
    frame = read_cbr_decisions(shared_data / CBR, corrections=False).set_index("id")
    assert "CBR-2022-04-11" in frame.index
    assert np.isnan(frame.loc["CBR-2022-02-28", "change_bp"])
    assert frame["note"].eq("").all()


def test_converted_events_load_and_run_through_the_events_loader(shared_data: Path) -> None:
    events = load_events(read_cbr_decisions(shared_data / CBR))
    assert events.frame.loc[0, "date"] == pd.Timestamp("2020-03-20")
    dividends = load_events(read_dividend_announcements(shared_data / DIVIDENDS))
    first = dividends.frame.iloc[0]
    assert (first["id"], first["assets"], first["date"]) == ("DIV-NLMK-2020-03-19", ("NLMK",),
                                                                  pd.Timestamp("2020-03-19"))


def test_dividend_announcements_from_the_real_file(shared_data: Path) -> None:
    frame = read_dividend_announcements(shared_data / DIVIDENDS)
    raw = pd.read_csv(shared_data / DIVIDENDS, dtype=str, keep_default_na=False)
    dated = raw[raw["board_reco_date"] != ""]
    assert len(raw) == 134 and len(dated) == 129  # five rows have no board date
    assert len(frame) == dated.drop_duplicates(["ticker", "board_reco_date"]).shape[0]
    sber = frame[frame["ticker"] == "SBER"].set_index("id")
    # "SBER,2024-07-11,2024-04-23,2024-06-21,...": the announcement is the board date
    row = sber.loc["DIV-SBER-2024-04-23"]
    assert (row["date"], row["record_date"], row["agm_date"]) == (date(2024, 4, 23), date(2024, 7, 11),
                                                                  date(2024, 6, 21))
    assert set(frame["ticker"]) == {"SBER", "GAZP", "LKOH", "GMKN", "ROSN", "NVTK", "TATN", "MGNT", "MTSS",
                                    "SNGS", "CHMF", "ALRS", "VTBR", "MAGN", "NLMK", "PLZL"}


def test_split_adjustment_on_real_prices(shared_data: Path) -> None:
    splits = read_splits(shared_data / "panel" / "moex_splits")
    assert set(splits["ticker"]) == {"GMKN", "IRAO", "PLZL", "T", "TRNFP", "VTBR"}
    gmkn = pd.read_csv(shared_data / "panel" / "moex_iss_daily" / "GMKN.csv")
    adjusted = adjust_for_splits(gmkn, splits, "GMKN").set_index("date")
    raw = gmkn.set_index("date")
    assert raw.loc["2024-04-01", "close"] == 15054.0  # the raw jump: 15,054 -> 152.96 at 1:100
    assert adjusted.loc["2024-04-01", "close"] == pytest.approx(150.54)
    assert adjusted.loc["2024-04-01", "volume"] == pytest.approx(raw.loc["2024-04-01", "volume"] * 100)
    assert adjusted.loc["2024-04-08", "close"] == raw.loc["2024-04-08", "close"]
    vtbr = adjust_for_splits(pd.read_csv(shared_data / "panel" / "moex_iss_daily" / "VTBR.csv"), splits,
                             "VTBR").set_index("date")
    jump = np.log(vtbr["close"]).diff().loc["2024-07-15"]
    assert jump == pytest.approx(np.log(92.95 / vtbr.loc["2024-07-08", "close"]))
    assert abs(jump) < 0.1  # raw: log(92.95 / 0.01993) = 8.4; adjusted: 99.65 -> 92.95


def test_bad_files_raise_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "cbr.csv"
    bad.write_text("date,change_key_rate,basis_points,key_rate\n24 октября 2025,снизить,50,16.5\n"
                   "32 бреда 2025,снизить,50,16\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cbr_decisions(bad)
    assert (caught.value.line, caught.value.column) == (3, "date")
    bad.write_text("date,change_key_rate,basis_points,key_rate\n24 октября 2025,поднять,50,16.5\n",
                   encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cbr_decisions(bad)
    assert caught.value.column == "change_key_rate"
    missing = tmp_path / "div.csv"
    missing.write_text("ticker,record_date\nSBER,2024-07-11\n", encoding="utf-8")
    with pytest.raises(InputError):
        read_dividend_announcements(missing)


def test_convert_events_command(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cbr.csv"
    assert main(["convert-events", "cbr", str(shared_data / CBR), "--out", str(out), "--quiet"]) == 0
    events = load_events(out)
    assert len(events) == 50
    assert events.frame.set_index("id").loc["CBR-2025-10-24", "change_bp"] == "-50.0"
