"""Intraday studies (issue 12): bar files, sessions, bar 0, time-of-day variances and tests.

Every statistic is checked against a hand computation in plain pandas/scipy on the
real files of ../shared/data/intraday, read independently of the package's reader.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.errors import ConfigError, InputError
from eventstudy.events_panel import read_cbr_decisions
from eventstudy.sources.intraday import BarFile, read_bar_file
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset
from eventstudy.timing.bars import Session, bar0_positions, bar_series, in_session

REPO = Path(__file__).resolve().parent.parent
MOSCOW = "Europe/Moscow"
HOUR = pd.Timedelta(hours=1)


def events(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """Events frame from ``(id, date, time, timezone)`` rows."""
    return pd.DataFrame([{"id": i, "date": d, "time": t, "timezone": z, "event": f"event {i}"}
                         for i, d, t, z in rows])


def imoex_hourly(shared_data: Path) -> pd.Series:
    """IMOEX hourly closes read with plain pandas: naive Moscow time, bar start."""
    frame = pd.read_csv(shared_data / "intraday" / "IMOEX_hourly_iss_2022-06_2026-05.csv")
    index = pd.DatetimeIndex(pd.to_datetime(frame["dt"])).tz_localize(MOSCOW)
    return pd.Series(frame["close"].to_numpy(), index=index)


# -- reading files ---------------------------------------------------------------------------


def test_reader_forms_give_the_same_instants(tmp_path: Path) -> None:
    iso = tmp_path / "iso.csv"
    iso.write_text("datetime,close\n2024-03-08 15:59:00-05:00,10\n2024-03-11 09:30:00-04:00,11\n")
    naive = tmp_path / "naive.csv"
    naive.write_text("dt,close\n2024-03-08 15:59:00,10\n2024-03-11 09:30:00,11\n")
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("time,open,close\n1709931540,9,10\n1710163800,10,11")  # no trailing newline
    expected = pd.DatetimeIndex(["2024-03-08 20:59", "2024-03-11 13:30"], tz="UTC")
    minute = pd.Timedelta(minutes=1)
    for path in (iso, naive, epoch):
        series = read_bar_file(BarFile(path, timezone="America/New_York"), minute)
        assert list(series.index) == list(expected), path.name
        assert series.tolist() == [10.0, 11.0]


def test_reader_end_labels_and_shift(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("begin,close\n2024-12-20 16:30:00+03:00,242.99\n")
    end = read_bar_file(BarFile(path, bar_label="end"), pd.Timedelta(minutes=10))
    assert end.index[0] == pd.Timestamp("2024-12-20 13:20", tz="UTC")
    shifted = read_bar_file(BarFile(path, shift="-3h"), pd.Timedelta(minutes=10))
    assert shifted.index[0] == pd.Timestamp("2024-12-20 10:30", tz="UTC")  # 13:30 MSK


def test_reader_refuses_mixed_and_bad_stamps_with_the_line(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("time,close\n2024-03-08 15:59:00-05:00,10\n2024-03-08 16:00:00,11\n")
    with pytest.raises(InputError) as caught:
        read_bar_file(BarFile(mixed), HOUR)
    assert caught.value.line == 3 and caught.value.column == "time"
    bad = tmp_path / "bad.csv"
    bad.write_text("time,close\n2024-03-08 15:59:00,10\nyesterday,11\n")
    with pytest.raises(InputError) as caught:
        read_bar_file(BarFile(bad), HOUR)
    assert caught.value.line == 3
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("time,close\n2024-03-08 15:59:00,10\n2024-03-08 15:59:00,11\n")
    with pytest.raises(InputError) as caught:
        read_bar_file(BarFile(repeated), HOUR)
    assert caught.value.line == 3


def test_parquet_in_utc_and_the_session_drops_off_exchange_bars(shared_data: Path) -> None:
    path = shared_data / "intraday" / "SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet"
    series = read_bar_file(BarFile(path, timezone=MOSCOW), pd.Timedelta(minutes=1))
    raw = pd.read_parquet(path)
    assert len(series) == len(raw) == 95_800
    assert series.index[0] == raw["time"].iloc[0]
    keep = in_session(pd.DatetimeIndex(series.index), MOSCOW, Session.parse("06:50-23:50"))
    local = pd.DatetimeIndex(series.index).tz_convert(MOSCOW)
    # independent: weekday bars between 06:50 and 23:50 Moscow time
    minutes = local.hour * 60 + local.minute
    expected = (local.day_of_week < 5) & (minutes >= 410) & (minutes < 1430)
    assert (keep == np.asarray(expected)).all()
    assert not (local[keep].day_of_week >= 5).any() and (local.day_of_week >= 5).any()


def test_spy_iso_offsets_across_the_clock_change(shared_data: Path) -> None:
    path = shared_data / "intraday" / "SPY_1min_2024-02-20_2024-05-17.csv"
    series = read_bar_file(BarFile(path, timezone="America/New_York"), pd.Timedelta(minutes=1))
    local = pd.DatetimeIndex(series.index).tz_convert("America/New_York")
    # the first bar of each day is in the 04:00 hour, New York time, before and after 10 March
    # (minutes without trades are absent; a wrong offset would put it at 03:xx or 05:xx)
    first = pd.Series(local).groupby(local.date).min()
    assert set(first.dt.hour) == {4} and len(first) == 63
    assert series.index[0] == pd.Timestamp("2024-02-20 09:00", tz="UTC")


# -- bar 0 -------------------------------------------------------------------------------------


def test_bar0_inside_a_bar_after_the_close_and_over_a_weekend() -> None:
    starts = pd.DatetimeIndex(["2025-08-08 15:00", "2025-08-11 06:00", "2025-08-11 07:00"], tz="UTC")
    announced = pd.Series(pd.to_datetime(["2025-08-08 15:59:59", "2025-08-09 12:00:00", "2025-08-11 07:00:00",
                                          "2025-08-20 10:00:00"], utc=True))
    positions, outside = bar0_positions(starts, HOUR, announced)
    assert positions.tolist() == [0, 1, 2, -1]
    assert outside.tolist() == [False, True, False, True]
    bars = bar_series(pd.Series([1.0, 2.0, 3.0], index=starts), MOSCOW)
    assert bars.opening.tolist() == [True, True, False]  # the Monday bar carries the weekend gap


# -- the seed: three announcements share day 0, not bar 0 -------------------------------------


@pytest.fixture
def seed_results(shared_data: Path, tmp_path: Path) -> es.Results:
    table = events(("WH_MEETING", "2025-08-06", "20:00", MOSCOW),
                   ("INDIA_TARIFF", "2025-08-06", "20:00", MOSCOW),
                   ("SUMMIT_AGREED", "2025-08-07", "11:20", MOSCOW))
    study = es.EventStudy.from_file(_seed_file(shared_data, tmp_path), table)
    return study.run()


def _seed_file(shared_data: Path, folder: Path) -> Path:
    path = folder / "seed.toml"
    path.write_text(
        "[study]\ninterval = \"1h\"\nassets = [\"IMOEX\"]\nestimation = [-300, -11]\n"
        "windows = [[0, 0], [0, 2]]\nevent_window = [-3, 3]\n\n[assets.IMOEX]\n"
        f"file = \"{(shared_data / 'intraday' / 'IMOEX_hourly_iss_2022-06_2026-05.csv').as_posix()}\"\n"
        "timezone = \"Europe/Moscow\"\nbar_label = \"start\"\n", encoding="utf-8")
    return path


def test_seed_overnight_bar_and_the_kremlin_hour_come_apart(seed_results: es.Results,
                                                            shared_data: Path) -> None:
    car = seed_results.car.query("start == 0 and end == 0").set_index("event_id")
    assert car.loc["WH_MEETING", "day0"] == "2025-08-07T09:00:00+03:00"
    assert car.loc["INDIA_TARIFF", "day0"] == "2025-08-07T09:00:00+03:00"
    assert car.loc["SUMMIT_AGREED", "day0"] == "2025-08-07T11:00:00+03:00"
    assert car["overnight"].tolist() == [True, True, False]
    assert "market was closed" in car.loc["WH_MEETING", "flags"]
    ar = seed_results.abnormal_returns.query("bar == 0").set_index("event_id")
    # hand: the overnight bar runs from the 6 August close (18:00 bar) to the 09:00 bar's close
    assert ar.loc["WH_MEETING", "return"] == pytest.approx(math.log(2833.96 / 2764.62), abs=1e-12)
    # the 11:00 bar: from the 10:00 bar's close to its own (+2.1% within the hour)
    assert ar.loc["SUMMIT_AGREED", "return"] == pytest.approx(math.log(2904.11 / 2844.74), abs=1e-12)
    assert bool(ar.loc["WH_MEETING", "overnight"]) and not bool(ar.loc["SUMMIT_AGREED", "overnight"])

    # Independent time-of-day statistics for the 11:00 bar, in plain pandas.
    closes = imoex_hourly(shared_data)
    returns = np.log(closes).diff()
    bar0 = int(np.flatnonzero(closes.index == pd.Timestamp("2025-08-07 11:00", tz=MOSCOW))[0])
    window = returns.iloc[bar0 - 300: bar0 - 10]
    mean = window.mean()
    resid = window - mean
    day = pd.Series(closes.index.date, index=closes.index)
    opening = day.ne(day.shift())
    slot = pd.Series(closes.index.strftime("%H:%M"), index=closes.index).where(~opening, "open")
    by_slot = resid.groupby(slot.loc[window.index])
    s2 = by_slot.var(ddof=1)
    n = by_slot.size()
    sigma2 = (resid ** 2).sum() / (len(window) - 1)
    var_ar = s2["11:00"] + sigma2 / len(window)
    ar0 = returns.iloc[bar0] - mean
    t = ar0 / math.sqrt(var_ar)
    row = car.loc["SUMMIT_AGREED"]
    assert row["car"] == pytest.approx(ar0, rel=1e-10)
    assert row["se"] == pytest.approx(math.sqrt(var_ar), rel=1e-10)
    assert row["t"] == pytest.approx(t, rel=1e-10)
    assert row["pvalue"] == pytest.approx(2 * stats.t.sf(abs(t), n["11:00"] - 1), rel=1e-8)
    # empirical: the 11:00 residuals of the estimation days
    same = resid[slot.loc[window.index] == "11:00"]
    above, below = (same >= ar0).sum(), (same <= ar0).sum()
    assert row["pvalue_empirical"] == pytest.approx(min(1, 2 * min(1 + above, 1 + below) / (1 + len(same))))
    # the overnight bar is judged against opening bars, with their own (larger) variance
    night_bar0 = bar0 - 2
    night = returns.iloc[night_bar0 - 300: night_bar0 - 10]
    night_resid = night - night.mean()
    night_s2 = night_resid.groupby(slot.loc[night.index]).var(ddof=1)
    night_sigma2 = (night_resid ** 2).sum() / (len(night) - 1)
    expected_se = math.sqrt(night_s2["open"] + night_sigma2 / len(night))
    assert car.loc["WH_MEETING", "se"] == pytest.approx(expected_se, rel=1e-10)
    assert car.loc["WH_MEETING", "car"] == pytest.approx(returns.iloc[night_bar0] - night.mean(), rel=1e-10)
    assert night_s2["open"] > 2 * night_s2["11:00"]


def test_seed_car_over_three_bars_sums_slot_variances(seed_results: es.Results, shared_data: Path) -> None:
    closes = imoex_hourly(shared_data)
    returns = np.log(closes).diff()
    bar0 = int(np.flatnonzero(closes.index == pd.Timestamp("2025-08-07 11:00", tz=MOSCOW))[0])
    window = returns.iloc[bar0 - 300: bar0 - 10]
    resid = window - window.mean()
    day = pd.Series(closes.index.date, index=closes.index)
    slot = pd.Series(closes.index.strftime("%H:%M"), index=closes.index).where(day.eq(day.shift()), "open")
    s2 = resid.groupby(slot.loc[window.index]).var(ddof=1)
    sigma2 = (resid ** 2).sum() / (len(window) - 1)
    hours = ["11:00", "12:00", "13:00"]
    var_car = s2[hours].sum() + sigma2 * 9 / len(window)
    row = seed_results.car.query("event_id == 'SUMMIT_AGREED' and end == 2").iloc[0]
    assert row["car"] == pytest.approx((returns.iloc[bar0: bar0 + 3] - window.mean()).sum(), rel=1e-10)
    assert row["se"] == pytest.approx(math.sqrt(var_car), rel=1e-10)


# -- a mislabelled clock ----------------------------------------------------------------------


@pytest.mark.parametrize(("shift", "bar0_return"), [("-3h", math.log(242.99 / 231.09)), ("", None)])
def test_shifted_iss_file_needs_the_shift(shared_data: Path, shift: str, bar0_return: float | None) -> None:
    path = shared_data / "intraday" / "SBER_10min_iss_shifted_2022-01_2024-12.csv"
    series = read_bar_file(BarFile(path, timezone=MOSCOW, shift=shift), pd.Timedelta(minutes=10), "SBER")
    table = events(("CBR-2024_12", "2024-12-20", "13:30", MOSCOW))
    study = es.EventStudy(table, series.to_frame(), interval="10min", estimation=(-800, -20),
                          event_window=(-2, 20), windows=[(0, 0)],
                          asset_info={"SBER": Asset("SBER", "file", "SBER", timezone=MOSCOW)})
    ar = study.run().abnormal_returns.set_index("bar")
    if bar0_return is not None:
        assert ar.loc[0, "return"] == pytest.approx(bar0_return, abs=1e-12)
        assert ar.loc[0, "date"] == "2024-12-20T13:30:00+03:00"
    else:  # unshifted, the jump shows 3 hours (18 bars) late, labelled 16:30
        assert abs(ar.loc[0, "return"]) < 0.005
        assert ar.loc[18, "return"] == pytest.approx(math.log(242.99 / 231.09), abs=1e-12)
        assert ar.loc[18, "date"] == "2024-12-20T16:30:00+03:00"


# -- FOMC on Unix-second bars, settings, outputs ------------------------------------------------


def test_spx_epoch_fomc_bar0_in_new_york_time(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "intraday" / "SPX_5min_epoch_2025-02-10_2026-02-13.csv"
    config = tmp_path / "fomc.toml"
    config.write_text(
        "[study]\ninterval = \"5min\"\nassets = [\"SPX\"]\nestimation = [-2000, -10]\n"
        "windows = [[0, 0], [0, 5]]\nevent_window = [-6, 12]\n\n[assets.SPX]\n"
        f"file = \"{path.as_posix()}\"\ntimezone = \"America/New_York\"\nsession = \"09:30-16:00\"\n")
    table = events(("FOMC_2025_09", "2025-09-17", "14:00", "America/New_York"),
                   ("FOMC_2025_03", "2025-03-19", "14:00", "America/New_York"))
    results = es.EventStudy.from_file(config, table).run()
    car = results.car.query("end == 0").set_index("event_id")
    assert car.loc["FOMC_2025_09", "day0"] == "2025-09-17T14:00:00-04:00"
    raw = pd.read_csv(path)
    at = int(np.flatnonzero(raw["time"] == 1758132000)[0])  # 2025-09-17 18:00 UTC
    ar = results.abnormal_returns.query("event_id == 'FOMC_2025_09' and bar == 0").iloc[0]
    assert ar["return"] == pytest.approx(math.log(raw["close"][at] / raw["close"][at - 1]), abs=1e-12)
    out = results.save(tmp_path / "out", figures="summary")
    record = (out / "study.json").read_text()
    assert '"interval": "5min"' in record and '"timezone": "America/New_York"' in record
    assert '"bar_label": "start"' in record
    saved = pd.read_csv(out / "abnormal_returns.csv")
    assert "bar" in saved.columns and "day" not in saved.columns
    back = es.Results.from_folder(out)
    assert back.spec.interval == "5min"
    assert back.car["day0"].tolist() == results.car["day0"].tolist()
    assert (out / "figures" / "intraday_SPX.png").is_file()


def test_interval_setting_is_checked_and_has_a_flag() -> None:
    with pytest.raises(ConfigError):
        StudySpec(interval="2h")
    done = subprocess.run([sys.executable, "-m", "eventstudy.cli", "run", "--help"], capture_output=True,
                          text=True, check=True, cwd=REPO)
    assert "--interval" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "eventstudy.cli", "run", "seeds/events.csv", "--config",
                          "seeds/summer-2025.toml", "--interval", "2h", "--out", "unused"],
                         capture_output=True, text=True, check=False, cwd=REPO)
    assert bad.returncode == 2 and "--interval" in bad.stderr


def test_models_without_a_bar_version_are_refused(shared_data: Path) -> None:
    series = imoex_hourly(shared_data).rename("IMOEX")
    study = es.EventStudy(events(("X", "2025-08-07", "11:20", MOSCOW)), series.to_frame(), interval="1h",
                          model="garch", benchmark=["IMOEX"], assets=["IMOEX"])
    with pytest.raises(ConfigError):
        study.run()


# -- Bank of Russia decisions: the Russian-dated list, IMOEX hourly and SBER 1-minute --------------


def test_cbr_list_converts_with_release_times(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "panel" / "events" / "cbr_key_rate_decisions_2020-03_2025-10.csv"
    table = read_cbr_decisions(path).set_index("id")
    assert len(table) == 50
    assert table.loc["CBR-2023-08-15", "time"] == "10:30"
    assert table.loc["CBR-2024-12-20", ["time", "timezone", "group"]].tolist() == ["13:30", MOSCOW, "hold"]
    assert table.loc["CBR-2025-10-24", "group"] == "cut" and table.loc["CBR-2023-08-15", "group"] == "hike"
    assert "CBR-2022-04-08" in table.index and "CBR-2022-04-11" not in table.index  # effective-date slip
    assert table.loc["CBR-2022-02-28", "time"] == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("date,change_key_rate,basis_points,key_rate\n24 октября 2025,снизить,50,16.5\n"
                   "31 Octobre 2025,снизить,50,16.5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cbr_decisions(bad)
    assert caught.value.line == 3 and caught.value.column == "date"


def test_cbr_decisions_on_imoex_hourly(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "panel" / "events" / "cbr_key_rate_decisions_2020-03_2025-10.csv"
    table = read_cbr_decisions(path).query("date >= '2022-09-16'")
    results = es.EventStudy.from_file(_seed_file(shared_data, tmp_path), table).run()
    ar = results.abnormal_returns.query("bar == 0").set_index("event_id")
    assert ar.loc["CBR-2024-12-20", "date"] == "2024-12-20T13:00:00+03:00"
    closes = imoex_hourly(shared_data)
    at = int(np.flatnonzero(closes.index == pd.Timestamp("2024-12-20 13:00", tz=MOSCOW))[0])
    assert closes.iloc[at] == 2545.23
    assert ar.loc["CBR-2024-12-20", "return"] == pytest.approx(math.log(2545.23 / closes.iloc[at - 1]))
    # the extraordinary 10:30 meeting falls in the opening 10:00 bar, which carries the night's gap
    assert ar.loc["CBR-2023-08-15", "date"] == "2023-08-15T10:00:00+03:00"
    assert bool(ar.loc["CBR-2023-08-15", "overnight"])
    car = results.car.query("end == 0").set_index("event_id")
    assert not bool(car.loc["CBR-2023-08-15", "overnight"])  # the market was open at 10:30
    assert len(car) == table["id"].size


def test_cbr_decisions_on_sber_minutes_with_the_session(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "intraday" / "SBER_1m_tinvest_utc_2025-08-10_2025-11-08.parquet"
    config = tmp_path / "sber.toml"
    config.write_text(
        "[study]\ninterval = \"1min\"\nassets = [\"SBER\"]\nestimation = [-11500, -30]\n"
        "windows = [[0, 0], [0, 10]]\nevent_window = [-10, 30]\n\n[assets.SBER]\n"
        f"file = \"{path.as_posix()}\"\ntimezone = \"Europe/Moscow\"\nsession = \"09:50-18:50\"\n")
    table = events(("CBR-2025-09-12", "2025-09-12", "13:30", MOSCOW),
                   ("CBR-2025-10-24", "2025-10-24", "13:30", MOSCOW))
    results = es.EventStudy.from_file(config, table).run()
    ar = results.abnormal_returns.query("bar == 0").set_index("event_id")
    raw = pd.read_parquet(path).set_index("time")["close"]
    at = raw.index.get_loc(pd.Timestamp("2025-10-24 10:30", tz="UTC"))
    assert raw.iloc[at] == 294.50
    assert ar.loc["CBR-2025-10-24", "return"] == pytest.approx(math.log(294.50 / raw.iloc[at - 1]), abs=1e-12)
    assert ar.loc["CBR-2025-10-24", "date"] == "2025-10-24T13:30:00+03:00"
    # the estimation bars hold no off-exchange bar: every bar-0 slot has one bar per estimation day
    row = results.car.query("event_id == 'CBR-2025-10-24' and end == 0").iloc[0]
    assert np.isfinite(row["pvalue_empirical"]) and np.isfinite(row["t"])
