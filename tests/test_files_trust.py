"""Messy local price files: same-day rows, intraday files, impossible dates, all-zero
columns, Windows-1251 exports (issue 11, part A).

Real rows come from ../shared/data, read in place; files built from them are written
to ``tmp_path`` only.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.errors import DataQualityWarning, InputError
from eventstudy.sources.files import read_price_file, read_prices

ISS = "IMOEX_iss_history_2018_2026.csv"
HOURLY = "intraday/IMOEX_hourly_iss_2022-06_2026-05.csv"
# README "Values in Aug 2025": official IMOEX closes.
IMOEX_CLOSES = {"2025-08-06": 2764.62, "2025-08-07": 2876.43, "2025-08-08": 2924.63}


def write(tmp_path: Path, content: str | bytes, name: str = "p.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


# -------------------------------------------------------------------- same-day rows


def test_conflicting_duplicate_dates_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "date,close\n2025-08-07,1\n2025-08-06,2\n2025-08-07,3\n")
    with pytest.raises(InputError) as raised:
        read_price_file(path)
    error = raised.value
    assert (error.path, error.line, error.column) == (str(path), 4, "close")
    assert "date 2025-08-07 is on lines 2, 4 with different prices (1 and 3)" in str(error)
    assert str(error).endswith("; keep one of the two rows")


def test_conflict_in_one_column_of_several_is_named(tmp_path: Path) -> None:
    content = "date,open,close\n2025-08-06,1,2\n2025-08-06,1,2.5\n"
    with pytest.raises(InputError, match=r"p\.csv:3: column 'close': .*lines 2, 3.*\(2 and 2\.5\)"):
        read_price_file(write(tmp_path, content))


def test_identical_duplicate_rows_are_dropped_silently(tmp_path: Path) -> None:
    content = "date,close\n2025-08-06,2\n2025-08-07,3\n2025-08-07,3\n2025-08-08,\n2025-08-08,\n"
    frame = read_price_file(write(tmp_path, content))  # filterwarnings=error: no warning
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2025-08-06", "2025-08-07", "2025-08-08"]
    assert frame["close"].iloc[:2].tolist() == [2.0, 3.0]
    assert frame["close"].isna().tolist() == [False, False, True]


def test_two_rows_a_day_with_different_times_is_an_error(tmp_path: Path) -> None:
    content = (
        "date,close\n2025-08-06 18:00,2\n2025-08-07 10:00,3\n2025-08-07 18:00,4\n"
        "2025-08-08 10:00,5\n2025-08-08 18:00,6\n"
    )
    with pytest.raises(InputError) as raised:
        read_price_file(write(tmp_path, content))
    assert raised.value.line == 3
    assert "several prices a day (2 rows on 2025-08-07, lines 3, 4; 2 such days in all)" in str(
        raised.value
    )
    assert "--same-day-prices last" in str(raised.value)


def test_finam_time_column_marks_intraday_rows(tmp_path: Path) -> None:
    content = (
        "<TICKER>;<PER>;<DATE>;<TIME>;<CLOSE>\n"
        "RI.RTSI;60;20150105;100000;780\nRI.RTSI;60;20150105;110000;770\n"
    )
    with pytest.raises(InputError, match=r"several prices a day .*lines 2, 3"):
        read_price_file(write(tmp_path, content))
    frame = read_price_file(write(tmp_path, content), intraday="last")
    assert frame.loc["2015-01-05", "<CLOSE>"] == 770.0


def test_intraday_last_takes_each_columns_last_price_of_the_day(tmp_path: Path) -> None:
    content = (  # rows out of order; the day's last 'b' is empty, so the earlier one counts
        "date,a,b\n2025-08-07 18:00,4,\n2025-08-07 10:00,3,30\n2025-08-06 18:00,2,20\n"
    )
    frame = read_price_file(write(tmp_path, content), intraday="last")
    assert list(frame.index) == list(pd.to_datetime(["2025-08-06", "2025-08-07"]))
    assert frame["a"].tolist() == [2.0, 4.0]
    assert frame["b"].tolist() == [20.0, 30.0]


def test_hourly_imoex_last_of_day_is_the_official_close(shared_data: Path) -> None:
    """The last hourly candle's close of a day equals ISS's official daily close."""
    with pytest.raises(InputError, match=r"several prices a day .*on 2022-06-01"):
        read_price_file(shared_data / HOURLY)
    frame = read_price_file(shared_data / HOURLY, intraday="last")
    with open(shared_data / HOURLY, newline="") as handle:
        rows = list(csv.DictReader(handle))
    last_by_day: dict[str, float] = {}
    for row in rows:  # the file is in time order: the last row of a day wins
        last_by_day[row["dt"][:10]] = float(row["close"])
    assert len(frame) == len(last_by_day)
    for day, close in IMOEX_CLOSES.items():
        assert frame.loc[day, "close"] == pytest.approx(close, abs=1e-9)
        assert last_by_day[day] == close


def test_intraday_option_in_read_prices(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    write(folder, "date,close\n2025-08-07 10:00,3\n2025-08-07 18:00,4\n", "IMOEX.csv")
    with pytest.raises(InputError, match=r"IMOEX\.csv:2: several prices a day"):
        read_prices(folder)
    assert read_prices(folder, intraday="last")["IMOEX"].tolist() == [4.0]
    assert read_prices(folder / "IMOEX.csv", intraday="last")["IMOEX"].tolist() == [4.0]
    with pytest.raises(InputError, match=r"unknown intraday option 'first'.*'error', 'last'"):
        read_prices(folder, intraday="first")


def test_one_timestamp_a_day_is_a_daily_file(tmp_path: Path) -> None:
    frame = read_price_file(write(tmp_path, "date,close\n2025-08-06 18:50,2\n2025-08-07 18:50,3\n"))
    assert list(frame.index) == list(pd.to_datetime(["2025-08-06", "2025-08-07"]))


# ------------------------------------------------------------------ impossible dates

TOMORROW = date.today() + timedelta(days=1)


@pytest.mark.parametrize(
    ("bad", "when"),
    [
        ("9999-12-31", r"after tomorrow"),
        ("2205-08-07", r"after tomorrow"),
        ((TOMORROW + timedelta(days=1)).isoformat(), r"after tomorrow"),
        ("1899-12-31", r"before 1900"),
        ("0001-01-01", r"before 1900"),
    ],
)
def test_impossible_dates_name_the_line(tmp_path: Path, bad: str, when: str) -> None:
    content = f"date,close\n2018-01-03,1\n2025-08-06,2\n{bad},3\n2026-01-05,4\n"
    with pytest.raises(InputError) as raised:
        read_price_file(write(tmp_path, content))
    assert raised.value.line == 4
    assert raised.value.column == "date"
    assert f"date {bad!r} is impossible for a price: " in str(raised.value)
    assert re.search(when, str(raised.value))


def test_impossible_dates_in_day_first_and_finam_formats(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"p\.csv:3: column 'TRADEDATE': date '07\.08\.2205'"):
        read_price_file(write(tmp_path, "TRADEDATE;CLOSE\n06.08.2025;1\n07.08.2205;2\n"))
    with pytest.raises(InputError, match=r"p\.csv:2: column 'DATE': date '18991231' .*before 1900"):
        read_price_file(write(tmp_path, "DATE;CLOSE\n18991231;1\n20250807;2\n"))


def test_month_13_is_not_a_calendar_date(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"p\.csv:3: column 'date': date '2025-13-07' is not a cal"):
        read_price_file(write(tmp_path, "date,close\n2025-08-06,1\n2025-13-07,2\n"))


def test_tomorrow_and_1900_are_possible(tmp_path: Path) -> None:
    content = f"date,close\n1900-01-01,1\n{TOMORROW.isoformat()},2\n"
    frame = read_price_file(write(tmp_path, content))
    assert frame.index[-1] == pd.Timestamp(TOMORROW)


def test_impossible_date_in_parquet_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame(
        {"date": pd.to_datetime(["2025-08-06", "2205-08-07"]).as_unit("s"), "close": [1.0, 2.0]}
    ).to_parquet(path)
    with pytest.raises(InputError, match=r"p\.parquet: column 'date': row 2: date .*2205-08-07"):
        read_price_file(path)


# -------------------------------------------------------------- non-positive prices


def test_all_zero_column_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        read_price_file(write(tmp_path, "date,close\n2025-08-06,0\n2025-08-07,0\n2025-08-08,\n"))
    assert (raised.value.line, raised.value.column) == (2, "close")
    assert "every price in the column is zero or negative (2 values, lines 2, 3)" in str(
        raised.value
    )


def test_all_negative_column_among_good_ones_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"p\.csv:2: column 'b': every price .* negative"):
        read_price_file(write(tmp_path, "date,a,b\n2025-08-06,1,-1\n2025-08-07,2,-2\n"))


def test_isolated_zero_is_dropped_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(DataQualityWarning, match=r"1 zero or negative price set to missing"):
        frame = read_price_file(write(tmp_path, "date,close\n2025-08-06,0\n2025-08-07,2\n"))
    assert frame["close"].isna().tolist() == [True, False]


# ---------------------------------------------------------------- Windows-1251 files


def _iss_lines(shared_data: Path, count: int = 6) -> list[str]:
    with open(shared_data / ISS, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    wanted = [line for line in lines if re.search(r";0[678]\.08\.2025;", line)]
    return [lines[0], *wanted[:count]]


def test_cp1251_iss_export_reads_like_the_utf8_one(shared_data: Path, tmp_path: Path) -> None:
    lines = _iss_lines(shared_data)
    assert "Индекс МосБиржи" in lines[1]  # the Russian SHORTNAME makes the encodings differ
    text = "\r\n".join(lines) + "\r\n"
    cp1251 = read_price_file(write(tmp_path, text.encode("cp1251"), "cp.csv"))
    utf8 = read_price_file(write(tmp_path, text, "u8.csv"))
    pd.testing.assert_frame_equal(cp1251, utf8)
    for day, close in IMOEX_CLOSES.items():
        assert cp1251.loc[day, "CLOSE"] == close
    assert read_prices(tmp_path / "cp.csv").columns.tolist() == ["IMOEX"]


def test_cp1251_russian_headers(tmp_path: Path) -> None:
    content = "Дата;Открытие;Закрытие;Объем\n06.08.2025;2750,1;2764,62;100\n07.08.2025;2770;2876,43;120\n"
    path = write(tmp_path, content.encode("cp1251"))
    frame = read_price_file(path)
    assert frame.index.name == "date"
    assert "Объем" not in frame.columns
    assert frame["Закрытие"].tolist() == [2764.62, 2876.43]
    assert read_prices(path)["p"].tolist() == [2764.62, 2876.43]  # the close column is chosen


def test_iss_csv_answer_with_block_lines(shared_data: Path, tmp_path: Path) -> None:
    """ISS ``.csv`` answers: ``history`` alone on a line, rows, then ``history.cursor``."""
    lines = _iss_lines(shared_data, count=3)
    text = "\n".join(["history", "", *lines, "", "history.cursor", "", "INDEX;TOTAL;PAGESIZE",
                      "0;3;100", ""])
    frame = read_price_file(write(tmp_path, text.encode("cp1251")))
    assert frame["CLOSE"].tolist() == list(IMOEX_CLOSES.values())
