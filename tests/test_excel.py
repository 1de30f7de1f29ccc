"""Excel events and price files (eventstudy.sources.excel and its hooks).

Every workbook is written here, in tmp_path, with openpyxl from the seed events and
the real series in ../shared/data; nothing is committed. The expected values are the
same files read through the CSV path, which tests/test_events.py and
tests/test_files.py check against published values.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from eventstudy.errors import InputError
from eventstudy.events import check_events, load_events
from eventstudy.sources.excel import SheetInputError, cell_text, read_sheet, split_sheet
from eventstudy.sources.files import read_price_file, read_prices

REPO = Path(__file__).resolve().parent.parent
SEED_EVENTS = REPO / "seeds" / "events.csv"


def save(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one sheet per entry, rows appended from row 1."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def seed_rows(*, typed: bool) -> list[list[object]]:
    """The seed events file as sheet rows; ``typed``: dates and times as real Excel cells."""
    with SEED_EVENTS.open(encoding="utf-8", newline="") as handle:
        rows: list[list[object]] = [list(r) for r in csv.reader(handle)]
    if typed:
        header = rows[0]
        at_date, at_time = header.index("date"), header.index("time")
        for row in rows[1:]:
            row[at_date] = datetime.fromisoformat(str(row[at_date]))
            if row[at_time]:
                row[at_time] = time.fromisoformat(str(row[at_time]))
    return rows


@pytest.mark.parametrize("typed", [True, False], ids=["excel-date-cells", "text-dates"])
def test_seed_events_from_a_workbook_equal_the_csv(tmp_path: Path, typed: bool) -> None:
    path = save(tmp_path / "events.xlsx", {"Sheet1": seed_rows(typed=typed)})
    from_excel, from_csv = load_events(path), load_events(SEED_EVENTS)
    pd.testing.assert_frame_equal(from_excel.frame, from_csv.frame)
    assert from_excel.line_numbers == from_csv.line_numbers
    # 21:00 in New York on 8 August 2025 (EDT, UTC-4) is 01:00 UTC on 9 August.
    assert from_excel.frame.set_index("id").loc["ALASKA_SET", "announced"] == pd.Timestamp(
        "2025-08-09T01:00Z")


def test_a_datetime_cell_with_a_time_zone_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [["date", "timezone", "event"],
                                [datetime(2025, 8, 7, 15, 30), "Europe/Moscow", "Kremlin statement"]]
    frame = load_events(save(tmp_path / "e.xlsx", {"Sheet1": rows})).frame
    assert frame.loc[0, "date"] == pd.Timestamp("2025-08-07")
    assert frame.loc[0, "announced"] == pd.Timestamp("2025-08-07T12:30Z")  # MSK = UTC+3


def test_errors_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [["date", "event"], [date(2025, 8, 6), "talks"],
                                [date(2025, 8, 7), "summit agreed"], ["03/04/2025", "ambiguous"],
                                [date(2025, 8, 8), ""]]
    path = save(tmp_path / "events.xlsx", {"Sheet1": rows})
    with pytest.raises(SheetInputError) as caught:
        load_events(path)
    error = caught.value
    assert (error.sheet, error.line, error.column) == ("Sheet1", 4, "date")
    assert str(error).startswith(
        f"{path}: sheet 'Sheet1' row 4: column 'date': cannot read the date '03/04/2025'; it is "
        "ambiguous (day/month or month/day?); write it as ISO YYYY-MM-DD, e.g. 2025-04-03 or 2025-03-04")
    events, problems = check_events(path)
    assert events is None
    assert [(p.line, p.column) for p in problems] == [(4, "date"), (5, "event")]
    assert str(problems[1]) == (f"{path}: sheet 'Sheet1' row 5: column 'event': the event label is "
                                "empty; give each event a short label")


def test_header_problems_name_the_sheet(tmp_path: Path) -> None:
    path = save(tmp_path / "events.xlsx", {"Data": [[], ["when", "event"], ["2025-08-07", "x"]]})
    with pytest.raises(SheetInputError, match=r"events\.xlsx: sheet 'Data' row 2: missing required "
                                              r"column\(s\) date"):
        load_events(path)


def test_a_named_sheet_after_hash(tmp_path: Path) -> None:
    path = save(tmp_path / "events.xlsx", {
        "Notes": [["written by hand"]],
        "Summer 2025": [[], [], ["date", "event"], [date(2025, 8, 7), "summit agreed"]],
    })
    events = load_events(f"{path}#Summer 2025")
    assert events.frame.loc[0, "event"] == "summit agreed"
    assert events.line_numbers == {"E1": 4}
    with pytest.raises(SheetInputError, match=r"sheet 'Notes' row 1: missing required column"):
        load_events(path)  # the first sheet by default
    with pytest.raises(InputError, match=r"no sheet 'Autumn' \(sheets: 'Notes', 'Summer 2025'\)"):
        load_events(f"{path}#Autumn")


def test_split_sheet_only_after_an_excel_suffix() -> None:
    assert split_sheet("a/b.xlsx#My sheet") == (Path("a/b.xlsx"), "My sheet")
    assert split_sheet("a#b/events.csv") == (Path("a#b/events.csv"), None)
    assert split_sheet("E.XLSX") == (Path("E.XLSX"), None)


def test_not_a_workbook_and_empty_sheets(tmp_path: Path) -> None:
    fake = tmp_path / "events.xlsx"
    fake.write_text("date,event\n2025-08-07,x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a readable Excel workbook"):
        load_events(fake)
    with pytest.raises(InputError, match="no such file"):
        read_sheet(tmp_path / "missing.xlsx")
    empty = save(tmp_path / "empty.xlsx", {"Sheet1": []})
    with pytest.raises(SheetInputError, match=r"sheet 'Sheet1': the sheet is empty"):
        load_events(empty)


def test_cell_text_matches_csv_conventions() -> None:
    assert cell_text(datetime(2025, 8, 7)) == "2025-08-07"
    assert cell_text(datetime(2025, 8, 7, 18, 50, 5)) == "2025-08-07T18:50:05"
    assert cell_text(time(9, 5)) == "09:05"
    assert cell_text(2876.43) == "2876.43"
    assert cell_text(0.012738853503184714) == "0.012738853503184714"
    assert cell_text(None) == "" and cell_text(7) == "7"


# ------------------------------------------------------------------------ prices


def real_closes(shared_data: Path) -> pd.DataFrame:
    """IMOEX (ISS export) and EEM (Yahoo OHLCV) closes over 2025, read from the CSV files."""
    imoex = read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]
    eem = read_price_file(shared_data / "EEM_ohlcv_yahoo_2018_2026.csv")["Close"]
    wide = pd.concat({"IMOEX": imoex, "EEM": eem}, axis=1, sort=True)
    return wide.loc["2025-01-01":"2025-12-31"]


def test_wide_prices_workbook_with_date_cells(shared_data: Path, tmp_path: Path) -> None:
    expected = real_closes(shared_data)
    rows: list[list[object]] = [["date", "IMOEX", "EEM"]]
    rows += [[day.to_pydatetime(), *(None if pd.isna(v) else float(v) for v in values)]
             for day, values in zip(expected.index, expected.to_numpy(), strict=True)]
    path = save(tmp_path / "prices.xlsx", {"closes": rows})
    got = read_prices(path)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_freq=False)
    assert got.loc["2025-08-07", "IMOEX"] == 2876.43  # shared/data README's orientation value
    assert got.index.name == "date"


def test_one_workbook_per_asset_in_a_folder(shared_data: Path, tmp_path: Path) -> None:
    expected = real_closes(shared_data)
    folder = tmp_path / "prices"
    folder.mkdir()
    for asset in expected.columns:  # ISS-like layout: text dates DD.MM.YYYY, a CLOSE column
        series = expected[asset].dropna()
        rows: list[list[object]] = [["TRADEDATE", "CLOSE", "VOLUME"]]
        rows += [[f"{day:%d.%m.%Y}", float(v), 1000] for day, v in series.items()]
        save(folder / f"{asset}.xlsx", {"Sheet1": rows})
    got = read_prices(folder, ["IMOEX", "EEM"])
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_freq=False)


def test_price_errors_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [["date", "close"], [date(2025, 8, 6), 2764.62],
                                [date(2025, 8, 7), "2 876.43 RUB"]]
    path = save(tmp_path / "IMOEX.xlsx", {"Sheet1": rows})
    with pytest.raises(SheetInputError) as caught:
        read_price_file(path)
    assert str(caught.value).startswith(
        f"{path}: sheet 'Sheet1' row 3: column 'close': price '2 876.43 RUB' is not a number")
