"""Issue 13 wired through EventStudy, Results and the command line, on the seed events with
IMOEX and EEM: multiple testing, minimum detectable effect, variance ratio, Savickas, the
cross-sectional regression, BHAR and "largest since" (numbers checked against statsmodels,
scipy, hand computations or the validated module functions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import REPO_ROOT
from scipy import stats
from statsmodels.stats.multitest import multipletests

import eventstudy as es
from eventstudy.cli.main import main
from eventstudy.errors import ConfigError, InputError
from eventstudy.measures.volatility import savickas
from eventstudy.results import Results
from eventstudy.spec import StudySpec

SEEDS = REPO_ROOT / "seeds" / "events.csv"
REFERENCE = Path(__file__).parent / "reference"
IMOEX_FILE = "IMOEX_iss_history_2018_2026.csv"
EEM_FILE = "EEM_ohlcv_yahoo_2018_2026.csv"


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    from conftest import require_shared_data

    data = require_shared_data()
    eem = es.read_prices(data / EEM_FILE).set_axis(["EEM"], axis=1)
    return es.read_prices(data / IMOEX_FILE).join(eem, how="outer")


@pytest.fixture(scope="module")
def seed(prices: pd.DataFrame) -> Results:
    return es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="EEM").run()


@pytest.fixture
def prices_dir(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "IMOEX.csv").symlink_to(shared_data / IMOEX_FILE)
    (folder / "EEM.csv").symlink_to(shared_data / EEM_FILE)
    return folder


def run_cli(*args: object) -> int:
    return main([str(a) for a in args])


# -- the seed case: new columns at the end, the others unchanged --------------------------------


def test_seed_car_keeps_its_columns_and_appends_holm_bh_mde(seed: Results) -> None:
    before = pd.read_csv(REFERENCE / "seed_car_market_eem_before_issue13.csv", keep_default_na=False,
                         na_values=[""])
    assert list(seed.car.columns) == [*before.columns, "pvalue_holm", "pvalue_bh", "mde"]
    now = seed.car[before.columns].copy()
    now["flags"] = now["flags"].replace("", np.nan)
    pd.testing.assert_frame_equal(now.reset_index(drop=True), before, check_exact=False, rtol=1e-12,
                                  check_dtype=False)


def test_seed_aggregate_keeps_its_rows_and_appends_holm_bh(seed: Results) -> None:
    before = pd.read_csv(REFERENCE / "seed_aggregate_market_eem_before_issue13.csv")
    assert list(seed.aggregate.columns) == [*before.columns, "pvalue_holm", "pvalue_bh"]
    now = seed.aggregate[before.columns].copy()
    now["note"] = now["note"].replace("", np.nan)
    pd.testing.assert_frame_equal(now, before, check_exact=False, rtol=1e-12, check_dtype=False)


def test_car_holm_and_bh_are_statsmodels_over_all_rows(seed: Results) -> None:
    p = seed.car["pvalue"].to_numpy()
    np.testing.assert_allclose(seed.car["pvalue_holm"], multipletests(p, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(seed.car["pvalue_bh"], multipletests(p, method="fdr_bh")[1], rtol=1e-12)


def test_aggregate_holm_and_bh_are_per_test(seed: Results) -> None:
    for _, rows in seed.aggregate.groupby("test"):
        finite = rows["pvalue"].notna()
        p = rows.loc[finite, "pvalue"].to_numpy()
        np.testing.assert_allclose(rows.loc[finite, "pvalue_holm"], multipletests(p, method="holm")[1])
        np.testing.assert_allclose(rows.loc[finite, "pvalue_bh"], multipletests(p, method="fdr_bh")[1])
        assert rows.loc[~finite, "pvalue_holm"].isna().all()


def test_mde_is_the_critical_t_times_se(seed: Results) -> None:
    # The pair's t test: p = 2 P(T_dof > |t|); the MDE is t_{0.975, dof} * se with the same dof,
    # here the market model's n_est - 2 recovered from the reported t and p.
    car = seed.car
    for row in car.itertuples(index=False):
        dofs = np.arange(30, 300)
        dof = dofs[np.argmin(np.abs(2 * stats.t.sf(abs(row.t), dofs) - row.pvalue))]
        assert row.mde == pytest.approx(stats.t.ppf(0.975, dof) * row.se, rel=1e-9)
    assert car.loc[car["event_id"] == "WITKOFF", "mde"].iloc[0] == pytest.approx(0.0328, abs=5e-4)


# -- volatility ---------------------------------------------------------------------------------


def test_volatility_measure_adds_beaver_variance_ratio(prices: pd.DataFrame, seed: Results) -> None:
    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="EEM",
                        measure="volatility").run()
    assert list(res.car.columns)[-2:] == ["variance_ratio", "pvalue_variance"]
    pd.testing.assert_frame_equal(res.car[seed.car.columns], seed.car)  # the returns part is the same
    ar = res.abnormal_returns
    assert res.arrays is not None
    est = res.arrays.est_ar
    for row in res.car.itertuples(index=False):
        i = list(res.pairs["event_id"]).index(row.event_id) if res.pairs is not None else -1
        residuals = est[i][np.isfinite(est[i])]
        sigma2 = (residuals**2).sum() / (residuals.size - 2)  # market model: 2 parameters
        days = ar[(ar["event_id"] == row.event_id) & ar["day"].between(row.start, row.end)]["ar"]
        ratio = float((days**2).mean() / sigma2)
        assert row.variance_ratio == pytest.approx(ratio, rel=1e-9)
        assert row.pvalue_variance == pytest.approx(stats.f.sf(ratio, row.end - row.start + 1,
                                                                residuals.size - 2), rel=1e-9)
    car = res.car
    invasion = car[(car["event_id"] == "INVASION22") & (car["start"] == 0) & (car["end"] == 0)]
    assert invasion["pvalue_variance"].iloc[0] < 1e-10  # a -40% day is a volatility event
    assert "abnormal returns and volatility" in str(res.summary())


def test_savickas_row_with_the_garch_model(prices: pd.DataFrame) -> None:
    pytest.importorskip("arch")
    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="garch", benchmark="EEM",
                        windows=[(0, 0)]).run()
    row = res.aggregate[(res.aggregate["test"] == "savickas") & (res.aggregate["scope"] == "all")]
    assert len(row) == 1
    assert res.arrays is not None
    expected = savickas(res.arrays, 0, 0)
    assert row["statistic"].iloc[0] == pytest.approx(expected.statistic, rel=1e-12)
    # By hand: S_i = CAR_i / sqrt(h_i0), cross-sectional t with N - 1 dof.
    col = list(res.arrays.event_days).index(0)
    s = res.arrays.ar[:, col] / np.sqrt(res.arrays.disturbance_var[:, col])  # type: ignore[index]
    t = s.mean() / (s.std(ddof=1) / np.sqrt(s.size))
    assert row["statistic"].iloc[0] == pytest.approx(t, rel=1e-9)
    assert row["pvalue"].iloc[0] == pytest.approx(2 * stats.t.sf(abs(t), s.size - 1), rel=1e-9)


def test_measure_is_checked_and_recorded(seed: Results) -> None:
    with pytest.raises(ConfigError):
        StudySpec(measure="turnover")
    assert seed.study_record()["settings"]["measure"] == "returns"


# -- cross-sectional regression ----------------------------------------------------------------


def _statsmodels_group_regression(res: Results, window: tuple[int, int]) -> object:
    data = res.car[(res.car["start"] == window[0]) & (res.car["end"] == window[1])]
    groups = pd.factorize(data["day0"])[0]
    return smf.ols("car ~ C(group)", data).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def test_regress_clusters_by_day0_when_pairs_share_one(seed: Results) -> None:
    fit = seed.regress("car ~ C(group)", window=(-1, 1))
    expected = _statsmodels_group_regression(seed, (-1, 1))
    assert fit.cov_type == "cluster"  # three seed events share day 0 on 2025-08-07
    np.testing.assert_allclose(fit.params, expected.params, rtol=1e-10)  # type: ignore[attr-defined]
    np.testing.assert_allclose(fit.bse, expected.bse, rtol=1e-10)  # type: ignore[attr-defined]
    # HC3 would divide by zero here: the 'war' group has one event (leverage 1).
    hc1 = seed.regress("car ~ C(group)", window=(-1, 1), cov_type="HC1")
    car = seed.car[(seed.car["start"] == -1) & (seed.car["end"] == 1)]
    direct = smf.ols("car ~ C(group)", car).fit(cov_type="HC1", use_t=True)
    np.testing.assert_allclose(hc1.bse, direct.bse, rtol=1e-10)


def test_regress_rejects_an_unknown_column(seed: Results) -> None:
    with pytest.raises(InputError):
        seed.regress("car ~ surprise")


def test_cli_regress_writes_regression_csv_and_report_sections(prices_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--model", "market",
                   "--benchmark", "EEM", "--regress", "car ~ C(group)", "--window", "0,0", "--window", "0,30",
                   "--figures", "none", "--out", out, "-q") == 0
    table = pd.read_csv(out / "regression.csv")
    back = Results.from_folder(out)
    expected = _statsmodels_group_regression(back, (0, 0))
    np.testing.assert_allclose(table["coef"], expected.params, rtol=1e-10)  # type: ignore[attr-defined]
    np.testing.assert_allclose(table["se"], expected.bse, rtol=1e-10)  # type: ignore[attr-defined]
    assert set(table["cov_type"]) == {"cluster"}
    pd.testing.assert_frame_equal(back.extra_tables["regression"], table)
    for report in ("report.md", "report.html"):
        text = (out / report).read_text(encoding="utf-8")
        assert "Cross-sectional regression" in text
        assert "Long-horizon buy-and-hold returns" in text
        assert "was its largest daily move since 2025-04-10" in text
    assert back.spec.regress == "car ~ C(group)"


# -- BHAR ---------------------------------------------------------------------------------------


def test_bhar_for_a_long_window_by_hand(prices: pd.DataFrame) -> None:
    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="EEM",
                        windows=[(0, 0), (0, 30)]).run()
    bhar = res.extra_tables["bhar"]
    pairs = bhar[bhar["scope"] == "pair"]
    assert set(zip(pairs["start"], pairs["end"], strict=True)) == {(0, 30)}
    imoex, eem = prices["IMOEX"].dropna(), prices["EEM"].dropna()
    witkoff = pairs[pairs["event_id"] == "WITKOFF"].iloc[0]
    p = imoex.index.get_loc(pd.Timestamp("2025-08-06"))
    before, last = imoex.index[p - 1], imoex.index[p + 30]
    by_hand = imoex.iloc[p + 30] / imoex.iloc[p - 1] - eem.asof(last) / eem.asof(before)
    assert witkoff["bhar"] == pytest.approx(by_hand, rel=1e-12)
    # Lyon, Barber & Tsai (1999, eq. 5) by hand on the pair BHARs.
    x = pairs["bhar"].to_numpy()
    n, s = x.size, x.mean() / x.std(ddof=1)
    gamma = ((x - x.mean()) ** 3).sum() / (n * x.std(ddof=1) ** 3)
    t_sa = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n))
    test = bhar[bhar["scope"] == "all"].iloc[0]
    assert test["n"] == n
    assert test["t_sa"] == pytest.approx(t_sa, rel=1e-10)
    assert test["pvalue_sa"] == pytest.approx(2 * stats.t.sf(abs(t_sa), n - 1), rel=1e-10)
    assert 0 < test["pvalue_bootstrap"] <= 1


def test_bhar_window_setting_and_short_windows(seed: Results, prices: pd.DataFrame) -> None:
    assert "bhar" not in seed.extra_tables  # no window longer than 21 days, none asked
    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="EEM",
                        bhar_window=(0, 60)).run()
    assert set(res.extra_tables["bhar"]["end"]) == {60}
    assert res.study_record()["settings"]["bhar_window"] == [0, 60]


# -- largest since ------------------------------------------------------------------------------


def test_largest_since_matches_the_price_history(seed: Results, prices: pd.DataFrame) -> None:
    from eventstudy.output.extras import largest_since_statements

    imoex = prices["IMOEX"].dropna()
    r = np.log(imoex).diff()
    day0 = pd.Timestamp("2025-08-07")
    earlier = r[(r.index < day0) & (r.abs() >= abs(r.loc[day0]))]
    assert earlier.index[-1] == pd.Timestamp("2025-04-10")
    statement = (f"IMOEX's +{100 * r.loc[day0]:.2f} log % day-0 return on 2025-08-07 was its largest daily "
                 "move since 2025-04-10.")
    assert statement in largest_since_statements(seed)


# -- abnormal volume ----------------------------------------------------------------------------

CBR_HOLD = ("id,date,time,timezone,event\n"
            "CBR_HOLD,2024-12-20,13:30,Europe/Moscow,CBR holds the key rate at 21%\n")


@pytest.fixture
def volume_dir(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "volumes"
    folder.mkdir()
    (folder / "SBER.csv").symlink_to(shared_data / "panel/moex_iss_daily/SBER.csv")
    (folder / "IMOEX.csv").symlink_to(shared_data / IMOEX_FILE)
    return folder


def test_cli_volume_study_is_campbell_wasley_mean_adjusted(volume_dir: Path, tmp_path: Path,
                                                         shared_data: Path) -> None:
    events = tmp_path / "cbr.csv"
    events.write_text(CBR_HOLD, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("run", events, "--prices", volume_dir, "--assets", "SBER", "--measure", "volume",
                   "--figures", "none", "--out", out, "-q") == 0
    car = pd.read_csv(out / "car.csv")
    # By hand: log turnover ('value') on SBER's sessions, mean over days -250..-11.
    value = pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv", parse_dates=["date"],
                        index_col="date")["value"]
    logs = np.log(value)
    p = value.index.get_loc(pd.Timestamp("2024-12-20"))
    normal = logs.iloc[p - 250: p - 10].mean()
    residual = logs.iloc[p - 250: p - 10] - normal
    sigma2 = (residual**2).sum() / 239
    day0 = car[(car["start"] == 0) & (car["end"] == 0)].iloc[0]
    assert day0["car"] == pytest.approx(logs.iloc[p] - normal, abs=1e-12)
    assert day0["car"] == pytest.approx(1.826, abs=1e-3)  # turnover about 6.2 times normal
    assert day0["se"] == pytest.approx(np.sqrt(sigma2 * (1 + 1 / 240)), rel=1e-10)
    window = car[(car["start"] == -1) & (car["end"] == 1)].iloc[0]
    assert window["car"] == pytest.approx((logs.iloc[p - 1: p + 2] - normal).sum(), abs=1e-12)
    back = Results.from_folder(out)
    assert back.spec.measure == "volume"
    assert "Event study: abnormal log volume" in str(back.summary())
    assert "log volume %" in (out / "report.md").read_text(encoding="utf-8")


def test_volume_market_model_on_the_index_turnover(volume_dir: Path, tmp_path: Path,
                                                    shared_data: Path) -> None:
    from eventstudy.measures.volume import abnormal_log_volume

    events = tmp_path / "cbr.csv"
    events.write_text(CBR_HOLD, encoding="utf-8")
    study = es.EventStudy.from_file(None, events, prices=volume_dir, assets=["SBER"], measure="volume",
                                    model="market", benchmark="IMOEX")
    res = study.run()
    value = pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv", parse_dates=["date"],
                        index_col="date")["value"]
    index = pd.read_csv(shared_data / IMOEX_FILE, sep=";", decimal=",")
    market = pd.Series(index["VALUE"].to_numpy(dtype=float),
                       index=pd.to_datetime(index["TRADEDATE"], format="%d.%m.%Y"))
    validated = abnormal_log_volume(value, ["2024-12-20"], market_volume=market)
    ar = res.abnormal_returns
    np.testing.assert_allclose(ar["ar"].to_numpy(), validated.arrays.ar[0], rtol=0, atol=1e-10)
    car = res.car[(res.car["start"] == 0) & (res.car["end"] == 5)]["car"].iloc[0]
    assert car == pytest.approx(validated.arrays.car(0, 5)[0], abs=1e-10)


def test_volume_column_setting_and_errors(volume_dir: Path, tmp_path: Path, shared_data: Path,
                                          prices: pd.DataFrame) -> None:
    events = tmp_path / "cbr.csv"
    events.write_text(CBR_HOLD, encoding="utf-8")
    shares = es.EventStudy.from_file(None, events, prices=volume_dir, assets=["SBER"], measure="volume",
                                     volume_column="volume").run()
    volume = pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv", parse_dates=["date"],
                         index_col="date")["volume"]
    logs = np.log(volume)
    p = volume.index.get_loc(pd.Timestamp("2024-12-20"))
    expected = logs.iloc[p] - logs.iloc[p - 250: p - 10].mean()
    assert shares.car["car"].iloc[0] == pytest.approx(expected, abs=1e-12)
    with pytest.raises(InputError):
        es.EventStudy.from_file(None, events, prices=volume_dir, assets=["SBER"], measure="volume",
                                volume_column="turnover")
    with pytest.raises(ConfigError):
        es.EventStudy(SEEDS, prices, assets=["IMOEX"], measure="volume")  # no volumes given


def test_zero_volume_day_is_missing_and_skips_its_windows(tmp_path: Path, shared_data: Path) -> None:
    frame = pd.read_csv(shared_data / "panel/moex_iss_daily/SBER.csv")
    frame.loc[frame["date"] == "2024-12-23", "value"] = 0.0  # day +1 of the decision
    folder = tmp_path / "prices"
    folder.mkdir()
    frame.to_csv(folder / "SBER.csv", index=False)
    events = tmp_path / "cbr.csv"
    events.write_text(CBR_HOLD, encoding="utf-8")
    res = es.EventStudy.from_file(None, events, prices=folder, assets=["SBER"], measure="volume").run()
    windows = set(zip(res.car["start"], res.car["end"], strict=True))
    assert windows == {(0, 0)}  # [-1,1] and [0,5] cover the zero-volume day
    assert res.skipped["reason"].str.contains(r"CAR window \[-1, 1\]").any()
    ar = res.abnormal_returns.set_index("day")["ar"]
    assert np.isnan(ar.loc[1]) and np.isfinite(ar.loc[0])


# -- Dimson lags --------------------------------------------------------------------------------


def test_lags_one_is_the_dimson_market_model_by_statsmodels(prices: pd.DataFrame) -> None:
    import statsmodels.api as sm

    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="market", benchmark="EEM", lags=1).run()
    imoex, eem = prices["IMOEX"].dropna(), prices["EEM"].dropna()
    # EEM closes in New York after Moscow's close: as of IMOEX's close on day t, EEM's latest
    # close is that of the last US session before t.
    level = eem.iloc[eem.index.searchsorted(imoex.index, side="left") - 1].to_numpy()
    r = np.diff(np.log(imoex.to_numpy()))
    m = np.diff(np.log(level))
    m_lag = np.r_[np.nan, m[:-1]]
    day0 = imoex.index[1:].get_loc(pd.Timestamp("2025-08-06"))
    est = slice(day0 - 250, day0 - 10)
    x = np.column_stack([np.ones_like(m), m, m_lag])
    fit = sm.OLS(r[est], x[est], missing="drop").fit()
    ar0 = r[day0] - x[day0] @ fit.params
    se0 = np.sqrt(fit.scale * (1 + x[day0] @ fit.normalized_cov_params @ x[day0]))
    car = res.car
    row = car[(car["event_id"] == "WITKOFF") & (car["start"] == 0) & (car["end"] == 0)].iloc[0]
    assert row["car"] == pytest.approx(ar0, abs=1e-12)
    assert row["se"] == pytest.approx(se0, rel=1e-10)
    assert res.study_record()["settings"]["lags"] == 1


def test_lags_need_a_regression_model() -> None:
    with pytest.raises(ConfigError):
        StudySpec(model="constant-mean", lags=1)
    assert run_cli("run", SEEDS, "--lags", "1", "--assets", "IMOEX") == 2


# -- synthetic control --------------------------------------------------------------------------

DONORS = {"EEM": EEM_FILE, "SP500": "SP500_close_yahoo_2018_2026.csv",
          "BRENT": "BRENT_eia_spot_2018_2026.csv"}


def test_synthetic_control_of_imoex_from_shared_donors(shared_data: Path, tmp_path: Path) -> None:
    from eventstudy.models.synthetic import synthetic_control

    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "IMOEX.csv").symlink_to(shared_data / IMOEX_FILE)
    for name, file in DONORS.items():
        (folder / f"{name}.csv").symlink_to(shared_data / file)
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", folder, "--assets", "IMOEX", "--model", "synthetic",
                   "--benchmark", ",".join(DONORS), "--figures", "none", "--out", out, "-q") == 0
    table = pd.read_csv(out / "synthetic.csv", keep_default_na=False, na_values=[""])
    assert len(table) == 9 and list(table["event_id"].unique()) == list(pd.read_csv(SEEDS)["id"])
    # Independent outcomes: IMOEX log returns and each donor's close as of IMOEX's close (all
    # three close after Moscow, so the last close of an earlier date), in log returns.
    imoex = es.read_prices(shared_data / IMOEX_FILE).iloc[:, 0].dropna()
    outcomes = {"IMOEX": np.log(imoex).diff()}
    for name, file in DONORS.items():
        donor = es.read_prices(shared_data / file).iloc[:, 0].dropna()
        level = donor.iloc[donor.index.searchsorted(imoex.index, side="left") - 1].to_numpy()
        outcomes[name] = pd.Series(np.log(level), index=imoex.index).diff()
    frame = pd.DataFrame(outcomes).iloc[1:]
    fit = synthetic_control(frame, "IMOEX", list(DONORS), "2025-08-06", (-250, -11), (0, 0))
    row = table[table["event_id"] == "WITKOFF"].iloc[0]
    assert row["car"] == pytest.approx(fit.car, abs=1e-9)
    assert row["ratio"] == pytest.approx(fit.ratio, rel=1e-6)
    assert row["pvalue_placebo"] == fit.pvalue and row["rank"] == fit.rank
    weights = dict(item.split(" ") for item in row["weights"].split("; "))
    for name in DONORS:
        assert float(weights[name]) == pytest.approx(fit.weights[name], abs=1e-4)
    car = pd.read_csv(out / "car.csv")
    day0 = car[(car["event_id"] == "WITKOFF") & (car["start"] == 0) & (car["end"] == 0)].iloc[0]
    assert day0["car"] == pytest.approx(fit.car, abs=1e-9)  # the model's AR is the same gap
    # The invasion day: IMOEX's -38% gap is the largest ratio of all four units.
    invasion = table[table["event_id"] == "INVASION22"].iloc[0]
    assert invasion["rank"] == 1 and invasion["pvalue_placebo"] == pytest.approx(0.25)
    assert "Synthetic control" in (out / "report.html").read_text(encoding="utf-8")
    pd.testing.assert_frame_equal(Results.from_folder(out).extra_tables["synthetic"].drop(columns="note"),
                                  table.drop(columns="note"))


def test_synthetic_needs_two_donors() -> None:
    with pytest.raises(ConfigError):
        StudySpec(model="synthetic", benchmark=("EEM",))


def test_garch_event_variance_dummy_columns(prices: pd.DataFrame) -> None:
    pytest.importorskip("arch")
    from eventstudy.measures.garch_dummy import event_variance_test

    res = es.EventStudy(SEEDS, prices, assets=["IMOEX"], model="garch", benchmark="EEM", measure="volatility",
                        windows=[(0, 5)]).run()
    assert list(res.car.columns)[-4:] == ["variance_ratio", "pvalue_variance", "garch_delta",
                                         "pvalue_garch_delta"]
    imoex, eem = prices["IMOEX"].dropna(), prices["EEM"].dropna()
    level = eem.iloc[eem.index.searchsorted(imoex.index, side="left") - 1].to_numpy()
    r = np.diff(np.log(imoex.to_numpy()))
    m = np.diff(np.log(level))
    p = imoex.index[1:].get_loc(pd.Timestamp("2025-08-07"))
    days = np.zeros(256, dtype=bool)
    days[-6:] = True
    expected = event_variance_test(r[p - 250: p + 6], m[p - 250: p + 6], days)
    row = res.car[res.car["event_id"] == "SUMMIT_AGREED"].iloc[0]
    # Same data up to rounding in the last digits; SLSQP stops within its tolerance of the optimum.
    assert row["garch_delta"] == pytest.approx(expected.delta, rel=1e-5)
    assert row["pvalue_garch_delta"] == pytest.approx(expected.pvalue, rel=1e-4)
    invasion = res.car[res.car["event_id"] == "INVASION22"].iloc[0]
    assert invasion["garch_delta"] > 0 and invasion["pvalue_garch_delta"] < 0.01


def test_volume_column_per_asset_in_the_study_file(tmp_path: Path, shared_data: Path) -> None:
    events = tmp_path / "cbr.csv"
    events.write_text(CBR_HOLD, encoding="utf-8")
    sber = shared_data / "panel/moex_iss_daily/SBER.csv"
    config = tmp_path / "study.toml"
    config.write_text(f'[study]\nassets = ["SBER"]\nmeasure = "volume"\nvolume_column = "value"\n'
                      f'[assets.SBER]\nfile = "{sber}"\nvolume_column = "volume"\n', encoding="utf-8")
    res = es.EventStudy.from_file(config, events).run()
    volume = pd.read_csv(sber, parse_dates=["date"], index_col="date")["volume"]
    logs = np.log(volume)
    p = volume.index.get_loc(pd.Timestamp("2024-12-20"))
    day0 = res.car[(res.car["start"] == 0) & (res.car["end"] == 0)]["car"].iloc[0]
    assert day0 == pytest.approx(logs.iloc[p] - logs.iloc[p - 250: p - 10].mean(), abs=1e-12)
    out = tmp_path / "out"
    assert run_cli("run", events, "--config", config, "--figures", "none", "--out", out, "-q") == 0
    back = Results.from_folder(out)
    assert back.spec.measure == "volume" and back.spec.volume_column == "value"
    with pytest.raises(InputError):  # one event: no regression on a single row
        back.regress("car ~ 1", window=(0, 5))
