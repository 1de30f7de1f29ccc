"""One observation per asset and day 0: several announcements of one day collapse."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import TESTS
from eventstudy.inference.one_per_day import one_per_day
from eventstudy.models.engine import fit_pairs
from eventstudy.models.pairs import PairArrays
from eventstudy.sources.files import read_price_file

# Three statements dated 7 August 2025 for two assets, and one of 11 August for IMOEX.
TABLE = pd.DataFrame({
    "event_id": ["SUMMIT_AGREED", "WITKOFF", "SUMMIT_AGREED", "WITKOFF", "ALASKA", "USHAKOV"],
    "asset": ["IMOEX", "IMOEX", "SBER", "SBER", "IMOEX", "IMOEX"],
    "day0": pd.to_datetime(["2025-08-07", "2025-08-07", "2025-08-07", "2025-08-07",
                            "2025-08-11", "2025-08-07"]),
}, index=[10, 11, 12, 13, 14, 15])


@pytest.fixture
def arrays(shared_data: Path) -> PairArrays:
    imoex = read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]
    sber = pd.read_csv(shared_data / "panel" / "moex_iss_daily" / "SBER.csv", index_col="date",
                       parse_dates=True)["close"]
    series = [np.log(s).diff().dropna() for s in (imoex, sber)]
    width = max(s.size for s in series)
    returns = np.full((2, width), np.nan)
    for row, s in enumerate(series):
        returns[row, : s.size] = s.to_numpy()
    assets = TABLE["asset"].map({"IMOEX": 0, "SBER": 1}).to_numpy()
    day0 = np.array([series[a].index.get_loc(d) for a, d in zip(assets, TABLE["day0"], strict=True)])
    out = fit_pairs(returns, np.empty((2, width, 0)), None, assets, day0,
                    day0_dates=TABLE["day0"].to_numpy().astype("datetime64[D]"))
    assert out.fitted.all()
    return out.arrays


def test_same_asset_and_day0_collapse(arrays: PairArrays) -> None:
    result = one_per_day(TABLE, arrays)
    assert result.kept.tolist() == [0, 2, 4]
    assert result.pairs.index.tolist() == [10, 12, 14]
    assert result.event_ids == [("SUMMIT_AGREED", "WITKOFF", "USHAKOV"),
                                ("SUMMIT_AGREED", "WITKOFF"), ("ALASKA",)]
    assert result.arrays.n_pairs == 3
    # Same prices, same model: the mean of identical ARs is the AR itself.
    np.testing.assert_allclose(result.arrays.ar, arrays.ar[[0, 2, 4]], rtol=1e-14)
    np.testing.assert_allclose(result.arrays.est_ar, arrays.est_ar[[0, 2, 4]], rtol=1e-14)
    np.testing.assert_array_equal(result.arrays.sigma2, arrays.sigma2[[0, 2, 4]])
    # The tests now see three observations, not six copies of two reactions.
    collapsed = TESTS["t_cs"](result.arrays, 0, 0).statistic
    assert collapsed == pytest.approx(TESTS["t_cs"](arrays.subset(np.array([0, 2, 4])), 0, 0).statistic)


def test_differing_ars_are_averaged_by_hand(arrays: PairArrays) -> None:
    ar, est = arrays.ar.copy(), arrays.est_ar.copy()
    ar[1] += 0.003  # WITKOFF's IMOEX ARs differ, e.g. another estimation sample
    ar[5, 10] = np.nan  # USHAKOV lacks day 0
    est[1, :5] = np.nan
    result = one_per_day(TABLE, dataclasses.replace(arrays, ar=ar, est_ar=est))
    expected = (ar[0] + ar[1] + ar[5]) / 3
    expected[10] = (ar[0, 10] + ar[1, 10]) / 2  # the mean over the pairs with a value
    np.testing.assert_allclose(result.arrays.ar[0], expected, rtol=1e-14)
    expected_est = (est[0] + est[1] + est[5]) / 3
    expected_est[:5] = (est[0, :5] + est[5, :5]) / 2
    np.testing.assert_allclose(result.arrays.est_ar[0], expected_est, rtol=1e-14)
    np.testing.assert_array_equal(result.arrays.ar[1], ar[2])


def test_unknown_day0_is_never_collapsed(arrays: PairArrays) -> None:
    table = TABLE.assign(day0=[pd.NaT, pd.NaT, *TABLE["day0"].iloc[2:]])
    result = one_per_day(table, arrays)
    assert result.kept.tolist() == [0, 1, 2, 4, 5]
    assert result.event_ids[0] == ("SUMMIT_AGREED",)
    assert result.event_ids[1] == ("WITKOFF",)


def test_mismatched_inputs_are_refused(arrays: PairArrays) -> None:
    with pytest.raises(ValueError, match="rows of arrays"):
        one_per_day(TABLE.iloc[:3], arrays)
    with pytest.raises(ValueError, match="lacks the columns"):
        one_per_day(TABLE.drop(columns="day0"), arrays)
