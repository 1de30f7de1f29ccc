"""``eventstudy run`` with no price files: live sources (replayed on 127.0.0.1) and the cache."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from replay_server import ReplayServer

from eventstudy.cli import main

pytest_plugins = ["conftest_sources"]  # fixtures: replay, no_wait

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "events.csv"


def test_run_fetches_caches_and_reruns_offline(replay: ReplayServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ["run", str(SEEDS), "--cache-dir", str(cache), "--figures", "none", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "live")]) == 0
    assert replay.count("/iss/") > 0 and replay.count("/scripts/") > 0
    ar = pd.read_csv(tmp_path / "live" / "abnormal_returns.csv", parse_dates=["date"])
    imoex = ar.query("event_id == 'SUMMIT_AGREED' and asset == 'IMOEX' and day == 0").iloc[0]
    assert imoex["return"] == pytest.approx(math.log(2876.43 / 2764.62), abs=1e-12)
    # The Bank of Russia rate set on 7 August (79.3847, effective 8 August) against the one
    # set on 6 August (80.1914): the rouble's dollar value rose by ln(80.1914 / 79.3847).
    rub = ar.query("event_id == 'SUMMIT_AGREED' and asset == 'RUBUSD' and day == 0").iloc[0]
    assert rub["return"] == pytest.approx(math.log(80.1914 / 79.3847), abs=1e-12)

    replay.clear()
    replay.inject("500", times=None)
    assert main([*args, "--offline", "--out", str(tmp_path / "offline")]) == 0
    assert replay.count("/") == 0
    for name in ["abnormal_returns.csv", "car.csv", "aggregate.csv"]:
        assert (tmp_path / "live" / name).read_bytes() == (tmp_path / "offline" / name).read_bytes()


def test_source_down_exits_3_with_one_line_and_no_output(replay: ReplayServer, no_wait: list[float],
                                                         tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    replay.inject("500", times=None)
    out = tmp_path / "out"
    assert main(["run", str(SEEDS), "--cache-dir", str(tmp_path / "cache"), "--out", str(out)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("eventstudy: data unavailable:")
    assert "--offline" in err[0] and "--prices" in err[0]
    assert not out.exists()
