"""load_live_prices and the fetch / assets commands, against the replay server."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.errors import ConfigError, DataUnavailableError
from eventstudy.sources.base import series_sha256
from eventstudy.sources.live import fetch_asset, load_live_prices, source_for
from eventstudy.sources.moex import MoexSource
from eventstudy.timing.assets import Asset, resolve_asset

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

AUG = (date(2025, 8, 1), date(2025, 8, 31))


def assets(*names: str) -> list[Asset]:
    return [resolve_asset(n) for n in names]


def test_wide_frame_and_provenance(replay, tmp_path) -> None:
    prices, provenance = load_live_prices(assets("IMOEX", "RUBUSD", "USDRUB", "CNYRUB"), *AUG,
                                          cache_dir=tmp_path, progress=False)
    assert list(prices.columns) == ["IMOEX", "RUBUSD", "USDRUB", "CNYRUB"]
    assert prices.index.name == "date" and prices.index.tz is None
    assert prices.index.is_monotonic_increasing and prices.index.is_unique
    assert all(str(t) == "float64" for t in prices.dtypes)
    day = pd.Timestamp("2025-08-07")
    assert prices.loc[day, "IMOEX"] == 2876.43
    assert prices.loc[day, "USDRUB"] == 79.3847
    assert prices.loc[day, "RUBUSD"] == 1 / 79.3847
    assert prices.loc[day, "CNYRUB"] == 10.9905
    pd.testing.assert_series_equal(prices["RUBUSD"], 1 / prices["USDRUB"], check_names=False)
    # RUBUSD and USDRUB share one series: asked once
    assert replay.count("XML_dynamic") == 1
    records = {r.asset: r for r in provenance}
    assert [r.asset for r in provenance] == list(prices.columns)
    imoex, rubusd = records["IMOEX"], records["RUBUSD"]
    assert (imoex.source, imoex.symbol, imoex.base_url) == ("moex", "IMOEX", replay.url)
    assert (rubusd.source, rubusd.symbol, rubusd.base_url) == ("cbr", "R01235", replay.url)
    assert (imoex.first, imoex.last) == ("2025-08-01", "2025-08-29")
    assert rubusd.sha256 == series_sha256(prices["RUBUSD"].dropna())
    assert rubusd.sha256 != records["USDRUB"].sha256
    assert imoex.fetched_at is not None and imoex.fetched_at.endswith("+00:00")
    assert imoex.path is not None and imoex.path.startswith(str(tmp_path))


def test_offline_rerun_gives_the_same_frame_and_hashes(replay, tmp_path) -> None:
    first = load_live_prices(assets("IMOEX", "RUBUSD"), *AUG, cache_dir=tmp_path)
    replay.clear()
    second = load_live_prices(assets("IMOEX", "RUBUSD"), *AUG, cache_dir=tmp_path, offline=True)
    assert replay.count() == 0
    pd.testing.assert_frame_equal(first[0], second[0])
    assert [r.sha256 for r in first[1]] == [r.sha256 for r in second[1]]


def test_yahoo_asset_through_the_cache(replay, tmp_path, monkeypatch, shared_data) -> None:
    frame = pd.read_csv(shared_data / "SP500_ohlcv_yfinance_multiheader_2025_2026.csv",
                        header=[0, 1], index_col=0, parse_dates=True)
    calls = []

    def download(symbol, **kwargs):
        calls.append(symbol)
        return frame

    monkeypatch.setattr("yfinance.download", download)
    prices, provenance = load_live_prices(assets("SP500", "IMOEX"), *AUG, cache_dir=tmp_path)
    assert prices.loc["2025-08-07", "SP500"] == frame.loc["2025-08-07", ("Close", "^GSPC")]
    assert provenance[0].base_url == "https://finance.yahoo.com"
    load_live_prices(assets("SP500"), *AUG, cache_dir=tmp_path)
    assert calls == ["^GSPC"]


def test_failure_names_asset_source_and_remedies(replay, tmp_path, no_wait) -> None:
    replay.inject("500", times=None)
    with pytest.raises(DataUnavailableError) as info:
        load_live_prices(assets("IMOEX"), *AUG, cache_dir=tmp_path)
    message = str(info.value)
    assert message.startswith("IMOEX (moex IMOEX): MOEX ISS unavailable: GET http://")
    assert "--offline" in message and "--prices" in message and "\n" not in message


def test_no_data_names_the_source_and_url(replay, tmp_path) -> None:
    with pytest.raises(DataUnavailableError) as info:  # the replayed RTSI ends in 2023
        load_live_prices(assets("RTSI"), *AUG, cache_dir=tmp_path)
    message = str(info.value)
    assert message.startswith("RTSI (moex RTSI): no data for RTSI between 2025-08-01 and "
                              "2025-08-31 from MOEX ISS (empty history at http://")
    assert "/boards/RTSI/securities/RTSI.json" in message


def test_options_become_source_settings() -> None:
    source = source_for(resolve_asset("RTSI"))
    assert isinstance(source, MoexSource)
    assert (source.engine, source.market, source.board) == ("stock", "index", "RTSI")
    odd = Asset("X", "moex", "X", options={"bord": "TQBR"})
    with pytest.raises(ConfigError, match="source 'moex' has no option 'bord'; use engine"):
        source_for(odd)
    with pytest.raises(ConfigError, match="unknown price source 'nosuch'"):
        source_for(Asset("Y", "nosuch", "Y"))


def test_fetch_asset_accepts_timestamps(replay, tmp_path) -> None:
    day = pd.Timestamp("2025-08-07")
    series, record = fetch_asset(resolve_asset("RUBUSD"), day, day, cache_dir=tmp_path)
    assert series.tolist() == [1 / 79.3847] and series.name == "RUBUSD"
    assert record.first == record.last == "2025-08-07"


def test_bad_range_and_duplicates(tmp_path) -> None:
    from eventstudy.errors import InputError

    with pytest.raises(InputError, match="after end"):
        load_live_prices(assets("IMOEX"), date(2025, 9, 1), date(2025, 8, 1), cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="listed twice: IMOEX"):
        load_live_prices(assets("IMOEX", "IMOEX"), *AUG, cache_dir=tmp_path)


def test_progress_bar_goes_to_stderr_only_when_asked(replay, tmp_path, capsys) -> None:
    load_live_prices(assets("IMOEX"), *AUG, cache_dir=tmp_path)  # stderr is not a terminal
    assert capsys.readouterr() == ("", "")
    load_live_prices(assets("IMOEX"), *AUG, cache_dir=tmp_path, progress=True)
    assert capsys.readouterr().out == ""


# -- command line --------------------------------------------------------------------


def test_fetch_command_fills_cache_and_writes_csv(replay, tmp_path, capsys) -> None:
    out = tmp_path / "prices.csv"
    code = main(["fetch", "IMOEX", "RUBUSD", "--start", "2025-08-01", "--end", "2025-08-31",
                 "--cache-dir", str(tmp_path / "cache"), "--csv", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "IMOEX" in stdout and "R01235" in stdout and "2025-08-29" in stdout
    frame = pd.read_csv(out, index_col="date", parse_dates=True)
    assert list(frame.columns) == ["IMOEX", "RUBUSD"]
    assert frame.loc["2025-08-07", "IMOEX"] == 2876.43
    assert frame.loc["2025-08-07", "RUBUSD"] == pytest.approx(1 / 79.3847, rel=1e-9)
    requests_before = replay.count()
    code = main(["fetch", "IMOEX", "RUBUSD", "--start", "2025-08-01", "--end", "2025-08-31",
                 "--cache-dir", str(tmp_path / "cache"), "--offline"])
    assert code == 0 and replay.count() == requests_before


def test_fetch_command_exits_3_on_a_dead_source(replay, tmp_path, capsys, no_wait) -> None:
    replay.inject("500", times=None)
    code = main(["fetch", "IMOEX", "--start", "2025-08-01", "--end", "2025-08-31",
                 "--cache-dir", str(tmp_path)])
    assert code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("eventstudy: data unavailable: IMOEX (moex IMOEX): MOEX ISS")
    assert "--offline" in err and "--prices" in err


def test_fetch_command_offline_names_what_is_missing(tmp_path, capsys) -> None:
    code = main(["fetch", "RUBUSD", "--start", "2025-08-01", "--end", "2025-08-31",
                 "--cache-dir", str(tmp_path), "--offline"])
    assert code == 3
    err = capsys.readouterr().err
    assert "offline: the cache has no file RUBUSD (cbr R01235) for 2025-08-01 to 2025-08-31" in err
    assert "eventstudy fetch RUBUSD --start 2025-08-01 --end 2025-08-31" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fetch", "IMOEX", "--start", "07/08/2025"], "not a date in YYYY-MM-DD form"),
        (["fetch", "NOPE", "--start", "2025-08-01"], "unknown asset 'NOPE'"),
        (["fetch", "IMOEX", "--start", "2025-09-01", "--end", "2025-08-01"], "after --end"),
    ],
)
def test_fetch_command_bad_input_exits_2(argv, message, tmp_path, capsys) -> None:
    try:
        code = main([*argv, "--cache-dir", str(tmp_path)])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_assets_command(capsys) -> None:
    assert main(["assets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["asset", "source", "symbol", "observed", "units", "description"]
    rubusd = next(line for line in lines if line.startswith("RUBUSD"))
    assert "cbr" in rubusd and "1/R01235" in rubusd and "15:30 Europe/Moscow" in rubusd
    assert any(line.startswith("CNYRUB ") and "CNYRUB_TOM (CETS)" in line for line in lines)


def test_fetch_and_assets_parsers_do_not_import_pandas() -> None:
    code = ("import sys, argparse; import eventstudy.cli.fetch as f, "
            "eventstudy.cli.assets as a; s = argparse.ArgumentParser().add_subparsers(); "
            "f.add_parser(s); a.add_parser(s); "
            "sys.exit('pandas' in sys.modules or 'requests' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
