"""The faster p-value paths of the test battery give scipy's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference.base import two_sided_normal, two_sided_t
from eventstudy.inference.rank import binomial_pvalue, signed_rank_normal_pvalue, signed_rank_pvalue


def test_two_sided_p_values_are_scipy_distributions_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    for z in np.concatenate([rng.normal(0, 3, 500), [0.0, -1.96, 38.5, np.inf]]):
        assert two_sided_normal(z) == float(2 * stats.norm.sf(abs(z)))
        for dof in (1, 3, 29, 238, 10_000):
            assert two_sided_t(z, dof) == float(2 * stats.t.sf(abs(z), dof))
    assert np.isnan(two_sided_normal(float("nan"))) and np.isnan(two_sided_t(float("nan"), 5))


def test_vectorised_binomial_p_value_is_binomtest() -> None:
    trials, successes, expected = [], [], []
    for n in (1, 2, 3, 17, 40, 333, 5_001, 250_000):
        for k in sorted({*range(0, n + 1, max(1, n // 7)), n // 2, (n + 1) // 2, n}):
            trials.append(n)
            successes.append(k)
            expected.append(stats.binomtest(k, n, 0.5).pvalue)
    got = binomial_pvalue(np.array(successes), np.array(trials))
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-300)
    assert float(binomial_pvalue(20, 40)) == 1.0


def test_normal_signed_rank_p_value_is_scipys_approx_with_ties() -> None:
    rng = np.random.default_rng(5)
    for n, rounding in [(51, None), (300, 3), (2_000, 2), (80, 1)]:
        x = rng.normal(0.05, 1, n)
        if rounding is not None:
            x = np.round(x, rounding)  # ties in |x|
        x = x[x != 0]
        ranks = stats.rankdata(np.abs(x))
        _, counts = np.unique(np.abs(x), return_counts=True)
        tie_term = float((counts.astype(float) ** 3 - counts).sum())
        expected = stats.wilcoxon(x, method="approx").pvalue
        got = float(signed_rank_normal_pvalue(x.size, float(ranks[x > 0].sum()), tie_term))
        assert got == pytest.approx(expected, rel=1e-12)


def test_exact_signed_rank_p_value_is_scipys_and_ignores_the_rank_order() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 12, 30, 50):
        x = rng.normal(0.2, 1, n)
        ranks = stats.rankdata(np.abs(x))
        w_plus = float(ranks[x > 0].sum())
        expected = stats.wilcoxon(x, method="exact").pvalue
        assert abs(signed_rank_pvalue(ranks, w_plus) - expected) < 1e-12
        shuffled = rng.permutation(ranks)
        assert signed_rank_pvalue(shuffled, w_plus) == signed_rank_pvalue(ranks, w_plus)
    # Ties: half ranks, the distribution is still built exactly.
    tied = stats.rankdata([0.5, 0.5, 1.0, 2.0, 2.0, 3.0])
    assert 0 < signed_rank_pvalue(tied, float(tied[[0, 2, 5]].sum())) <= 1


def test_dense_date_alignment_equals_the_sorting_one() -> None:
    from eventstudy.inference.dependence import _MISSING_DAY, _align_by_sorting, _align_on_dates

    rng = np.random.default_rng(5)
    calendar = np.cumsum(rng.integers(1, 4, 3000))  # distinct trading dates with gaps
    left_start = rng.integers(0, 2500, 300)
    right_start = left_start + rng.integers(-40, 40, 300)
    left = calendar[np.clip(left_start[:, None] + np.arange(240), 0, 2999)]
    right = calendar[np.clip(right_start[:, None] + np.arange(240), 0, 2999)]
    left[left_start + 239 > 2999] = _MISSING_DAY  # rows past the data: no date
    right[:7, :20] = _MISSING_DAY
    values = rng.normal(size=right.shape)
    values[rng.random(values.shape) < 0.05] = np.nan
    dense = _align_on_dates(left, right, values)
    assert np.array_equal(dense, _align_by_sorting(left, right, values), equal_nan=True)
    # A hand check of one row: the right value on the left row's 100th date.
    b = 11
    k = int(np.flatnonzero(right[b] == left[b, 100])[0]) if (right[b] == left[b, 100]).any() else None
    expected = values[b, k] if k is not None else np.nan
    assert np.array_equal(dense[b, 100], expected, equal_nan=True)
    # Dates spread far apart take the sorting path and give the same answer.
    sparse_left = np.where(left == _MISSING_DAY, _MISSING_DAY, left * 50)
    sparse_right = np.where(right == _MISSING_DAY, _MISSING_DAY, right * 50)
    assert np.array_equal(_align_on_dates(sparse_left, sparse_right, values),
                          _align_by_sorting(sparse_left, sparse_right, values), equal_nan=True)


def market_panel(names: tuple[str, ...], n_days: int, seed: int):  # type: ignore[no-untyped-def]
    """Prices of ``MKT`` and of ``names`` (beta 0.8, idiosyncratic s.d. 1.5%) on business days
    from 2019, and the generator, to draw the test's gaps and events from next."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    market = rng.normal(0, 0.01, n_days)
    levels = {"MKT": 100 * np.exp(np.cumsum(market))}
    for name in names:
        levels[name] = 100 * np.exp(np.cumsum(0.8 * market + rng.normal(0, 0.015, n_days)))
    return pd.DataFrame(levels, index=pd.bdate_range("2019-01-01", periods=n_days)), rng


def test_couples_of_one_asset_aligned_by_shift_equal_the_date_by_date_alignment() -> None:
    """Two pairs of one asset: the shift along its calendar gives the correlations and the
    shared window dates that matching dates one by one gives (gaps in the prices included)."""
    import pandas as pd

    from eventstudy import EventStudy
    from eventstudy.inference import dependence

    prices, rng = market_panel(("A", "B"), 900, seed=8)
    days = prices.index
    prices.loc[prices.index[rng.choice(np.arange(1, 900), 40, replace=False)], "A"] = np.nan  # gaps in A
    at = np.sort(rng.choice(np.arange(300, 880), 120, replace=False))
    events = pd.DataFrame({"date": days[at].strftime("%Y-%m-%d"), "event": "x",
                           "assets": rng.choice(["A", "B", "A;B"], at.size)})
    arrays = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                        event_window=(-10, 10)).run().arrays
    left, right = np.triu_indices(arrays.n_pairs, 1)
    window = np.arange(-1, 2)
    same = dependence._same_asset(arrays, left, right)
    assert same.sum() > 1000 and (~same).sum() > 1000
    left, right = left[same], right[same]
    day0 = np.asarray(arrays.day0_index)
    shifted = dependence._shifted_rho(arrays, left, right, day0[left] - day0[right])
    dated = dependence._dated_rho(arrays, left, right)
    np.testing.assert_allclose(shifted, dated, rtol=1e-12, atol=1e-15)
    codes_left = dependence._date_codes(arrays, window, left)
    codes_right = dependence._date_codes(arrays, window, right)
    by_date = (codes_left[:, :, None] == codes_right[:, None, :]).sum(axis=(1, 2))
    np.testing.assert_array_equal(dependence.couple_shared(arrays, left, right, window), by_date)
    assert (shifted != 0).sum() > 50 and (by_date > 0).sum() > 50


def test_couple_correlations_across_assets_equal_pandas_on_common_dates() -> None:
    """Couples of different assets with gaps in their prices (different calendars): each
    value is the pandas correlation of the two residual series joined on their dates,
    times the share of window dates they have in common."""
    import pandas as pd

    from eventstudy import EventStudy
    from eventstudy.inference import dependence

    prices, rng = market_panel(("A", "B", "C"), 700, seed=9)
    days = prices.index
    for name in ("A", "B", "C"):  # each asset misses its own days
        prices.loc[prices.index[rng.choice(np.arange(1, 700), 25, replace=False)], name] = np.nan
    at = np.sort(rng.choice(np.arange(300, 680), 60, replace=False))
    events = pd.DataFrame({"date": days[at].strftime("%Y-%m-%d"), "event": "x", "assets": "A;B;C"})
    arrays = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                        event_window=(-10, 10)).run().arrays
    left, right = np.triu_indices(arrays.n_pairs, 1)
    gap = np.abs((arrays.day0[left] - arrays.day0[right]).astype("timedelta64[D]").astype(int))
    other = np.asarray(arrays.asset_index)[left] != np.asarray(arrays.asset_index)[right]
    near = other & (gap <= 8)  # windows that can share dates, and some far apart
    left = np.concatenate([left[near][:300], left[other & ~near][:100]])
    right = np.concatenate([right[near][:300], right[other & ~near][:100]])
    window = np.arange(0, 6)
    got = dependence.couple_correlations(arrays, left, right, window)
    est_dates, window_dates = arrays.dates(arrays.est_days), arrays.dates(window)
    for k, (i, j) in enumerate(zip(left, right, strict=True)):
        a = pd.Series(arrays.est_ar[i], index=est_dates[i]).dropna()
        b = pd.Series(arrays.est_ar[j], index=est_dates[j]).dropna()
        joined = pd.concat([a, b], axis=1, join="inner")
        rho = joined.iloc[:, 0].corr(joined.iloc[:, 1]) if len(joined) >= dependence.MIN_COMMON_DATES else 0.0
        shared = len(set(window_dates[i].tolist()) & set(window_dates[j].tolist()))
        assert got[k] == pytest.approx(rho * shared / window.size, rel=1e-9, abs=1e-12)
    assert (got != 0).sum() > 100
    # Both ways of counting the shared dates ran: two unbroken windows intersect as
    # intervals, the others are matched date by date.
    _, unbroken = dependence._window_codes(arrays, window)
    both = unbroken[left] & unbroken[right]
    assert both[:300].sum() > 100 and (~both[:300]).sum() > 20


def test_couples_on_one_unbroken_calendar_aligned_by_shift_equal_pandas_and_matching_dates() -> None:
    """Assets trading on every day of one calendar: a couple's residuals align by the
    difference of their first estimation dates' codes (:func:`_estimation_codes`). Each
    correlation is pandas' on the dates both have, and bit for bit the date-by-date
    alignment's; an asset with gaps in its prices is not aligned so."""
    import pandas as pd

    from eventstudy import EventStudy
    from eventstudy.inference import dependence

    prices, rng = market_panel(("A", "B", "C", "GAPPY"), 700, seed=12)
    days = prices.index
    prices.iloc[rng.choice(np.arange(1, 700), 25, replace=False), 4] = np.nan  # GAPPY misses days
    assert prices["GAPPY"].isna().sum() == 25
    at = np.sort(rng.choice(np.arange(230, 680), 50, replace=False))
    events = pd.DataFrame({"date": days[at].strftime("%Y-%m-%d"), "event": "x", "assets": "A;B;C;GAPPY"})
    arrays = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                        event_window=(-10, 10)).run().arrays
    first, unbroken = dependence._estimation_codes(arrays)
    asset = np.asarray(arrays.asset_index)
    est_dates = arrays.dates(arrays.est_days)
    complete = ~np.isnat(est_dates).any(axis=1)  # windows that start inside the prices
    gappy = asset == 3
    np.testing.assert_array_equal(unbroken, complete & ~gappy)
    assert unbroken.sum() > 100
    left, right = np.triu_indices(arrays.n_pairs, 1)
    pick = (asset[left] != asset[right]) & unbroken[left] & unbroken[right]
    left, right = left[pick][::7], right[pick][::7]
    assert left.size > 300
    got = dependence.couple_rho(arrays, left, right)
    np.testing.assert_array_equal(got, dependence._dated_rho(arrays, left, right))
    for k, (i, j) in enumerate(zip(left[:150], right[:150], strict=True)):
        a = pd.Series(arrays.est_ar[i], index=est_dates[i]).dropna()
        b = pd.Series(arrays.est_ar[j], index=est_dates[j]).dropna()
        joined = pd.concat([a, b], axis=1, join="inner")
        rho = joined.iloc[:, 0].corr(joined.iloc[:, 1]) if len(joined) >= dependence.MIN_COMMON_DATES else 0.0
        assert got[k] == pytest.approx(rho, rel=1e-9, abs=1e-12)
    assert (got != 0).sum() > 100 and (got == 0).sum() > 10  # near couples and far ones


def test_alignment_through_the_calendar_inverse_equals_matching_dates(monkeypatch: pytest.MonkeyPatch,
                                                                     ) -> None:
    """Assets with gaps of their own and windows partly before the prices: the residuals
    aligned through each date's position on the other asset's calendar are those that
    matching the two rows' dates one by one gives (:func:`_align_on_dates`), bit for bit;
    above the table's size limit the date matching is used."""
    import pandas as pd

    from eventstudy import EventStudy
    from eventstudy.inference import dependence

    prices, rng = market_panel(("A", "B", "C"), 600, seed=21)
    days = prices.index
    for column in (1, 2, 3):
        prices.iloc[rng.choice(np.arange(1, 600), 30, replace=False), column] = np.nan
    prices.iloc[:120, 3] = np.nan  # C starts late: its early windows reach before its prices
    at = np.sort(rng.choice(np.arange(150, 590), 60, replace=False))
    events = pd.DataFrame({"date": days[at].strftime("%Y-%m-%d"), "event": "x", "assets": "A;B;C"})
    arrays = EventStudy(events, prices, model="market", benchmark="MKT", estimation=(-250, -11),
                        event_window=(-10, 10), min_estimation=60).run().arrays
    left, right = np.triu_indices(arrays.n_pairs, 1)
    other = np.asarray(arrays.asset_index)[left] != np.asarray(arrays.asset_index)[right]
    left, right = left[other], right[other]
    codes_left = dependence._date_codes(arrays, arrays.est_days, left)
    codes_right = dependence._date_codes(arrays, arrays.est_days, right)
    assert (codes_right == dependence._MISSING_DAY).any(axis=1).sum() > 100  # windows before C's prices
    inverse = dependence._calendar_inverse(arrays)
    assert inverse is not None
    by_inverse = dependence._align_by_inverse(arrays, inverse, codes_left, right)
    by_dates = dependence._align_on_dates(codes_left, codes_right, arrays.est_ar[right])
    np.testing.assert_array_equal(by_inverse, by_dates)
    assert np.isfinite(by_inverse).sum() > 0.2 * by_inverse.size  # near couples share most dates
    through_inverse = dependence._dated_rho(arrays, left, right)
    monkeypatch.setattr(dependence, "MAX_INVERSE_ENTRIES", 0)
    monkeypatch.setattr(dependence, "_INVERSES", {})  # forget the table made above
    assert dependence._calendar_inverse(arrays) is None
    np.testing.assert_array_equal(dependence._dated_rho(arrays, left, right), through_inverse)
