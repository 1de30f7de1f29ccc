"""eventstudy export and the seed snapshot: the founding case runs anywhere, with the same CARs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.events import load_events
from eventstudy.sources.export import study_date_range
from eventstudy.sources.files import read_prices
from eventstudy.timing.assets import resolve_asset

pytest_plugins = ["conftest_sources"]  # fixtures: replay

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
EXAMPLE = REPO / "examples" / "summer-2025.toml"
SEED_COMMAND = ("eventstudy export --config examples/summer-2025.toml --events seeds/events.csv "
                "--out seeds/prices.csv")


def test_the_seed_study_gives_the_cars_of_the_full_series(shared_data: Path) -> None:
    import eventstudy as es

    events = SEEDS / "events.csv"
    full = es.EventStudy.from_file(EXAMPLE, events).run()
    seed = es.EventStudy.from_file(SEEDS / "summer-2025.toml", events).run()
    assert len(seed.car) == 54 and seed.skipped.empty  # 9 events x 2 assets x 3 windows
    pd.testing.assert_frame_equal(seed.car, full.car, check_exact=False, rtol=1e-12, atol=1e-15)
    pd.testing.assert_frame_equal(seed.abnormal_returns, full.abnormal_returns, check_exact=False,
                                  rtol=1e-12, atol=1e-15)
    pd.testing.assert_frame_equal(seed.aggregate, full.aggregate, check_exact=False, rtol=1e-12,
                                  atol=1e-15)


def test_the_committed_snapshot_is_what_the_documented_command_writes(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the command of seeds/README.md, with relative paths
    out = tmp_path / "prices.csv"
    assert main(["export", "--config", "examples/summer-2025.toml", "--events", "seeds/events.csv",
                 "--out", str(out), "--quiet"]) == 0
    assert out.read_bytes() == (SEEDS / "prices.csv").read_bytes()
    sidecar = json.loads((tmp_path / "prices.provenance.json").read_text(encoding="utf-8"))
    committed = json.loads((SEEDS / "prices.provenance.json").read_text(encoding="utf-8"))
    assert committed["command"] == SEED_COMMAND
    assert sidecar["series"] == committed["series"]
    files = {entry["asset"]: entry for entry in committed["series"]}
    for asset, name in [("IMOEX", "IMOEX_iss_history_2018_2026.csv"),
                        ("RUBUSD", "USDRUB_cbr_official_2014_2026.csv"),
                        ("EEM", "EEM_ohlcv_yahoo_2018_2026.csv")]:
        assert files[asset]["file"] == name
        assert files[asset]["file_sha256"] == hashlib.sha256((shared_data / name).read_bytes()).hexdigest()
    assert (files["RUBUSD"]["invert"], files["RUBUSD"]["dated_by"]) == (True, "effective")
    assert SEED_COMMAND in (SEEDS / "README.md").read_text(encoding="utf-8")


def test_the_snapshot_holds_the_real_values(shared_data: Path) -> None:
    prices = read_prices(SEEDS / "prices.csv")
    assert list(prices.columns) == ["IMOEX", "RUBUSD", "EEM"]
    # shared/data README orientation values: IMOEX 2764.62 -> 2876.43 on 6-7 Aug 2025;
    # the Bank of Russia rate set on 7 Aug (effective 8 Aug) is 79.3847 RUB per USD.
    assert prices.loc["2025-08-06", "IMOEX"] == 2764.62
    assert prices.loc["2025-08-07", "IMOEX"] == 2876.43
    assert prices.loc["2025-08-07", "RUBUSD"] == 1 / 79.3847
    eem = pd.read_csv(shared_data / "EEM_ohlcv_yahoo_2018_2026.csv", index_col="Date", parse_dates=True)
    common = prices["EEM"].dropna()
    assert common.to_numpy().tolist() == eem["Close"].loc[common.index].to_numpy().tolist()
    total = sum(p.stat().st_size for p in SEEDS.iterdir())
    assert total < 300_000


def test_the_readme_command_runs_offline_without_shared_data(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")  # a fresh clone's seeds/, nothing beside it
    environment = {**os.environ, "PYTHONPATH": str(REPO), "EVENTSTUDY_MOEX_URL": "http://127.0.0.1:9",
                   "EVENTSTUDY_CBR_URL": "http://127.0.0.1:9", "EVENTSTUDY_CACHE_DIR": str(tmp_path / "c")}
    done = subprocess.run(
        [sys.executable, "-m", "eventstudy.cli", "run", "seeds/events.csv", "--config",
         "seeds/summer-2025.toml", "--figures", "none", "--out", "out"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    row = car.query("event_id == 'SUMMIT_AGREED' and asset == 'IMOEX' and start == 0 and end == 0")
    # The README's numbers: CAR +3.93%, t 2.36, p 0.0189 (market model on EEM).
    assert row["car"].iloc[0] == pytest.approx(0.0393, abs=5e-5)
    assert row["t"].iloc[0] == pytest.approx(2.36, abs=5e-3)
    assert row["pvalue"].iloc[0] == pytest.approx(0.0189, abs=5e-5)
    assert not (tmp_path / "c").exists()  # nothing was fetched or cached


def test_study_date_range_by_hand() -> None:
    prices = read_prices(SEEDS / "prices.csv")
    events = load_events(SEEDS / "events.csv").select(["SUMMIT_AGREED", "WH_MEETING"])
    imoex = {"IMOEX": resolve_asset("IMOEX")}
    # Day 0 is Thu 7 Aug for both (WH_MEETING came after Wednesday's 18:50 close). Return -3
    # is Mon 4 Aug's, from Fri 1 Aug's price; return +1 is Fri 8 Aug's.
    assert study_date_range(prices, imoex, events, (-3, 1), margin_sessions=0) == (
        pd.Timestamp("2025-08-01"), pd.Timestamp("2025-08-08"))
    # Two more sessions each side: Wed 30 Jul and Tue 12 Aug.
    assert study_date_range(prices, imoex, events, (-3, 1), margin_sessions=2) == (
        pd.Timestamp("2025-07-30"), pd.Timestamp("2025-08-12"))


def test_live_export_equals_the_file_export(replay, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "live.csv"
    assert main(["export", "--events", str(SEEDS / "events.csv"), "--assets", "IMOEX,RUBUSD",
                 "--window", "0,0", "--event-window=-1,1", "--estimation=-20,-2", "--cache-dir",
                 str(tmp_path / "cache"), "--out", str(out)]) == 0
    live = read_prices(out)
    seed = read_prices(SEEDS / "prices.csv")
    assert list(live.columns) == ["IMOEX", "RUBUSD"]
    for asset in live.columns:
        values = live[asset].dropna()
        pd.testing.assert_series_equal(values, seed[asset].loc[values.index], check_exact=False,
                                       rtol=1e-15, check_freq=False)
    # 20 sessions before the first day 0 (2021-06-16), 5 of margin, and 14 calendar days.
    assert pd.Timestamp("2021-04-20") < live.index.min() < pd.Timestamp("2021-05-15")
    sidecar = json.loads((tmp_path / "live.provenance.json").read_text(encoding="utf-8"))
    assert [s["source"] for s in sidecar["series"]] == ["moex", "cbr"]
    assert sidecar["command"].startswith("eventstudy export --events ")
    assert "wrote" in capsys.readouterr().err
