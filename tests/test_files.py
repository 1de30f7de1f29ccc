"""Tests of eventstudy.sources.files against the real files in ../shared/data.

Expected values come from ../shared/data/README.md (the files' provenance and
orientation values) and from the rows of the files themselves; the files are read in
place, never copied into the repository.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import DataQualityWarning, InputError
from eventstudy.sources.files import pick_price_column, read_price_file, read_prices

ISS = "IMOEX_iss_history_2018_2026.csv"
OHLC = "IMOEX_ohlc_2022_2026.csv"
CANDLES = "IMOEX_close_candles_2014_2026.csv"
USDRUB = "USDRUB_cbr_official_2014_2026.csv"
CNYRUB = "CNYRUB_moex_tom_2014_2026.csv"
RTSI = "RTSI_finam_2015_2023.csv"
YFINANCE = "SP500_ohlcv_yfinance_multiheader_2025_2026.csv"
WIDE = "reference/estudy2_prices.csv"

# README warnings: the junk last line of the OHLC file, the four zero CNY closes.
EXPECTED_WARNINGS = {
    OHLC: r"IMOEX_ohlc_2022_2026\.csv: dropped 1 row with an empty date \(line 1117\)",
    CNYRUB: r"4 zero or negative prices set to missing \(column 'cnyrub': lines 2, 3, 83, 1344\)",
}

# file: rows, first date, last date, columns (README "File details").
EVERY_FILE = {
    "BRENT_eia_spot_2018_2026.csv": (2186, "2018-01-02", "2026-08-18", ["Price"]),
    CNYRUB: (3193, "2014-01-06", "2026-08-21", ["cnyrub", "cnyrub_wap"]),
    "EEM_ohlcv_yahoo_2018_2026.csv": (
        2171,
        "2018-01-02",
        "2026-08-21",
        ["Close", "High", "Low", "Open"],
    ),
    "EURRUB_cbr_official_2024-10_2025-12.csv": (304, "2024-10-12", "2025-12-31", ["eurrub_cbr"]),
    CANDLES: (3175, "2014-01-06", "2026-08-21", ["imoex"]),
    ISS: (2119, "2018-01-03", "2026-06-09", ["CLOSE", "OPEN", "HIGH", "LOW"]),
    OHLC: (1115, "2022-01-03", "2026-06-19", ["OPEN", "HIGH", "LOW", "CLOSE"]),
    RTSI: (2191, "2015-01-05", "2023-09-29", ["OPEN", "HIGH", "LOW", "CLOSE"]),
    "SP500_close_yahoo_2018_2026.csv": (2171, "2018-01-02", "2026-08-21", ["Close"]),
    YFINANCE: (251, "2025-05-16", "2026-05-15", ["Close", "High", "Low", "Open"]),
    USDRUB: (3117, "2014-01-01", "2026-08-22", ["usdrub_cbr"]),
    WIDE: (253, "2019-04-01", "2020-03-31", ["AMZN", "ZM", "UBER", "NFLX", "SHOP", "FB", "UPWK"]),
    "reference/estudy2_prices_indx.csv": (253, "2019-04-01", "2020-03-31", ["^GSPC"]),
}

IMOEX_CLOSES = {  # README "Values in Aug 2025"
    "2025-08-06": 2764.62,
    "2025-08-07": 2876.43,
    "2025-08-08": 2924.63,
    "2025-08-15": 3012.09,
    "2025-08-18": 2951.26,
}
CBR_USDRUB = {  # README "Values in Aug 2025", dated by CBR effective date
    "2025-08-06": 80.0490,
    "2025-08-07": 80.1914,
    "2025-08-08": 79.3847,
    "2025-08-15": 79.7653,
    "2025-08-16": 80.0224,
    "2025-08-19": 80.4256,
}


def expecting_warning(name: str) -> contextlib.AbstractContextManager[object]:
    """``pytest.warns`` for files the README says need a repair, else nothing."""
    if name in EXPECTED_WARNINGS:
        return pytest.warns(DataQualityWarning, match=EXPECTED_WARNINGS[name])
    return contextlib.nullcontext()


def read(shared_data: Path, name: str) -> pd.DataFrame:
    with expecting_warning(name):
        return read_price_file(shared_data / name)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


# ------------------------------------------------------------------ every real file


def test_every_shared_csv_is_covered(shared_data: Path) -> None:
    on_disk = {
        str(p.relative_to(shared_data))
        for p in [*shared_data.glob("*.csv"), *shared_data.glob("reference/*.csv")]
    }
    assert on_disk == set(EVERY_FILE)


@pytest.mark.parametrize("name", sorted(EVERY_FILE))
def test_every_real_file_reads_into_the_internal_form(shared_data: Path, name: str) -> None:
    rows, first, last, columns = EVERY_FILE[name]
    frame = read(shared_data, name)
    assert len(frame) == rows
    assert list(frame.columns) == columns
    assert frame.index.name == "date"
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.tz is None
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.index[0], frame.index[-1]) == (pd.Timestamp(first), pd.Timestamp(last))
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    values = frame.to_numpy()
    assert (values[~np.isnan(values)] > 0).all()


@pytest.mark.parametrize("name", sorted(EVERY_FILE))
def test_every_real_file_reads_through_read_prices(shared_data: Path, name: str) -> None:
    rows = EVERY_FILE[name][0]
    with expecting_warning(name):
        prices = read_prices(shared_data / name)
    assert len(prices) == rows
    assert prices.index.name == "date"


@pytest.mark.parametrize("name", [ISS, OHLC, CANDLES])
def test_imoex_closes_in_all_three_files(shared_data: Path, name: str) -> None:
    close = pick_price_column(read(shared_data, name), "IMOEX")
    assert close.name == "IMOEX"
    for day, value in IMOEX_CLOSES.items():
        assert close[day] == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize(("other", "common"), [(OHLC, 1108), (CANDLES, 2119)])
def test_imoex_files_agree_on_common_dates(shared_data: Path, other: str, common: int) -> None:
    iss = read(shared_data, ISS)["CLOSE"]
    close = pick_price_column(read(shared_data, other), "IMOEX")
    dates = iss.index.intersection(close.index)
    assert len(dates) == common
    pd.testing.assert_series_equal(iss[dates], close[dates], check_names=False)


def test_iss_export_keeps_the_2022_closure_gap(shared_data: Path) -> None:
    dates = read(shared_data, ISS).loc["2022-02-20":"2022-03-31"].index
    assert pd.Timestamp("2022-02-25") in dates
    assert not dates[(dates > "2022-02-25") & (dates < "2022-03-24")].size
    assert pd.Timestamp("2022-03-24") in dates


def test_iss_export_is_named_after_its_secid(shared_data: Path) -> None:
    prices = read_prices(shared_data / ISS)
    assert list(prices.columns) == ["IMOEX"]
    assert prices.loc["2025-08-07", "IMOEX"] == pytest.approx(2876.43)


def test_cbr_usdrub_values(shared_data: Path) -> None:
    usdrub = read(shared_data, USDRUB)["usdrub_cbr"]
    for day, value in CBR_USDRUB.items():
        assert usdrub[day] == pytest.approx(value, abs=1e-9)
    assert pd.Timestamp("2025-08-18") not in usdrub.index  # Monday: use the Saturday record


def test_cbr_eurrub_dates_are_cbr_usdrub_dates(shared_data: Path) -> None:
    eurrub = read(shared_data, "EURRUB_cbr_official_2024-10_2025-12.csv")["eurrub_cbr"]
    assert eurrub["2025-11-06"] == pytest.approx(93.5131)
    assert eurrub.index.isin(read(shared_data, USDRUB).index).all()


def test_finam_export(shared_data: Path) -> None:
    frame = read(shared_data, RTSI)
    assert frame.loc["2022-02-24", "CLOSE"] == pytest.approx(742.91)
    assert pd.Timestamp("2022-02-23") in frame.index
    assert list(read_prices(shared_data / RTSI).columns) == ["RI.RTSI"]


def test_yfinance_multiheader(shared_data: Path) -> None:
    frame = read(shared_data, YFINANCE)
    plain = read(shared_data, "SP500_close_yahoo_2018_2026.csv")["Close"]
    assert len(frame) == 251
    assert frame.loc["2025-08-07", "Close"] == pytest.approx(6340.0)
    pd.testing.assert_series_equal(frame["Close"], plain[frame.index])


def test_junk_last_line_is_dropped_with_one_warning(shared_data: Path) -> None:
    with pytest.warns(DataQualityWarning) as record:
        frame = read_price_file(shared_data / OHLC)
    assert len(record) == 1
    assert re.search(EXPECTED_WARNINGS[OHLC], str(record[0].message))
    assert frame.index[-1] == pd.Timestamp("2026-06-19")


def test_zero_cny_closes_become_missing(shared_data: Path) -> None:
    cnyrub = read(shared_data, CNYRUB)["cnyrub"]
    missing = ["2014-01-06", "2014-01-08", "2014-05-02", "2019-05-03"]
    assert list(cnyrub[cnyrub.isna()].index) == list(pd.to_datetime(missing))
    assert cnyrub["2025-08-07"] == pytest.approx(10.9905)


def test_wide_reference_file_keeps_each_assets_days(shared_data: Path) -> None:
    prices = read_prices(shared_data / WIDE, ["NFLX", "AMZN", "ZM"])
    assert list(prices.columns) == ["NFLX", "AMZN", "ZM"]
    assert prices.loc["2019-04-01", "AMZN"] == pytest.approx(1814.189941)
    assert prices["ZM"].isna().sum() == 13  # Zoom listed on 2019-04-18
    assert prices["AMZN"].notna().all()


@pytest.mark.parametrize(
    ("name", "asset", "value"),
    [
        (USDRUB, "USDRUB", 79.7653),
        ("SP500_close_yahoo_2018_2026.csv", "SP500", 6449.7998046875),
        (RTSI, "RTSI", None),
        (ISS, "IMOEX", 3012.09),
    ],
)
def test_one_asset_file_takes_the_requested_name(
    shared_data: Path, name: str, asset: str, value: float | None
) -> None:
    prices = read_prices(shared_data / name, [asset])
    assert list(prices.columns) == [asset]
    if value is not None:
        assert prices.loc["2025-08-15", asset] == pytest.approx(value)


# ------------------------------------------------------------------------ read_prices


@pytest.fixture
def price_folder(tmp_path: Path, shared_data: Path) -> Path:
    """``IMOEX.csv``, ``USDRUB.csv`` and ``CNYRUB.csv`` as symlinks, plus a README."""
    for asset, name in [("IMOEX", ISS), ("USDRUB", USDRUB), ("CNYRUB", CNYRUB)]:
        (tmp_path / f"{asset}.csv").symlink_to(shared_data / name)
    (tmp_path / "README.md").write_text("not prices")
    return tmp_path


def test_folder_of_symlinks(price_folder: Path) -> None:
    prices = read_prices(price_folder, ["IMOEX", "USDRUB"])
    assert list(prices.columns) == ["IMOEX", "USDRUB"]
    assert prices.index.is_monotonic_increasing and prices.index.is_unique
    assert prices.loc["2025-08-07", "IMOEX"] == pytest.approx(2876.43)
    assert prices.loc["2025-08-15", "USDRUB"] == pytest.approx(79.7653)
    saturday = prices.loc["2025-08-16"]  # CBR record, no MOEX session
    assert np.isnan(saturday["IMOEX"]) and saturday["USDRUB"] == pytest.approx(80.0224)
    assert len(prices) == len(prices["IMOEX"].dropna().index.union(prices["USDRUB"].dropna().index))


def test_folder_without_assets_reads_every_price_file(price_folder: Path) -> None:
    with pytest.warns(DataQualityWarning, match="CNYRUB.csv: 4 zero or negative prices"):
        prices = read_prices(price_folder)
    assert list(prices.columns) == ["CNYRUB", "IMOEX", "USDRUB"]
    assert prices.loc["2025-08-07", "CNYRUB"] == pytest.approx(10.9905)


def test_folder_missing_asset_names_expected_files(price_folder: Path) -> None:
    with pytest.raises(InputError, match=r"expected BRENT\.csv or BRENT\.parquet.*'IMOEX\.csv'"):
        read_prices(price_folder, ["IMOEX", "BRENT"])


def test_folder_asset_names_are_case_sensitive_file_stems(price_folder: Path) -> None:
    with pytest.raises(InputError, match=r"expected imoex\.csv or imoex\.parquet"):
        read_prices(price_folder, ["imoex"])


def test_folder_with_two_files_for_one_asset(price_folder: Path) -> None:
    read_price_file(price_folder / "IMOEX.csv").to_parquet(price_folder / "IMOEX.parquet")
    with pytest.raises(InputError, match="two files for asset 'IMOEX'.*keep one file per asset"):
        read_prices(price_folder, ["IMOEX"])


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no .csv or .parquet files.*<ASSET>.csv"):
        read_prices(tmp_path)


def test_parquet_files_in_a_folder(tmp_path: Path, shared_data: Path) -> None:
    read_price_file(shared_data / ISS).to_parquet(tmp_path / "IMOEX.parquet")
    zoned = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2025-08-06", "2025-08-07"]).tz_localize("America/New_York"),
            "Close": [6345.06, 6340.0],
        }
    )
    zoned.to_parquet(tmp_path / "SP500.parquet")
    prices = read_prices(tmp_path, ["IMOEX", "SP500"])
    assert list(prices.loc["2025-08-07"]) == pytest.approx([2876.43, 6340.0])
    assert isinstance(prices.index, pd.DatetimeIndex) and prices.index.tz is None


def test_wide_file_unknown_asset_lists_columns(shared_data: Path) -> None:
    with pytest.raises(InputError, match=r"no column for asset 'TSLA'.*'AMZN', 'ZM'"):
        read_prices(shared_data / WIDE, ["TSLA"])


def test_one_asset_file_refuses_another_asset(shared_data: Path) -> None:
    with pytest.raises(InputError, match=r"holds one asset \('IMOEX'\), not 'SP500'"):
        read_prices(shared_data / ISS, ["SP500"])


# ------------------------------------------------------------------ pick_price_column


@pytest.mark.parametrize(
    ("columns", "asset", "expected"),
    [
        (["cnyrub", "cnyrub_wap"], "CNYRUB", "cnyrub"),
        (["usdrub_cbr"], "USDRUB", "usdrub_cbr"),
        (["eurrub_cbr", "usdrub_cbr"], "USDRUB", "usdrub_cbr"),
        (["OPEN", "CLOSE"], "IMOEX", "CLOSE"),
        (["<OPEN>", "<CLOSE>"], "RTSI", "<CLOSE>"),
        (["Open", "Close", "Adj Close"], "EEM", "Close"),
        (["Open", "Adj Close"], "EEM", "Adj Close"),
        (["Price"], "BRENT", "Price"),
        (["imoex"], "IMOEX2", "imoex"),
    ],
)
def test_pick_price_column_rules(columns: list[str], asset: str, expected: str) -> None:
    frame = pd.DataFrame([np.arange(1.0, len(columns) + 1)], columns=columns)
    series = pick_price_column(frame, asset)
    assert series.name == asset
    assert series.iloc[0] == columns.index(expected) + 1


def test_pick_price_column_explicit_column() -> None:
    frame = pd.DataFrame({"CLOSE": [1.0], "HIGH": [2.0]})
    assert pick_price_column(frame, "IMOEX", column="HIGH").iloc[0] == 2.0


@pytest.mark.parametrize(
    ("columns", "column", "match"),
    [
        (["CLOSE"], "WAPRICE", r"prices\.csv: no column 'WAPRICE'.*'CLOSE'.*pass column="),
        (["a", "b"], None, r"prices\.csv: cannot tell which column.*'a', 'b'.*pass column="),
        (["cnyrub_wap", "cnyrub_bid"], None, r"cannot tell.*CNYRUB.*pass column="),
    ],
)
def test_pick_price_column_errors(columns: list[str], column: str | None, match: str) -> None:
    frame = pd.DataFrame([[1.0] * len(columns)], columns=columns)
    with pytest.raises(InputError, match=match):
        pick_price_column(frame, "CNYRUB", column=column, path="prices.csv")


# -------------------------------------------------------------------- format detection


@pytest.mark.parametrize(
    "content",
    [
        "date,close\n2025-08-06,2764.62\n2025-08-07,2876.43\n",
        "\ufeffdate,close\r\n2025-08-06,2764.62\r\n\r\n2025-08-07,2876.43\r\n",
        "Date;Close\n06.08.2025;2764,62\n07.08.2025;2876,43\n",
        "DATE\tCLOSE\n20250806\t2764.62\n20250807\t2876.43\n",
        "begin,close\n2025-08-06 00:00:00,2764.62\n2025-08-07 00:00:00,2876.43\n",
        "Datetime,Close\n2025-08-06T00:00:00+03:00,2764.62\n2025-08-07T00:00:00+03:00,2876.43\n",
        'stamp,close\n"2025-08-06","2764.62"\n"2025-08-07","2876.43"\n',
        "TRADEDATE;CLOSE;VALUE\n06.08.2025;2 764,62;1 000\n07.08.2025;2\u00a0876,43;5\n",
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>\n"
        "IMOEX,D,20250806,000000,2791.29,2798.21,2750.1,2764.62,100\n"
        "IMOEX,D,20250807,000000,2836.05,2915.43,2830,2876.43,100\n",
    ],
)
def test_layouts_give_the_same_prices(tmp_path: Path, content: str) -> None:
    prices = read_prices(write(tmp_path, "IMOEX.csv", content))
    assert prices.index.tolist() == list(pd.to_datetime(["2025-08-06", "2025-08-07"]))
    assert prices.iloc[:, 0].tolist() == [2764.62, 2876.43]


def test_finam_bracketed_header_names_the_ticker(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "export.csv",
        "<TICKER>;<PER>;<DATE>;<TIME>;<CLOSE>;<VOL>\nSBER;D;20250807;000000;310,5;10\n",
    )
    assert read_prices(path).columns.tolist() == ["SBER"]
    assert read_price_file(path).columns.tolist() == ["<CLOSE>"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ('"1,234.5"', 1234.5),
        ('"1,234,567"', 1234567.0),
        ("1.234.567,25", 1234567.25),
        ("1 234,5", 1234.5),
        ("2764,62", 2764.62),
        ("1e3", 1000.0),
    ],
)
def test_thousands_and_decimal_marks(tmp_path: Path, cells: str, expected: float) -> None:
    delimiter = "," if cells.startswith('"') or "e" in cells else ";"
    content = f"date{delimiter}close\n2025-08-07{delimiter}{cells}\n"
    frame = read_price_file(write(tmp_path, "p.csv", content))
    assert frame["close"].iloc[0] == pytest.approx(expected)


def test_lone_mark_with_three_digits_follows_the_rest_of_the_file(tmp_path: Path) -> None:
    content = "date;close\n2025-08-06;5,394\n2025-08-07;5,4768\n"
    frame = read_price_file(write(tmp_path, "p.csv", content))
    assert frame["close"].tolist() == [5.394, 5.4768]


def test_column_option_reads_a_non_price_column(shared_data: Path) -> None:
    with pytest.warns(DataQualityWarning, match=r"1 zero or negative price.*'VALUE': line 1017"):
        frame = read_price_file(shared_data / ISS, column="VALUE")
    assert frame.columns.tolist() == ["VALUE"]
    assert frame["VALUE"].iloc[0] == pytest.approx(21076095059.7)


def test_missing_values_stay_missing(tmp_path: Path) -> None:
    content = "date,a,b\n2025-08-06,1.5,\n2025-08-07,NA,2.5\n"
    frame = read_price_file(write(tmp_path, "p.csv", content))
    assert frame.isna().to_numpy().tolist() == [[False, True], [True, False]]




def test_negative_price_becomes_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "date,close\n2025-08-06,-1\n2025-08-07,2\n")
    with pytest.warns(DataQualityWarning, match=r"1 zero or negative price .*line 2\)"):
        frame = read_price_file(path)
    assert np.isnan(frame["close"].iloc[0])


# ------------------------------------------------------------------------- bad input

FIX = r"; \S"  # every message ends with "; <how to fix it>"

BAD_FILES = [
    ("empty", b"", r"bad\.csv: the file is empty"),
    ("header only", b"date,close\n", r"bad\.csv: only a header, no data rows"),
    ("nul bytes", b"date,close\n2025-08-06,1\x00\n", r"bad\.csv:2: contains NUL bytes"),
    ("utf-16", "date,close\n".encode("utf-16"), r"bad\.csv:1: contains NUL bytes.*UTF-8"),
    (
        "neither utf-8 nor cp1251",
        b"date,close\n2025-08-06,1\n\x98,2\n",
        r"bad\.csv:3: neither UTF-8 nor Windows-1251 text \(byte 0x98",
    ),
    (
        "ambiguous date",
        b"date,close\n2025-08-06,1\n03/04/2025,2\n",
        r"bad\.csv:3: column 'date': date '03/04/2025' is not in the file's date format "
        r"YYYY-MM-DD; write dates as YYYY-MM-DD",
    ),
    (
        "ambiguous first date",
        b"date,close\n03/04/2025,2\n",
        r"bad\.csv:2: column 'date': date '03/04/2025' is ambiguous.*YYYY-MM-DD",
    ),
    (
        "unparseable date",
        b"date,close\nyesterday,2\n",
        r"bad\.csv:2: column 'date': date 'yesterday' is not a date.*YYYY-MM-DD",
    ),
    (
        "no calendar date",
        b"date,close\n2025-08-06,1\n2025-02-30,2\n",
        r"bad\.csv:3: column 'date': date '2025-02-30' is not a calendar date",
    ),
    (
        "unnamed first column",
        b"when,close\nsoon,2\n",
        r"bad\.csv:2: column 'when': .*in a first column named 'date'",
    ),
    (
        "text price",
        b"date,close\n2025-08-06,1\n2025-08-07,abc\n",
        r"bad\.csv:3: column 'close': price 'abc' is not a number",
    ),
    (
        "currency in a mostly numeric column",
        b"date,imoex\n2025-08-06,1\n2025-08-07,2\n2025-08-08,3 RUB\n",
        r"bad\.csv:4: column 'imoex': price '3 RUB' is not a number",
    ),
    (
        "decimal comma in a comma file",
        b'date,close\n2025-08-06,1.5\n2025-08-07,"2,25"\n',
        r"bad\.csv:3: column 'close': '2,25' has a decimal comma, but '1.5' \(line 2",
    ),
    (
        "unclosed quote",
        b'date,close\n2025-08-06,1\n"2025-08-07,2\n2025-08-08,3\n',
        r"bad\.csv:3: broken quoting",
    ),
    ("stray quote", b'date,close\n2025-08-06,"1"5\n', r"bad\.csv:2: broken quoting"),
    (
        "extra field",
        b"date,close\n2025-08-06,1,7\n",
        r"bad\.csv:2: 3 fields but the header has 2; check the delimiter",
    ),
    (
        "no numeric column",
        b"date,name\n2025-08-06,IMOEX\n",
        r"bad\.csv: no numeric price column \(columns: 'date', 'name'\)",
    ),
    ("no header", b"2025-08-06,1\n", r"bad\.csv:1: the first line '2025-08-06,1' is data"),
    ("duplicate names", b"date,close,close\n2025-08-06,1,2\n", r"bad\.csv:1: duplicate column"),
    (
        "several securities",
        b"SECID;TRADEDATE;CLOSE\nIMOEX;06.08.2025;1\nRTSI;06.08.2025;2\n",
        r"bad\.csv: column 'SECID': several securities in one file \(IMOEX, RTSI\)",
    ),
    (
        "several yfinance tickers",
        b"Price,Close,Close\nTicker,^GSPC,EEM\nDate,,\n2025-08-06,1,2\n",
        r"bad\.csv:1: a yfinance file with several tickers \(EEM, \^GSPC\)",
    ),
]


@pytest.mark.parametrize(
    ("content", "match"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_csv_is_an_input_error(tmp_path: Path, content: bytes, match: str) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError, match=match) as raised:
        read_price_file(path)
    assert str(path) in str(raised.value)
    assert re.search(FIX, str(raised.value))


def test_unreadable_parquet(tmp_path: Path) -> None:
    path = write(tmp_path, "IMOEX.parquet", b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"IMOEX\.parquet: not a readable Parquet file.*CSV"):
        read_price_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.csv: no such file; check the path"):
        read_price_file(tmp_path / "nothere.csv")


def test_folder_is_not_a_price_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is a folder, not a price file; name a .csv"):
        read_price_file(tmp_path)


def test_missing_column_option(shared_data: Path) -> None:
    with pytest.raises(InputError, match=r"no price column 'WAPRICE' \(columns: 'BOARDID'"):
        read_price_file(shared_data / ISS, column="WAPRICE")


def test_empty_folder_names_the_expected_files_of_requested_assets(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"expected IMOEX\.csv or IMOEX\.parquet; the folder"):
        read_prices(tmp_path, ["IMOEX"])


def test_no_assets_requested(shared_data: Path) -> None:
    with pytest.raises(InputError, match="no assets requested; name at least one asset"):
        read_prices(shared_data / WIDE, [])
