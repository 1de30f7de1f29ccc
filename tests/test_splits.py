"""Unadjusted splits: a pair whose window holds a split-like price move is skipped, and the
``splits`` setting adjusts the prices (docs/data-trust.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_shared_data

import eventstudy as es
from eventstudy.errors import ConfigError
from eventstudy.spec import StudySpec
from eventstudy.timing.jumps import JumpCheck, moves_beyond

NS_PER_DAY = 86_400 * 10**9


def test_jump_check_by_hand() -> None:
    prices = np.array([100.0, 101.0, 1.02, 1.03, 0.6, 0.61, 0.62, 0.63])  # x0.0101 into price 2, x0.58 into 4
    days = np.arange(8) * NS_PER_DAY  # 1970-01-01 ...
    # Return j is the move into price j + 1; day 0 at return 3, 4 and 6; reach [-2, 0].
    check = JumpCheck((-2, 0), 3.0, {})
    texts = check.texts(prices, days, np.array([3, 4, 6, -1]))
    assert texts[0].startswith("the price moves x0.0101 from one session to the next on 1970-01-03 "
                               "(more than x3 up or down)")
    assert texts[1] == ""  # returns 2..4: the x0.58 move is not a split at x3
    assert texts[2] == "" and texts[3] == ""  # returns 4..6; not placed
    lower = JumpCheck((-2, 0), 1.5, {}).texts(prices, days, np.array([4]))
    assert lower[0].startswith("the price moves x0.5825 ")
    # A benchmark's move into its price of 1970-01-06 (day 5): inside the windows of returns
    # 3..5 and 4..6 (days 4..6, 5..7), not of return 6 alone (day 7); the asset's own move
    # comes first (returns 1..3 hold the x0.0101 of day 2).
    bench = moves_beyond(np.array([10.0, 10.0, 10.0, 10.0, 10.0, 40.0]), days[:6], 3.0)
    assert bench[0].tolist() == [5 * NS_PER_DAY] and bench[1].tolist() == [4.0]
    texts = JumpCheck((-2, 0), 3.0, {"MKT": bench}).texts(prices, days, np.array([5, 6, 3]))
    assert texts[0].startswith("benchmark MKT's price moves x4 from one session to the next on 1970-01-06")
    assert texts[1] == texts[0] and texts[2].startswith("the price moves x0.0101 ")
    assert JumpCheck((0, 0), 3.0, {"MKT": bench}).texts(prices, days, np.array([6]))[0] == ""


@pytest.fixture(scope="module")
def gmkn() -> pd.DataFrame:
    """GMKN's raw ISS closes (1:100 split on 2024-04-08), MTLRP's (x0.505 on 2022-02-24) and IMOEX."""
    shared_data = require_shared_data()
    panel = shared_data / "panel" / "moex_iss_daily"
    closes = {name: pd.read_csv(panel / f"{name}.csv", index_col="date", parse_dates=True)["close"]
              for name in ("GMKN", "MTLRP")}
    imoex = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", index_col="date",
                        parse_dates=True)["imoex"]
    prices = pd.concat({**closes, "IMOEX": imoex[imoex.index >= "2018-01-01"]}, axis=1, sort=True)
    prices.index.name = "date"
    return prices


EVENTS = pd.DataFrame({"id": ["BEFORE", "SPLIT_IN_EVENT", "SPLIT_IN_ESTIMATION", "AFTER"],
                       "date": ["2023-06-09", "2024-04-01", "2024-10-25", "2025-07-25"],
                       "event": "decision", "assets": "GMKN"})


def test_a_split_in_the_window_skips_the_pair_and_says_how_to_adjust(gmkn: pd.DataFrame) -> None:
    raw = gmkn["GMKN"]
    assert raw["2024-04-01"] == 15054.0 and raw["2024-04-08"] == 152.96  # the split, unadjusted
    results = es.EventStudy(EVENTS, gmkn, model="market", benchmark="IMOEX").run()
    skipped = results.skipped.set_index("event_id")["reason"]
    assert set(skipped.index) == {"SPLIT_IN_EVENT", "SPLIT_IN_ESTIMATION"}
    move = 152.96 / 15054.0  # by hand: the close after the split over the close before
    for event_id in skipped.index:
        assert skipped[event_id].startswith(f"the price moves x{move:.4g} from one session to the next on "
                                            "2024-04-08")
        assert "splits = a folder of split files" in skipped[event_id]
    assert set(results.car["event_id"]) == {"BEFORE", "AFTER"}


def test_splits_setting_adjusts_the_prices_as_by_hand(gmkn: pd.DataFrame, shared_data: Path) -> None:
    folder = shared_data / "panel" / "moex_splits"
    adjusted = es.EventStudy(EVENTS, gmkn, model="market", benchmark="IMOEX", splits=str(folder)).run()
    assert adjusted.skipped.empty
    by_hand = gmkn.copy()
    before = by_hand.index < "2024-04-08"
    by_hand.loc[before, "GMKN"] = by_hand.loc[before, "GMKN"] / 100  # 1:100
    expected = es.EventStudy(EVENTS, by_hand, model="market", benchmark="IMOEX").run()
    columns = ["event_id", "start", "end", "car", "se", "pvalue"]
    pd.testing.assert_frame_equal(adjusted.car[columns], expected.car[columns], rtol=1e-12)
    assert adjusted.spec.splits == str(folder)


def test_a_crash_is_not_a_split(gmkn: pd.DataFrame) -> None:
    """MTLRP closed at half its price on 24 February 2022 (x0.505): computed, not skipped."""
    move = gmkn["MTLRP"]["2022-02-24"] / gmkn["MTLRP"]["2022-02-22"]
    assert 0.5 < move < 0.51
    events = pd.DataFrame({"id": ["INVASION"], "date": ["2022-02-24"], "event": "invasion",
                           "assets": "MTLRP"})
    results = es.EventStudy(events, gmkn, model="market", benchmark="IMOEX").run()
    assert results.skipped.empty and set(results.car["event_id"]) == {"INVASION"}


def test_settings_are_checked(tmp_path: Path) -> None:
    assert StudySpec(max_price_jump="4").max_price_jump == 4.0
    for bad in (1, 0.5, True, "x3"):
        with pytest.raises(ConfigError, match="max_price_jump"):
            StudySpec(max_price_jump=bad)
    with pytest.raises(ConfigError, match="adjusts daily prices, not 1min bars"):
        StudySpec(splits="splits", interval="1min")
    from eventstudy.studyfile import load_study_file

    (tmp_path / "study.toml").write_text('[study]\nsplits = "moex_splits"\nmax_price_jump = 5\n')
    layer = load_study_file(tmp_path / "study.toml").settings
    assert layer.values["splits"] == str((tmp_path / "moex_splits").resolve())  # relative to the file
    assert StudySpec.from_layers(layer).max_price_jump == 5.0


def test_a_bad_split_file_names_its_line(tmp_path: Path) -> None:
    from eventstudy.errors import InputError
    from eventstudy.events_panel import read_splits

    (tmp_path / "GMKN.csv").write_text("date,before,after\n2024-04-08,1,100\n2025-01-01,1,0\n")
    with pytest.raises(InputError) as error:
        read_splits(tmp_path)
    message = str(error.value)
    assert "GMKN.csv:3: share counts must be positive numbers (before 1, after 0)" in message


def test_a_benchmark_typo_skips_the_pairs_whose_window_holds_it(gmkn: pd.DataFrame) -> None:
    """IMOEX's close of 15 March 2023 written 100 times too large (a slipped decimal point):
    the pairs whose estimation or event window holds that day are skipped, naming the
    benchmark; the others are computed."""
    typo = gmkn.copy()
    typo.loc["2023-03-15", "IMOEX"] *= 100
    events = pd.DataFrame({"id": ["EVENT_WINDOW", "ESTIMATION", "CLEAR"],
                           "date": ["2023-03-06", "2023-12-01", "2024-06-03"], "event": "x",
                           "assets": "MTLRP"})
    results = es.EventStudy(events, typo, model="market", benchmark="IMOEX").run()
    skipped = results.skipped.set_index("event_id")["reason"]
    assert set(skipped.index) == {"EVENT_WINDOW", "ESTIMATION"}
    up = typo.loc["2023-03-15", "IMOEX"] / typo.loc["2023-03-14", "IMOEX"]  # by hand: the move into the typo
    for reason in skipped:
        assert reason.startswith(f"benchmark IMOEX's price moves x{up:.4g} from one session to the next on "
                                 "2023-03-15")
    assert set(results.car["event_id"]) == {"CLEAR"}
    clean = es.EventStudy(events, gmkn, model="market", benchmark="IMOEX").run()
    assert clean.skipped.empty  # the same events on the clean index


def test_missing_splits_folder_is_one_line_and_exit_2(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from eventstudy.cli.main import main

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    code = main(["run", str(repo / "seeds/events.csv"), "--config", str(repo / "seeds/summer-2025.toml"),
                 "--splits", str(tmp_path / "nope"), "--out", str(out), "--figures", "none", "-q"])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists()
    assert error == [f"eventstudy: error: {tmp_path / 'nope'}: no such folder of split files; give the "
                     "folder of <ASSET>.csv split files (date,before,after), e.g. panel/moex_splits"]
