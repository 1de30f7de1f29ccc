"""EventStudy on real series read in place from ../shared/data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import eventstudy as es
from eventstudy.errors import ConfigError, InputError

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds" / "events.csv"


def plain_csv(path: Path, date_column: str, value_column: str) -> pd.Series:
    frame = pd.read_csv(path, usecols=[date_column, value_column], parse_dates=[date_column])
    return frame.set_index(date_column)[value_column].rename_axis("date")


@pytest.fixture
def prices(shared_data: Path) -> pd.DataFrame:
    """IMOEX, the rouble's USD value and the S&P 500, read with plain pandas (independent route)."""
    imoex = plain_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", "date", "imoex")
    usdrub = plain_csv(shared_data / "USDRUB_cbr_official_2014_2026.csv", "date", "usdrub_cbr")
    sp500 = plain_csv(shared_data / "SP500_close_yahoo_2018_2026.csv", "Date", "Close")
    return pd.concat({"IMOEX": imoex, "RUBUSD": 1 / usdrub, "SP500": sp500}, axis=1, sort=True)


def test_summit_day_abnormal_return_constant_mean(prices: pd.DataFrame) -> None:
    results = es.EventStudy(SEEDS, prices[["IMOEX"]]).run()
    day0 = results.abnormal_returns.query("event_id == 'SUMMIT_AGREED' and day == 0").iloc[0]
    assert day0["date"] == pd.Timestamp("2025-08-07")
    assert day0["return"] == pytest.approx(math.log(2876.43 / 2764.62), abs=1e-12)  # +3.96%
    # Independent: mean log return over trading days -250..-11 before 2025-08-07.
    closes = prices["IMOEX"].dropna()
    log_returns = np.log(closes).diff().dropna()
    position = log_returns.index.get_loc(pd.Timestamp("2025-08-07"))
    window = log_returns.iloc[position - 250: position - 10]
    assert len(window) == 240
    assert day0["ar"] == pytest.approx(day0["return"] - window.mean(), abs=1e-12)
    car = results.car.query("event_id == 'SUMMIT_AGREED' and start == 0 and end == 0").iloc[0]
    se = window.std(ddof=1) * math.sqrt(1 + 1 / 240)
    assert car["se"] == pytest.approx(se, rel=1e-10)
    assert car["t"] == pytest.approx(day0["ar"] / se, rel=1e-10)


def test_market_model_uses_the_last_close_known_at_the_moscow_close(prices: pd.DataFrame) -> None:
    results = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="SP500").run()
    row = results.abnormal_returns.query("event_id == 'SUMMIT_AGREED' and day == 0").iloc[0]
    # New York closes at 22:00-23:00 Moscow time: at the Moscow close of 7 August the last
    # known S&P 500 close is that of 6 August, so the benchmark return is 5 Aug -> 6 Aug.
    closes = prices["SP500"].dropna()
    sp_return = math.log(closes[pd.Timestamp("2025-08-06")] / closes[pd.Timestamp("2025-08-05")])
    est = results.arrays
    pair = int(np.flatnonzero((results.pairs["event_id"] == "SUMMIT_AGREED").to_numpy())[0])
    x = est.x_event[pair, est.columns(0, 0), 1][0]
    assert x == pytest.approx(sp_return, abs=1e-12)
    assert row["expected"] == pytest.approx(row["return"] - row["ar"], abs=1e-15)


def test_market_model_parameters_match_statsmodels_on_real_data(prices: pd.DataFrame) -> None:
    results = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="SP500").run()
    arrays, pairs = results.arrays, results.pairs
    pair = int(np.flatnonzero((pairs["event_id"] == "SUMMIT_AGREED").to_numpy())[0])
    residuals = arrays.est_ar[pair]
    assert np.isfinite(residuals).sum() == arrays.n_est[pair]
    # Rebuild the estimation sample independently and compare the residual variance.
    imoex = prices["IMOEX"].dropna()
    sp = prices["SP500"].dropna()
    moscow_close = imoex.index + pd.Timedelta(hours=15, minutes=50)  # 18:50 MSK in UTC
    ny_close = (sp.index + pd.Timedelta(hours=16)).tz_localize("America/New_York").tz_convert("UTC")
    sp_at_moscow = pd.Series(sp.to_numpy(), index=ny_close.tz_localize(None)).reindex(
        moscow_close, method="ffill")
    y = np.log(imoex).diff().to_numpy()
    x = np.log(sp_at_moscow.to_numpy()[1:] / sp_at_moscow.to_numpy()[:-1])
    day0 = imoex.index.get_loc(pd.Timestamp("2025-08-07"))
    sample = slice(day0 - 250, day0 - 10)
    yy, xx = y[sample], np.r_[np.nan, x][sample]
    fit = sm.OLS(yy, sm.add_constant(xx), missing="drop").fit()
    assert arrays.sigma2[pair] == pytest.approx(fit.scale, rel=1e-9)
    assert arrays.dof[pair] == fit.df_resid


def test_skipped_pairs_have_reasons(prices: pd.DataFrame) -> None:
    # Starting in March 2021 leaves about 60 estimation returns before the Geneva summit.
    short = prices[["IMOEX"]].loc["2021-03-01":]
    results = es.EventStudy(SEEDS, short).run()
    skipped = results.skipped.set_index("event_id")
    assert "fewer than the minimum 100" in skipped.loc["GENEVA21", "reason"]
    assert "SUMMIT_AGREED" in set(results.car["event_id"])


def test_timed_events_get_the_next_session(prices: pd.DataFrame) -> None:
    results = es.EventStudy(SEEDS, prices[["IMOEX"]]).run()
    day0 = results.pairs.set_index("event_id")["day0"]
    assert day0["WH_MEETING"] == pd.Timestamp("2025-08-07")
    assert day0["ALASKA_SET"] == pd.Timestamp("2025-08-11")
    assert day0["ALASKA"] == pd.Timestamp("2025-08-18")
    flags = results.car.query("start == 0 and end == 0").set_index("event_id")["flags"]
    assert flags["SUMMIT_AGREED"] == ("estimation window contains WITKOFF; "
                                      "shares day 0 with INDIA_TARIFF, WH_MEETING")


def test_reruns_give_identical_numbers(prices: pd.DataFrame) -> None:
    first = es.EventStudy(SEEDS, prices, model="market", benchmark="SP500").run()
    second = es.EventStudy(SEEDS, prices, model="market", benchmark="SP500").run()
    pd.testing.assert_frame_equal(first.car, second.car)
    pd.testing.assert_frame_equal(first.aggregate, second.aggregate)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"estimation": (-250, 0)}, ConfigError, r"estimation window \[-250, 0\] overlaps the event window"),
        ({"windows": [(-12, 1)], "event_window": (-5, 5)}, ConfigError,
         r"overlaps the CAR window \[-12, 1\]"),
        ({"model": "capm"}, ConfigError, r"unknown model 'capm'; use one of constant-mean"),
        ({"model": "market"}, ConfigError, r"takes exactly one benchmark, got 0"),
        ({"model": "market", "benchmark": "BRENT"}, InputError, r"no prices for BRENT"),
        ({"returns": "pct"}, ConfigError, r"unknown return kind 'pct'"),
        ({"windows": [(2, 1)]}, ConfigError, r"windows=: \[2, 1\] starts after it ends"),
        ({"assets": ["IMOX"]}, InputError, r"no prices for IMOX; the price data has: IMOEX, RUBUSD, SP500"),
    ],
)
def test_bad_settings_are_rejected(prices: pd.DataFrame, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        es.EventStudy(SEEDS, prices, **kwargs)


def test_event_naming_an_asset_outside_the_study(prices: pd.DataFrame, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("date,event,assets\n2025-08-07,x,IMOEX;BRENT\n")
    with pytest.raises(InputError, match=r"events\.csv:2: column 'assets': event E1 names unknown asset "
                                         r"'BRENT'"):
        es.EventStudy(events, prices, assets=["IMOEX"])


def test_factor_model_matches_statsmodels_on_brent_and_eem(shared_data: Path) -> None:
    from eventstudy.timing.assets import Asset

    imoex = plain_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", "date", "imoex")
    brent = plain_csv(shared_data / "BRENT_eia_spot_2018_2026.csv", "Date", "Price")
    eem = plain_csv(shared_data / "EEM_ohlcv_yahoo_2018_2026.csv", "Date", "Close")
    # Common trading days and end-of-day observation for all three: plain same-day returns.
    prices = pd.concat({"IMOEX": imoex, "BRENT": brent, "EEM": eem}, axis=1, sort=True).dropna()
    same_clock = {name: Asset(name, "file", name) for name in prices.columns}
    results = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="factor", benchmark=["BRENT", "EEM"],
                            asset_info=same_clock).run()
    pair = int(np.flatnonzero((results.pairs["event_id"] == "SUMMIT_AGREED").to_numpy())[0])
    log_returns = np.log(prices).diff().dropna()
    day0 = log_returns.index.get_loc(pd.Timestamp("2025-08-07"))
    sample = log_returns.iloc[day0 - 250: day0 - 10]
    fit = sm.OLS(sample["IMOEX"], sm.add_constant(sample[["BRENT", "EEM"]])).fit()
    arrays = results.arrays
    assert arrays.dof[pair] == fit.df_resid == 237
    assert arrays.sigma2[pair] == pytest.approx(fit.scale, rel=1e-10)
    x0 = np.r_[1.0, log_returns.iloc[day0][["BRENT", "EEM"]].to_numpy()]
    expected_ar = log_returns.iloc[day0]["IMOEX"] - x0 @ fit.params.to_numpy()
    car = results.car.query("event_id == 'SUMMIT_AGREED' and start == 0 and end == 0").iloc[0]
    assert car["car"] == pytest.approx(expected_ar, abs=1e-12)
    assert car["se"] ** 2 == pytest.approx(fit.scale + x0 @ fit.cov_params().to_numpy() @ x0, rel=1e-10)


def test_aggregate_rows_agree_with_the_pair_table_and_summary_flags_clustering(prices: pd.DataFrame) -> None:
    results = es.EventStudy(SEEDS, prices, assets=["IMOEX", "RUBUSD"]).run()
    car, agg = results.car, results.aggregate
    for scope, rows in [("all", car), ("asset:IMOEX", car[car["asset"] == "IMOEX"]),
                        ("group:diplomacy", car[car["group"] == "diplomacy"])]:
        for (start, end), window in rows.groupby(["start", "end"]):
            line = agg[(agg["scope"] == scope) & (agg["start"] == start) & (agg["end"] == end)]
            assert set(line["test"]) == {"t_cs", "bw_cda", "patell", "patell_adj", "bmp", "kp", "corrado",
                                         "sign", "gen_sign", "wilcoxon"}
            assert (line["n"] == len(window)).all()
            assert line["caar"].iloc[0] == pytest.approx(window["car"].mean(), abs=1e-15)
    # IMOEX and the rouble react on the same calendar days: every pair is clustered.
    text = results.summary().as_text()
    assert "Tests suited to this dependence: " in text and "kp" in text.split("suited to this dependence:")[1]


def test_abnormal_return_labels_are_each_pairs_own(prices: pd.DataFrame) -> None:
    """The AR table's text columns, gathered column-wise, match the events file row by row."""
    results = es.EventStudy(SEEDS, prices[["IMOEX", "SP500"]]).run()
    table = results.abnormal_returns
    events = pd.read_csv(SEEDS, usecols=["id", "event"]).set_index("id")["event"]
    assert (table["event"].to_numpy() == events.loc[table["event_id"]].to_numpy()).all()
    assert set(table["asset"]) == {"IMOEX", "SP500"}
    assert [str(table[c].dtype) for c in ("event_id", "event", "asset")] == ["str", "str", "str"]
    # rows run pair by pair, then by day, as the pairs were computed
    firsts = table.drop_duplicates(["event_id", "asset"])[["event_id", "asset"]]
    assert firsts.reset_index(drop=True).equals(results.pairs[["event_id", "asset"]].reset_index(drop=True))
