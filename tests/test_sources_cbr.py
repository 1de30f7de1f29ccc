"""Bank of Russia source against the replay server (windows-1251 XML, real rates)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from eventstudy.errors import DataUnavailableError
from eventstudy.sources.base import NoDataError, get_source
from eventstudy.sources.cbr import CbrSource, parse_xml_dynamic

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait


def usd_csv(shared_data) -> pd.Series:
    frame = pd.read_csv(shared_data / "USDRUB_cbr_official_2014_2026.csv", parse_dates=["date"])
    return pd.Series(frame["usdrub_cbr"].to_numpy(dtype=float),
                     index=pd.DatetimeIndex(frame["date"], name="date"))


def test_registered_under_cbr() -> None:
    assert isinstance(get_source("cbr"), CbrSource)


def test_rate_is_dated_by_the_day_it_was_set(replay) -> None:
    series = CbrSource().fetch("R01235", date(2025, 8, 4), date(2025, 8, 15))
    # effective 2025-08-08 (the file's date) = 79.3847, set on Thursday 2025-08-07
    assert series[pd.Timestamp("2025-08-07")] == 79.3847
    assert series[pd.Timestamp("2025-08-06")] == 80.1914
    # the Saturday 2025-08-16 record was set on Friday 2025-08-15
    assert series[pd.Timestamp("2025-08-15")] == 80.0224
    assert series.index.name == "date" and series.index.tz is None
    params = replay.requests[0].params
    # asks for the effective dates one day later, in DD/MM/YYYY
    assert params == {"date_req1": "05/08/2025", "date_req2": "16/08/2025", "VAL_NM_RQ": "R01235"}


def test_whole_history_matches_the_csv_shifted_to_the_set_day(replay, shared_data) -> None:
    series = CbrSource().fetch("R01235", date(2013, 12, 31), date(2026, 8, 21))
    expected = usd_csv(shared_data)
    expected.index = pd.DatetimeIndex(expected.index - timedelta(days=1), name="date").as_unit("ns")
    pd.testing.assert_series_equal(series, expected, check_names=False)
    assert series.index.is_unique
    assert (series.index.day_of_week < 6).all()  # never a Sunday
    # working Saturdays on which the Bank set a rate (exchange calendars miss them)
    for saturday in ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01"]:
        assert pd.Timestamp(saturday) in series.index


def test_eur(replay) -> None:
    series = CbrSource().fetch("R01239", date(2025, 11, 1), date(2025, 11, 7))
    assert series[pd.Timestamp("2025-11-05")] == 93.5131  # effective 2025-11-06


@pytest.mark.parametrize("currency", ["R90235", "R91235"])
def test_value_is_divided_by_nominal(replay, currency) -> None:
    """The replay serves the USD rate per 10 (R90235) and per 100 (R91235) units."""
    raw = replay_raw(replay, currency)
    nominal, value = {"R90235": ("10", "793,8470"), "R91235": ("100", "7938,4700")}[currency]
    assert f"<Nominal>{nominal}</Nominal><Value>{value}</Value>" in raw  # 79.3847 per unit
    per_unit = CbrSource().fetch(currency, date(2025, 8, 1), date(2025, 8, 31))
    usd = CbrSource().fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))
    pd.testing.assert_series_equal(per_unit, usd, check_names=False)


def replay_raw(replay, currency: str) -> str:
    import requests

    response = requests.get(f"{replay.url}/scripts/XML_dynamic.asp", timeout=5, params={
        "date_req1": "08/08/2025", "date_req2": "08/08/2025", "VAL_NM_RQ": currency})
    assert response.headers["Content-Type"] == "application/xml; charset=windows-1251"
    return response.content.decode("cp1251")


def test_parser_decodes_windows_1251_commas_and_nominal() -> None:
    xml = (
        '<?xml version="1.0" encoding="windows-1251"?>'
        '<ValCurs ID="R01375" DateRange1="01.01.2020" DateRange2="10.01.2020" '
        'name="Динамика курса юаня">'
        '<Record Date="10.01.2020" Id="R01375"><Nominal>10</Nominal><Value>88,7602</Value>'
        "</Record>"
        '<Record Date="09.01.2020" Id="R01375"><Nominal>100</Nominal><Value>887,1</Value>'
        "</Record></ValCurs>"
    ).encode("cp1251")
    series = parse_xml_dynamic(xml)
    assert series.index.tolist() == [pd.Timestamp("2020-01-09"), pd.Timestamp("2020-01-10")]
    assert series.tolist() == [8.871, 8.87602]


def test_empty_valcurs_is_no_data(replay) -> None:
    # the New-Year gap: effective 2024-12-29, then 2025-01-10, so nothing set 1-7 January
    with pytest.raises(NoDataError, match="no data for R01235 between 2025-01-01 and 2025-01-07"):
        CbrSource().fetch("R01235", date(2025, 1, 1), date(2025, 1, 7))
    replay.inject("empty")
    with pytest.raises(NoDataError, match="empty ValCurs"):
        CbrSource().fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncated", r"malformed XML from http://127\.0\.0\.1:\d+/scripts/XML_dynamic\.asp\?"),
        ("html", r"sent <html> instead of <ValCurs> from .*Access denied"),
    ],
)
def test_malformed_xml_is_a_clear_error(replay, fault, message) -> None:
    replay.inject(fault, times=None)
    with pytest.raises(DataUnavailableError, match=message):
        CbrSource().fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))


def test_unreadable_record_is_a_clear_error() -> None:
    xml = b'<ValCurs><Record Date="08.08.2025"><Nominal>1</Nominal><Value>n/a</Value></Record>' \
          b"</ValCurs>"
    with pytest.raises(DataUnavailableError, match="unreadable record"):
        parse_xml_dynamic(xml)


def test_503_then_success(replay, no_wait) -> None:
    replay.inject("503", times=1)
    series = CbrSource().fetch("R01235", date(2025, 8, 7), date(2025, 8, 7))
    assert series.tolist() == [79.3847]
    assert replay.count() == 2 and no_wait == [0.5]


def test_persistent_500(replay, no_wait) -> None:
    replay.inject("500", times=None)
    with pytest.raises(DataUnavailableError,
                       match=r"Bank of Russia unavailable: GET .*XML_dynamic\.asp.*HTTP 500"):
        CbrSource().fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))
    assert replay.count() == 3


def test_timeout(replay, no_wait) -> None:
    replay.inject("hang", times=None)
    with pytest.raises(DataUnavailableError, match="timeout"):
        CbrSource(timeout=0.3).fetch("R01235", date(2025, 8, 1), date(2025, 8, 31))


def test_not_a_currency_id() -> None:
    with pytest.raises(DataUnavailableError, match="not a Bank of Russia currency ID"):
        CbrSource().fetch("USD", date(2025, 8, 1), date(2025, 8, 31))


def test_base_url_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("EVENTSTUDY_CBR_URL", "http://mirror.example/")
    assert CbrSource().base_url == "http://mirror.example"
    monkeypatch.delenv("EVENTSTUDY_CBR_URL")
    assert CbrSource().base_url == "https://www.cbr.ru"
